"""How one level is solved exactly: the LP relaxation first, then MIPs of growing size only while
the best allocation found is short of the LP's bound.

The steps, each tried only when the ones before it did not prove the level:
1. the LP by column generation (`matcher.solver.column_generation`); an integral LP optimum is
   proven by LP duality;
2. rounding the LP (keep its integral part, complete greedily by LP value);
3. a small MIP around the LP solution (its support, the rounding, each client's best reduced
   costs); reaching the LP bound proves it;
4. the MIP over the priced pairs alone;
5. reduced-cost fixing: pairs that cannot be part of anything better are left out;
6. the MIP over every pair that remains.
A step's answer is accepted only when it is at least as good as the best so far and keeps every
level solved before (`Level.guard`), so a level never returns something worse than its start.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from matcher.solver.backend import Clock, integral, mip, solve_model
from matcher.solver.column_generation import PricedLP, best_per_group, priced_lp, seed_columns
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.settings import SolveSettings

log = logging.getLogger(__name__)

# (reduced costs, duals, solution, tolerance) of an LP optimum: see Formulation.restrict_to_face
Face = tuple[np.ndarray, np.ndarray, np.ndarray, float]


@dataclass(frozen=True)
class Level:
    """What one level optimises and what its answer must respect.

    `score(chosen)` evaluates an allocation exactly (higher is better when maximising);
    `optimal_if(chosen, lp_bound)` may prove optimality from the LP bound for special objectives;
    `guard(chosen)` must hold for any solver answer to be accepted (levels solved before);
    `mip_max_pairs` skips the MIP over all free pairs when more than this many remain after
    reduced-cost fixing (the result is then not proven, and says so).
    """

    objective: np.ndarray
    maximize: bool
    integral: bool
    score: Callable[[np.ndarray], float]
    extra_columns: tuple[np.ndarray, np.ndarray] | None = None
    extra_rows: tuple[Rows, ...] = ()
    node_limit: int | None = None
    optimal_if: Callable[[np.ndarray, float], bool] | None = None
    guard: Callable[[np.ndarray], bool] | None = None
    mip_max_pairs: int | None = None


@dataclass
class Outcome:
    """A level's answer: the allocation, whether it is proven, the bound and how it was found."""

    chosen: np.ndarray
    proven: bool
    bound: float
    method: str
    face: Face | None = None  # the LP's optimal face around `chosen`, when it has one
    face_applied: bool = False  # the formulation was already restricted (part by part)


class _Search:
    """One level's search: the best allocation so far and what proves it."""

    def __init__(
        self, f: Formulation, level: Level, incumbent: np.ndarray, settings: SolveSettings, clock: Clock
    ) -> None:
        self.f, self.level, self.settings, self.clock = f, level, settings, clock
        self.sign = 1 if level.maximize else -1
        self.best, self.best_score = incumbent, level.score(incumbent)
        # integer objectives: a bound below value + 1 proves it; continuous ones (spreading, fair
        # shares): within a relative 1e-9, far below any difference two allocations can make and
        # above the rounding error of a bound assembled from duals
        self.slack = 0.5 if level.integral else 1e-9 * max(1.0, abs(float(self.best_score)))
        # the pairs a solver may use: those not fixed to 0 by an earlier level's optimal face
        self.columns = np.arange(f.n_pairs) if f.fixed_pairs is None else np.flatnonzero(f.fixed_pairs != 0)
        self.lp_bound = math.inf if level.maximize else -math.inf
        self.priced: PricedLP | None = None

    def rounded(self, bound: float) -> float:
        if not self.level.integral or not math.isfinite(bound):
            return bound
        return math.floor(bound + 1e-6) if self.level.maximize else math.ceil(bound - 1e-6)

    def offer(self, candidate: np.ndarray | None) -> None:
        """Keep `candidate` when it is at least as good and keeps the levels before."""
        level = self.level
        if candidate is None or self.sign * level.score(candidate) < self.sign * self.best_score:
            return
        if level.guard is None or level.guard(candidate):
            self.best, self.best_score = candidate, level.score(candidate)

    def meets(self, bound: float) -> bool:
        return self.sign * self.best_score >= self.sign * bound - self.slack

    def face_of(self, chosen: np.ndarray) -> Face | None:
        """The LP's optimal face around `chosen`, when `chosen` is optimal for the LP within δ < 1:
        then a pair with |reduced cost| > δ or a row with |dual| > δ cannot change in any
        allocation that keeps this level (see Formulation.restrict_to_face)."""
        priced = self.priced
        if not self.level.maximize or priced is None:
            return None
        shortfall = max(0.0, priced.bound - float(self.level.score(chosen)))
        if shortfall >= 1:
            return None
        face = (priced.reduced_costs, priced.duals, chosen, max(0.25, shortfall + 1e-3))
        fixed, _ = self.f.face_marks(*face)
        x = np.zeros(self.f.n_pairs, dtype=np.int8)
        x[chosen] = 1
        if np.any((fixed >= 0) & (fixed != x)):  # round-off: better no face than a wrong one
            log.debug("optimal face inconsistent with the solution; not used")
            return None
        return face

    def proven(self, method: str) -> Outcome:
        return Outcome(self.best, True, self.best_score, method, self.face_of(self.best))

    def unproven(self, method: str) -> Outcome:
        return Outcome(self.best, False, self.lp_bound, method)

    def mip(self, columns: np.ndarray) -> tuple[np.ndarray | None, float | None]:
        level = self.level
        return mip(
            self.f,
            level.objective,
            level.maximize,
            level.integral,
            columns,
            self.settings,
            self.clock,
            level.extra_columns,
            list(level.extra_rows),
            level.node_limit,
        )

    # --- the steps ---

    def price(self) -> None:
        """Step 1: the LP by column generation, which maximises (a minimising level prices
        −objective)."""
        f, level, sign, clock = self.f, self.level, self.sign, self.clock
        signed = sign * np.asarray(level.objective, dtype=float)
        self.priced = priced_lp(
            f,
            signed,
            list(level.extra_rows),
            seed_columns(f, signed[: f.n_pairs], self.best),
            lambda model: solve_model(model, "glop", "", clock),
            clock.expired,
            lambda values, bound: (
                integral(values)
                and sign * level.score(np.flatnonzero(values > 0.5))
                >= sign * self.rounded(sign * bound) - self.slack
            ),
            extra_columns=level.extra_columns,
            settled=lambda lp_value, bound: (
                (self.rounded(bound) if level.integral and level.maximize else bound) <= lp_value + self.slack
            ),
        )
        if self.priced.status == mb.SolveStatus.OPTIMAL:
            self.lp_bound = self.rounded(sign * self.priced.bound)
            if integral(self.priced.values):
                self.offer(np.flatnonzero(self.priced.values > 0.5))

    def has_lp(self) -> bool:
        return self.priced is not None and self.priced.status == mb.SolveStatus.OPTIMAL

    def round_lp(self) -> None:
        """Step 2 (maximising levels without fixed pairs or lower-bounded rows; even when time is
        up: it is cheap and beats the incumbent)."""
        f, level = self.f, self.level
        assert self.priced is not None
        if (
            level.maximize
            and f.fixed_pairs is None
            and not any(np.isfinite(rows.lower).any() for rows in level.extra_rows)
        ):
            self.offer(_round(f, self.priced.values, level.objective, list(level.extra_rows)))
        log.debug(
            "LP fractional after %d pricing rounds (%d pairs); rounding gives %s of bound %s",
            self.priced.rounds,
            len(self.priced.columns),
            self.best_score,
            self.lp_bound,
        )

    def small_mip(self) -> None:
        """Step 3: the LP's support, the rounding and each client's 3 best reduced costs."""
        assert self.priced is not None
        small = np.union1d(
            np.union1d(np.flatnonzero(self.priced.values > 1e-6), self.best),
            _best_reduced_per_client(self.f, self.priced.reduced_costs, 3),
        )
        found, _ = self.mip(small)
        self.offer(found)
        log.debug(
            "small MIP over %d pairs: best %s of LP bound %s", len(small), self.best_score, self.lp_bound
        )

    def restricted_mip(self) -> tuple[np.ndarray, float | None]:
        """Step 4: the MIP over the priced pairs alone, usually the optimum on a small model."""
        assert self.priced is not None
        restricted = np.union1d(self.priced.columns, self.best)
        found, found_bound = self.mip(restricted)
        self.offer(found)
        log.debug(
            "restricted MIP over %d pairs: best %s, its bound %s, LP bound %s",
            len(restricted),
            self.best_score,
            found_bound,
            self.lp_bound,
        )
        return restricted, found_bound

    def fix_by_reduced_cost(self) -> None:
        """Step 5: a pair whose reduced cost is below −(bound − best) cannot be part of any
        allocation better than the one held."""
        assert self.priced is not None
        gap = self.sign * (self.lp_bound - self.best_score) + 1e-6
        self.columns = np.union1d(
            np.intersect1d(self.columns, np.flatnonzero(self.priced.reduced_costs >= -gap)), self.best
        )
        log.debug("reduced-cost fixing with gap %s keeps %d pairs", gap, len(self.columns))

    def full_mip(self) -> Outcome:
        """Step 6: the MIP over every pair that remains."""
        found, mip_bound = self.mip(self.columns)
        self.offer(found)
        bound = self.lp_bound
        if mip_bound is not None and math.isfinite(mip_bound):
            mip_bound = self.rounded(mip_bound)
            bound = min(bound, mip_bound) if self.level.maximize else max(bound, mip_bound)
        proven = self.sign * self.best_score >= self.sign * bound - (
            self.slack if self.level.integral else max(self.slack, 1e-7)
        )
        return Outcome(
            self.best,
            proven,
            self.best_score if proven else bound,
            "mip",
            self.face_of(self.best) if proven and self.level.maximize else None,
        )


def optimise(
    f: Formulation, level: Level, incumbent: np.ndarray, settings: SolveSettings, clock: Clock
) -> Outcome:
    """Solve one level from `incumbent` (see the module's docstring for the steps)."""
    search = _Search(f, level, incumbent, settings, clock)
    search.price()
    if search.meets(search.lp_bound):
        return search.proven("lp")
    if (
        level.optimal_if is not None
        and math.isfinite(search.lp_bound)
        and level.optimal_if(search.best, search.lp_bound)
    ):
        return Outcome(search.best, True, search.best_score, "lp")
    too_many = level.mip_max_pairs is not None and len(search.columns) > level.mip_max_pairs
    if not search.has_lp() and (clock.expired() or too_many):
        # no LP answer in time (the bound is then ±inf), or too large for a MIP without one
        return search.unproven("lp")
    if search.has_lp() and math.isfinite(search.lp_bound):
        search.round_lp()
        if search.meets(search.lp_bound):
            return search.proven("lp+rounding")
        if clock.expired():
            return search.unproven("lp+rounding")
        search.small_mip()
        if search.meets(search.lp_bound):
            return search.proven("lp+small mip")
        restricted, found_bound = search.restricted_mip()
        if search.meets(search.lp_bound):
            return search.proven("lp+restricted mip")
        if clock.expired():
            return search.unproven("lp+restricted mip")
        search.fix_by_reduced_cost()
        if len(np.setdiff1d(search.columns, restricted)) == 0 and found_bound is not None:
            proven = search.meets(search.rounded(found_bound))
            bound = found_bound if proven else search.lp_bound
            return Outcome(search.best, proven, search.best_score if proven else bound, "lp+restricted mip")
        if level.mip_max_pairs is not None and len(search.columns) > level.mip_max_pairs:
            return search.unproven("lp+restricted mip")
    if clock.expired():
        return search.unproven("lp")
    return search.full_mip()


def _best_reduced_per_client(f: Formulation, reduced: np.ndarray, count: int) -> np.ndarray:
    """Each client's `count` pairs with the highest reduced cost."""
    clients = f.candidates.client
    return np.sort(best_per_group(clients, np.lexsort((-reduced, clients)), count))


def _round(f: Formulation, values: np.ndarray, objective: np.ndarray, extra_rows: list[Rows]) -> np.ndarray:
    """A feasible allocation near an LP solution: its pairs at 1, then the fractional ones and
    the rest greedily by LP value and objective, each only if every row still allows it.

    Valid because every row of a maximising level has non-negative coefficients and an upper
    bound (dropping pairs never breaks a row); lower-bounded rows are not used here.
    """
    matrix = f.stacked_matrix(extra_rows).tocsc()
    upper = np.concatenate([b.upper for b in (*f.blocks, *extra_rows)]) if matrix.shape[0] else np.zeros(0)
    activity = np.zeros(matrix.shape[0])
    order = np.lexsort((-np.asarray(objective, dtype=float), -values))
    allowed = np.ones(f.n_pairs, dtype=bool) if f.fixed_pairs is None else f.fixed_pairs != 0
    order = order[(values[order] > 1e-6) & allowed[order]]
    chosen = []
    for column in order:
        start, stop = matrix.indptr[column], matrix.indptr[column + 1]
        rows, coefficients = matrix.indices[start:stop], matrix.data[start:stop]
        if np.all(activity[rows] + coefficients <= upper[rows] + 1e-9):
            activity[rows] += coefficients
            chosen.append(column)
    return np.array(sorted(chosen), dtype=np.int64)


# --- levels 1–2 (and continuity): one exact integer objective --------------------------------
