"""Bounded work (issue 17): the tie-break levels stop at a deterministic work budget with an honest
status and bound, MIPs merge interchangeable clients exactly, and the work a solve did is counted
the same way every time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sparse
from independent_checker import late_level_optimum, objective, reference_optimum, violations

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.solver import backend
from matcher.solver.backend import _merge_interchangeable_clients
from matcher.solver.settings import SolveSettings


def _week(
    tmp_path: Path, family: str, clients: int, units: int, seed: int, region: str = "west-friesland"
) -> Path:
    return write_instance(
        generate_instance(region, clients, units, seed, family=family), tmp_path / f"{family}-{seed}"
    )


@pytest.fixture(scope="module")
def unproven_by_lp(tmp_path_factory) -> Path:
    """A small week whose spreading level the LP alone does not prove from the allocation the
    levels before leave it (it needs its MIP: to find a better allocation or for its bound)."""
    path = _week(tmp_path_factory.mktemp("weeks"), "plain", 40, 30, 5)
    assert "mip" in solve(read_instance(path)).solution.level("spreading").method
    return path


def test_a_level_without_budget_reports_feasible_with_the_lp_bound(unproven_by_lp: Path) -> None:
    """With no MIP steps allowed, spreading keeps what the levels before left it, says `feasible`
    and reports the LP's bound, which is no higher than its value; W and P stay proven and equal
    to the independent reference, and the proposal breaks no rule."""
    proposal = solve(read_instance(unproven_by_lp), SolveSettings(late_level_steps=0))
    spreading = proposal.solution.level("spreading")
    assert spreading.status == "feasible" and "budget" in spreading.method
    assert spreading.bound <= spreading.value
    assert spreading.work.steps == 0 and spreading.work.mip_solves == 0
    assert proposal.proven_optimal
    assert (proposal.priority, proposal.preference) == reference_optimum(unproven_by_lp)
    assert violations(unproven_by_lp, proposal.pairs_chosen()) == []


def test_the_default_budget_proves_a_small_week_and_stays_within_it(unproven_by_lp: Path) -> None:
    """With the default budget the same week's tie-breaks are proven, within their steps and
    nodes, and never worse than with no budget at all."""
    settings = SolveSettings()
    proposal = solve(read_instance(unproven_by_lp), settings)
    without = solve(read_instance(unproven_by_lp), SolveSettings(late_level_steps=0))
    for name in ("spreading", "fair_share"):
        level = proposal.solution.level(name)
        assert level.status == "optimal", (name, level.method)
        assert level.work.steps <= settings.late_level_steps
        assert level.work.mip_nodes <= max(1, level.work.mip_solves) * settings.late_level_nodes
    assert proposal.solution.level("spreading").value <= without.solution.level("spreading").value


def test_work_is_counted_the_same_every_time(tmp_path: Path) -> None:
    """Two solves of one week do the same work, level by level (it is what the benchmarks and
    the property run compare, so it must not depend on the machine or the run)."""
    path = _week(tmp_path, "strict", 60, 40, 2)
    first, second = (solve(read_instance(path)) for _ in range(2))
    assert [level.work.as_dict() for level in first.solution.levels] == [
        level.work.as_dict() for level in second.solution.levels
    ]
    assert first.solution.work.lp_solves > 0


def test_identical_clients_are_merged_and_the_optimum_is_unchanged(tmp_path: Path, monkeypatch) -> None:
    """On a week of copied clients every HiGHS MIP is solved over classes of interchangeable
    clients; the proposal equals the reference optimum, and equals the one found without merging."""
    path = _week(tmp_path, "identical", 80, 30, 4)
    sizes: list[tuple[int, int]] = []
    real = backend._highs

    def spy(cost, maximize, bounds, integrality, rows, *args):
        sizes.append((len(cost), int(np.sum(bounds[1] > 1))))
        return real(cost, maximize, bounds, integrality, rows, *args)

    monkeypatch.setattr(backend, "_highs", spy)
    merged = solve(read_instance(path))
    assert (merged.priority, merged.preference) == reference_optimum(path)
    assert violations(path, merged.pairs_chosen()) == []
    assert objective(path, merged.pairs_chosen()) == (merged.priority, merged.preference)
    if sizes:  # some MIP ran: at least one had merged columns (upper bound above 1)
        assert any(wide > 0 for _, wide in sizes)
    monkeypatch.setattr(backend, "_merge_interchangeable_clients", lambda *args: None)
    plain = solve(read_instance(path))
    assert (plain.priority, plain.preference) == (merged.priority, merged.preference)


def test_merging_by_hand() -> None:
    """Three clients that no row tells apart (each with its own one-unit row, pairs to units A and
    B) and one other client: their 6 columns become 2 integer columns of bound 3, their rows one row
    of bound 3; an answer of 2 on A and 1 on B goes to the members in index order."""
    # columns: c0-A, c0-B, c1-A, c1-B, c2-A, c2-B, c3-A ; rows: clients c0 c1 c2 (c3 has no row), units A, B
    clients = np.array([0, 0, 1, 1, 2, 2, 3])
    rows = [
        [1, 1, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 0],
        [1, 0, 1, 0, 1, 0, 1],
        [0, 1, 0, 1, 0, 1, 0],
    ]
    matrix = sparse.csr_matrix(np.array(rows, dtype=float))
    cost = np.array([5.0, 4.0, 5.0, 4.0, 5.0, 4.0, 7.0])
    bounds = (np.zeros(7), np.ones(7))
    row_bounds = (np.full(5, -np.inf), np.array([1.0, 1.0, 1.0, 2.0, 2.0]))
    result = _merge_interchangeable_clients(clients, 3, cost, bounds, matrix, row_bounds)
    assert result is not None
    plan, new_cost, (lower, upper), new_matrix, (row_lower, row_upper) = result
    assert lower.tolist() == [0.0, 0.0, 0.0] and row_lower[0] == -np.inf
    assert plan.keep.tolist() == [0, 1, 6]
    assert new_cost.tolist() == [5.0, 4.0, 7.0] and upper.tolist() == [3.0, 3.0, 1.0]
    assert row_upper.tolist() == [3.0, np.inf, np.inf, 2.0, 2.0]
    assert new_matrix.shape == (5, 3)
    values = plan.expand(np.array([2.0, 1.0, 0.0]))
    assert values.tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    # a client that differs in one coefficient is not merged
    rows[3][4] = 2
    other = _merge_interchangeable_clients(
        clients, 3, cost, bounds, sparse.csr_matrix(np.array(rows, dtype=float)), row_bounds
    )
    assert other is not None and other[0].keep.tolist() == [0, 1, 4, 5, 6]


@pytest.mark.parametrize(
    ("family", "seed"), [("plain", 5), ("plain", 10), ("plain", 16), ("strict", 3), ("tight", 7)]
)
def test_spreading_proven_by_reachable_loads_is_the_true_optimum(
    tmp_path: Path, family: str, seed: int
) -> None:
    """The spreading bound leaves out neighbourhoods whose units cannot carry them to the LP's
    bound (`next_utilisation` with `most_load`); wherever the engine then says `optimal`, its
    value is the independent reference's lowest highest utilisation, and with no MIP steps at
    all the bound it reports is never above that optimum."""
    path = _week(tmp_path, family, 40, 30, seed)
    best_u, _ = late_level_optimum(path)
    spreading = solve(read_instance(path)).solution.level("spreading")
    assert spreading.status == "optimal"
    assert spreading.value == pytest.approx(float(best_u), abs=1e-9)
    bare = solve(read_instance(path), SolveSettings(late_level_steps=0)).solution.level("spreading")
    assert bare.bound <= float(best_u) + 1e-9 <= bare.value + 1e-9


def test_fair_share_proven_by_the_values_a_deviation_can_take(tmp_path: Path) -> None:
    """With no MIP step at all, this small strict week's fair share is still proven: the LP's
    bound raised to the next value Σ_m |a_m + k_m| can take (`next_fair_share_deviation`) equals
    the allocation's deviation, and that is the independent reference's smallest deviation."""
    path = _week(tmp_path, "strict", 40, 30, 9)
    _, best_d = late_level_optimum(path)
    fair = solve(read_instance(path), SolveSettings(late_level_steps=0)).solution.level("fair_share")
    assert "budget" in fair.method and fair.work.lp_solves == 3  # its LP, then fewest and most placed
    assert fair.status == "optimal"
    assert fair.value == pytest.approx(best_d, abs=1e-9) and fair.bound == pytest.approx(best_d, abs=1e-9)


@pytest.mark.parametrize(("family", "seed"), [("identical", 3), ("strict", 4), ("plain", 6)])
def test_the_fair_share_bound_never_passes_the_true_optimum(tmp_path: Path, family: str, seed: int) -> None:
    """Whatever the budget proves or not, the bound reported is at most the reference's smallest
    deviation, and `optimal` means the reference's value."""
    path = _week(tmp_path, family, 40, 30, seed)
    _, best_d = late_level_optimum(path)
    for steps in (0, SolveSettings().late_level_steps):
        fair = solve(read_instance(path), SolveSettings(late_level_steps=steps)).solution.level("fair_share")
        assert fair.bound <= best_d + 1e-9
        if fair.status == "optimal":
            assert fair.value == pytest.approx(best_d, abs=1e-9)
