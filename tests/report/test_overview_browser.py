"""The weekly overview in a real browser: headless Chromium renders the page of a solved bundled
week (--dump-dom gives the page as the browser built it) and prints it to PDF (`matcher report
--pdf`). Skipped, saying why, where no Chromium is installed (.ci/run installs Debian's)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from overview_pages import invoke, read_page, rows_of

from matcher.io.headers import internal_columns, reason_code
from matcher.report.pdf import browser_command, find_browser

BROWSER = find_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no chromium or chromium-browser on PATH: install Debian's chromium (apt-get install chromium; "
    ".ci/run does it when run as root) to test the overview in a browser",
)
DUTCH_REASONS = {
    "no_eligible_unit": "geen passende woning",
    "capacity_full": "capaciteit vol",
    "outranked": "voorrang voor hogere prioriteit",
}


def rendered(page: Path) -> str:
    """The DOM of the page after Chromium loaded and laid it out."""
    assert BROWSER is not None
    with tempfile.TemporaryDirectory(prefix="matcher-test-chromium-") as profile:
        done = subprocess.run(
            [*browser_command(BROWSER, Path(profile)), "--dump-dom", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def table(run: Path, name: str) -> list[dict[str, str]]:
    import pandas as pd

    frame = internal_columns(pd.read_csv(run / name, dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    return frame.to_dict("records")


def test_the_overview_renders_and_prints_in_chromium(kennemerland_run, tmp_path, dutch):
    """Zuid-Kennemerland's week: every match row, the map, the Dutch headings and the unmatched
    reasons are in the page Chromium built, and --pdf writes a real PDF."""
    out = tmp_path / "overzicht.html"
    result = invoke("report", kennemerland_run, "--out", out, "--pdf")
    assert "PDF geschreven naar" in result.output
    pdf = out.with_suffix(".pdf")
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000

    dom = rendered(out)
    page = read_page(dom)
    assert {
        "Weekoverzicht: zuid-kennemerland-week",
        "Hoe goed is dit voorstel?",
        "Koppelingen per gemeente",
        "Koppelingen per corporatie",
        "Belasting van wijken tegen hun plafond",
    } <= set(page.headings)

    solved = kennemerland_run / "solved-instance"
    units = {row["unit_id"]: row for row in rows_of(solved / "units.csv")}
    names = {row["municipality_id"]: row["name"] for row in rows_of(solved / "municipalities.csv")}
    wijken = {row["neighbourhood_id"]: row["name"] for row in rows_of(solved / "neighbourhoods.csv")}
    expected = {
        (
            row["client_id"],
            row["unit_id"],
            names[units[row["unit_id"]]["municipality_id"]],
            wijken[units[row["unit_id"]]["neighbourhood_id"]],
        )
        for row in table(kennemerland_run, "proposals.csv")
    }
    matches = page.records("Koppelingen (")
    assert len(matches) == len(expected) > 20
    assert {(r["Cliënt"], r["Woning"], r["Gemeente"], r["Wijk"]) for r in matches} == expected

    assert page.has_svg, "the map is in the page"
    municipalities = {names[units[u]["municipality_id"]] for _c, u, *_rest in expected}
    assert municipalities <= set(page.svg_texts)

    unmatched = {
        row["client_id"]: reason_code(row["reason"]) for row in table(kennemerland_run, "unmatched.csv")
    }
    shown = page.records("Cliënten zonder koppeling")
    assert {r["Cliënt"] for r in shown} == set(unmatched)
    for record in shown:
        assert record["Reden"] == DUTCH_REASONS[unmatched[record["Cliënt"]]]
    assert any("gekoppeld aan" in r["Kleinste wijziging die tot een koppeling leidt"] for r in shown)
