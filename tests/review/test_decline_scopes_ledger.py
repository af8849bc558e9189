"""A decline's reason decides what it rules out and for how long (issue 13, item 1).

On the tiny instance: U03 (cluster, site IJM-CLUSTER-1) and U04 (room) are both in Velsen's
WK045301; U01 and U02 are in Haarlem. Each test records a proposal and one decline in a fresh
ledger, applies the ledger to the week (and to a later week), and checks what the client may
still get, against the independent checker on the instance the engine solved.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.io.write_instance import instance_files_bytes
from matcher.review.ledger import (
    SCHEMA_VERSION,
    Batch,
    Decision,
    ProposalRecord,
    ProposedPair,
    apply_ledger,
    import_batches,
    read_ledger,
)
from matcher.review.reasons import BOOK, default_until
from matcher.rules.eligibility import Eligibility
from models import Instance

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)


def _pair(client: str, unit: str, instance: Instance) -> ProposedPair:
    u = next(x for x in instance.units if x.unit_id == unit)
    c = next(x for x in instance.clients if x.client_id == client)
    return ProposedPair(
        client,
        unit,
        u.landlord,
        u.municipality_id,
        u.neighbourhood_id,
        u.type,
        c.support_intensity,
        1,
        u.site_id,
    )


def _ledger_with(tmp_path: Path, client: str, unit: str, decision: Decision) -> tuple[str, Instance]:
    week = read_instance(TINY)
    ledger = str(tmp_path / "ledger.sqlite")
    proposal = ProposalRecord(
        "p1", WEEK, WEEK + timedelta(days=6), "tiny", 8, 6, None, None, (_pair(client, unit, week),)
    )
    import_batches(ledger, [Batch("proposal", "export", proposals=[proposal])])
    import_batches(ledger, [Batch("record", "test", decisions=[decision])])
    return ledger, week


def _still_eligible(instance: Instance, client: str) -> set[str]:
    rules = Eligibility(instance)
    pairs = rules.pairs
    ids = rules.arrays
    return {ids.unit_ids[u] for c, u in zip(pairs.client, pairs.unit) if ids.client_ids[c] == client}


def _checker_agrees(instance: Instance, tmp_path: Path) -> set[tuple[str, str]]:
    folder = tmp_path / "solved"
    folder.mkdir(exist_ok=True)
    for name, content in instance_files_bytes(instance).items():
        (folder / name).write_bytes(content)
    return set(checker.eligible_pairs(folder))


def test_a_client_safety_decline_rules_out_the_whole_neighbourhood_for_good(tmp_path):
    """`safety` (coordinator verified): every unit of the neighbourhood, for good."""
    before = _still_eligible(read_instance(TINY), "C03")
    assert {"U03"} <= before, "C03 (protected) may have the Velsen cluster unit before the decline"
    ledger, week = _ledger_with(
        tmp_path, "C03", "U03", Decision("C03", "U03", "client", "decline", "safety", period_start=WEEK)
    )
    [row] = read_ledger(ledger).decisions
    assert (row["scope"], row["scope_id"], row["until"]) == ("neighbourhood", "WK045301", None)
    assert row["reason_text"] == BOOK["client"]["safety"].words
    solved, report = apply_ledger(week, ledger)
    common = {"client_id": "C03", "unit_id": "U03", "declined_by": "client", "until": None}
    assert report["declines_added"] == [  # the unit itself always, and what the scope covers
        {**common, "scope": "unit", "scope_id": None},
        {**common, "scope": "neighbourhood", "scope_id": "WK045301"},
    ]
    in_wijk = {u.unit_id for u in week.units if u.neighbourhood_id == "WK045301"}
    assert _still_eligible(solved, "C03") == before - in_wijk
    assert {u for c, u in _checker_agrees(solved, tmp_path) if c == "C03"} == before - in_wijk


def test_a_landlord_neighbourhood_situation_rules_out_the_site_for_13_weeks(tmp_path):
    ledger, week = _ledger_with(
        tmp_path,
        "C03",
        "U03",
        Decision("C03", "U03", "landlord", "decline", "neighbourhood_situation", period_start=WEEK),
    )
    [row] = read_ledger(ledger).decisions
    until = default_until(BOOK["landlord"]["neighbourhood_situation"], WEEK)
    assert until == date(2027, 2, 21), "13 weekly periods: 23 Nov 2026 up to and including 15 Feb 2027"
    assert (row["scope"], row["scope_id"], row["until"]) == ("site", "IJM-CLUSTER-1", until)
    solved, _ = apply_ledger(week, ledger)
    assert "U03" not in _still_eligible(solved, "C03")
    # thirteen weeks on, the site is open to C03 again; the day after, too
    for start, holds in ((date(2027, 2, 15), True), (date(2027, 2, 22), False)):
        later = week.model_copy(
            update={
                "policy": week.policy.model_copy(
                    update={"period": week.policy.period.model_copy(update={"start": start})}
                )
            }
        )
        solved, report = apply_ledger(later, ledger)
        assert ("U03" not in _still_eligible(solved, "C03")) is holds, start
        assert len(report["declines_added"]) == (2 if holds else 0)


def test_a_site_scope_of_a_unit_without_a_site_falls_back_to_the_unit(tmp_path):
    """U04 (a room) has no site: the ledger widens nothing it cannot name."""
    ledger, _ = _ledger_with(
        tmp_path,
        "C05",
        "U04",
        Decision("C05", "U04", "client", "decline", "unit_not_wanted", period_start=WEEK),
    )
    [row] = read_ledger(ledger).decisions
    assert (row["scope"], row["scope_id"]) == ("unit", None)


def test_the_coordinator_overrides_scope_and_end_on_the_command_line(tmp_path):
    week = read_instance(TINY)
    ledger = str(tmp_path / "ledger.sqlite")
    proposal = ProposalRecord(
        "p1", WEEK, WEEK + timedelta(days=6), "tiny", 8, 6, None, None, (_pair("C03", "U03", week),)
    )
    import_batches(ledger, [Batch("proposal", "export", proposals=[proposal])])
    args = ["record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "decline"]
    result = CliRunner().invoke(
        main, [*args, "--reason", "location", "--scope", "municipality", "--until", "2026-12-31"]
    )
    assert result.exit_code == 0, result.output
    [row] = read_ledger(ledger).decisions
    assert (row["scope"], row["scope_id"], row["until"]) == ("municipality", "GM0453", date(2026, 12, 31))
    solved, _ = apply_ledger(week, ledger)
    assert not {u.unit_id for u in week.units if u.municipality_id == "GM0453"} & _still_eligible(
        solved, "C03"
    )
    # bad overrides are refused with the option's name, nothing recorded
    for extra, words in (
        (["--scope-id", "GM0392"], "give the scope too"),
        (["--scope", "site", "--until", "2026-11-01", "--week", "2026-11-23"], "before the decision's week"),
    ):
        result = CliRunner().invoke(
            main,
            [
                "record",
                "--ledger",
                ledger,
                "--client",
                "C01",
                "--unit",
                "U01",
                "--decision",
                "decline",
                "--reason",
                "other",
                *extra,
            ],
        )
        assert result.exit_code == 2 and words in result.output, result.output
    accept = CliRunner().invoke(
        main,
        [
            "record",
            "--ledger",
            ledger,
            "--client",
            "C01",
            "--unit",
            "U01",
            "--decision",
            "accept",
            "--scope",
            "site",
            "--week",
            "2026-11-23",
        ],
    )
    assert accept.exit_code == 2 and "belongs to a decline only" in accept.output
    assert len(read_ledger(ledger).decisions) == 1


def test_a_schema_1_ledger_is_migrated_on_first_use_and_keeps_its_decisions(tmp_path):
    ledger, _ = _ledger_with(
        tmp_path, "C01", "U01", Decision("C01", "U01", "client", "accept", period_start=WEEK)
    )
    with sqlite3.connect(ledger) as connection:  # make it as an older matcher left it
        for table, column in (
            ("decisions", "scope"),
            ("decisions", "scope_id"),
            ("decisions", "until"),
            ("decisions", "reason_text"),
            ("proposals", "return_by"),
            ("proposed", "site_id"),
        ):
            connection.execute(f'ALTER TABLE {table} DROP COLUMN "{column}"')
        connection.execute("UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'")
    state = read_ledger(ledger)
    assert [(r["client_id"], r["decision"], r["scope"]) for r in state.decisions] == [("C01", "accept", None)]
    with sqlite3.connect(ledger) as connection:
        meta = dict(connection.execute("SELECT key, value FROM ledger_meta").fetchall())
    assert meta["schema_version"] == SCHEMA_VERSION == "3" and "migrated_from_1" in meta


@pytest.mark.parametrize(("party", "code"), [(p, c) for p in ("landlord", "client") for c in sorted(BOOK[p])])
def test_every_reason_code_is_documented_with_its_default_scope(party, code):
    """docs/review-loop.md lists each code with what it rules out by default, as the book says."""
    docs = (ROOT / "docs" / "review-loop.md").read_text(encoding="utf-8")
    row = BOOK[party][code]
    assert any(
        line.startswith(f"| `{code}` |") and line.rstrip().endswith(f"| {row.lasts} |")
        for line in docs.splitlines()
    )


# --- what the red team broke (findings 1-4, 7 and 3 of the weekly-loop review) ------------------


def _record(ledger: str, *extra: str, code: int = 0) -> str:
    base = ["record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "decline"]
    result = CliRunner().invoke(main, [*base, *extra])
    assert result.exit_code == code, result.output
    return result.output


def _with_proposal(
    tmp_path: Path, *pairs: tuple[str, str], proposal_id: str = "p1", week: date = WEEK
) -> str:
    instance = read_instance(TINY)
    ledger = str(tmp_path / "ledger.sqlite")
    record = ProposalRecord(
        proposal_id,
        week,
        week + timedelta(days=6),
        "tiny",
        8,
        6,
        None,
        None,
        tuple(_pair(c, u, instance) for c, u in pairs),
    )
    import_batches(ledger, [Batch("proposal", "export", proposals=[record])])
    return ledger


def test_a_mistyped_scope_id_still_rules_out_the_declined_unit(tmp_path):
    ledger = _with_proposal(tmp_path, ("C03", "U03"))
    _record(ledger, "--reason", "other", "--scope", "landlord", "--scope-id", "Woonopmaat Typo")
    solved, _ = apply_ledger(read_instance(TINY), ledger)
    assert "U03" not in _still_eligible(solved, "C03"), "the declined pair never comes back"


def test_a_scope_naming_a_neighbourhood_not_in_the_week_keeps_the_unit_and_says_so(tmp_path):
    ledger = _with_proposal(tmp_path, ("C03", "U03"))
    _record(ledger, "--reason", "other", "--scope", "neighbourhood", "--scope-id", "WK999999")
    solved, report = apply_ledger(read_instance(TINY), ledger)
    assert "U03" not in _still_eligible(solved, "C03")
    [note] = report["declines_not_widened"]
    assert "WK999999" in note and "only the unit itself" in note


def test_an_end_before_the_week_is_refused_when_the_week_comes_from_the_proposal(tmp_path):
    ledger = _with_proposal(tmp_path, ("C03", "U03"))
    output = _record(ledger, "--reason", "location", "--until", "2026-11-01", code=2)
    assert "before the decision's week" in output
    assert read_ledger(ledger).decisions == []


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("tenant, BSN 123456782", "citizen service number"),
        ("call 06-12345678", "phone"),
        ("x@y.nl", "e-mail"),
    ],
)
def test_a_note_with_personal_data_is_refused_and_not_echoed(tmp_path, note, kind):
    ledger = _with_proposal(tmp_path, ("C03", "U03"))
    output = _record(ledger, "--reason", "other", "--note", note, code=2)
    assert kind in output and note not in output
    assert read_ledger(ledger).decisions == []


def test_an_acceptance_the_latest_proposal_dropped_holds_nothing(tmp_path):
    """Week 1 Pré... Woonopmaat accepted C03 -> U03; the week-2 proposal gives C03 U04 instead:
    C03 -> U04 is communicated (kept), and the old acceptance neither holds U03 nor blocks U04."""
    ledger = _with_proposal(tmp_path, ("C03", "U03"))
    import_batches(
        ledger,
        [Batch("record", "t", decisions=[Decision("C03", "U03", "landlord", "accept", period_start=WEEK)])],
    )
    later = WEEK + timedelta(days=7)
    instance = read_instance(TINY)
    week2 = ProposalRecord(
        "p2", later, later + timedelta(days=6), "tiny", 8, 6, None, None, (_pair("C03", "U04", instance),)
    )
    import_batches(ledger, [Batch("proposal", "export", proposals=[week2])])
    moved = instance.model_copy(
        update={
            "policy": instance.policy.model_copy(
                update={"period": instance.policy.period.model_copy(update={"start": later})}
            )
        }
    )
    _, report = apply_ledger(moved, ledger)
    assert report["held"] == [] and report["communicated"] == [{"client_id": "C03", "unit_id": "U04"}]
