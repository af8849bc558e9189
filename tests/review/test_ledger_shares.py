"""Placements so far from the ledger (issue 14, item 4): every match housed through the ledger
(accepted by client and landlord) in the share period — from `policy.fair_share.since`, by
default 1 January of the period's year, up to before this period — adds one to its
municipality's `placed_so_far`, on top of the typed value. tiny: U01, U02 lie in Haarlem
(GM0392), U03–U06 in Velsen (GM0453); this period starts Monday 2026-11-23.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from matcher.io.read import read_instance
from matcher.review.ledger import Batch, Decision, ProposalRecord, ProposedPair, apply_ledger, import_batches

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)


def housed(ledger: str, client: str, unit: str, week: date) -> None:
    decisions = [
        Decision(client, unit, party, "accept", None, period_start=week) for party in ("client", "landlord")
    ]
    import_batches(ledger, [Batch("record", "test", decisions=decisions)])


def week_folder(tmp_path: Path, since: str | None = None, velsen_typed: int | None = None) -> Path:
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    if since is not None:
        policy = folder / "policy.yaml"
        policy.write_text(policy.read_text(encoding="utf-8") + f"fair_share: {{since: {since}}}\n")
    if velsen_typed is not None:
        path = folder / "municipalities.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [lines[0] + ",placed_so_far"]
        rows += [line + (f",{velsen_typed}" if line.startswith("GM0453") else ",") for line in lines[1:]]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def so_far(instance) -> dict[str, int]:
    return {m.municipality_id: m.placed_so_far for m in instance.municipalities}


def test_housed_matches_in_the_share_period_count_and_others_do_not(ledger, tmp_path):
    """since 2026-06-01. Counted: C03 -> U03 (Velsen) housed in the week of 2026-07-06.
    Not counted: C01 -> U01 (Haarlem) housed 2026-05-25, before since; C06 -> U06 (Velsen)
    accepted for a later week (2026-11-30); C04 -> U04 (Velsen) accepted for this very week
    (the share period runs up to before this period). Velsen typed 2 placements the ledger does
    not know: 1 + 2 = 3."""
    housed(ledger, "C03", "U03", date(2026, 7, 6))
    housed(ledger, "C01", "U01", date(2026, 5, 25))
    housed(ledger, "C06", "U06", WEEK + timedelta(weeks=1))
    housed(ledger, "C04", "U04", WEEK)
    instance, report = apply_ledger(read_instance(week_folder(tmp_path, "2026-06-01", 2)), ledger)
    assert so_far(instance) == {"GM0392": 0, "GM0453": 3}
    assert report["placed_so_far"] == {"GM0453": 3}
    assert report["share_period"] == {"from": "2026-06-01", "before": "2026-11-23"}
    # the housed clients still leave the pool whether or not they count here
    assert not {"C01", "C03", "C04"} & {c.client_id for c in instance.clients}


def test_the_share_period_begins_on_1_january_by_default(ledger, tmp_path):
    """No `since`: a match housed in the week of 2025-12-29 does not count, one housed in the
    week of 2026-01-05 does (Haarlem 1)."""
    housed(ledger, "C03", "U03", date(2025, 12, 29))
    housed(ledger, "C01", "U01", date(2026, 1, 5))
    instance, report = apply_ledger(read_instance(week_folder(tmp_path)), ledger)
    assert so_far(instance) == {"GM0392": 1, "GM0453": 0}
    assert report["placed_so_far"] == {"GM0392": 1}
    assert report["share_period"]["from"] == "2026-01-01"


def test_a_match_whose_client_and_unit_left_counts_from_the_ledger_record(ledger, tmp_path):
    """C06 was housed in U06 three weeks ago and neither is listed this week: the municipality
    comes from the ledger's record of the proposed pair (Velsen)."""
    earlier = WEEK - timedelta(weeks=3)
    pair = ProposedPair("C06", "U06", "Woonopmaat", "GM0453", "WK045302", "social_rental", "intensive", 2)
    proposal = ProposalRecord("p0", earlier, earlier + timedelta(days=6), "tiny", 8, 6, None, None, (pair,))
    import_batches(ledger, [Batch("proposal", "export", proposals=[proposal])])
    housed(ledger, "C06", "U06", earlier)
    folder = week_folder(tmp_path)
    for name, key in (("clients.csv", "C06,"), ("units.csv", "U06,")):
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text(
            "".join(line for line in lines if not line.startswith(key)), encoding="utf-8"
        )
    instance, report = apply_ledger(read_instance(folder), ledger)
    assert so_far(instance) == {"GM0392": 0, "GM0453": 1}
    assert report["placed_so_far"] == {"GM0453": 1}


def test_without_placements_the_instance_keeps_its_municipalities(ledger, tmp_path):
    """Nothing housed: placed_so_far stays the typed value (0) and the report lists none."""
    housed(ledger, "C03", "U03", WEEK + timedelta(weeks=2))
    original = read_instance(week_folder(tmp_path))
    instance, report = apply_ledger(original, ledger)
    assert instance.municipalities == original.municipalities
    assert report["placed_so_far"] == {}


def test_solve_with_the_ledger_reports_and_audits_the_placements_so_far(tmp_path):
    """End to end: summary.json's ledger part holds placed_so_far, the solved instance kept in
    the run folder holds it too, and `audit` confirms the run."""
    import json

    from click.testing import CliRunner

    from matcher.cli.main import main

    ledger = str(tmp_path / "ledger.sqlite")
    housed(ledger, "C06", "U06", WEEK - timedelta(weeks=1))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out), "--ledger", ledger])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ledger"]["placed_so_far"] == {"GM0453": 1}
    audit = CliRunner().invoke(main, ["audit", str(out), "--instance", str(TINY)])
    assert audit.exit_code == 0, audit.output
