"""Solve the formulation level by level (lexicographic): priority W, then preference P, then
spreading (highest neighbourhood utilisation), then closeness to population shares.

How each level is solved, exactly and fast:
- W and P (and, with `--keep-proposal`, continuity in between) are integers with known upper
  bounds, so one integer objective `W·R_P·R_K + K·R_P + P` with radices above each range orders
  allocations exactly lexicographically. It is solved once.
- Every level first solves its LP relaxation (GLOP). The formulation is close to a network flow
  and the LP optimum is usually integral: then it is optimal, proven by LP duality. Only when it
  is fractional does the MIP solver (HiGHS by default) run, with mip_rel_gap = 0 and an absolute
  gap below 1 on integer objectives.
- A level never returns something worse than the allocation it started from (the greedy for the
  first), so a time limit always leaves the best proposal found so far.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse
from ortools.linear_solver.python import model_builder as mb

from matcher.rules.arrays import Arrays
from matcher.rules.objectives import fair_share_deviation, max_utilisation, next_utilisation, population_shares
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.column_generation import best_per_group, priced_lp, seed_columns, variable_values
from matcher.solver.settings import SolveSettings

log = logging.getLogger(__name__)

# the combined integer objective must stay far inside double precision for exact proofs
_COMBINED_LIMIT = 2.0**50
# a deterministic effort limit for the MIPs of the tie-break levels (spreading, fair shares)
_LATE_LEVEL_NODES = 500
# spreading and fair shares only run a MIP when the LP leaves few pairs free (the optimal face
# is small at weekly size); above this the LP-rounded result is kept and marked not proven
_LATE_LEVEL_MIP_PAIRS = 25_000
# independent parts (no shared row) are solved one by one once they hold this many pairs
_PART_PAIRS = 20_000


class SolverFailure(RuntimeError):
    """The solver reported something that cannot happen for a valid formulation."""


@dataclass
class LevelResult:
    """What one level achieved and how sure we are of it."""

    name: str
    status: str          # optimal | feasible | no_solution
    value: float
    bound: float
    seconds: float
    method: str = ""     # lp | mip | incumbent

    @property
    def proven(self) -> bool:
        return self.status == "optimal"


@dataclass
class Solution:
    """The chosen candidate positions and the record of each level."""

    chosen: np.ndarray
    levels: list[LevelResult] = field(default_factory=list)

    def level(self, name: str) -> LevelResult:
        return next(level for level in self.levels if level.name == name)


# An allocation always exists (nobody placed), objectives are bounded, and the model and
# parameters are ours: these answers mean a bug or a broken install, never bad input.
_IMPOSSIBLE = (
    mb.SolveStatus.MODEL_INVALID,
    mb.SolveStatus.INVALID_SOLVER_PARAMETERS,
    mb.SolveStatus.INFEASIBLE,
    mb.SolveStatus.UNBOUNDED,
    mb.SolveStatus.INCOMPATIBLE_OPTIONS,
    mb.SolveStatus.SOLVER_TYPE_UNAVAILABLE,
    mb.SolveStatus.MODEL_IS_VALID,
)
# NOT_SOLVED, ABNORMAL, UNKNOWN_STATUS and CANCELLED_BY_USER mean the time ran out or the solver
# gave up before a solution: the level keeps the allocation it already holds.
_SOLVED = (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE)


class _Clock:
    def __init__(self, limit: float | None):
        self.limit = limit
        self.start = time.perf_counter()

    def expired(self) -> bool:
        return self.limit is not None and time.perf_counter() - self.start >= self.limit

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(0.01, self.limit - (time.perf_counter() - self.start))


def _mip_parameters(settings: SolveSettings, integral: bool, node_limit: int | None) -> str:
    if settings.backend == "highs":
        options = {
            "output_flag": "false",
            "random_seed": settings.seed,
            "mip_rel_gap": 0,
            "mip_abs_gap": 0.999 if integral else 1e-7,
            "threads": settings.workers,
        }
        if node_limit is not None:
            options["mip_max_nodes"] = node_limit
        return "\n".join(f"{key}={value}" for key, value in options.items())
    options = {
        "randomization/randomseedshift": settings.seed,
        "limits/gap": 0,
        "limits/absgap": 0.999 if integral else 1e-7,
        "parallel/maxnthreads": settings.workers,
    }
    if node_limit is not None:
        options["limits/nodes"] = node_limit
    return "\n".join(f"{key} = {value}" for key, value in options.items())


def _solve(model: mb.Model, backend: str, parameters: str, clock: _Clock):
    solver = mb.Solver(backend)
    solver.enable_output(False)
    if parameters:
        solver.set_solver_specific_parameters(parameters)
    remaining = clock.remaining()
    if remaining is not None:
        solver.set_time_limit_in_seconds(remaining)
    status = solver.solve(model)
    if status in _IMPOSSIBLE:
        raise SolverFailure(f"the {backend} solver answered {status.name}: {solver.status_string}")
    return status, solver


def _number(value) -> float | None:
    """A solver figure as a float, or None when the solver has none (None, NaN, pd.NA, ±inf)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.minimum(values, 1 - values) < 1e-6))


@dataclass
class _Outcome:
    chosen: np.ndarray
    proven: bool
    bound: float
    method: str
    face: tuple | None = None  # (reduced costs, duals, solution, tolerance) of the LP optimum
    face_applied: bool = False  # the formulation was already restricted (part by part)


def _optimise(f: Formulation, objective: np.ndarray, maximize: bool, integral_objective: bool,
              incumbent: np.ndarray, score, settings: SolveSettings, clock: _Clock,
              extra_columns=None, extra_rows: list[Rows] = (), node_limit: int | None = None,
              optimal_if=None, guard=None, mip_max_pairs: int | None = None) -> _Outcome:
    """LP relaxation first (by column generation, see matcher.solver.column_generation); a MIP only if the LP
    optimum is fractional and not already met.

    `score(chosen)` evaluates an allocation exactly (higher is better when maximising);
    `optimal_if(chosen, lp_bound)` may prove optimality from the LP bound for special objectives;
    `guard(chosen)` must hold for any solver answer to be accepted (levels solved before);
    `mip_max_pairs` skips the MIP over all free pairs when more than this many remain after
    reduced-cost fixing (the result is then not proven, and says so).
    """
    sign = 1 if maximize else -1
    guard = guard or (lambda chosen: True)
    best, best_score = incumbent, score(incumbent)
    n = f.n_pairs
    # integer objectives: a bound below value + 1 proves it; continuous ones (spreading, fair
    # shares): within a relative 1e-9, far below any difference two allocations can make and
    # above the rounding error of a bound assembled from duals
    slack = 0.5 if integral_objective else 1e-9 * max(1.0, abs(float(best_score)))

    def rounded(bound: float) -> float:
        if not integral_objective or not math.isfinite(bound):
            return bound
        return math.floor(bound + 1e-6) if maximize else math.ceil(bound - 1e-6)

    # the pairs a solver may use: those not fixed to 0 by an earlier level's optimal face
    columns = np.arange(n) if f.fixed_pairs is None else np.flatnonzero(f.fixed_pairs != 0)
    lp_bound = math.inf if maximize else -math.inf
    reduced = None

    def face_of(chosen: np.ndarray):
        """The LP's optimal face around `chosen`, when `chosen` is optimal for the LP within δ < 1:
        then a pair with |reduced cost| > δ or a row with |dual| > δ cannot change in any
        allocation that keeps this level (see Formulation.restrict_to_face)."""
        if not maximize:
            return None
        shortfall = max(0.0, priced.bound - float(score(chosen)))
        if shortfall >= 1:
            return None
        face = (priced.reduced_costs, priced.duals, chosen, max(0.25, shortfall + 1e-3))
        fixed, _ = f.face_marks(*face)
        x = np.zeros(n, dtype=np.int8)
        x[chosen] = 1
        if np.any((fixed >= 0) & (fixed != x)):  # round-off: better no face than a wrong one
            log.debug("optimal face inconsistent with the solution; not used")
            return None
        return face
    # the LP by column generation, which maximises: a minimising level prices −objective
    signed = sign * np.asarray(objective, dtype=float)
    priced = priced_lp(f, signed, list(extra_rows), seed_columns(f, signed[:n], incumbent),
                       lambda model: _solve(model, "glop", "", clock), clock.expired,
                       lambda values, bound: _integral(values) and sign * score(np.flatnonzero(values > 0.5))
                       >= sign * rounded(sign * bound) - slack, extra_columns=extra_columns,
                       settled=lambda lp_value, bound: (rounded(bound) if integral_objective and maximize else bound)
                       <= lp_value + slack)
    if priced.status == mb.SolveStatus.OPTIMAL:
        lp_bound = rounded(sign * priced.bound)
        reduced = priced.reduced_costs
        if _integral(priced.values):
            candidate = np.flatnonzero(priced.values > 0.5)
            if sign * score(candidate) >= sign * best_score and guard(candidate):
                best, best_score = candidate, score(candidate)
    if sign * best_score >= sign * lp_bound - slack:
        return _Outcome(best, True, best_score, "lp", face_of(best))
    if optimal_if is not None and math.isfinite(lp_bound) and optimal_if(best, lp_bound):
        return _Outcome(best, True, best_score, "lp")
    if reduced is None and (clock.expired() or (mip_max_pairs is not None and len(columns) > mip_max_pairs)):
        # no LP answer in time (the bound is then ±inf), or too large for a MIP without one
        return _Outcome(best, False, lp_bound, "lp")

    if reduced is not None and math.isfinite(lp_bound):
        if maximize and f.fixed_pairs is None and not any(np.isfinite(rows.lower).any() for rows in extra_rows):
            # round the LP (even when time is up: it is cheap and beats the incumbent): keep its
            # integral part, complete greedily in order of LP value
            candidate = _round(f, priced.values, objective, extra_rows)
            if sign * score(candidate) >= sign * best_score and guard(candidate):
                best, best_score = candidate, score(candidate)
        log.debug("LP fractional after %d pricing rounds (%d pairs); rounding gives %s of bound %s",
                  priced.rounds, len(priced.columns), best_score, lp_bound)
        if sign * best_score >= sign * lp_bound - slack:
            return _Outcome(best, True, best_score, "lp+rounding", face_of(best))
        if clock.expired():
            return _Outcome(best, False, lp_bound, "lp+rounding")
        # a small MIP around the LP solution first: its support, the rounding and each client's
        # pairs with the best reduced costs; if it reaches the LP bound, that is a proof
        small = np.union1d(np.union1d(np.flatnonzero(priced.values > 1e-6), best),
                           _best_reduced_per_client(f, priced.reduced_costs, 3))
        found, _ = _mip(f, objective, maximize, integral_objective, small, settings, clock,
                        extra_columns, extra_rows, node_limit)
        if found is not None and sign * score(found) >= sign * best_score and guard(found):
            best, best_score = found, score(found)
        log.debug("small MIP over %d pairs: best %s of LP bound %s", len(small), best_score, lp_bound)
        if sign * best_score >= sign * lp_bound - slack:
            return _Outcome(best, True, best_score, "lp+small mip", face_of(best))
        # the MIP over the priced pairs alone: usually the optimum, found on a small model
        restricted = np.union1d(priced.columns, best)
        found, found_bound = _mip(f, objective, maximize, integral_objective, restricted, settings,
                                  clock, extra_columns, extra_rows, node_limit)
        if found is not None and sign * score(found) >= sign * best_score and guard(found):
            best, best_score = found, score(found)
        log.debug("restricted MIP over %d pairs: best %s, its bound %s, LP bound %s",
                  len(restricted), best_score, found_bound, lp_bound)
        if sign * best_score >= sign * lp_bound - slack:
            return _Outcome(best, True, best_score, "lp+restricted mip", face_of(best))
        if clock.expired():
            return _Outcome(best, False, lp_bound, "lp+restricted mip")
        # reduced-cost fixing: a pair whose reduced cost is below −(bound − best) cannot be
        # part of any allocation better than the one we hold
        gap = sign * (lp_bound - best_score) + 1e-6
        columns = np.intersect1d(columns, np.flatnonzero(reduced >= -gap))
        columns = np.union1d(columns, best)
        log.debug("reduced-cost fixing with gap %s keeps %d pairs (%d outside the priced set)",
                  gap, len(columns), len(np.setdiff1d(columns, restricted)))
        if len(np.setdiff1d(columns, restricted)) == 0 and found_bound is not None:
            proven = sign * best_score >= sign * rounded(found_bound) - slack
            bound = found_bound if proven else lp_bound
            return _Outcome(best, proven, best_score if proven else bound, "lp+restricted mip")
        if mip_max_pairs is not None and len(columns) > mip_max_pairs:
            return _Outcome(best, False, lp_bound, "lp+restricted mip")
    if clock.expired():
        return _Outcome(best, False, lp_bound, "lp")
    found, mip_bound = _mip(f, objective, maximize, integral_objective, columns, settings, clock,
                            extra_columns, extra_rows, node_limit)
    if found is not None and sign * score(found) >= sign * best_score and guard(found):
        best, best_score = found, score(found)
    bound = lp_bound
    if mip_bound is not None and math.isfinite(mip_bound):
        mip_bound = rounded(mip_bound)
        bound = min(bound, mip_bound) if maximize else max(bound, mip_bound)
    proven = sign * best_score >= sign * bound - (slack if integral_objective else max(slack, 1e-7))
    return _Outcome(best, proven, best_score if proven else bound, "mip",
                    face_of(best) if proven and maximize else None)


def _best_reduced_per_client(f: Formulation, reduced: np.ndarray, count: int) -> np.ndarray:
    """Each client's `count` pairs with the highest reduced cost."""
    clients = f.candidates.client
    return np.sort(best_per_group(clients, np.lexsort((-reduced, clients)), count))


def _mip(f: Formulation, objective: np.ndarray, maximize: bool, integral_objective: bool,
         columns: np.ndarray, settings: SolveSettings, clock: _Clock, extra_columns, extra_rows,
         node_limit: int | None) -> tuple[np.ndarray | None, float | None]:
    """The MIP over `columns`: (chosen pairs or None, the solver's bound or None)."""
    mip = f.to_model(objective, maximize, integral=True, extra_columns=extra_columns,
                     extra_rows=extra_rows, columns=columns)
    parameters = _mip_parameters(settings, integral_objective, node_limit)
    status, solver = _solve(mip, settings.backend, parameters, clock)
    found = columns[variable_values(solver, mip)[: len(columns)] > 0.5] if status in _SOLVED else None
    bound = None
    if status in _SOLVED or status == mb.SolveStatus.NOT_SOLVED:
        bound = _number(solver.best_objective_bound)
        if status == mb.SolveStatus.OPTIMAL and found is not None:
            bound = _number(solver.objective_value)
    return found, bound


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


def _radices(objectives: list[tuple[str, np.ndarray, int]]) -> list[int]:
    """Multipliers so that Σ multiplier·objective orders allocations lexicographically."""
    multipliers = []
    running = 1
    for _, _, upper in reversed(objectives):
        multipliers.append(running)
        running *= upper + 1
    return multipliers[::-1]


def _upper_bound(f: Formulation, coefficients: np.ndarray) -> int:
    """Σ over clients of their best coefficient: no allocation scores more."""
    best = np.zeros(int(f.candidates.client.max(initial=-1)) + 1, dtype=np.int64)
    np.maximum.at(best, f.candidates.client, coefficients.astype(np.int64))
    return int(best.sum())


def _lexicographic_levels(f: Formulation, settings: SolveSettings, clock: _Clock,
                          incumbent: np.ndarray, objectives: list[tuple[str, np.ndarray]],
                          fixed: list[Rows], guards: list) -> tuple[list[LevelResult], np.ndarray]:
    """Solve integer levels exactly, combined into one objective when precision allows.

    Afterwards the formulation only admits allocations that keep these levels: restricted to the
    LP's optimal face when the LP proved them, otherwise by an explicit "objective ≥ value" row;
    `guards` gets an exact integer check either way.
    """
    bounded = [(name, coefficients, _upper_bound(f, coefficients)) for name, coefficients in objectives]
    multipliers = _radices(bounded)
    if (bounded[0][2] + 1) * multipliers[0] < _COMBINED_LIMIT:
        began = time.perf_counter()
        combined = sum(m * c.astype(np.int64) for m, (_, c, _) in zip(multipliers, bounded))
        parts = f.components(_PART_PAIRS) if not fixed else []
        if len(parts) > 1:
            outcome = _optimise_by_part(f, parts, combined, incumbent, settings, clock)
        else:
            outcome = _optimise(f, combined, True, True, incumbent,
                                lambda chosen: int(combined[chosen].sum()), settings, clock, extra_rows=fixed)
        seconds = time.perf_counter() - began
        known = math.isfinite(outcome.bound)
        results, remainder, exact_so_far = [], int(outcome.bound) if known else 0, known
        for multiplier, (name, coefficients, upper) in zip(multipliers, bounded):
            value = int(coefficients[outcome.chosen].sum())
            bound = min(upper, remainder // multiplier) if exact_so_far else upper
            status = "optimal" if outcome.proven or (exact_so_far and bound <= value) or value >= upper else "feasible"
            results.append(LevelResult(name, status, value, max(bound, value), seconds, outcome.method))
            exact_so_far = exact_so_far and status == "optimal"
            remainder -= value * multiplier
        target = int(combined[outcome.chosen].sum())
        if outcome.face is not None:
            f.restrict_to_face(*outcome.face)
        elif not outcome.face_applied:
            fixed.append(_at_least(combined, target))
        guards.append(lambda chosen: int(combined[chosen].sum()) >= target)
        return results, outcome.chosen
    results, chosen = [], incumbent
    for name, coefficients, upper in bounded:  # too large to combine: one level at a time
        began = time.perf_counter()
        outcome = _optimise(f, coefficients, True, True, chosen,
                            lambda pick, c=coefficients: int(c[pick].sum()), settings, clock, extra_rows=fixed)
        chosen = outcome.chosen
        value = int(coefficients[chosen].sum())
        bound = min(upper, int(outcome.bound)) if math.isfinite(outcome.bound) else upper
        results.append(LevelResult(name, "optimal" if outcome.proven or value >= upper else "feasible", value,
                                   max(value, bound), time.perf_counter() - began, outcome.method))
        fixed.append(_at_least(coefficients, value))
        guards.append(lambda pick, c=coefficients, v=value: int(c[pick].sum()) >= v)
    return results, chosen


def _optimise_by_part(f: Formulation, parts: list[np.ndarray], combined: np.ndarray, incumbent: np.ndarray,
                      settings: SolveSettings, clock: _Clock) -> _Outcome:
    """Maximise the combined objective part by part: parts share no row, so the sum of the parts'
    optima is the optimum, and the sum of their bounds a bound. Restricts `f` to the optimal face
    of every part when each part provides one (then `face_applied`)."""
    chosen, bound, proven, methods, faces = [], 0.0, True, set(), []
    in_incumbent = np.zeros(f.n_pairs, dtype=bool)
    in_incumbent[incumbent] = True
    for part in parts:
        sub, rows = f.subset(part)
        local = combined[part]
        outcome = _optimise(sub, local, True, True, np.flatnonzero(in_incumbent[part]),
                            lambda pick, c=local: int(c[pick].sum()), settings, clock)
        chosen.append(part[outcome.chosen])
        bound += outcome.bound
        proven = proven and outcome.proven
        methods.add(outcome.method)
        faces.append((sub, rows, part, outcome))
    everything = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    log.debug("solved %d independent parts (%s pairs)", len(parts), [len(p) for p in parts])
    applied = all(outcome.face is not None for *_, outcome in faces)
    if applied:
        fixed = np.full(f.n_pairs, -1, dtype=np.int8)
        tight = [np.zeros(len(block), dtype=bool) for block in f.blocks]
        for sub, rows, part, outcome in faces:
            part_fixed, part_tight = sub.face_marks(*outcome.face)
            fixed[part] = part_fixed
            for mask, kept, marks in zip(tight, rows, part_tight):
                mask[kept] |= marks
        f.apply_face(fixed, tight, everything)
    score = int(combined[everything].sum())
    return _Outcome(everything, proven, score if proven else bound,
                    "+".join(sorted(methods)) + f" ×{len(parts)} parts", face_applied=applied)


def _at_least(coefficients: np.ndarray, value: float) -> Rows:
    """One row: Σ coefficient·x ≥ value (fixes a level for the levels after it)."""
    matrix = sparse.csr_matrix(np.asarray(coefficients, dtype=float).reshape(1, -1))
    return Rows("fixed_level", matrix, np.array([value - 0.5]), np.array([np.inf]))


# --- level 3: spreading ----------------------------------------------------------------------


def _spreading_level(f: Formulation, arrays: Arrays, settings: SolveSettings, clock: _Clock,
                     incumbent: np.ndarray, fixed: list[Rows], guards: list) -> tuple[LevelResult, np.ndarray]:
    """Minimise the highest neighbourhood utilisation, then fix every neighbourhood's load."""
    began = time.perf_counter()
    c = f.candidates
    caps, recent = arrays.neighbourhood_cap, arrays.neighbourhood_recent_load
    with_cap = caps > 0

    def utilisation(chosen: np.ndarray) -> float:
        return max_utilisation(arrays, c.load[chosen], c.neighbourhood[chosen])

    floor_value = float((recent[with_cap] / caps[with_cap]).max()) if with_cap.any() else 0.0
    current = utilisation(incumbent)
    counted = np.flatnonzero((c.load > 0) & with_cap[c.neighbourhood])
    if current <= floor_value + 1e-12 or len(counted) == 0:
        result = LevelResult("spreading", "optimal", current, current, time.perf_counter() - began, "incumbent")
        return result, incumbent
    neighbourhoods, row = np.unique(c.neighbourhood[counted], return_inverse=True)
    # Σ load·x − cap·U ≤ −recent, with U the last column
    n = f.n_pairs
    matrix = sparse.csr_matrix(
        (np.r_[c.load[counted].astype(float), -caps[neighbourhoods]],
         (np.r_[row, np.arange(len(neighbourhoods))], np.r_[counted, np.full(len(neighbourhoods), n)])),
        shape=(len(neighbourhoods), n + 1),
    )
    rows = [Rows("utilisation", matrix, np.full(len(neighbourhoods), -np.inf), -recent[neighbourhoods])]
    objective = np.r_[np.zeros(n), 1.0]
    outcome = _optimise(
        f, objective, False, False, incumbent, utilisation, settings, clock,
        extra_columns=(np.array([floor_value]), np.array([current])), extra_rows=[*fixed, *rows],
        optimal_if=lambda chosen, bound: utilisation(chosen) <= next_utilisation(arrays, bound) + 1e-12,
        guard=lambda chosen: all(check(chosen) for check in guards), mip_max_pairs=_LATE_LEVEL_MIP_PAIRS,
        node_limit=_LATE_LEVEL_NODES,
    )
    value = utilisation(outcome.chosen)
    bound = next_utilisation(arrays, outcome.bound) if math.isfinite(outcome.bound) else floor_value
    status = "optimal" if outcome.proven or value <= bound + 1e-12 else "feasible"
    # fix the level exactly: no neighbourhood's load may exceed what utilisation `value` allows
    allowed = np.floor(value * caps[neighbourhoods] - recent[neighbourhoods] + 1e-9)
    loads = np.bincount(c.neighbourhood[outcome.chosen], weights=c.load[outcome.chosen], minlength=len(caps))
    allowed = np.maximum(allowed, loads[neighbourhoods])
    fixed.append(Rows("fixed_spreading", matrix[:, :n].tocsr(), np.full(len(neighbourhoods), -np.inf), allowed))
    guards.append(lambda chosen: utilisation(chosen) <= value + 1e-12)
    return LevelResult("spreading", status, value, min(bound, value), time.perf_counter() - began,
                       outcome.method), outcome.chosen


# --- level 4: closest to each municipality's population share --------------------------------


def _fair_share_level(f: Formulation, arrays: Arrays, settings: SolveSettings, clock: _Clock,
                      incumbent: np.ndarray, fixed: list[Rows], guards: list) -> tuple[LevelResult, np.ndarray]:
    """Minimise Σ_m |placed_m − share_m·N| with N the number placed (deviations as columns)."""
    began = time.perf_counter()
    c = f.candidates
    share = population_shares(arrays)
    n, n_m = f.n_pairs, len(share)

    def deviation(chosen: np.ndarray) -> float:
        return fair_share_deviation(arrays, c.municipality[chosen])

    # columns: pairs, then N, then one deviation per municipality
    pair_rows = np.r_[c.municipality, c.municipality + n_m]
    pair_cols = np.r_[np.arange(n), np.arange(n)]
    pair_data = np.r_[np.ones(n), -np.ones(n)]
    m_rows = np.arange(n_m)
    rows = np.r_[pair_rows, m_rows, m_rows + n_m, m_rows, m_rows + n_m, np.full(n, 2 * n_m), [2 * n_m]]
    cols = np.r_[pair_cols, np.full(n_m, n), np.full(n_m, n), n + 1 + m_rows, n + 1 + m_rows, np.arange(n), [n]]
    data = np.r_[pair_data, -share, share, -np.ones(n_m), -np.ones(n_m), np.ones(n), [-1.0]]
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(2 * n_m + 1, n + 1 + n_m))
    lower = np.r_[np.full(2 * n_m, -np.inf), [0.0]]
    upper = np.r_[np.zeros(2 * n_m), [0.0]]
    objective = np.r_[np.zeros(n + 1), np.ones(n_m)]
    columns = (np.zeros(1 + n_m), np.r_[[float(n)], np.full(n_m, float(n))])
    outcome = _optimise(f, objective, False, False, incumbent, deviation, settings, clock,
                        extra_columns=columns, extra_rows=[*fixed, Rows("fair_share", matrix, lower, upper)],
                        node_limit=_LATE_LEVEL_NODES, guard=lambda chosen: all(check(chosen) for check in guards),
                        mip_max_pairs=_LATE_LEVEL_MIP_PAIRS)
    value = deviation(outcome.chosen)
    status = "optimal" if outcome.proven else "feasible"
    return LevelResult("fair_share", status, value, min(value, outcome.bound), time.perf_counter() - began,
                       outcome.method), outcome.chosen


def solve_lexicographic(f: Formulation, arrays: Arrays, settings: SolveSettings,
                        start: np.ndarray, keep: np.ndarray | None = None) -> Solution:
    """Run every level in order, starting from a feasible allocation `start` (e.g. the greedy).

    `keep` lists candidate positions of matches already communicated: right after W, a
    `continuity` level keeps as many of them as possible, so one only moves when moving it
    raises W.
    """
    clock = _Clock(settings.time_limit)
    c = f.candidates
    objectives = [("priority", c.weight)]
    if keep is not None and len(keep):
        kept = np.zeros(len(c), dtype=np.int64)
        kept[keep] = 1
        objectives.append(("continuity", kept))
    objectives.append(("preference", c.preference))
    fixed: list[Rows] = []
    solution = Solution(chosen=start)
    if len(c) == 0:
        solution.levels = [LevelResult(name, "optimal", 0, 0, 0.0, "empty") for name, _ in objectives]
        solution.levels += [LevelResult("spreading", "optimal", max_utilisation(arrays, np.zeros(0), np.zeros(0, dtype=np.int64)), 0, 0.0, "empty"),
                            LevelResult("fair_share", "optimal", 0.0, 0.0, 0.0, "empty")]
        solution.chosen = np.zeros(0, dtype=np.int64)
        return solution
    guards: list = []
    levels, chosen = _lexicographic_levels(f, settings, clock, start, objectives, fixed, guards)
    solution.levels.extend(levels)
    for name, solve_level in (("spreading", _spreading_level), ("fair_share", _fair_share_level)):
        if clock.expired():
            value = (max_utilisation(arrays, c.load[chosen], c.neighbourhood[chosen]) if name == "spreading"
                     else fair_share_deviation(arrays, c.municipality[chosen]))
            solution.levels.append(LevelResult(name, "no_solution", value, value, 0.0, "time limit"))
            continue
        level, chosen = solve_level(f, arrays, settings, clock, chosen, fixed, guards)
        solution.levels.append(level)
    solution.chosen = np.sort(chosen)
    return solution
