"""One test per hard rule of an allocation: the rule's rows let a good allocation through and
stop a bad one; each test posts that rule's rows on their own."""

from __future__ import annotations

import numpy as np
from builders import client, instance, unit

from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver import formulation
from matcher.solver.formulation import Formulation, candidate_pairs
from models import Neighbourhood, Policy


def only(rule_adder, inst, *args) -> Formulation:
    arrays = build_arrays(inst)
    pairs = eligible_pairs(inst, arrays, client_sets(inst, arrays))
    f = Formulation(candidates=candidate_pairs(arrays, pairs))
    rule_adder(f, *args)
    return f


def limit(name: str, inst) -> Formulation:
    """A formulation with only the capacity rule `name` of matcher.rules.capacity."""
    return only(formulation.add_limits, inst, build_arrays(inst), (name,))


def satisfied(f: Formulation, chosen: list[int]) -> bool:
    x = np.zeros(f.n_pairs)
    x[chosen] = 1
    return all(
        np.all(block.matrix @ x <= block.upper + 1e-9) and np.all(block.matrix @ x >= block.lower - 1e-9)
        for block in f.blocks
    )


def test_add_one_unit_per_client():
    """One client, two units: taking one is fine, taking both is not."""
    f = only(formulation.add_one_unit_per_client, instance([client()], [unit(), unit(unit_id="U2")]))
    assert satisfied(f, [0]) and not satisfied(f, [0, 1])


def test_add_one_client_per_unit():
    """Two clients, one unit: one may have it, not both."""
    f = only(formulation.add_one_client_per_unit, instance([client(), client(client_id="C2")]))
    assert satisfied(f, [1]) and not satisfied(f, [0, 1])


def test_cap_rows_weigh_intensity():
    """Room 3: one intensive (load 2) plus one light (1) fits; two intensive (4) do not."""
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201",
            municipality_id="GM0392",
            name="Oude Stad",
            dwellings=1000,
            recent_load=2,
        )
    ]  # cap 5, room 3
    clients = [
        client(client_id="C1", support_intensity="intensive"),
        client(client_id="C2", support_intensity="intensive"),
        client(client_id="C3"),
    ]
    units = [unit(unit_id=f"U{k}") for k in range(1, 4)]
    inst = instance(
        clients, units, neighbourhoods=neighbourhoods, municipalities=[instance().municipalities[0]]
    )
    f = limit("neighbourhood_cap", inst)
    c = f.candidates
    first = lambda client_index, unit_id: int(
        np.flatnonzero((c.client == client_index) & (c.unit == unit_id))[0]
    )
    assert satisfied(f, [first(0, 0), first(2, 1)])
    assert not satisfied(f, [first(0, 0), first(1, 1)])


def test_skaeve_huis_does_not_count_against_the_cap():
    """A Skaeve Huis in a neighbourhood with cap 0 is still a candidate; a normal unit is not."""
    neighbourhoods = [
        Neighbourhood(neighbourhood_id="WK039201", municipality_id="GM0392", name="Polder", dwellings=56)
    ]
    inst = instance(
        [client(eligible_types="skaeve_huis;social_rental")],
        [unit(unit_id="U1", type="skaeve_huis", site_id="S"), unit(unit_id="U2")],
        neighbourhoods=neighbourhoods,
        municipalities=[instance().municipalities[0]],
    )
    f = limit("neighbourhood_cap", inst)
    assert list(f.candidates.unit) == [0]


def test_intake_rows():
    """max_intake 1: one placement in Haarlem is fine, two are not."""
    municipalities = list(instance().municipalities)
    municipalities[0] = municipalities[0].model_copy(update={"max_intake": 1})
    inst = instance(
        [client(), client(client_id="C2")], [unit(), unit(unit_id="U2")], municipalities=municipalities
    )
    f = limit("municipality_intake", inst)
    c = f.candidates
    one = int(np.flatnonzero((c.client == 0) & (c.unit == 0))[0])
    other = int(np.flatnonzero((c.client == 1) & (c.unit == 1))[0])
    assert satisfied(f, [one]) and not satisfied(f, [one, other])


def test_slot_rows():
    """One intensive slot in Haarlem: one intensive client fits, two do not; light ones are free."""
    clients = [
        client(client_id="C1", support_intensity="intensive"),
        client(client_id="C2", support_intensity="intensive"),
        client(client_id="C3"),
    ]
    inst = instance(
        clients,
        [unit(unit_id=f"U{k}") for k in range(1, 4)],
        support_capacity=[{"municipality_id": "GM0392", "support_intensity": "intensive", "slots": 1}],
    )
    f = limit("support_slots", inst)
    c = f.candidates
    pick = lambda a, b: int(np.flatnonzero((c.client == a) & (c.unit == b))[0])
    assert satisfied(f, [pick(0, 0), pick(2, 1)])
    assert not satisfied(f, [pick(0, 0), pick(1, 1)])


def test_zero_slots_remove_the_pairs():
    """Zero slots for an intensity leave no candidate pairs of that intensity there."""
    inst = instance(
        [client(support_intensity="intensive")],
        support_capacity=[{"municipality_id": "GM0392", "support_intensity": "intensive", "slots": 0}],
        policy=Policy(period={"start": "2026-11-23"}),
    )
    arrays = build_arrays(inst)
    pairs = eligible_pairs(inst, arrays, client_sets(inst, arrays))
    assert len(pairs) == 1 and len(candidate_pairs(arrays, pairs)) == 0
