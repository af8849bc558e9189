"""One level solved exactly, matcher.solver.level_steps.optimise: maximising W over a formulation
built as in test_formulation.py reaches the independent checker's reference optimum, says it is
proven, never returns less than its incumbent, and keeps the incumbent when the guard refuses
every answer."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from independent_checker import objective, reference_optimum, violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver.backend import Clock
from matcher.solver.formulation import build_formulation, candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.solver.level_steps import Level, optimise
from matcher.solver.settings import SolveSettings

NOTHING = np.zeros(0, dtype=np.int64)


def setup(inst):
    """(arrays, formulation) over the candidate pairs of `inst`."""
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    return arrays, build_formulation(arrays, candidates)


def priority_level(f, **extra) -> Level:
    weight = f.candidates.weight
    return Level(weight, True, True, lambda chosen: int(weight[chosen].sum()), **extra)


def ids(arrays, f, chosen) -> list[tuple[str, str]]:
    c = f.candidates
    return [(arrays.client_ids[a], arrays.unit_ids[b]) for a, b in zip(c.client[chosen], c.unit[chosen])]


def test_priority_level_on_tiny(tiny):
    """From nothing, maximising W on tiny gives the README's W = 751, proven, with bound 751, and
    an allocation the checker accepts."""
    arrays, f = setup(read_instance(tiny))
    outcome = optimise(f, priority_level(f), NOTHING, SolveSettings(), Clock(None))
    assert outcome.proven
    assert int(f.candidates.weight[outcome.chosen].sum()) == 751
    assert outcome.bound == 751
    pairs = ids(arrays, f, outcome.chosen)
    assert violations(tiny, pairs) == []
    assert objective(tiny, pairs)[0] == 751


def test_a_guard_that_refuses_everything_keeps_the_incumbent(tiny):
    """With `guard` always False no solver answer is accepted: the empty incumbent stays, and the
    level is not proven (751 > 0 is possible); its bound is still a valid upper bound (≥ 751)."""
    _, f = setup(read_instance(tiny))
    outcome = optimise(
        f, priority_level(f, guard=lambda chosen: False), NOTHING, SolveSettings(), Clock(None)
    )
    assert outcome.chosen.tolist() == []
    assert not outcome.proven
    assert outcome.bound >= 751


def test_a_guard_keeps_a_non_empty_incumbent(tiny):
    """The same with C01 → U02 (w 226) as the incumbent: it is returned unchanged."""
    arrays, f = setup(read_instance(tiny))
    c = f.candidates
    incumbent = np.flatnonzero((arrays.client_ids[c.client] == "C01") & (arrays.unit_ids[c.unit] == "U02"))
    assert len(incumbent) == 1
    outcome = optimise(
        f, priority_level(f, guard=lambda chosen: False), incumbent, SolveSettings(), Clock(None)
    )
    assert outcome.chosen.tolist() == incumbent.tolist()
    assert not outcome.proven


def test_an_optimal_incumbent_is_proven_and_kept(tiny):
    """Started from the greedy (already W 751 here), the level proves it and still holds 751."""
    arrays, f = setup(read_instance(tiny))
    greedy = greedy_allocation(arrays, f.candidates, priority_order(arrays))
    assert int(f.candidates.weight[greedy].sum()) == 751
    outcome = optimise(f, priority_level(f), greedy, SolveSettings(), Clock(None))
    assert outcome.proven and int(f.candidates.weight[outcome.chosen].sum()) == 751


def test_a_guard_that_accepts_only_the_optimum_still_reaches_it(tiny):
    """A guard that only lets W ≥ 751 through: the answer is accepted and proven."""
    _, f = setup(read_instance(tiny))
    weight = f.candidates.weight
    level = priority_level(f, guard=lambda chosen: int(weight[chosen].sum()) >= 751)
    outcome = optimise(f, level, NOTHING, SolveSettings(), Clock(None))
    assert outcome.proven and int(weight[outcome.chosen].sum()) == 751


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_priority_level_reaches_the_reference_optimum(tables):
    """On random instances, maximising W from the greedy gives the checker's reference W, proven
    (bound equal to the value), never below the greedy incumbent, and a feasible allocation;
    from nothing it reaches the same W."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        inst = read_instance(path)
        best_w, _ = reference_optimum(path)

        arrays, f = setup(inst)
        greedy = greedy_allocation(arrays, f.candidates, priority_order(arrays))
        greedy_w = int(f.candidates.weight[greedy].sum())
        outcome = optimise(f, priority_level(f), greedy, SolveSettings(), Clock(None))
        value = int(f.candidates.weight[outcome.chosen].sum())
        assert outcome.proven
        assert value == best_w == outcome.bound
        assert value >= greedy_w
        pairs = ids(arrays, f, outcome.chosen)
        assert violations(path, pairs) == []
        assert objective(path, pairs)[0] == best_w

        arrays, f = setup(inst)
        fresh = optimise(f, priority_level(f), NOTHING, SolveSettings(), Clock(None))
        assert fresh.proven and int(f.candidates.weight[fresh.chosen].sum()) == best_w
