"""Dutch by default (issue 15, part A): validate, solve, their help and the files solve writes speak
Dutch unless `--lang en` or MATCHER_LANG=en; files written in Dutch are read back."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.i18n import set_language
from matcher.io.headers import REASON_LABELS, reason_code, reason_label


def run(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    """`matcher` in a fresh process (help texts are translated when a command module is imported)."""
    env = {key: value for key, value in os.environ.items() if key != "MATCHER_LANG"}
    if lang:
        env["MATCHER_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-c", "from matcher.cli import main; main(prog_name='matcher')", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_solve_help_is_dutch_by_default_and_english_with_lang_en():
    dutch = run("solve", "--help")
    english = run("--lang", "en", "solve", "--help")
    assert dutch.returncode == english.returncode == 0, dutch.stderr + english.stderr
    assert "Stel de beste toewijzing voor INSTANCE voor" in dutch.stdout
    assert "map voor proposals.csv" in dutch.stdout
    assert "Propose the best allocation for INSTANCE" not in dutch.stdout
    assert "Propose the best allocation for INSTANCE and write it to --out." in english.stdout
    assert "folder for proposals.csv" in english.stdout
    assert "Stel de beste" not in english.stdout


def test_the_environment_chooses_english_for_validate_help():
    assert "Check an instance and report every problem at once" in run("validate", "--help", lang="en").stdout
    assert "Controleer een instantie" in run("validate", "--help").stdout


def test_the_group_help_follows_lang():
    assert "Koppelt woningen aan cliënten" in run("--help").stdout
    assert "Housing-matching engine" in run("--lang", "en", "--help").stdout


def test_validate_names_file_row_and_column_in_dutch(dutch, tiny_copy):
    clients = tiny_copy / "clients.csv"
    lines = clients.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")  # spreadsheet row 4
    cells[header.index("urgency")] = "dringend"
    cells[header.index("household_size")] = "twee"
    lines[3] = ",".join(cells)
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tiny_copy / "units.csv").unlink()

    result = CliRunner().invoke(main, ["validate", str(tiny_copy)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "is geen geldige instantie" in output
    assert (
        "bestand clients.csv, rij 4, kolom urgency: moet een van deze zijn: 'normal', 'high' of 'acute'"
        in output
    )
    assert "bestand clients.csv, rij 4, kolom household_size: moet een geheel getal zijn" in output
    assert "bestand units.csv: ontbreekt: de instantie heeft units.csv nodig" in output
    assert "row 4" not in output and "missing" not in output


def test_validate_of_a_valid_instance_in_dutch_and_in_english(dutch, tiny):
    dutch_run = CliRunner().invoke(main, ["validate", str(tiny)])
    assert dutch_run.exit_code == 0
    assert "geldig: 8 cliënten, 6 woningen" in dutch_run.output
    english = CliRunner().invoke(main, ["--lang", "en", "validate", str(tiny)])
    assert "valid: 8 clients, 6 units" in english.output


def test_solve_prints_and_writes_dutch(dutch, tiny, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Voorstel voor tiny" in result.output
    assert "W en P zijn bewezen optimaal." in result.output
    assert "niet gekoppeld: capaciteit vol" in result.output
    assert "proven optimal" not in result.output

    proposals = rows(out / "proposals.csv")
    assert list(proposals[0])[:2] == ["cliënt", "woning"]
    assert {"gemeente", "wijk", "corporatie", "prioriteitsgewicht", "voorkeursscore", "reden"} <= set(
        proposals[0]
    )
    by_client = {row["cliënt"]: row for row in proposals}
    assert by_client["C01"]["reden"] == "gemeente van herkomst"
    assert by_client["C02"]["reden"] == "1e voorkeursgemeente"
    assert by_client["C03"]["reden"] == "huidige gemeente"

    unmatched = {row["cliënt"]: row["reden"] for row in rows(out / "unmatched.csv")}
    assert unmatched == {
        "C05": "capaciteit vol",
        "C07": "geen passende woning",
        "C08": "voorrang voor hogere prioriteit",
    }
    assert {reason_code(label) for label in unmatched.values()} == {
        "capacity_full",
        "no_eligible_unit",
        "outranked",
    }
    unused = rows(out / "unused_units.csv")
    assert [(row["woning"], row["reden"]) for row in unused] == [("U04", "capaciteit vol")]

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["language"] == "nl"
    # machine identifiers stay: keys and counts by code
    assert summary["counts"]["unmatched_by_reason"]["capacity_full"] == 1
    assert summary["counts"]["unused_by_reason"]["capacity_full"] == 1


def test_solve_in_english_keeps_the_files_as_they_were(tiny, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--lang", "en", "solve", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "unmatched.csv").read_text(encoding="utf-8").splitlines()[0] == "client_id,reason,detail"
    assert next((r["client_id"], r["reason"]) for r in rows(out / "unmatched.csv")) == (
        "C05",
        "capacity_full",
    )
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["language"] == "en"


def test_a_proposal_written_in_dutch_is_read_back_by_check(dutch, tiny, tmp_path):
    """`matcher check` reads proposals.csv with Dutch headers (its reader: matcher/review/check.py)."""
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["check", str(tiny), str(out / "proposals.csv")])
    assert result.exit_code == 0, result.output


def test_a_proposal_written_in_dutch_is_kept_by_the_next_solve(dutch, tiny, tmp_path):
    """`matcher solve --keep-proposal` reads a Dutch proposals.csv (its reader: matcher/week.py)."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert CliRunner().invoke(main, ["solve", str(tiny), "--out", str(first)]).exit_code == 0
    result = CliRunner().invoke(
        main, ["solve", str(tiny), "--out", str(second), "--keep-proposal", str(first)]
    )
    assert result.exit_code == 0, result.output
    assert rows(first / "proposals.csv") == rows(second / "proposals.csv")


def test_every_reason_code_reads_back_from_either_language():
    for code in REASON_LABELS:
        for language in ("nl", "en"):
            set_language(language)
            assert reason_code(reason_label(code)) == code
            assert reason_code(f"  {reason_label(code).upper()} ") == code
    set_language(None)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_two_reasons_share_a_label(language):
    set_language(language)
    labels = [reason_label(code) for code in REASON_LABELS if code != "capacity_full"]
    assert len(set(labels)) == len(labels)
    set_language(None)


def test_a_run_written_in_dutch_is_confirmed_by_audit_in_either_language(dutch, tiny, tmp_path):
    """summary.json records the language, so the audit writes the same bytes again (its re-run:
    matcher/audit/rerun.py) whatever language the auditor reads."""
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)]).exit_code == 0
    dutch_audit = CliRunner().invoke(main, ["audit", str(out), "--instance", str(tiny)])
    assert dutch_audit.exit_code == 0, dutch_audit.output
    assert "bevestigd" in dutch_audit.output
    english_audit = CliRunner().invoke(main, ["--lang", "en", "audit", str(out), "--instance", str(tiny)])
    assert english_audit.exit_code == 0, english_audit.output
    assert "confirmed" in english_audit.output


def test_click_speaks_dutch_too():
    """Click's own words (Usage:, Error: …) come through the catalogue."""
    dutch = run("solve", str(Path("does-not-exist")), "--out", "x")
    assert dutch.returncode == 2
    assert "Gebruik: matcher solve" in dutch.stderr
    assert "Fout: Ongeldige waarde voor 'INSTANCE'" in dutch.stderr
    english = run("--lang", "en", "solve", "does-not-exist", "--out", "x")
    assert "Error: Invalid value for 'INSTANCE'" in english.stderr
