"""`matcher solve` end to end: files, summary, atomic writes, time limits, clean failures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from matcher.cli.main import main


def test_solve_writes_the_three_files(tiny, tmp_path):
    """proposals.csv starts with client_id, unit_id; the summary has W, P, bounds, hashes, versions."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    header = (out / "proposals.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["client_id", "unit_id"]
    assert {
        "municipality_id",
        "neighbourhood_id",
        "landlord",
        "priority_weight",
        "preference_score",
        "reason",
    } <= set(header)
    assert (out / "unmatched.csv").read_text().splitlines()[0] == "client_id,reason,detail"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"]["W"] == summary["objective"]["W_bound"] == 751
    assert summary["objective"]["P"] == summary["objective"]["P_bound"] == 120
    assert summary["proven_optimal"] is True
    assert set(summary["inputs"]) >= {"clients.csv", "units.csv", "policy.yaml"}
    assert all(len(digest) == 64 for digest in summary["inputs"].values())
    assert summary["policy"]["spreading"]["max_load_per_1000_dwellings"] == 5
    assert {"matcher", "ortools", "python"} <= set(summary["versions"])
    assert "proven optimal" in result.output


def test_invalid_instance_leaves_existing_outputs_alone(tiny, tiny_copy, tmp_path):
    """A failed run exits 2, prints located problems and changes nothing already written."""
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)]).exit_code == 0
    before = {f.name: f.read_bytes() for f in out.iterdir() if f.is_file()}
    (tiny_copy / "units.csv").write_text((tiny_copy / "units.csv").read_text().replace(",650,", ",cheap,"))
    result = CliRunner().invoke(main, ["solve", str(tiny_copy), "--out", str(out)])
    assert result.exit_code == 2
    assert "units.csv, row 2, column rent" in result.output
    assert {f.name: f.read_bytes() for f in out.iterdir() if f.is_file()} == before


def test_not_an_instance_is_a_clear_message(tmp_path):
    """A path that is neither a folder nor a workbook fails with exit 2 and no traceback."""
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    result = CliRunner().invoke(main, ["solve", str(stray), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_time_limit_is_recorded_and_result_still_feasible(tiny, tmp_path):
    """With a time limit the run still writes a proposal that breaks no rule and records the limit."""
    import pandas as pd
    from independent_checker import violations

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out), "--time-limit", "5"])
    assert result.exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["time_limit"] == 5
    assert summary["objective"]["W"] <= summary["objective"]["W_bound"]
    proposals = pd.read_csv(out / "proposals.csv", dtype=str)
    assert len(proposals) == summary["counts"]["placed"]
    assert violations(tiny, zip(proposals["client_id"], proposals["unit_id"])) == []


def test_keep_proposal_reports_continuity(tiny, tmp_path):
    """Re-solving against a communicated proposal reports what was kept, withdrawn and new."""
    first = tmp_path / "first"
    CliRunner().invoke(main, ["solve", str(tiny), "--out", str(first)])
    second = tmp_path / "second"
    result = CliRunner().invoke(
        main, ["solve", str(tiny), "--out", str(second), "--keep-proposal", str(first)]
    )
    assert result.exit_code == 0
    continuity = json.loads((second / "summary.json").read_text())["continuity"]
    assert continuity == {
        "communicated": 5,
        "accepted": [],
        "declined": [],
        "kept": 5,
        "withdrawn": [],
        "new": [],
        "why_moved": {},
    }


def test_a_missing_ledger_is_said_to_be_the_ledger_not_the_instance(tmp_path):
    """`solve --ledger` on a ledger that does not exist yet: the instance is fine, so the message
    says the ledger cannot be used (the 26-week example met "tiny is not a valid instance")."""
    from pathlib import Path

    tiny = Path(__file__).resolve().parents[2] / "instances" / "tiny"
    result = CliRunner().invoke(
        main,
        [
            "--lang",
            "en",
            "solve",
            str(tiny),
            "--out",
            str(tmp_path / "out"),
            "--ledger",
            str(tmp_path / "no.sqlite"),
        ],
    )
    assert result.exit_code == 2
    assert "the decisions ledger cannot be used" in result.output
    assert "not a valid instance" not in result.output
    assert "no ledger here" in result.output
