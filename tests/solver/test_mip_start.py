"""The MIPs of a level start from the best allocation held (decision 116): the same optimum,
never a different answer for a wrong start.

- `highs.solve` with a feasible start proves the same optimal value as without one; an
  infeasible start is ignored, not obeyed;
- merged interchangeable clients: `_Merged.compress` is `expand`'s inverse, so the start given
  to the merged MIP is the held allocation counted per class;
- whole strict weeks whose W and P need the full MIP: the same W and P, proven, with and
  without the start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import in_id_order, solve
from matcher.rules.eligibility import Eligibility
from matcher.solver import highs, level_steps
from matcher.solver.backend import _merge_interchangeable_clients, _model_arrays
from matcher.solver.formulation import build_formulation, candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.solver.settings import SolveSettings


def _week(folder: Path, family: str, seed: int, clients: int = 60, units: int = 40):
    return in_id_order(
        read_instance(
            write_instance(generate_instance("west-friesland", clients, units, seed, family=family), folder)
        )
    )


def _arrays(instance):
    rules = Eligibility(instance)
    candidates = candidate_pairs(rules.arrays, rules.pairs)
    f = build_formulation(rules.arrays, candidates)
    greedy = greedy_allocation(rules.arrays, candidates, priority_order(rules.arrays))
    return f, candidates, greedy


@pytest.mark.parametrize("family, seed", [("strict", 1), ("strict", 2), ("tight", 3), ("identical", 4)])
def test_a_start_proves_the_same_optimum(family: str, seed: int, tmp_path: Path) -> None:
    f, c, greedy = _arrays(_week(tmp_path / "week", family, seed))
    cost, lower, upper, integrality, matrix, row_lower, row_upper = _model_arrays(
        f, c.weight, np.arange(f.n_pairs), None, [], None
    )
    args = (-cost, integrality, (lower, upper), (matrix, row_lower, row_upper))
    options = {"disp": False, "mip_rel_gap": 0.0, "presolve": True, "random_seed": 0, "mip_abs_gap": 0.999}
    plain = highs.solve(*args, dict(options))
    start = np.zeros(f.n_pairs)
    start[greedy] = 1.0  # the priority-order greedy: feasible, usually short of the optimum
    started = highs.solve(*args, dict(options), start)
    assert plain["status"] == started["status"] == 0
    assert started["fun"] == plain["fun"] <= -float(c.weight[greedy].sum())
    chosen = np.flatnonzero(started["x"] > 0.5)
    assert float(c.weight[chosen].sum()) == -plain["fun"]
    # a start that breaks the one-unit-per-client rows is ignored, not obeyed
    wrong = np.ones(f.n_pairs)
    assert highs.solve(*args, dict(options), wrong)["fun"] == plain["fun"]


def test_compress_counts_each_class_as_expand_spreads_it(tmp_path: Path) -> None:
    f, c, greedy = _arrays(_week(tmp_path / "week", "identical", 5))
    cost, lower, upper, _integrality, matrix, row_lower, row_upper = _model_arrays(
        f, c.weight, np.arange(f.n_pairs), None, [], None
    )
    n_client_rows = len(f.blocks[0])
    merged = _merge_interchangeable_clients(
        c.client, n_client_rows, cost, (lower, upper), matrix, (row_lower, row_upper)
    )
    assert merged is not None  # the identical family has interchangeable clients
    plan, _, (new_lower, new_upper), new_matrix, (new_row_lower, new_row_upper) = merged
    full = np.zeros(f.n_pairs)
    full[greedy] = 1.0
    reduced = plan.compress(full)
    assert np.all(reduced >= new_lower - 1e-9) and np.all(reduced <= new_upper + 1e-9)
    activity = new_matrix @ reduced
    assert np.all(activity >= new_row_lower - 1e-9) and np.all(activity <= new_row_upper + 1e-9)
    assert float(cost[plan.keep] @ reduced) == float(cost @ full)  # the same allocation's value
    assert np.array_equal(plan.compress(plan.expand(reduced)), reduced)


@pytest.mark.parametrize("clients, units, seed", [(120, 80, 13), (200, 130, 6)])
def test_weeks_that_need_the_full_mip_keep_their_optimum(
    clients: int, units: int, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strict weeks whose W and P are proven by the full MIP (started from the allocation held):
    the same W and P, proven, as without a start."""
    week = write_instance(
        generate_instance("west-friesland", clients, units, seed, family="strict"), tmp_path / "w"
    )
    started = solve(read_instance(week), SolveSettings())
    levels = {level.name: level for level in started.solution.levels}
    assert levels["priority"].method == "mip"  # the full MIP ran, with a start
    assert levels["priority"].status == levels["preference"].status == "optimal"
    monkeypatch.setattr(level_steps._Search, "_held_within", lambda self, columns: None)
    unstarted = solve(read_instance(week), SolveSettings())
    assert (started.priority, started.preference) == (unstarted.priority, unstarted.preference)
    assert unstarted.proven_optimal
