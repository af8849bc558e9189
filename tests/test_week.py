"""A week with the coordinator's decisions: the ledger applied, communicated matches kept, and
the instance it solved kept in the run folder."""

from __future__ import annotations

from pathlib import Path

from matcher.week import continuity_report

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny"


def test_continuity_separates_declines_from_withdrawals():
    """A declined communicated match is reported as declined, not as withdrawn by the engine."""
    report = continuity_report(
        [("C1", "U1"), ("C2", "U2"), ("C3", "U3")],
        [("C2", "U2"), ("C4", "U1")],
        placed={("C3", "U3")},
        declined={("C1", "U1")},
    )
    assert report["accepted"] == ["C3->U3"] and report["declined"] == ["C1->U1"]
    assert report["kept"] == 1 and report["withdrawn"] == [] and report["new"] == ["C4->U1"]


# --- the run folder keeps what the week solved, so any week can be audited ------------------


def _decide(ledger, *decisions):
    from datetime import date

    from matcher.review.ledger import Batch, Decision, import_batches

    week = date(2026, 11, 23)
    import_batches(
        str(ledger),
        [
            Batch(
                "record",
                "test",
                decisions=[
                    Decision(
                        client,
                        unit,
                        party,
                        decision,
                        "other" if decision == "decline" else None,
                        period_start=week,
                    )
                    for client, unit, party, decision in decisions
                ],
            )
        ],
    )


def test_a_week_with_a_ledger_keeps_its_solved_instance_and_audits(tmp_path):
    """A solve with a ledger writes the instance after the ledger into the run folder; the audit
    repeats the week from it and confirms it, with a warning that the ledger was not re-applied."""
    import independent_checker as checker
    from click.testing import CliRunner

    from matcher import audit_proposal, read_instance
    from matcher.cli import main

    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "week"
    _decide(
        ledger,
        ("C01", "U02", "client", "decline"),
        ("C03", "U01", "client", "accept"),
        ("C03", "U01", "landlord", "accept"),
    )
    result = CliRunner().invoke(main, ["solve", str(TINY), "--ledger", str(ledger), "--out", str(out)])
    assert result.exit_code == 0, result.output
    solved = read_instance(out / "solved-instance")
    assert ("C01", "U02") in {(d.client_id, d.unit_id) for d in solved.declined}
    assert "C03" not in {c.client_id for c in solved.clients} and "U01" not in {
        u.unit_id for u in solved.units
    }
    # the proposal is valid for the solved instance by the independent checker
    pairs = [tuple(line.split(",")[:2]) for line in (out / "proposals.csv").read_text().splitlines()[1:]]
    assert checker.violations(out / "solved-instance", pairs) == []
    report = audit_proposal(out, TINY)
    assert report.status == "confirmed", report
    assert any("ledger" in warning for warning in report.warnings)


def test_a_kept_proposal_is_audited_from_kept_csv(tmp_path):
    """--keep-proposal writes kept.csv; the audit repeats the continuity level from it."""
    from click.testing import CliRunner

    from matcher import audit_proposal
    from matcher.cli import main

    runner = CliRunner()
    first, second = tmp_path / "first", tmp_path / "second"
    assert runner.invoke(main, ["solve", str(TINY), "--out", str(first)]).exit_code == 0
    assert (
        runner.invoke(
            main, ["solve", str(TINY), "--keep-proposal", str(first), "--out", str(second)]
        ).exit_code
        == 0
    )
    assert (second / "kept.csv").read_text().splitlines()[0] == "client_id,unit_id"
    assert audit_proposal(second, TINY).status == "confirmed"


def test_an_edited_solved_instance_is_caught(tmp_path):
    """The solved instance is under the summary's hashes: an edit makes the audit differ."""
    from click.testing import CliRunner

    from matcher import audit_proposal
    from matcher.cli import main

    out = tmp_path / "week"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)]).exit_code == 0
    clients = out / "solved-instance" / "clients.csv"
    text = clients.read_text()
    clients.unlink()  # a link into the run's generation: replace it by an edited plain file
    clients.write_text(text.replace("C01,", "C01 ,", 1))
    report = audit_proposal(out, TINY)
    assert report.status == "differs"
    assert "solved-instance/clients.csv" in next(
        check.detail for check in report.checks if check.name == "outputs"
    )


def test_a_ledger_run_without_its_solved_instance_is_refused(tmp_path):
    """A summary that names a ledger but whose folder lacks the solved instance cannot be repeated."""
    import json
    import shutil

    from click.testing import CliRunner

    from matcher import audit_proposal
    from matcher.cli import main

    out = tmp_path / "week"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)]).exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    summary["ledger"] = {"accepted_fixed": []}
    del summary["summary_sha256"]  # a run folder from before decision 27 has no digest either
    (out / "summary.json").unlink()
    (out / "summary.json").write_text(json.dumps(summary))
    shutil.rmtree(out / "solved-instance")
    report = audit_proposal(out, TINY)
    assert report.status == "refused" and "solved-instance" in report.reason
