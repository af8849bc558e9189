"""What `matcher stress` shows a planner: the report's load explanation, the paired-difference
picture and sentences, the vocabulary, tables that fit the page, the maps' boundaries and labels,
the terminal result table, and a quiet terminal when Dask's dashboard port is taken."""

from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.i18n import _, set_language
from matcher.stress import load_sweep, plots, run_sweep, write_outputs
from matcher.stress.report import WIDE, load_split, people_sentences

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "scenarios" / "tiny.yaml"


@pytest.fixture(scope="module")
def swept():
    """The tiny sweep (2 caps × 2 policies × 2 seeds × 4 weeks), run serially."""
    return run_sweep(load_sweep(TINY), serial=True, progress=False)


@pytest.fixture
def language():
    """Set a language for one test and restore the default afterwards."""
    yield set_language
    set_language(None)


@pytest.fixture(scope="module")
def pages(swept, tmp_path_factory):
    """The tiny sweep's outputs written once in Dutch and once in English."""
    written = {}
    for code in ("nl", "en"):
        set_language(code)
        try:
            folder = tmp_path_factory.mktemp(f"out-{code}")
            write_outputs(swept, folder)
            written[code] = folder
        finally:
            set_language(None)
    return written


def page_text(folder: Path) -> str:
    """report.html as a reader sees it: no pictures, no tags, entities decoded."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    page = re.sub(r'src="data:[^"]+"', "", page)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# --- where the wijk load comes from ---------------------------------------------------------------


def test_load_split_adds_up_to_the_simulated_peak(swept):
    """The start load and the engine's load at the peak add up to the peak utilisation the
    simulation measured itself, and the engine's own load never exceeds a cap."""
    split = load_split(swept).set_index(["scenario", "allocation"])
    summary = swept.summary.set_index(["scenario", "allocation"])
    assert len(split) == len(summary) == 4
    np.testing.assert_allclose(
        split["peak_utilisation"], summary.loc[split.index, "util_max_peak"], rtol=1e-9
    )
    np.testing.assert_allclose(
        split["peak_start_part"] + split["peak_engine_part"], split["peak_utilisation"]
    )
    assert (split["engine_peak_utilisation"] <= 1 + 1e-9).all()
    assert (split["engine_peak_utilisation"] > 0).all()
    # the tight cap starts some wijken above it: that, not the engine, is the utilisation above 1
    tight = split.xs(0, level="scenario")
    assert (tight["peak_utilisation"] > 1).all() and (tight["start_utilisation"] > 1).all()
    assert (tight["wijken_over_cap_at_start"] >= 1).all()
    runs = swept.runs_table.groupby(["scenario", "allocation"])["cap_violations"].sum()
    assert (split["cap_violations"] == runs.loc[split.index]).all()


def test_report_explains_utilisation_above_the_cap(swept, pages):
    """The page explains start load against engine load and gives the recount's violations, in
    Dutch by default and in English."""
    split = load_split(swept)
    violations = int(split["cap_violations"].sum())
    dutch, english = page_text(pages["nl"]), page_text(pages["en"])
    assert "Wijkbelasting: van de start van de simulatie, en geplaatst door de motor" in dutch
    assert "kan al boven het plafond liggen" in dutch
    assert f"vond {violations} plafondoverschrijdingen in {swept.runs} runs" in dutch
    assert "load from the start of the simulation" in english and "load the engine placed" in english
    assert f"found {violations} cap violations in {swept.runs} runs" in english
    start = split["start_utilisation"].max()
    assert f"the fullest wijk starts at {start:.2f} of its cap" in english
    assert (pages["en"] / "load.csv").is_file()


# --- paired differences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "more_is_better", "expected"),
    [
        (1.0, 3.0, True, "better"),
        (1.0, 3.0, False, "worse"),
        (-3.0, -1.0, False, "better"),
        (-1.0, 2.0, True, "unclear"),
        (float("nan"), float("nan"), True, "unclear"),
    ],
)
def test_verdict_follows_the_direction_of_each_figure(low, high, more_is_better, expected):
    """An interval wholly above zero is better for people housed, worse for a wait."""
    assert plots.verdict(low, high, more_is_better) == expected


def test_paired_picture_writes_better_on_the_right_side(swept, monkeypatch, language):
    """Each KPI panel has a zero line and says "beter" on the side that is better for that KPI:
    right for people housed, left for the mean wait."""
    language("nl")
    captured = []
    monkeypatch.setattr(plots, "_png", lambda figure: captured.append(figure) or b"png")
    assert plots.paired(swept.paired, swept.sweep, "West-Friesland") == b"png"
    axes = {a.get_title(): a for a in captured[0].axes if a.get_visible()}
    housed, wait = axes[_("people housed")], axes[_("mean wait, everyone (weeks)")]

    def side(panel, word: str) -> str:
        texts = [t for t in panel.texts if word in t.get_text()]
        assert len(texts) == 1, [t.get_text() for t in panel.texts]
        return "right" if texts[0].get_position()[0] > 0.5 else "left"

    assert side(housed, "beter") == "right" and side(housed, "slechter") == "left"
    assert side(wait, "beter") == "left" and side(wait, "slechter") == "right"
    for panel in (housed, wait):
        assert any(np.allclose(line.get_xdata(), 0) for line in panel.lines), "no zero line"
    scenarios = len(swept.sweep.scenarios())
    housed_rows = swept.paired[swept.paired["metric"] == "placements"]
    dots = [line for line in housed.lines if len(line.get_xdata()) == 1]
    assert sorted(float(d.get_xdata()[0]) for d in dots) == sorted(housed_rows["diff_mean"])
    assert len(dots) == scenarios


def test_report_has_the_paired_picture_and_a_sentence_per_scenario(swept, pages):
    """The page opens with the paired picture and one sentence per scenario naming the region,
    the difference in people housed and its 95 % interval."""
    page = (pages["nl"] / "report.html").read_text(encoding="utf-8")
    assert 'alt="Wat de optimalisatie verandert, seed voor seed"' in page
    assert page.index("In één oogopslag") < page.index("Opzet")
    text = page_text(pages["nl"])
    housed = swept.paired[swept.paired["metric"] == "placements"]
    for row in housed.itertuples():
        words = "meer" if row.diff_mean >= 0 else "minder"
        expected = f"huisvest {abs(row.diff_mean):.1f} mensen {words} dan"
        assert expected in text
        low, high = (f"{value:+.1f}".replace("-", "−") for value in (row.ci_low, row.ci_high))
        interval = f"95 %-interval {low} tot {high}"
        assert interval in text
    set_language("en")
    try:
        sentences = people_sentences(swept)
    finally:
        set_language(None)
    assert len(sentences) == len(swept.sweep.scenarios())
    assert all(s.startswith("In West-Friesland, ") for s in sentences)


# --- vocabulary and page layout ---------------------------------------------------------------------


def test_no_doorstroom_for_still_waiting_in_any_output(pages):
    """ "doorstroom" (institution → own home) never stands for still waiting: not in the report,
    not in any table; the KPI is waiting_start and the page says "nog wachtend"."""
    for folder in pages.values():
        for file in folder.iterdir():
            if file.suffix in {".html", ".csv", ".json"}:
                assert "doorstroom" not in file.read_text(encoding="utf-8").lower(), file.name
    kpis = pd.read_csv(pages["nl"] / "kpis.csv")
    assert "waiting_start" in set(kpis["kpi"])
    assert "nog wachtend" in page_text(pages["nl"])


def test_tables_fit_the_page(pages):
    """The page is at most 1400 px wide, headers wrap, and no table of the tiny sweep needs a
    scroll container: each has at most WIDE columns."""
    page = (pages["nl"] / "report.html").read_text(encoding="utf-8")
    assert "max-width:1400px" in page and "white-space:normal" in page
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) >= 10
    widths = [
        len(re.findall(r"<th>", re.search(r"<thead>.*?</thead>", t, flags=re.S).group(0))) for t in tables
    ]
    assert max(widths) <= WIDE, widths
    assert 'class="table-wrap"' not in page


def test_every_word_of_the_page_is_dutch_by_default(pages):
    """Headings of the Dutch page come from the catalogue; the English page has the English ones."""
    dutch, english = page_text(pages["nl"]), page_text(pages["en"])
    for heading in (
        "Samenvatting over de looptijd",
        "Waarom woningen leegstonden",
        "Definities van de KPI’s",
    ):
        assert heading in dutch
    for heading in ("Summary over the horizon", "Why vacancies stood empty", "KPI definitions"):
        assert heading in english and heading not in dutch


# --- the map ----------------------------------------------------------------------------------------


def test_municipal_edges_run_between_municipalities_only():
    """Voronoi edges are drawn only between wijken of different municipalities, inside the hull."""
    points = np.array([[0, 0], [0, 10], [1, 5], [10, 0], [10, 10], [9, 5]], dtype=float)
    edges = plots.municipal_edges(points, ["A", "A", "A", "B", "B", "B"])
    assert edges
    for edge in edges:
        assert np.all((edge[:, 0] > 1) & (edge[:, 0] < 9))  # between the two groups
        assert np.all((edge[:, 1] >= -1.5) & (edge[:, 1] <= 11.5))  # hull plus margin
    assert plots.municipal_edges(points, ["A"] * 6) == []


def test_repel_separates_labels_that_overlap():
    """Labels placed on the same spot no longer overlap after the repel."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 4))
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 10)
    texts = [axes.text(5, 5, name, ha="center", va="center") for name in ("Hoorn", "Medemblik", "Enkhuizen")]
    plots.repel(figure, axes, texts)
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    plt.close(figure)


def test_queue_colours_are_distinct():
    """Ten scenarios get ten different colours (a qualitative map, not shades of one hue)."""
    colours = plots._colours(10)
    assert len({tuple(np.round(c, 3)) for c in colours}) == 10


# --- the terminal ------------------------------------------------------------------------------------


def test_cli_prints_the_result_table(tmp_path):
    """The terminal shows the headline figures per scenario and policy and the paired difference,
    with the numbers of the written tables."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["--lang", "en", "stress", str(TINY), "--out", str(out), "--workers", "0", "--no-progress"],
        terminal_width=160,
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Result per scenario and policy" in output and "Paired difference policy − greedy" in output
    runs = pd.read_csv(out / "runs.csv")
    for label in ("cap/1000=2", "cap/1000=8"):
        assert label in output
    for placements in runs.groupby(["scenario", "allocation"])["placements"].mean():
        assert f"{placements:.1f}" in output
    paired = pd.read_csv(out / "paired.csv")
    for row in paired[paired["metric"] == "placements"].itertuples():
        assert f"{row.diff_mean:+.1f}" in output and f"{row.ci_low:+.1f} … {row.ci_high:+.1f}" in output
    assert "open report.html" in output


def test_cli_result_table_is_dutch_by_default(tmp_path, dutch):
    """Without --lang the terminal result is Dutch."""
    result = CliRunner().invoke(
        main,
        ["stress", str(TINY), "--out", str(tmp_path / "out"), "--workers", "0", "--no-progress"],
        terminal_width=160,
    )
    assert result.exit_code == 0, result.output
    assert "Resultaat per scenario en methode" in result.output
    assert "Gepaard verschil methode − greedy" in result.output
    assert "Result per scenario" not in result.output
    assert "doorstroom" not in result.output.lower()


def test_no_raw_dask_output_when_port_8787_is_taken(tmp_path):
    """With port 8787 in use (a socket of this test, or anything else), `matcher stress` on a
    local Dask cluster prints its progress and result and nothing else: no port number, no
    UserWarning, no log line of distributed, exit 0. Run as a real process, so the output of the
    scheduler and the worker processes is what a user's terminal would show."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        try:
            blocker.bind(("127.0.0.1", 8787))
            blocker.listen(1)
        except OSError:
            pass  # already in use by something else: the situation under test
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                "from matcher.cli.main import main; main()",
                "--lang",
                "en",
                "stress",
                str(TINY),
                "--out",
                str(tmp_path / "out"),
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=os.environ | {"COLUMNS": "160", "PYTHONWARNINGS": "default"},
        )
    finally:
        blocker.close()
    everything = run.stdout + run.stderr
    assert run.returncode == 0, everything
    assert "8787" not in everything
    assert "UserWarning" not in everything and "distributed." not in everything
    assert "Traceback" not in everything
    assert "Result per scenario and policy" in run.stdout
    assert "tiny: runs" in run.stderr  # the progress bar is there, on stderr
