"""Today's practice, matcher.solver.greedy: the priority order and its tie-breaks, the greedy's
respect for every capacity rule, each client's best preference first, and agreement with the
independent checker's own greedy (tests/reference/independent_checker.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from independent_checker import greedy_priority_allocation, objective, violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver.formulation import candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from models import Neighbourhood


def greedy_pairs(inst) -> list[tuple[str, str]]:
    """The greedy's matches as (client_id, unit_id), in candidate order."""
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    chosen = greedy_allocation(arrays, candidates, priority_order(arrays))
    return [
        (arrays.client_ids[c], arrays.unit_ids[u])
        for c, u in zip(candidates.client[chosen], candidates.unit[chosen])
    ]


def test_priority_order_breaks_ties_by_registration_then_id():
    """Period 2026-11-23. In file order: C3 normal reg. 11-02 (3 weeks, w 103); C9 high reg.
    11-23 (w 150); C2 normal 11-02 (w 103); C4 normal 11-01 (22 days: 3 weeks, w 103); C1
    normal 11-16 (w 101). Order: C9 (highest w), then the three with 103 by date: C4 (11-01),
    then C2 and C3 (same date) by id, then C1 — the smallest id, but the lowest w."""
    clients = [
        client(client_id="C3", registered_on="2026-11-02"),
        client(client_id="C9", urgency="high", registered_on="2026-11-23"),
        client(client_id="C2", registered_on="2026-11-02"),
        client(client_id="C4", registered_on="2026-11-01"),
        client(client_id="C1", registered_on="2026-11-16"),
    ]
    arrays = build_arrays(instance(clients))
    assert arrays.client_weight.tolist() == [103, 150, 103, 103, 101]
    order = priority_order(arrays)
    assert order.tolist() == [1, 3, 2, 0, 4]
    assert arrays.client_ids[order].tolist() == ["C9", "C4", "C2", "C3", "C1"]


def test_best_preference_first_then_file_order():
    """C1 from Haarlem: U1 in Hoorn (p 0) comes first in the file, then U3 and U2 in Haarlem
    (origin, p 30). The greedy gives C1 U3: highest p, and among equal p the unit first in the
    file (not the smallest id, which is how the checker's greedy breaks this tie)."""
    units = [
        unit(unit_id="U1", municipality_id="GM0405", neighbourhood_id="WK040501"),
        unit(unit_id="U3"),
        unit(unit_id="U2"),
    ]
    assert greedy_pairs(instance([client()], units)) == [("C1", "U3")]


def test_higher_priority_takes_the_best_unit_the_next_takes_what_is_left():
    """C1 (acute, w 210) and C2 (normal, w 110), both from Haarlem, one Haarlem unit (U2) and
    one in Hoorn (U1): C1 gets U2, C2 is left with U1."""
    units = [unit(unit_id="U1", municipality_id="GM0405", neighbourhood_id="WK040501"), unit(unit_id="U2")]
    clients = [client(client_id="C2"), client(client_id="C1", urgency="acute")]
    assert sorted(greedy_pairs(instance(clients, units))) == [("C1", "U2"), ("C2", "U1")]


def test_a_full_cap_sends_the_client_to_the_next_best_unit():
    """Oude Stad (Haarlem) has room 1 (cap 5, recent 4): C1 (intensive, load 2, w 210) cannot go
    to U1 there and takes U2 in Hoorn (p 0); C2 (light, w 110) then gets U1 at origin."""
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201",
            municipality_id="GM0392",
            name="Oude Stad",
            dwellings=1000,
            recent_load=4,
        ),
        Neighbourhood(
            neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=1000
        ),
    ]
    clients = [client(client_id="C1", support_intensity="intensive", urgency="acute"), client(client_id="C2")]
    units = [unit(unit_id="U1"), unit(unit_id="U2", municipality_id="GM0405", neighbourhood_id="WK040501")]
    assert sorted(greedy_pairs(instance(clients, units, neighbourhoods=neighbourhoods))) == [
        ("C1", "U2"),
        ("C2", "U1"),
    ]


def test_greedy_on_tiny_is_the_readme_allocation(tiny):
    """In priority order C01 (226) → U02 (origin), C02 (158) → U01 (1st preferred), C03 (152) →
    U03, C06 (112) → U06 (origin); C05 (104) finds IJmuiden-Noord full after C03; C04 (103) →
    U05; C07 has nothing, C08's two units are gone: W 751, P 120, the same pairs as the checker's
    greedy."""
    pairs = greedy_pairs(read_instance(tiny))
    assert sorted(pairs) == [("C01", "U02"), ("C02", "U01"), ("C03", "U03"), ("C04", "U05"), ("C06", "U06")]
    assert violations(tiny, pairs) == []
    assert objective(tiny, pairs) == (751, 120)
    reference = greedy_priority_allocation(tiny)
    assert objective(tiny, reference)[0] == 751
    assert sorted(reference) == sorted(pairs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_greedy_respects_every_rule_and_equals_the_checkers_greedy(tables):
    """On random instances the greedy breaks no rule (caps, intake, slots, one-to-one,
    eligibility) and picks exactly the checker's greedy pairs (the generated unit ids follow
    file order, so both tie-breaks agree)."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        pairs = greedy_pairs(read_instance(path))
        assert violations(path, pairs) == []
        assert sorted(pairs) == sorted(greedy_priority_allocation(path))


def test_greedy_chosen_positions_are_sorted_candidates():
    """greedy_allocation returns sorted positions into the candidates, one per placed client."""
    clients = [client(client_id="C1"), client(client_id="C2", urgency="high")]
    inst = instance(clients, [unit(unit_id="U1"), unit(unit_id="U2")])
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    chosen = greedy_allocation(arrays, candidates, priority_order(arrays))
    assert chosen.dtype == np.int64 and chosen.tolist() == sorted(chosen.tolist())
    assert sorted(candidates.client[chosen].tolist()) == [0, 1]
    # C2 (high) comes first and takes U1, the first unit in the file
    assert candidates.unit[chosen][candidates.client[chosen] == 1].tolist() == [0]
