"""Column generation for the large LP relaxations: solve over a few promising pairs, price the
rest with the duals, add what improves, repeat — exact, because the final duals price every pair.

For a maximisation with rows `l ≤ A x ≤ u` and 0 ≤ x ≤ 1, any duals y of the right signs give
the bound  Σ_i (y_i·u_i if y_i > 0 else y_i·l_i) + Σ_j max(0, c_j − (Aᵀy)_j)  on every
allocation, restricted or not. When no pair outside the restricted set has a positive reduced
cost, the restricted LP optimum is the full LP optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from ortools.linear_solver.python import model_builder as mb

from matcher.formulation import Formulation, Rows

_MAX_ROUNDS = 30
_SEED_PER_CLIENT = 40
_SEED_PER_UNIT = 10
_ENTER_PER_CLIENT = 40
_SEED_TOTAL = 120_000


@dataclass
class PricedLP:
    """The LP optimum over all pairs, found over `columns`, with what proves it."""

    status: mb.SolveStatus
    columns: np.ndarray        # pair positions the final LP was solved over
    values: np.ndarray         # per pair (all pairs): LP value
    objective: float
    bound: float               # valid upper bound on every allocation (over all pairs)
    reduced_costs: np.ndarray  # per pair
    duals: np.ndarray          # per row of the blocks, then the extra rows
    rounds: int


def seed_columns(f: Formulation, objective: np.ndarray, incumbent: np.ndarray) -> np.ndarray:
    """A few promising pairs: each client's best units, each unit's best clients, the incumbent.

    At most about _SEED_TOTAL pairs, so the first LP stays small at national scale."""
    c = f.candidates
    n_clients = max(1, len(np.unique(c.client)))
    per_client = int(np.clip(_SEED_TOTAL // n_clients, 4, _SEED_PER_CLIENT))
    by_client = np.lexsort((c.unit, -objective, c.client))
    starts = np.r_[0, np.flatnonzero(np.diff(c.client[by_client])) + 1]
    rank = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
    keep = np.zeros(len(c), dtype=bool)
    keep[by_client[rank < per_client]] = True
    by_unit = np.lexsort((c.client, -objective, c.unit))
    starts = np.r_[0, np.flatnonzero(np.diff(c.unit[by_unit])) + 1]
    rank = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
    keep[by_unit[rank < _SEED_PER_UNIT]] = True
    keep[incumbent] = True
    return np.flatnonzero(keep)


def _dual_objective(duals: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    positive = duals > 0
    total = float(np.dot(duals[positive], upper[positive]))
    negative = duals < 0
    total += float(np.dot(duals[negative], lower[negative]))
    return total


def priced_lp(f: Formulation, objective: np.ndarray, extra_rows: list[Rows], initial: np.ndarray,
              solve, expired=lambda: False, proven=lambda values, bound: False) -> PricedLP:
    """Maximise objective·x over the LP relaxation by column generation from `initial`.

    `solve(model)` returns (status, solver) — the caller's solver with its clock; when
    `expired()` the last round's duals still give a valid (weaker) bound. Pricing also stops as
    soon as `proven(values, bound)`: the bound holds at every round, so an integral restricted
    optimum that meets it needs no further rounds.
    """
    matrix = f.stacked_matrix(extra_rows)
    lower = np.concatenate([b.lower for b in (*f.blocks, *extra_rows)]) if len(matrix.indptr) > 1 else np.zeros(0)
    upper = np.concatenate([b.upper for b in (*f.blocks, *extra_rows)]) if len(matrix.indptr) > 1 else np.zeros(0)
    transposed = matrix.T.tocsr()
    columns = np.unique(initial)
    objective = np.asarray(objective, dtype=float)
    tolerance = 1e-9 * max(1.0, float(np.abs(objective).max(initial=1.0)))
    for rounds in range(1, _MAX_ROUNDS + 1):
        model = f.to_model(objective, True, integral=False, columns=columns, extra_rows=extra_rows)
        status, solver = solve(model)
        if status != mb.SolveStatus.OPTIMAL:
            return PricedLP(status, columns, np.zeros(f.n_pairs), np.nan, np.inf,
                            np.zeros(f.n_pairs), np.zeros(len(lower)), rounds)
        duals = solver.dual_values(model.get_linear_constraints()).to_numpy(dtype=float)
        reduced = objective - transposed @ duals
        outside = np.ones(f.n_pairs, dtype=bool)
        outside[columns] = False
        entering = np.flatnonzero(outside & (reduced > tolerance))
        values = np.zeros(f.n_pairs)
        values[columns] = solver.values(model.get_variables()).to_numpy(dtype=float)[: len(columns)]
        bound = _dual_objective(duals, lower, upper) + float(np.maximum(reduced, 0).sum())
        if len(entering) == 0 or rounds == _MAX_ROUNDS or expired() or proven(values, bound):
            return PricedLP(status, columns, values, solver.objective_value, bound, reduced, duals, rounds)
        # add the best-priced pairs per client first, so rounds stay few and LPs small
        order = entering[np.lexsort((-reduced[entering], f.candidates.client[entering]))]
        starts = np.r_[0, np.flatnonzero(np.diff(f.candidates.client[order])) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        columns = np.union1d(columns, order[rank < _ENTER_PER_CLIENT])
    raise AssertionError("unreachable")
