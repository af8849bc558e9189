"""How one level is solved: the LP relaxation first, then MIPs only while the best allocation
found is short of the LP's bound.

W and P (`Level.budget` None) are solved exactly, each step tried only when the ones before it
did not prove the level:
1. the LP by column generation (`matcher.solver.column_generation`); an integral LP optimum is
   proven by LP duality;
2. rounding the LP (keep its integral part, complete greedily by LP value);
3. a small MIP around the LP solution (its support, the rounding, each client's best reduced
   costs), node-limited: it only looks for an allocation that reaches the LP bound;
4. reduced-cost fixing: pairs that cannot be part of anything better are left out;
5. the MIP over the priced pairs, node-limited, when the pairs that remain are many more;
6. the MIP over every pair that remains, to the end (or the clock).

The tie-break levels (spreading, fair share; `Level.budget` set) are bounded by a deterministic
work budget instead of a clock: after the LP, at most `Budget.steps` neighbourhood MIPs, each
over at most `Budget.free_pairs` free pairs (the pairs where the LP and the best allocation
disagree, then widened one hop at a time; every other pair keeps its value) and stopped after
`Budget.nodes` branch-and-bound nodes. Such a MIP never has to find W and P again from scratch
(which is what made a fourth-level tie-break take minutes), and the budget counts nodes and steps,
not seconds, so the same instance gives the same proposal on any machine, with or without a time
limit. What the budget did not prove is reported `feasible`, with the LP's bound.

A step's answer is accepted only when it is at least as good as the best so far and keeps every
level solved before (`Level.guard`), so a level never returns something worse than its start.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matcher.solver import lp_model
from matcher.solver.backend import Clock, MipAnswer, Work, integral, mip
from matcher.solver.column_generation import PricedLP, best_per_group, priced_lp, seed_columns
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.settings import SolveSettings

log = logging.getLogger(__name__)

# (reduced costs, duals, solution, tolerance) of an LP optimum: see Formulation.restrict_to_face
Face = tuple[np.ndarray, np.ndarray, np.ndarray, float]

# the exact levels' heuristic MIPs (small and restricted) stop after this many nodes: they only
# look for an allocation that reaches the LP bound; the proof, when one is needed, is the last MIP's
_HEURISTIC_NODES = 100
# the restricted MIP (step 5) runs only when reduced-cost fixing leaves this many times more pairs
# than it has: otherwise the last MIP is hardly larger and it would do the same work twice
_RESTRICTED_WORTH = 4


@dataclass(frozen=True)
class Budget:
    """A deterministic work budget for a tie-break level (see the module docstring)."""

    steps: int  # neighbourhood MIPs at most
    nodes: int  # branch-and-bound nodes per MIP
    free_pairs: int  # pairs a neighbourhood MIP may change


@dataclass(frozen=True)
class Level:
    """What one level optimises and what its answer must respect.

    `score(chosen)` evaluates an allocation exactly (higher is better when maximising);
    `optimal_if(chosen, lp_bound)` may prove optimality from the LP bound for special objectives;
    `guard(chosen)` must hold for any solver answer to be accepted (levels solved before);
    `budget`, when given, bounds the level by work instead of solving it to the end (the result
    is then proven only when the LP bound proves it, and says so); `focus(chosen)` names the
    pairs of an allocation that decide its score (set free first by the bounded steps); a level
    that is not `exhaustive` stops (`Outcome.unfinished`) where the large MIPs would begin; one
    without `cheap_steps` skips the rounding and the small MIP (tried already by the caller).
    """

    objective: np.ndarray
    maximize: bool
    integral: bool
    score: Callable[[np.ndarray], float]
    extra_columns: tuple[np.ndarray, np.ndarray] | None = None
    extra_rows: tuple[Rows, ...] = ()
    optimal_if: Callable[[np.ndarray, float], bool] | None = None
    guard: Callable[[np.ndarray], bool] | None = None
    budget: Budget | None = None
    focus: Callable[[np.ndarray], np.ndarray] | None = None
    exhaustive: bool = True
    cheap_steps: bool = True


@dataclass
class Outcome:
    """A level's answer: the allocation, whether it is proven, the bound and how it was found."""

    chosen: np.ndarray
    proven: bool
    bound: float
    method: str
    face: Face | None = None  # the LP's optimal face around `chosen`, when it has one
    face_applied: bool = False  # the formulation was already restricted (part by part)
    work: Work = field(default_factory=Work)
    unfinished: bool = False  # stopped before its large MIPs (`Level.exhaustive` False)


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
        self.work = Work()

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
        return Outcome(self.best, True, self.best_score, method, self.face_of(self.best), work=self.work)

    def unproven(self, method: str) -> Outcome:
        return Outcome(self.best, False, self.lp_bound, method, work=self.work)

    def proves(self) -> bool:
        """The best allocation reaches the LP bound (or the level's own test says it is optimal)."""
        if self.meets(self.lp_bound):
            return True
        optimal_if = self.level.optimal_if
        return (
            optimal_if is not None and math.isfinite(self.lp_bound) and optimal_if(self.best, self.lp_bound)
        )

    def mip(
        self,
        columns: np.ndarray,
        node_limit: int | None = None,
        fixed_one: np.ndarray | None = None,
        start: np.ndarray | None = None,
    ) -> MipAnswer:
        level = self.level
        answer = mip(
            self.f,
            level.objective,
            level.maximize,
            level.integral,
            columns,
            self.settings,
            self.clock,
            level.extra_columns,
            list(level.extra_rows),
            node_limit,
            fixed_one,
            start,
        )
        self.work.mip_solves += 1
        self.work.mip_nodes += answer.nodes
        return answer

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
            clock,
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
        self.work.lp_solves += self.priced.rounds
        if self.priced.status == lp_model.SolveStatus.OPTIMAL:
            self.lp_bound = self.rounded(sign * self.priced.bound)
            if integral(self.priced.values):
                self.offer(np.flatnonzero(self.priced.values > 0.5))

    def has_lp(self) -> bool:
        return self.priced is not None and self.priced.status == lp_model.SolveStatus.OPTIMAL

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

    def _held_within(self, columns: np.ndarray) -> np.ndarray | None:
        """The best allocation held, when every pair of it is among `columns` (else no start)."""
        best = np.asarray(self.best, dtype=np.int64)
        return best if len(best) and np.isin(best, columns).all() else None

    def small_mip(self) -> None:
        """Step 3: the LP's support, the rounding and each client's 3 best reduced costs."""
        small = self.small_set()
        self.offer(self.mip(small, _HEURISTIC_NODES).found)
        log.debug(
            "small MIP over %d pairs: best %s of LP bound %s", len(small), self.best_score, self.lp_bound
        )

    def restricted_mip(self, restricted: np.ndarray) -> None:
        """Step 5: the MIP over the priced pairs alone (node-limited), usually an allocation that
        reaches the LP bound on a much smaller model."""
        answer = self.mip(restricted, _HEURISTIC_NODES, start=self._held_within(restricted))
        self.offer(answer.found)
        log.debug(
            "restricted MIP over %d pairs: best %s, its bound %s, LP bound %s",
            len(restricted),
            self.best_score,
            answer.bound,
            self.lp_bound,
        )

    def fix_by_reduced_cost(self) -> None:
        """Step 4: a pair whose reduced cost is below −(bound − best) cannot be part of any
        allocation better than the one held."""
        assert self.priced is not None
        gap = self.sign * (self.lp_bound - self.best_score) + 1e-6
        self.columns = np.union1d(
            np.intersect1d(self.columns, np.flatnonzero(self.priced.reduced_costs >= -gap)), self.best
        )
        log.debug("reduced-cost fixing with gap %s keeps %d pairs", gap, len(self.columns))

    def full_mip(self) -> Outcome:
        """Step 6: the MIP over every pair that remains, started from the best allocation held
        (it is among the pairs that remain): the solver knows from the root on what it has to
        beat, which halves the root's work on the widest strict weeks (decision 116)."""
        answer = self.mip(self.columns, start=self._held_within(self.columns))
        self.offer(answer.found)
        mip_bound = answer.bound
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
            work=self.work,
        )

    # --- the bounded steps of the tie-break levels ---

    def pool(self) -> np.ndarray:
        """The pairs a neighbourhood MIP may use: the priced pairs, the best allocation and each
        client's 3 best reduced costs."""
        assert self.priced is not None
        pool = np.union1d(np.union1d(self.priced.columns, self.best), self.small_set())
        return np.intersect1d(pool, self.columns)

    def small_set(self) -> np.ndarray:
        """The LP's support, the best allocation and each client's 3 best reduced costs."""
        assert self.priced is not None
        return np.union1d(
            np.union1d(np.flatnonzero(self.priced.values > 1e-6), self.best),
            _best_reduced_per_client(self.f, self.priced.reduced_costs, 3),
        )

    def neighbourhood(self, pool: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(free pairs, held pairs) of the next neighbourhood MIP: the clients and units of the
        best allocation's critical pairs (`Level.focus`), then of the pairs where the LP and the
        best allocation disagree most, are set free, as many as keep at most `limit` free pairs
        and at least two thirds of the best allocation held (a MIP that may change more has to
        find W and P again, which is what made these levels take minutes); every other pair of
        the best allocation is held. Deterministic: ties go by position."""
        assert self.priced is not None
        c = self.f.candidates
        in_best = np.zeros(self.f.n_pairs)
        in_best[self.best] = 1.0
        difference = np.abs(self.priced.values - in_best)
        disagree = np.flatnonzero(difference > 1e-6)
        disagree = disagree[np.lexsort((disagree, -difference[disagree]))]
        focus = self.level.focus(self.best) if self.level.focus is not None else np.zeros(0, dtype=np.int64)
        order = np.r_[focus, disagree].astype(np.int64)

        def free_and_held(k: int) -> tuple[np.ndarray, np.ndarray]:
            clients, units = c.client[order[:k]], c.unit[order[:k]]
            held = self.best[~np.isin(c.client[self.best], clients) & ~np.isin(c.unit[self.best], units)]
            touched = np.isin(c.client[pool], clients) | np.isin(c.unit[pool], units)
            free = pool[touched & ~np.isin(c.client[pool], c.client[held])]
            return np.setdiff1d(free, held), held

        def fits(k: int) -> bool:
            free, held = free_and_held(k)
            return len(free) <= limit and 3 * len(held) >= 2 * len(self.best)

        low, high = 0, len(order)  # the longest prefix whose neighbourhood fits: at most `limit`
        while low < high:  # free pairs, and at least two thirds of the best allocation held
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return free_and_held(low)

    def within_budget(self) -> Outcome:
        """The tie-break levels' bounded steps (at most `Budget.steps` MIPs of at most
        `Budget.free_pairs` free pairs and `Budget.nodes` nodes each): on a small week one MIP
        over every usable pair, which proves the level when it ends; otherwise the small MIP
        around the LP solution, then neighbourhood MIPs around the best allocation, growing to
        `Budget.free_pairs` free pairs by the last step."""
        budget = self.level.budget
        assert budget is not None
        if budget.steps == 0:
            return self.unproven("lp (budget)")
        if len(self.columns) <= budget.free_pairs:
            self.work.steps += 1
            answer = self.mip(self.columns, budget.nodes)
            self.offer(answer.found)
            if self.proves():
                return self.proven("lp+mip")
            if answer.optimal and answer.bound is not None and self.meets(self.rounded(answer.bound)):
                return Outcome(self.best, True, self.best_score, "mip", work=self.work)
            return self.unproven("lp+mip (budget)")
        small = self.small_set()
        # the small MIP sets every pair in it free; with W and P kept by "≥" rows (W or P needed
        # branch-and-bound) it would have to find them again: then neighbourhoods only
        if len(small) <= budget.free_pairs and not any(
            rows.rule == "fixed_level" for rows in self.level.extra_rows
        ):
            self.work.steps += 1
            self.offer(self.mip(small, budget.nodes).found)
            log.debug(
                "bounded small MIP over %d pairs: best %s of LP bound %s",
                len(small),
                self.best_score,
                self.lp_bound,
            )
            if self.proves():
                return self.proven("lp+small mip")
        pool = self.pool()
        tried: set[tuple[int, ...]] = set()
        remaining = budget.steps - self.work.steps
        for step in range(remaining):
            free, held = self.neighbourhood(pool, budget.free_pairs * (step + 1) // remaining)
            key = (*free.tolist(), -1, *held.tolist())
            if len(free) == 0 or key in tried:
                continue
            tried.add(key)
            columns = np.union1d(free, held)
            self.work.steps += 1
            self.offer(self.mip(columns, budget.nodes, np.flatnonzero(np.isin(columns, held))).found)
            log.debug(
                "neighbourhood MIP over %d free pairs (%d held): best %s of LP bound %s",
                len(free),
                len(held),
                self.best_score,
                self.lp_bound,
            )
            if self.proves():
                return self.proven(f"lp+{self.work.steps} bounded steps")
        return self.unproven(f"lp+{self.work.steps} bounded steps (budget)")


def optimise(
    f: Formulation, level: Level, incumbent: np.ndarray, settings: SolveSettings, clock: Clock
) -> Outcome:
    """Solve one level from `incumbent` (see the module's docstring for the steps). A level with
    a budget never reads the clock: its work is bounded by the budget alone."""
    search = _Search(f, level, incumbent, settings, Clock(None) if level.budget is not None else clock)
    search.price()
    if search.proves():
        return search.proven("lp")
    if not search.has_lp() or not math.isfinite(search.lp_bound):
        # no LP answer in time (the bound is then ±inf): nothing to steer a MIP by
        if level.budget is not None or clock.expired():
            return search.unproven("lp")
        return search.full_mip()
    if level.budget is not None:
        return search.within_budget()
    if level.cheap_steps:
        search.round_lp()
        if search.meets(search.lp_bound):
            return search.proven("lp+rounding")
        if clock.expired():
            return search.unproven("lp+rounding")
        search.small_mip()
        if search.meets(search.lp_bound):
            return search.proven("lp+small mip")
    if clock.expired():
        return search.unproven("lp+small mip")
    if not level.exhaustive:
        outcome = search.unproven("lp+small mip")
        outcome.unfinished = True
        return outcome
    assert search.priced is not None
    restricted = np.union1d(search.priced.columns, search.best)
    search.fix_by_reduced_cost()
    if len(search.columns) > _RESTRICTED_WORTH * len(restricted):
        search.restricted_mip(restricted)
        if search.meets(search.lp_bound):
            return search.proven("lp+restricted mip")
        if clock.expired():
            return search.unproven("lp+restricted mip")
        search.fix_by_reduced_cost()
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
