"""Audit: every proposal's summary.json lets anyone re-run it and confirm the same result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher import audit_proposal as audit
from matcher.cli.main import main


def solve(instance: Path, out: Path, *options: str) -> None:
    result = CliRunner().invoke(main, ["solve", str(instance), "--out", str(out), *options])
    assert result.exit_code == 0, result.output


def edit_summary(out: Path, change) -> None:
    """Rewrite summary.json through `change` (it is a link into the current set: write through it)."""
    from matcher.audit.rerun import summary_digest

    summary = json.loads((out / "summary.json").read_text())
    change(summary)
    summary["summary_sha256"] = summary_digest(summary)  # a faithful fake: as a real run would record it
    (out / "summary.json").write_text(json.dumps(summary, indent=2))


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    """The tiny instance solved once with seed 0 and no time limit."""
    out = tmp_path_factory.mktemp("audit") / "out"
    solve(Path(__file__).resolve().parents[2] / "instances" / "tiny", out)
    return out


@pytest.fixture
def copy_of(solved, tmp_path) -> Path:
    """A private copy of the solved proposal folder, to tamper with."""
    target = tmp_path / "proposal"
    shutil.copytree(solved, target, ignore=shutil.ignore_patterns(".matcher-runs"))  # links copied as files
    return target


def test_an_untouched_proposal_is_confirmed(solved, tiny):
    """Re-running the recorded instance and settings reproduces every output."""
    report = audit(solved, tiny)
    assert report.status == "confirmed", report
    assert {check.name for check in report.checks} == {
        "outputs",
        "inputs",
        "policy",
        "proposals.csv",
        "unmatched.csv",
        "unused_units.csv",
        "summary.json",
    }
    assert report.warnings == []


def test_a_changed_input_file_is_found(solved, tiny_copy):
    """An instance that is not byte-identical to the one recorded is named file by file."""
    units = tiny_copy / "units.csv"
    units.write_text(units.read_text().replace(",650,", ",651,"))
    report = audit(solved, tiny_copy)
    assert report.status == "differs"
    assert "units.csv differs" in next(c.detail for c in report.checks if c.name == "inputs")


def test_an_edited_proposal_is_found(copy_of, tiny):
    """A proposals.csv edited after the run no longer matches its recorded hash nor the re-run."""
    proposals = copy_of / "proposals.csv"
    proposals.write_text(proposals.read_text().replace("C01,U02", "C01,U01"))
    report = audit(copy_of, tiny)
    failed = {check.name for check in report.checks if not check.ok}
    assert report.status == "differs" and failed == {"outputs", "proposals.csv"}


def test_an_edited_objective_is_found(copy_of, tiny):
    """A summary that claims another W differs from the re-run, and says where."""
    edit_summary(copy_of, lambda summary: summary["objective"].update(W=999))
    report = audit(copy_of, tiny)
    detail = next(c.detail for c in report.checks if c.name == "summary.json")
    assert report.status == "differs" and "objective.W: 999 → 751" in detail


def test_timings_are_ignored_and_versions_only_noted(copy_of, tiny):
    """Other timings still confirm; another recorded version is a note, not a difference."""

    def change(summary):
        summary["seconds"] = {"solve": 123.0}
        summary["versions"]["ortools"] = "9.0.0"

    edit_summary(copy_of, change)
    report = audit(copy_of, tiny)
    assert report.status == "confirmed"
    assert any("ortools was 9.0.0" in warning for warning in report.warnings)


def test_a_copied_instance_under_another_name_is_confirmed_with_a_note(solved, tiny_copy, tmp_path):
    """The same files in a folder of another name reproduce the run; the name change is noted."""
    renamed = tmp_path / "renamed"
    tiny_copy.rename(renamed)
    report = audit(solved, renamed)
    assert report.status == "confirmed"
    assert any("'renamed' now" in warning for warning in report.warnings)


def test_a_run_with_a_time_limit_is_refused_as_not_reproducible(tiny, tmp_path):
    """A time-limited run is refused, and the reason says why and what to do instead."""
    solve(tiny, tmp_path / "out", "--time-limit", "30")
    report = audit(tmp_path / "out", tiny)
    assert report.status == "refused"
    assert "time limit of 30 s" in report.reason and "without --time-limit" in report.reason


def test_a_run_with_a_ledger_is_repeated_from_its_solved_instance(copy_of, tiny):
    """A run that read a decisions ledger is repeated from the instance it solved (kept in its
    folder), and the report says the ledger was not applied again (tests/test_week.py has the
    real ledger week)."""
    edit_summary(copy_of, lambda summary: summary.update(ledger={"accepted_fixed": []}))
    report = audit(copy_of, tiny)
    assert report.status == "confirmed" and any("ledger" in warning for warning in report.warnings)


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "no summary.json"),
        ("{not json", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"settings": {}}', "lacks inputs, policy, outputs"),
    ],
)
def test_a_missing_or_damaged_summary_is_refused(tmp_path, tiny, content, reason):
    """Without a readable, complete summary.json there is nothing to audit."""
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    report = audit(tmp_path, tiny)
    assert report.status == "refused" and reason in report.reason


def test_a_seeded_run_is_confirmed_with_its_own_seed(tiny, tmp_path):
    """The recorded seed is used for the re-run."""
    solve(tiny, tmp_path / "out", "--seed", "7")
    assert audit(tmp_path / "out", tiny).status == "confirmed"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["settings"]["seed"] == 7


def test_cli_exit_codes(solved, tiny, tiny_copy, tmp_path):
    """`matcher audit DIR --instance PATH` exits 0 confirmed, 1 differs, 2 cannot audit."""
    runner = CliRunner()
    confirmed = runner.invoke(main, ["audit", str(solved), "--instance", str(tiny)])
    assert confirmed.exit_code == 0 and "confirmed" in confirmed.output
    (tiny_copy / "clients.csv").write_text((tiny_copy / "clients.csv").read_text() + "\n")
    differs = runner.invoke(main, ["audit", str(solved), "--instance", str(tiny_copy)])
    assert differs.exit_code == 1 and "clients.csv differs" in differs.output
    refused = runner.invoke(main, ["audit", str(tmp_path), "--instance", str(tiny)])
    assert refused.exit_code == 2 and "no summary.json" in refused.output


def test_cli_unreadable_instance_is_not_the_recorded_one(solved, tiny_copy):
    """An instance that no longer reads is reported as not the one recorded (exit 1), no traceback."""
    (tiny_copy / "units.csv").write_bytes(b"\x00\x01")
    result = CliRunner().invoke(main, ["audit", str(solved), "--instance", str(tiny_copy)])
    assert result.exit_code == 1 and "units.csv differs" in result.output
    assert "Traceback" not in result.output


def test_a_workbook_run_is_confirmed(tmp_path):
    """A proposal made from an .xlsx workbook is re-run from the workbook and confirmed."""
    from fuzzing import tiny_workbook

    book = tmp_path / "week.xlsx"
    book.write_bytes(tiny_workbook())
    solve(book, tmp_path / "out")
    report = audit(tmp_path / "out", book)
    assert report.status == "confirmed", report
