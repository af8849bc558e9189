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

from matcher.solver import lp_model
from matcher.solver.backend import Clock
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.restricted_lp import RestrictedLP

_MAX_ROUNDS = 30
_SEED_PER_CLIENT = 10
_SEED_PER_UNIT = 3  # per unit of a class
_ENTER_PER_CLIENT = 10
_SEED_TOTAL = 120_000


@dataclass
class PricedLP:
    """The LP optimum over all pairs, found over `columns`, with what proves it."""

    status: lp_model.SolveStatus
    columns: np.ndarray  # pair positions the final LP was solved over
    values: np.ndarray  # per pair (all pairs): LP value
    objective: float
    bound: float  # valid upper bound on every allocation (over all pairs)
    reduced_costs: np.ndarray  # per pair
    duals: np.ndarray  # per row of the blocks, then the extra rows
    rounds: int


def _scatter(client: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random order of each client's units (a multiplicative hash of the pair):
    clients with equal scores then seed different units instead of all the same first ones."""
    mixed = client.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ unit.astype(np.uint64) * np.uint64(
        0xC2B2AE3D27D4EB4F
    )
    return (mixed >> np.uint64(17)).astype(np.int64)


def best_per_group(group: np.ndarray, order: np.ndarray, count: np.ndarray | int) -> np.ndarray:
    """Positions of `order` (sorted by group, best first) ranked below `count` within their group."""
    starts = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return order[rank < count]


def seed_columns(f: Formulation, objective: np.ndarray, incumbent: np.ndarray) -> np.ndarray:
    """A few promising pairs: each client's best units (equal scores in a client-specific
    scattered order), each unit's best clients (more for a class of interchangeable units), and
    the incumbent; never a pair an optimal face fixed to 0. At most about _SEED_TOTAL pairs, so
    the first LP stays small at national scale."""
    c = f.candidates
    usable = np.arange(len(c)) if f.fixed_pairs is None else np.flatnonzero(f.fixed_pairs != 0)
    keep = np.zeros(len(c), dtype=bool)
    if len(usable):
        client, unit, score = c.client[usable], c.unit[usable], np.asarray(objective)[usable]
        n_clients = max(1, len(np.unique(client)))
        per_client = int(np.clip(_SEED_TOTAL // n_clients, 4, _SEED_PER_CLIENT))
        keep[
            usable[best_per_group(client, np.lexsort((_scatter(client, unit), -score, client)), per_client)]
        ] = True
        by_unit = np.lexsort((client, -score, unit))
        keep[usable[best_per_group(unit, by_unit, _SEED_PER_UNIT * f.capacity_of(unit[by_unit]))]] = True
    keep[incumbent] = True
    return np.flatnonzero(keep)


def _dual_objective(duals: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    positive = duals > 0
    total = float(np.dot(duals[positive], upper[positive]))
    negative = duals < 0
    total += float(np.dot(duals[negative], lower[negative]))
    return total


def _pair_term(f: Formulation, reduced: np.ndarray, pair_lower: np.ndarray, pair_upper: np.ndarray) -> float:
    """The pair columns' part of the Lagrangian bound: each pair at the bound its reduced cost
    favours. Without fixed pairs a client takes at most one unit (Σ_u x_cu ≤ 1 holds for every
    allocation), so only each client's best positive reduced cost counts, not their sum (the
    optimal face follows the same form: Formulation.face_marks)."""
    if f.fixed_pairs is None:
        best = np.zeros(int(f.candidates.client.max(initial=-1)) + 1)
        np.maximum.at(best, f.candidates.client, reduced)
        return float(best.sum())
    return float(np.maximum(reduced * pair_lower, reduced * pair_upper).sum())


def priced_lp(
    f: Formulation,
    objective: np.ndarray,
    extra_rows: list[Rows],
    initial: np.ndarray,
    clock: Clock,
    expired=lambda: False,
    proven=lambda values, bound: False,
    extra_columns: tuple[np.ndarray, np.ndarray] | None = None,
    settled=lambda lp_value, bound: False,
) -> PricedLP:
    """Maximise objective·x over the LP relaxation by column generation from `initial`.

    `objective` covers the pair columns, then any `extra_columns` (lower, upper bounds), which
    are always in the LP; `status` is OPTIMAL once any round was solved (its bound is valid even
    when time cut a later round off); pairs fixed to 0 by an optimal face never enter, pairs fixed to 1
    are always in. The restricted LP stays in one solver from round to round, which starts each
    round from the last basis (`RestrictedLP`), within `clock`; when `expired()` the last round's
    duals still give a valid (weaker) bound. Pricing also stops
    as soon as `proven(values, bound)`: the bound holds at every round, so an integral restricted
    optimum that meets it needs no further rounds; and as soon as `settled(lp_value, bound)`,
    when more rounds cannot change what the caller does with the bound (e.g. an integer
    objective whose bound rounds down to the restricted LP's value).
    """
    n = f.n_pairs
    blocks = (*f.blocks, *extra_rows)
    matrix = f.stacked_matrix(extra_rows)
    lower = np.concatenate([b.lower for b in blocks]) if blocks else np.zeros(0)
    upper = np.concatenate([b.upper for b in blocks]) if blocks else np.zeros(0)
    transposed = matrix.T.tocsr()
    objective = np.asarray(objective, dtype=float)
    pair_lower, pair_upper = np.zeros(n), np.ones(n)
    if f.fixed_pairs is not None:
        pair_lower[f.fixed_pairs == 1] = 1
        pair_upper[f.fixed_pairs == 0] = 0
    allowed = pair_upper > 0
    if extra_columns is not None and len(extra_columns[0]):
        width = len(extra_columns[0])
        extra = (
            sparse.vstack(
                [
                    b.matrix[:, n:] if b.matrix.shape[1] > n else sparse.csr_matrix((len(b), width))
                    for b in blocks
                ],
                format="csr",
            )
            if blocks
            else sparse.csr_matrix((0, width))
        )
        extra_lower, extra_upper = (np.asarray(bound, dtype=float) for bound in extra_columns)
    else:
        extra, extra_lower, extra_upper = None, np.zeros(0), np.zeros(0)
    columns = np.union1d(np.asarray(initial, dtype=np.int64), np.flatnonzero(pair_lower > 0))
    columns = columns[allowed[columns]]
    tolerance = 1e-9 * max(1.0, float(np.abs(objective).max(initial=1.0)))
    last = None  # the last round solved: its solution and bound stay valid if a later one is cut off
    lp = RestrictedLP(
        transposed,
        objective,
        (pair_lower, pair_upper),
        (lower, upper),
        extra,
        (extra_lower, extra_upper),
        clock,
    )
    for rounds in range(1, _MAX_ROUNDS + 1):
        answer = lp.solve(columns)
        status = answer.status
        if status != lp_model.SolveStatus.OPTIMAL:
            return last or PricedLP(
                status, columns, np.zeros(n), np.nan, np.inf, np.zeros(n), np.zeros(len(lower)), rounds
            )
        solved = answer.values
        # a dual of the wrong sign for a one-sided row is round-off; zero keeps the bound valid
        duals = answer.duals
        duals[((duals > 0) & ~np.isfinite(upper)) | ((duals < 0) & ~np.isfinite(lower))] = 0.0
        reduced = objective[:n] - transposed @ duals
        outside = allowed.copy()
        outside[columns] = False
        entering = np.flatnonzero(outside & (reduced > tolerance))
        values = np.zeros(n)
        values[columns] = solved[: len(columns)]
        # Lagrangian bound: every column at the bound its reduced cost favours
        bound = _dual_objective(duals, lower, upper) + _pair_term(f, reduced, pair_lower, pair_upper)
        if extra is not None:
            extra_reduced = objective[n:] - extra.T @ duals
            bound += float(np.maximum(extra_reduced * extra_lower, extra_reduced * extra_upper).sum())
        last = PricedLP(status, columns, values, answer.objective, bound, reduced, duals, rounds)
        if (
            len(entering) == 0
            or rounds == _MAX_ROUNDS
            or expired()
            or proven(values, bound)
            or settled(answer.objective, bound)
        ):
            return last
        # add the best-priced pairs per client first, so rounds stay few and LPs small
        order = entering[np.lexsort((-reduced[entering], f.candidates.client[entering]))]
        columns = np.union1d(columns, best_per_group(f.candidates.client, order, _ENTER_PER_CLIENT))
    raise AssertionError("unreachable")
