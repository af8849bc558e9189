"""Property tests over random valid instances: every hard rule holds and the optimum is exact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from independent_checker import greedy_priority_allocation, objective, reference_optimum, violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.proposal import solve


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_proposal_is_feasible_and_lexicographically_optimal(tables):
    """The proposal passes the independent checker and matches the reference (W, P) exactly."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        pairs = proposal.pairs_chosen()
        assert violations(path, pairs) == []
        assert objective(path, pairs) == (proposal.priority, proposal.preference)
        assert (proposal.priority, proposal.preference) == reference_optimum(path)
        assert proposal.proven_optimal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_priority_never_below_the_priority_order_greedy(tables):
    """W of the proposal is at least W of today's practice (independently computed greedy)."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        greedy_w, _ = objective(path, greedy_priority_allocation(path))
        assert proposal.priority >= greedy_w
        assert proposal.greedy_priority == greedy_w


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instances())
def test_solving_independent_parts_one_by_one_is_still_exact(monkeypatch, tables):
    """With every independent part solved on its own, W and P still equal the reference and
    the proposal still breaks no rule."""
    from matcher.solver import levels

    monkeypatch.setattr(levels, "_PART_PAIRS", 1)
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        pairs = proposal.pairs_chosen()
        assert violations(path, pairs) == []
        assert (proposal.priority, proposal.preference) == reference_optimum(path)
        assert proposal.proven_optimal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_spreading_and_fair_share_levels_are_optimal(tables):
    """Among allocations with the optimal (W, P), the proposal has the lowest highest
    neighbourhood utilisation, and among those the smallest fair-share deviation — compared with
    two more reference MILPs that know nothing of the engine's optimal faces or pricing."""
    from independent_checker import fair_share_deviation, late_level_optimum, max_utilisation

    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        pairs = proposal.pairs_chosen()
        best_u, best_d = late_level_optimum(path)
        spreading, fair_share = proposal.solution.level("spreading"), proposal.solution.level("fair_share")
        assert spreading.proven and fair_share.proven
        assert max_utilisation(path, pairs) == best_u
        assert abs(spreading.value - float(best_u)) < 1e-9
        assert abs(float(fair_share_deviation(path, pairs)) - best_d) < 1e-6
        assert abs(fair_share.value - best_d) < 1e-6
