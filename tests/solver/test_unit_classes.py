"""Interchangeable units: classes are exact, and solving per class keeps every proposal exact."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_checker import reference_optimum, violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver.formulation import candidate_pairs
from matcher.solver.unit_classes import class_pairs, interchangeable_units, spread_over_units, to_classes


def _classes(inst):
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    return arrays, candidates, interchangeable_units(arrays, candidates)


def _by_id(arrays, classes) -> dict[str, str]:
    return {arrays.unit_ids[u]: arrays.unit_ids[r] for u, r in enumerate(classes.representative) if r >= 0}


def test_alike_units_share_a_class_and_any_difference_splits_it():
    inst = instance(
        clients=[client(client_id="C1"), client(client_id="C2", max_rent=650)],
        units=[
            unit(unit_id="U1"),
            unit(unit_id="U2"),
            unit(unit_id="U3", rent=700),  # C2 cannot pay U3
            unit(unit_id="U4", municipality_id="GM0405", neighbourhood_id="WK040501"),
        ],
    )
    arrays, _, classes = _classes(inst)
    by_id = _by_id(arrays, classes)
    assert by_id["U1"] == by_id["U2"] == "U1"
    assert by_id["U3"] == "U3"  # another client list
    assert by_id["U4"] == "U4"  # another neighbourhood (and preference)
    assert classes.capacity[list(arrays.unit_ids).index("U1")] == 2
    assert classes.n_classes == 3


def test_a_declined_pair_puts_its_unit_in_a_class_of_its_own():
    inst = instance(
        clients=[client(client_id="C1"), client(client_id="C2")],
        units=[unit(unit_id="U1"), unit(unit_id="U2"), unit(unit_id="U3")],
        declined=[{"client_id": "C1", "unit_id": "U2", "declined_by": "landlord"}],
    )
    arrays, _, classes = _classes(inst)
    by_id = _by_id(arrays, classes)
    assert by_id["U1"] == by_id["U3"] == "U1"
    assert by_id["U2"] == "U2"


def test_class_allocation_becomes_distinct_units_and_a_kept_unit_is_a_class_of_its_own():
    inst = instance(
        clients=[client(client_id=f"C{k}") for k in range(1, 4)],
        units=[unit(unit_id=f"U{k}") for k in range(1, 4)],
    )
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    u3 = list(arrays.unit_ids).index("U3")
    classes = interchangeable_units(arrays, candidates, alone=[u3])
    assert _by_id(arrays, classes) == {"U1": "U1", "U2": "U1", "U3": "U3"}
    per_class = class_pairs(candidates, classes)
    assert len(per_class) == 6  # three clients × two classes
    take = np.array(
        [
            k
            for k in range(len(per_class))
            if (arrays.client_ids[per_class.client[k]], arrays.unit_ids[per_class.unit[k]])
            in {("C1", "U1"), ("C2", "U3"), ("C3", "U1")}
        ]
    )
    units = spread_over_units(take, per_class, candidates, classes)
    got = {arrays.client_ids[candidates.client[k]]: arrays.unit_ids[candidates.unit[k]] for k in units}
    assert got == {"C1": "U1", "C2": "U3", "C3": "U2"}
    # and back: the unit-level allocation maps onto the same class positions
    assert to_classes(units, candidates, per_class, classes).tolist() == take.tolist()


def test_a_unit_kept_twice_counts_once():
    """A hand-edited keep list may name one unit for two clients; only one can keep it, so
    continuity is 1 and the other alike unit still goes where it earns preference."""
    away = dict(origin_municipality_id="GM0405")
    inst = instance(
        clients=[client(client_id="C1", **away), client(client_id="C2", **away), client(client_id="C3")],
        units=[unit(unit_id="U1"), unit(unit_id="U2")],
    )
    proposal = solve(inst, keep=[("C1", "U1"), ("C2", "U1")])
    chosen = dict(proposal.pairs_chosen())
    assert proposal.solution.level("continuity").value == 1
    assert proposal.preference == 30 and chosen["C3"] == "U2"
    assert sum(chosen.get(c) == "U1" for c in ("C1", "C2")) == 1


def test_kept_match_among_alike_units_is_proposed_again():
    """C1 keeps U2 although U1 is alike (and first in file order): U2 is its own class."""
    inst = instance(
        clients=[client(client_id="C1"), client(client_id="C2")],
        units=[unit(unit_id="U1"), unit(unit_id="U2")],
    )
    proposal = solve(inst, keep=[("C1", "U2")])
    assert set(proposal.pairs_chosen()) == {("C1", "U2"), ("C2", "U1")}
    continuity = proposal.solution.level("continuity")
    assert continuity.value == 1 and continuity.proven


@st.composite
def instances_with_copies(draw):
    """A random instance in which some units appear two or three times (same everything but id)."""
    tables = draw(instances(max_clients=10, max_units=6))
    units = tables["units"]
    copies = [units]
    for times in range(draw(st.integers(1, 2))):
        picked = units[[draw(st.booleans()) for _ in range(len(units))]].copy()
        picked["unit_id"] = picked["unit_id"] + f"x{times}"
        copies.append(picked)
    tables["units"] = pd.concat(copies, ignore_index=True)
    return tables


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_copies())
def test_solving_per_class_is_exact_when_units_repeat(tables):
    """With repeated units the model is solved per class, and the proposal still breaks no rule
    and equals the reference optimum (W, P), which knows nothing of classes."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        pairs = proposal.pairs_chosen()
        assert len({unit for _, unit in pairs}) == len(pairs)
        assert violations(path, pairs) == []
        assert (proposal.priority, proposal.preference) == reference_optimum(path)
        assert proposal.proven_optimal
