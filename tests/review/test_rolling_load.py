"""The neighbourhood load from the ledger over a rolling window (issue 14, decision 96).

A housed match (accepted by client and landlord) counts against its neighbourhood for the period
it was accepted in and the `policy.spreading.window_weeks` weeks after; then it no longer does.
It counts from the ledger's own record of the proposed pair, also once the client and the unit
have left the week's instance. tiny: C03 (protected, load 2) -> U03 in WK045301; C06 (intensive,
load 2) -> U06 in WK045302; WK045301 starts with recent_load 20, WK045302 with 0.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.ledger import (
    Batch,
    Decision,
    ProposalRecord,
    ProposedPair,
    apply_ledger,
    import_batches,
)
from models import InvalidInstance

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)


def housed(ledger: str, client: str, unit: str, week: date) -> None:
    decisions = [
        Decision(client, unit, party, "accept", None, period_start=week) for party in ("client", "landlord")
    ]
    import_batches(ledger, [Batch("record", "test", decisions=decisions)])


def with_window(tmp_path: Path, weeks: int | None) -> Path:
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    if weeks is not None:
        policy = folder / "policy.yaml"
        policy.write_text(policy.read_text(encoding="utf-8") + f"spreading: {{window_weeks: {weeks}}}\n")
    return folder


def load(instance) -> dict[str, float]:
    return {n.neighbourhood_id: n.recent_load for n in instance.neighbourhoods}


def test_a_placement_counts_for_the_window_then_no_longer(tmp_path):
    """Window 4: a placement 4 weeks before this period still counts, one 5 weeks before does not;
    both matches are housed, so their clients and units leave the pool either way."""
    ledger = str(tmp_path / "ledger.sqlite")
    housed(ledger, "C06", "U06", WEEK - timedelta(weeks=4))
    housed(ledger, "C03", "U03", WEEK - timedelta(weeks=5))
    instance, report = apply_ledger(read_instance(with_window(tmp_path, 4)), ledger)
    assert load(instance)["WK045302"] == 0 + 2 and load(instance)["WK045301"] == 20
    assert report["load_added"] == {"WK045302": 2}
    assert report["load_expired"] == {"WK045301": 2}
    assert report["load_window"] == {"weeks": 4, "from": "2026-10-26"}
    assert not {"C03", "C06"} & {c.client_id for c in instance.clients}
    assert not {"U03", "U06"} & {u.unit_id for u in instance.units}


def test_the_default_window_is_26_weeks(tmp_path):
    ledger = str(tmp_path / "ledger.sqlite")
    housed(ledger, "C06", "U06", WEEK - timedelta(weeks=26))
    housed(ledger, "C03", "U03", WEEK - timedelta(weeks=27))
    _instance, report = apply_ledger(read_instance(TINY), ledger)
    assert read_instance(TINY).policy.spreading.window_weeks == 26
    assert report["load_added"] == {"WK045302": 2} and report["load_expired"] == {"WK045301": 2}


def test_load_counts_after_the_client_and_unit_left_the_instance(tmp_path):
    """C06 was housed in U06 two weeks ago; this week's instance no longer lists either. The load
    is taken from the ledger's record of the proposed pair (before issue 14 it was dropped)."""
    ledger = str(tmp_path / "ledger.sqlite")
    earlier = WEEK - timedelta(weeks=2)
    pair = ProposedPair(
        "C06", "U06", "Woonopmaat", "GM0453", "WK045302", "social_rental", "intensive", 1, None
    )
    proposal = ProposalRecord("p0", earlier, earlier + timedelta(days=6), "tiny", 8, 6, None, None, (pair,))
    import_batches(ledger, [Batch("proposal", "export", proposals=[proposal])])
    housed(ledger, "C06", "U06", earlier)
    folder = with_window(tmp_path, None)
    for name, key in (("clients.csv", "C06,"), ("units.csv", "U06,")):
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text(
            "".join(line for line in lines if not line.startswith(key)), encoding="utf-8"
        )
    instance, report = apply_ledger(read_instance(folder), ledger)
    assert load(instance)["WK045302"] == 0 + 2
    assert report["load_added"] == {"WK045302": 2}
    assert report["accepted_fixed"] == []  # nothing of it is in this week's pool to fix


def test_solve_with_the_ledger_reports_the_window(tmp_path):
    ledger = str(tmp_path / "ledger.sqlite")
    housed(ledger, "C06", "U06", WEEK - timedelta(weeks=1))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out), "--ledger", ledger])
    assert result.exit_code == 0, result.output
    import json

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ledger"]["load_window"] == {"weeks": 26, "from": "2026-05-25"}
    assert summary["ledger"]["load_added"] == {"WK045302": 2}


@pytest.mark.parametrize("weeks", [0, 521])
def test_a_window_out_of_range_is_refused(tmp_path, weeks):
    with pytest.raises(InvalidInstance) as refused:
        read_instance(with_window(tmp_path, weeks))
    assert any("window_weeks" in str(problem) for problem in refused.value.problems)


def test_a_housed_omklappen_match_adds_no_load(tmp_path):
    """C06 lives in U06 and stays there (omklappen): housed through the ledger it leaves the pool
    but adds no load to WK045302 (decision 97); the same match for a client who moves in does."""
    folder = with_window(tmp_path, None)
    clients = folder / "clients.csv"
    lines = clients.read_text(encoding="utf-8").splitlines()
    lines[0] += ",current_unit_id"
    lines[1:] = [line + (",U06" if line.startswith("C06,") else ",") for line in lines[1:]]
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stays, moves = str(tmp_path / "stays.sqlite"), str(tmp_path / "moves.sqlite")
    housed(stays, "C06", "U06", WEEK - timedelta(weeks=1))
    housed(moves, "C06", "U06", WEEK - timedelta(weeks=1))
    instance, report = apply_ledger(read_instance(folder), stays)
    assert report["load_added"] == {} and load(instance)["WK045302"] == 0
    assert "C06" not in {c.client_id for c in instance.clients}
    _, report = apply_ledger(read_instance(TINY), moves)
    assert report["load_added"] == {"WK045302": 2}
