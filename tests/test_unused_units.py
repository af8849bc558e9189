"""Why a unit is left unused, matcher.unused.unused_units (unused_units.csv), on hand-built
instances whose optimum is worked out in the docstrings: one unit for each reason and the words
the detail uses; and, over random instances against the independent checker, that every unit is
proposed or unused exactly once and each reason is true.

The period starts 2026-11-23 and ends 2026-11-29; a client registered 2026-09-14 has waited 10
weeks."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from independent_checker import eligible_pairs, load_tables, priority_weight
from strategies import write_instance
from test_unmatched import ANY_INSTANCE, TIGHT, assert_really_full, three_reasons

from matcher.io.read import read_instance
from matcher.io.write import UNUSED, write_proposal
from matcher.proposal import solve
from matcher.unused import COLUMNS, unused_units

ROOT = Path(__file__).resolve().parent.parent


def unused(inst):
    """({unit_id: (reason, detail)} of the unused units, the proposal)."""
    proposal = solve(inst)
    return {row.unit_id: (row.reason, row.detail) for row in proposal.unused().itertuples()}, proposal


def test_a_unit_behind_a_full_cap_names_the_cap_and_who_it_would_house():
    """The three-reasons instance: C1 → U1 uses Oude Stad's room (1 of 1). U2 stays free: of the
    clients eligible for it only C2 (w 110) is left, and the cap is 1 short for C2's load 1."""
    table, proposal = unused(three_reasons())
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert table == {
        "U2": (
            "capacity_full",
            "cap of WK039201 full (1 of 1 load added this period), 1 short for C2 (w 110), the "
            "highest-priority eligible client left unmatched; 1 eligible client left unmatched, "
            "0 placed elsewhere",
        )
    }


def test_a_unit_row_says_where_the_unit_is():
    """The columns of unused_units.csv: the unit, its landlord and place, its type, the reason."""
    proposal = solve(three_reasons())
    frame = proposal.unused()
    assert list(frame.columns) == COLUMNS
    assert frame.iloc[0, :5].tolist() == ["U2", "Pré Wonen", "GM0392", "WK039201", "social_rental"]


def full_light_slots_week():
    """Oude Stad with room 1 (recent 4), light support slots in Haarlem 1; C1 acute light, C2 high
    intensive (load 2), C3 normal light; units U1 and U2 in Oude Stad."""
    clients = [
        client(client_id="C1", urgency="acute"),
        client(client_id="C2", urgency="high", support_intensity="intensive"),
        client(client_id="C3"),
    ]
    return instance(
        clients,
        [unit(unit_id="U1"), unit(unit_id="U2")],
        neighbourhoods=TIGHT,
        support_capacity=[{"municipality_id": "GM0392", "support_intensity": "light", "slots": 1}],
    )


def test_other_limits_that_block_other_clients_are_named_too():
    """Oude Stad with room 1 (recent 4), light support slots in Haarlem 1. C1 acute light (w 210)
    takes U1 (one light client fills both the room and the slot). U2 in Oude Stad is left: C2 high
    intensive (w 160, load 2) is the highest-priority client eligible for it, 2 short on the cap;
    C3 normal light (w 110) meets the cap and the full light slots too; C1, eligible too, was placed
    elsewhere."""
    inst = full_light_slots_week()
    table, proposal = unused(inst)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert table["U2"] == (
        "capacity_full",
        "cap of WK039201 full (1 of 1 load added this period), 2 short for C2 (w 160), the "
        "highest-priority eligible client left unmatched; others also by light support slots in "
        "GM0392 full (1) (1 client); 2 eligible clients left unmatched, 1 placed elsewhere",
    )


def test_a_unit_no_client_may_take_names_the_rule_and_the_first_client_it_excludes():
    """U9 is available only from 2026-12-14, after the period: timing excludes all three clients
    of the three-reasons instance; size excludes one (C3, household of 3). The example is the
    highest-priority client, C1 (w 210)."""
    inst = three_reasons()
    inst = inst.model_copy(update={"units": (*inst.units, unit(unit_id="U9", available_from="2026-12-14"))})
    table, _ = unused(inst)
    assert table["U9"] == (
        "no_eligible_client",
        "none of the 4 clients is eligible; most excluded by timing (timing excludes 4, size excludes 1); "
        "for the highest-priority of them, C1 (w 210): unit available only from 2026-12-14 "
        "(period ends 2026-11-29)",
    )


def test_a_unit_whose_eligible_clients_all_went_elsewhere():
    """One client, two units in Haarlem: C1 takes U1 (equal preference, the first unit), U2 is
    left with its one eligible client placed."""
    table, proposal = unused(instance([client()], [unit(unit_id="U1"), unit(unit_id="U2")]))
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert table == {
        "U2": ("eligible_clients_placed", "the one eligible client was placed elsewhere: C1 → U1")
    }


def test_no_clients_at_all():
    """Without clients every unit is unused, and the detail says there are no clients."""
    inst = instance([client()], [unit()])
    inst = inst.model_copy(update={"clients": ()})
    assert unused(inst)[0] == {"U1": ("no_eligible_client", "there are no clients this period")}


def test_an_allocation_short_of_the_optimum_says_not_chosen():
    """With nothing allocated (as a solve stopped early might leave it), U1 could go to C1: the
    unit is `not_chosen`, pointing at the time limit."""
    p = solve(three_reasons())
    frame = unused_units(
        p.instance, p.arrays, p.sets, p.pairs, p.candidates, np.zeros(0, dtype=np.int64)
    ).frame()
    assert frame.set_index("unit_id").loc["U1", ["reason", "detail"]].tolist() == [
        "not_chosen",
        "C1 (w 210) is eligible, unmatched and no cap, intake or slot limit stops them here: the "
        "solve stopped before W was proven optimal; solve again without --time-limit",
    ]


# --- the files -------------------------------------------------------------------------------------------


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("name", ["tiny", "zuid-kennemerland-week", "flevoland-week"])
def test_every_unit_is_proposed_or_unused_exactly_once(name, tmp_path):
    """In the written set, each unit of units.csv is in proposals.csv or unused_units.csv, once;
    summary.json counts the unused by reason and hashes the file."""
    folder = ROOT / "instances" / name
    summary = write_proposal(solve(read_instance(folder)), folder, tmp_path)
    listed = [r["unit_id"] for r in rows(tmp_path / "proposals.csv")] + [
        r["unit_id"] for r in rows(tmp_path / UNUSED)
    ]
    assert sorted(listed) == sorted(r["unit_id"] for r in rows(folder / "units.csv"))
    unused_rows = rows(tmp_path / UNUSED)
    assert summary["counts"]["unused"] == len(unused_rows)
    assert sum(summary["counts"]["unused_by_reason"].values()) == len(unused_rows)
    assert UNUSED in summary["outputs"]


# --- the property, against the independent checker ---------------------------------------------------

TOP_CLIENT = re.compile(
    r" short for (C\d{3}) \(w (\d+)\), the highest-priority eligible client left unmatched"
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_INSTANCE)
def test_every_unit_once_and_every_unused_reason_true(tables):
    """On random instances, solved to proven optimality: the matches and the unused units together
    hold every unit once; the unit's place and type are those of units.csv; `no_eligible_client`
    exactly when no client is eligible, `eligible_clients_placed` exactly when all eligible
    clients are placed; `capacity_full` names the highest-priority unmatched client eligible for
    the unit, and every limit named for that client is full for it; never `not_chosen`."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        checker = load_tables(path)
    assert proposal.proven_optimal
    pairs = proposal.pairs_chosen()
    frame = proposal.unused()
    assert sorted([u for _, u in pairs] + frame["unit_id"].tolist()) == sorted(checker["units"])
    placed = {c for c, _ in pairs}
    eligible: dict[str, list[str]] = {u: [] for u in checker["units"]}
    for c, u in eligible_pairs(checker):
        eligible[u].append(c)
    for row in frame.itertuples():
        source = checker["units"][row.unit_id]
        assert (row.municipality_id, row.neighbourhood_id, row.unit_type) == (
            source["municipality_id"],
            source["neighbourhood_id"],
            source["type"],
        )
        clients = eligible[row.unit_id]
        waiting = [c for c in clients if c not in placed]
        assert (row.reason == "no_eligible_client") == (not clients), row
        assert (row.reason == "eligible_clients_placed") == bool(clients and not waiting), row
        assert row.reason != "not_chosen", row
        if row.reason == "capacity_full":
            named = TOP_CLIENT.search(row.detail)
            assert named, row
            top, weight = named.group(1), int(named.group(2))
            assert top in waiting and weight == priority_weight(checker, top), row
            assert weight == max(priority_weight(checker, c) for c in waiting), row
            assert_really_full(checker, pairs, top, row.detail.split("; others also by")[0])
