"""Agreements consumed across weeks through the decisions ledger (issue 14, item 1): every match
housed through the ledger (accepted by client and landlord) in an agreement's period, before this
period, that the agreement counts adds one to its `placed_so_far`, on top of the typed value; a
client or unit that has left the instance counts from the ledger's record of the proposed pair
(schema 3 records the client's source and target groups). tiny: U01 (Pré Wonen), U02 (Elan
Wonen) lie in Haarlem (GM0392), U03–U06 (Woonopmaat) in Velsen (GM0453); C02, C07 come from VO;
this period starts Monday 2026-11-23.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.ledger import Batch, Decision, ProposalRecord, ProposedPair, apply_ledger, import_batches

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)
AGREEMENTS = """agreement_id,kind,party,target_group,start,end,minimum,maximum,placed_so_far
PA-HLM,gemeente,GM0392,,2026-01-01,2026-12-31,40,,3
PA-WOM,corporatie,Woonopmaat,,2026-07-01,2026-12-31,10,20,0
PA-VEL-VO,gemeente,GM0453,VO,2026-01-01,2026-12-31,4,,0
"""


def housed(ledger: str, client: str, unit: str, week: date) -> None:
    decisions = [
        Decision(client, unit, party, "accept", None, period_start=week) for party in ("client", "landlord")
    ]
    import_batches(ledger, [Batch("record", "test", decisions=decisions)])


def week_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    (folder / "agreements.csv").write_text(AGREEMENTS, encoding="utf-8")
    return folder


def so_far(instance) -> dict[str, int]:
    return {a.agreement_id: a.placed_so_far for a in instance.agreements}


def test_housed_matches_count_for_the_agreements_that_count_them(ledger, tmp_path):
    """Counted: C01 -> U01 (Haarlem, 2026-03-02): PA-HLM; C07 -> U06 (Velsen, Woonopmaat, a VO
    client, 2026-09-07): PA-WOM and PA-VEL-VO. Not counted: C03 -> U03 (Woonopmaat, 2026-06-01,
    before PA-WOM's start; a BW client, so not PA-VEL-VO), C04 -> U04 (this very week: counted
    from next week). PA-HLM: 3 typed + 1 = 4."""
    housed(ledger, "C01", "U01", date(2026, 3, 2))
    housed(ledger, "C07", "U06", date(2026, 9, 7))
    housed(ledger, "C03", "U03", date(2026, 6, 1))
    housed(ledger, "C04", "U04", WEEK)
    instance, report = apply_ledger(read_instance(week_folder(tmp_path)), ledger)
    assert so_far(instance) == {"PA-HLM": 4, "PA-WOM": 1, "PA-VEL-VO": 1}
    assert report["agreements_placed"] == {"PA-HLM": 1, "PA-VEL-VO": 1, "PA-WOM": 1}


def test_a_housed_client_who_left_counts_by_the_ledger_record(ledger, tmp_path):
    """C02 (VO) was housed in U06 three weeks ago and neither is listed this week: the ledger's
    record of the proposed pair says Velsen, Woonopmaat and source VO."""
    earlier = WEEK - timedelta(weeks=3)
    pair = ProposedPair(
        "C02",
        "U06",
        "Woonopmaat",
        "GM0453",
        "WK045302",
        "social_rental",
        "ambulant",
        1,
        None,
        "VO",
        None,
        None,
    )
    proposal = ProposalRecord("p0", earlier, earlier + timedelta(days=6), "tiny", 8, 6, None, None, (pair,))
    import_batches(ledger, [Batch("proposal", "export", proposals=[proposal])])
    housed(ledger, "C02", "U06", earlier)
    folder = week_folder(tmp_path)
    for name, key in (("clients.csv", "C02,"), ("units.csv", "U06,")):
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text(
            "".join(line for line in lines if not line.startswith(key)), encoding="utf-8"
        )
    instance, _ = apply_ledger(read_instance(folder), ledger)
    assert so_far(instance) == {"PA-HLM": 3, "PA-WOM": 1, "PA-VEL-VO": 1}


def test_solve_with_the_ledger_shows_progress_and_audits(tmp_path):
    """End to end: summary.json's `agreements` shows each agreement's progress with the ledger's
    placements, the solved instance keeps the counted placed_so_far, and `audit` confirms the run.
    PA-HLM: minimum 40 over 365 days, 333 days run by 2026-11-29: ⌈36.49⌉ = 37 due; 3 typed + 1
    housed (C01 -> U01 in March) = 4 before this week."""
    ledger = str(tmp_path / "ledger.sqlite")
    housed(ledger, "C01", "U01", date(2026, 3, 2))
    folder = week_folder(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--ledger", ledger])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    haarlem = next(a for a in summary["agreements"] if a["agreement_id"] == "PA-HLM")
    proposed = sum(
        1
        for line in (out / "proposals.csv").read_text(encoding="utf-8").splitlines()[1:]
        if ",GM0392," in line
    )
    assert haarlem["due_by_end_of_week"] == 37
    assert haarlem["placed_before_this_week"] == 4
    assert haarlem["proposed_this_week"] == proposed
    assert haarlem["behind_after_this_week"] == 37 - 4 - proposed
    # the printed table: Haarlem's row says minimum 40, 4 before, this week's, 37 due, what is behind
    (row,) = [line for line in result.output.splitlines() if "Haarlem" in line and "40 /" in line]
    cells = [cell.strip() for cell in row.split("│")[3:7]]
    assert cells == ["4", str(proposed), "37", str(37 - 4 - proposed)]
    solved = read_instance(out / "solved-instance")
    assert so_far(solved)["PA-HLM"] == 4
    audit = CliRunner().invoke(main, ["audit", str(out), "--instance", str(folder)])
    assert audit.exit_code == 0, audit.output


def test_a_match_after_an_agreements_end_does_not_count_for_it(ledger, tmp_path):
    """An agreement for the first half of 2026 counts C01 -> U01 (March), not C02 -> U02
    (September, after its end); the yearly one counts both (the 26-week example found a 2026
    agreement still counting in 2027)."""
    folder = tmp_path / "halves"
    shutil.copytree(TINY, folder)
    (folder / "agreements.csv").write_text(
        "agreement_id,kind,party,target_group,start,end,minimum,maximum,placed_so_far\n"
        "PA-H1,gemeente,GM0392,,2026-01-01,2026-06-30,5,,0\n"
        "PA-YEAR,gemeente,GM0392,,2026-01-01,2026-12-31,10,,0\n",
        encoding="utf-8",
    )
    housed(ledger, "C01", "U01", date(2026, 3, 2))
    housed(ledger, "C02", "U02", date(2026, 9, 7))
    instance, _report = apply_ledger(read_instance(folder), ledger)
    assert so_far(instance) == {"PA-H1": 1, "PA-YEAR": 2}
