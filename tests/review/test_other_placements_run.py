"""A run with other_placements.csv: `matcher solve` writes the file into solved-instance/ beside
the neighbourhoods' cells (which carry only the ledger's load), so `check`, `explain` and `audit`
of the run read the same recent load the solve used — the other placements counted once, never
twice and never dropped; summary.json and the printed summary say what they added.

tiny: WK045301 IJmuiden-Noord has cap 22 and recent_load 20, room 2. There U03 (cluster) goes to
C03 (protected, load 2) and U04 (room) stays empty for C05 (light, load 1), as tiny's README works
out. One statushouder (load 1) placed there on 2026-10-01 leaves room 1: C03 no longer fits U03,
and C05 gets U04. Counted twice (room 0) nobody would be placed there; dropped (room 2) C03 would
get U03 again. C06 (intensive) -> U06 in WK045302 is housed through the ledger a week earlier.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from independent_checker import load_tables, objective, reference_optimum, violations

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.io.run_folder import SOLVED_INSTANCE
from matcher.review.ledger import Batch, Decision, import_batches
from matcher.rules.arrays import build_arrays
from matcher.rules.load import recent_loads
from matcher.week import solve_week

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)
ROWS = (
    "neighbourhood_id,placed_on,load,group,reference\n"
    "WK045301,2026-10-01,1,statushouders,SH-2026-014\n"
    "WK045302,2026-11-02,3,jongeren,\n"
    "WK039202,2026-04-01,5,statushouders,\n"  # before the window (2026-05-25): not counted
)


def with_placements(tmp_path: Path) -> Path:
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    (folder / "other_placements.csv").write_text(ROWS, encoding="utf-8")
    return folder


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def loads(folder: Path) -> dict[str, float]:
    instance = read_instance(folder)
    return {
        n.neighbourhood_id: float(load) for n, load in zip(instance.neighbourhoods, recent_loads(instance))
    }


def cells(folder: Path) -> dict[str, float]:
    return {n.neighbourhood_id: n.recent_load for n in read_instance(folder).neighbourhoods}


def agrees_with_the_checker(folder: Path, pairs: list[tuple[str, str]]) -> None:
    assert violations(folder, pairs) == []
    assert objective(folder, pairs) == reference_optimum(folder)


def test_the_placement_changes_the_week_as_the_checker_says(tmp_path):
    folder = with_placements(tmp_path)
    pairs = solve_week(read_instance(folder)).proposal.pairs_chosen()
    assert ("C05", "U04") in pairs and ("C03", "U03") not in pairs
    agrees_with_the_checker(folder, pairs)
    assert [v.split(":")[0] for v in violations(folder, [("C03", "U03")])] == ["neighbourhood_cap"]
    untouched = solve_week(read_instance(TINY)).proposal.pairs_chosen()
    assert ("C03", "U03") in untouched and ("C05", "U04") not in untouched


def test_solve_check_explain_and_audit_read_the_same_load(tmp_path):
    folder, out = with_placements(tmp_path), tmp_path / "out"
    printed = " ".join(run("solve", str(folder), "--out", str(out)).split())  # the console wraps lines
    assert "other_placements.csv): 2 of 3 row(s) in the rolling window 2026-05-25 to 2026-11-29" in printed
    assert "1 older (no longer counted)" in printed and "WK045301 +1, WK045302 +3" in printed
    solved = out / SOLVED_INSTANCE
    assert (solved / "other_placements.csv").is_file()
    assert cells(solved) == cells(folder)  # the cells stay as typed: the rows are counted apart
    assert (
        loads(solved)
        == loads(folder)
        == {
            "WK039201": 42,
            "WK039202": 0,
            "WK045301": 21,
            "WK045302": 3,
            "WK045309": 0,
        }
    )
    assert {n: float(v["recent_load"]) for n, v in load_tables(solved)["neighbourhoods"].items()} == loads(
        folder
    )

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["other_placements"] == {
        "window": {"weeks": 26, "from": "2026-05-25", "to": "2026-11-29"},
        "rows": 3,
        "counted": 2,
        "before_window": 1,
        "after_period": 0,
        "load_added": {"WK045301": 1, "WK045302": 3},
    }
    checked = json.loads(run("check", str(out), "--json"))
    assert checked["valid"] and checked["W_loss"] == 0 and checked["P_loss"] == 0
    # a hand edit that gives U03 to C03 breaks the cap the run saw (room 1 of WK045301)
    hand = tmp_path / "hand.csv"
    hand.write_text("client_id,unit_id\nC03,U03\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(folder), str(hand), "--json"])
    assert json.loads(result.output)["rules_broken"] == ["neighbourhood_cap"]
    explained = run("explain", "--proposal", str(out), "--client", "C03")
    assert "WK045301" in explained
    audit = run("audit", str(out), "--instance", str(folder))
    assert "confirmed" in audit or "bevestigd" in audit


def test_a_ledger_and_other_placements_are_counted_once_each(tmp_path):
    """The ledger's load goes into the cell of solved-instance/ (WK045302: 0 + 2), the other
    placements stay in their own file (+3): read back, 5 — not 8, not 2."""
    folder, out, ledger = with_placements(tmp_path), tmp_path / "out", str(tmp_path / "ledger.sqlite")
    earlier = WEEK - timedelta(weeks=1)
    decisions = [
        Decision("C06", "U06", party, "accept", None, period_start=earlier)
        for party in ("client", "landlord")
    ]
    import_batches(ledger, [Batch("record", "test", decisions=decisions)])
    run("solve", str(folder), "--out", str(out), "--ledger", ledger)
    solved = out / SOLVED_INSTANCE
    assert cells(solved)["WK045302"] == 2 and cells(solved)["WK045301"] == 20
    assert loads(solved)["WK045302"] == 2 + 3 and loads(solved)["WK045301"] == 20 + 1
    assert load_tables(solved)["neighbourhoods"]["WK045302"]["recent_load"] == 5
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ledger"]["load_added"] == {"WK045302": 2}
    assert summary["other_placements"]["load_added"] == {"WK045301": 1, "WK045302": 3}

    week = solve_week(read_instance(folder), ledger=ledger)
    assert build_arrays(week.solved).neighbourhood_recent_load.tolist() == [42, 0, 21, 5, 0]
    pairs = week.proposal.pairs_chosen()
    assert ("C05", "U04") in pairs and ("C03", "U03") not in pairs
    agrees_with_the_checker(solved, pairs)
    checked = json.loads(run("check", str(out), "--json"))
    assert checked["valid"] and checked["W_loss"] == 0
    audit = run("audit", str(out), "--instance", str(folder))
    assert "confirmed" in audit or "bevestigd" in audit
