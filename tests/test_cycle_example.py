"""The 26-week example of the whole weekly cycle (examples/cycle.py; issue 14, last item).

The script is run for 3 weeks into a temporary folder, as a coordinator would run the cycle: the
real `matcher` commands as subprocesses (solve, review export/import, record, monitor). The
outcomes are checked independently of the engine: every week's proposal against the independent
checker, the housed matches read from the ledger's SQLite tables directly, the agreements'
counts recomputed by the checker's own reading of the rules. The committed 26-week output is
checked for its shape and size.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import independent_checker as checker
import pandas as pd
import pytest

from matcher.io.headers import internal_columns

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "cycle.py"
COMMITTED = ROOT / "examples" / "zuid-kennemerland-26-weeks"
WEEKS = ("2026-11-23", "2026-11-30", "2026-12-07")


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    """Three weeks of the cycle, with the run folders and workbooks kept for the checks."""
    out = tmp_path_factory.mktemp("cycle") / "three-weeks"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--weeks", "3", "--keep-runs"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def proposed(run: Path) -> list[tuple[str, str]]:
    frame = internal_columns(pd.read_csv(run / "proposals.csv", dtype=str, keep_default_na=False))
    return list(zip(frame["client_id"], frame["unit_id"]))


def housed(ledger: Path, week: str) -> set[tuple[str, str]]:
    """Matches of `week` accepted by both the client and the landlord, read from the SQLite file."""
    with sqlite3.connect(ledger) as db:
        rows = db.execute(
            "SELECT client_id, unit_id, party, decision FROM decisions WHERE period_start = ?", (week,)
        ).fetchall()
    answers: dict[tuple[str, str], dict[str, str]] = {}
    for client, unit, party, decision in rows:
        answers.setdefault((client, unit), {})[party] = decision
    return {pair for pair, by in answers.items() if by == {"client": "accept", "landlord": "accept"}}


def ids(path: Path, column: str) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_every_week_passes_the_independent_checker(cycle):
    for week in WEEKS:
        folder = cycle / "weeks" / week
        pairs = proposed(folder / "run")
        assert pairs, f"week {week} proposes matches"
        assert checker.violations(folder / "instance", pairs) == [], week
        # and against the instance after the ledger (declines, loads, counted agreements)
        assert checker.violations(folder / "run" / "solved-instance", pairs) == [], week


def test_a_client_housed_in_week_1_is_not_in_week_2s_pool(cycle):
    first = housed(cycle / "ledger.sqlite", WEEKS[0])
    assert first, "some matches of week 1 were accepted by both sides"
    proposals = {(c, u) for c, u in proposed(cycle / "weeks" / WEEKS[0] / "run")}
    assert first <= proposals, "only proposed matches are housed"
    week2 = cycle / "weeks" / WEEKS[1]
    for folder in (week2 / "instance", week2 / "run" / "solved-instance"):
        assert not {c for c, _ in first} & ids(folder / "clients.csv", "client_id"), folder
        assert not {u for _, u in first} & ids(folder / "units.csv", "unit_id"), folder
    second = proposed(week2 / "run")
    assert not {c for c, _ in first} & {c for c, _ in second}
    assert not {u for _, u in first} & {u for _, u in second}


def test_week_2_counts_the_week_1_placements_towards_the_agreements(cycle):
    first = housed(cycle / "ledger.sqlite", WEEKS[0])
    tables1 = checker.load_tables(cycle / "weeks" / WEEKS[0] / "instance")
    typed = {
        a["agreement_id"]: a
        for a in checker.load_tables(cycle / "weeks" / WEEKS[1] / "instance")["agreements"]
    }
    summary = json.loads((cycle / "weeks" / WEEKS[1] / "run" / "summary.json").read_text(encoding="utf-8"))
    reported = {a["agreement_id"]: a for a in summary["agreements"]}
    assert set(reported) == set(typed)
    assert any(a["start"].year == 2027 for a in typed.values()), "the 2027 agreements were added"
    counted = 0
    for agreement_id, agreement in typed.items():
        in_period = agreement["start"] <= tables1["period_start"] <= agreement["end"]
        adds = sum(1 for c, u in first if in_period and checker.agreement_counts(tables1, agreement, c, u))
        counted += adds
        assert reported[agreement_id]["placed_before_this_week"] == agreement["placed_so_far"] + adds, (
            agreement_id
        )
    assert counted, "the week-1 placements count toward some agreement"


def test_the_monitor_weeks_and_readme_are_written(cycle):
    for name in ("monitor.xlsx", "monitor.html"):
        assert (cycle / "monitor" / name).stat().st_size > 0
    with open(cycle / "weeks.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["period_start"] for row in rows] == list(WEEKS)
    for row, week in zip(rows, WEEKS):
        assert int(row["accepted"]) == len(housed(cycle / "ledger.sqlite", week))
        assert int(row["proposed"]) == len(proposed(cycle / "weeks" / week / "run"))
    total = sum(int(row["accepted"]) for row in rows)
    assert f"| {total} van " in (cycle / "README.md").read_text(encoding="utf-8")
    assert not list(cycle.glob(".matplotlib*")), "nothing left behind outside the named outputs"


def test_the_committed_example_holds_26_weeks_and_stays_small():
    with open(COMMITTED / "weeks.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 26
    weeks = sorted(p.name for p in (COMMITTED / "weeks").iterdir())
    assert weeks == [row["period_start"] for row in rows]
    for week in weeks:
        run = COMMITTED / "weeks" / week / "run"
        assert sorted(p.name for p in run.iterdir()) == ["proposals.csv", "summary.json", "unmatched.csv"]
        assert (COMMITTED / "weeks" / week / "instance" / "clients.csv").exists()
    assert not (COMMITTED / "ledger.sqlite.key").exists(), "the signing secret is not committed"
    assert (COMMITTED / "ledger.sqlite").stat().st_size < 2_000_000
    size = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert size < 5_000_000
    total = sum(int(row["accepted"]) for row in rows)
    assert f"| {total} van " in (COMMITTED / "README.md").read_text(encoding="utf-8")
