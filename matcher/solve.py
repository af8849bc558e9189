"""Solve the formulation level by level (lexicographic): priority W, preference P, spreading.

Each level optimises one objective, then fixes it as a constraint for the next, so no level can
trade away what a higher one achieved. W and P are integers: a level is proven optimal when the
solver's bound is below the value found plus one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from matcher.arrays import Arrays
from matcher.formulation import Formulation, _groups, _sum
from matcher.settings import SolveSettings

LEVELS = ("priority", "continuity", "preference", "spreading", "fair_share")


class SolverFailure(RuntimeError):
    """The solver reported something that cannot happen for a valid formulation."""


@dataclass
class LevelResult:
    """What one level achieved and how sure we are of it."""

    name: str
    status: str          # optimal | feasible | no_solution | skipped
    value: float
    bound: float
    seconds: float

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


def _parameters(settings: SolveSettings, integral: bool) -> str:
    if settings.backend == "highs":
        options = {
            "output_flag": "false",
            "random_seed": settings.seed,
            "mip_rel_gap": 0,
            "mip_abs_gap": 0.999 if integral else 1e-7,
            "threads": settings.workers,
        }
        return "\n".join(f"{key}={value}" for key, value in options.items())
    options = {
        "randomization/randomseedshift": settings.seed,
        "limits/gap": 0,
        "limits/absgap": 0.999 if integral else 1e-7,
        "parallel/maxnthreads": settings.workers,
    }
    return "\n".join(f"{key} = {value}" for key, value in options.items())


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
# gave up before a solution: the caller keeps the allocation it already holds.


class _Clock:
    def __init__(self, limit: float | None):
        self.limit = limit
        self.start = time.perf_counter()

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(0.01, self.limit - (time.perf_counter() - self.start))


def _run(f: Formulation, settings: SolveSettings, clock: _Clock, integral: bool, current: np.ndarray):
    """Solve with the current objective; return (status, solver) with hints from `current`."""
    f.model.clear_hints()
    if settings.backend != "highs":  # hints crash HiGHS through model_builder (ortools 9.15)
        for position in current:
            f.model.add_hint(f.x.values[position], 1.0)
    solver = mb.Solver(settings.backend)
    solver.enable_output(False)
    solver.set_solver_specific_parameters(_parameters(settings, integral))
    remaining = clock.remaining()
    if remaining is not None:
        solver.set_time_limit_in_seconds(remaining)
    status = solver.solve(f.model)
    if status in _IMPOSSIBLE:
        raise SolverFailure(f"the {settings.backend} solver answered {status.name}: {solver.status_string}")
    return status, solver


def _chosen(f: Formulation, solver: mb.Solver) -> np.ndarray:
    values = solver.values(f.x).to_numpy()
    return np.flatnonzero(values > 0.5)


def _integral_level(name: str, f: Formulation, coefficients: np.ndarray, settings: SolveSettings,
                    clock: _Clock, current: np.ndarray) -> tuple[LevelResult, np.ndarray]:
    """Maximise Σ coefficient·x; return the level's record and the (possibly improved) choice."""
    began = time.perf_counter()
    f.model.maximize(_sum(f.x, np.arange(len(f.x)), coefficients) if len(f.x) else 0)
    status, solver = _run(f, settings, clock, integral=True, current=current)
    seconds = time.perf_counter() - began
    if status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        chosen = _chosen(f, solver)
        value = int(coefficients[chosen].sum())
        if value < int(coefficients[current].sum()):  # never fall below what we already hold
            chosen, value = current, int(coefficients[current].sum())
        bound = value if status == mb.SolveStatus.OPTIMAL else _integer_bound(solver.best_objective_bound, value)
        proven = status == mb.SolveStatus.OPTIMAL or bound <= value
        return LevelResult(name, "optimal" if proven else "feasible", value, bound, seconds), chosen
    # NOT_SOLVED / ABNORMAL / UNKNOWN: the time ran out before a solution; keep what we hold
    value = int(coefficients[current].sum())
    bound = _integer_bound(solver.best_objective_bound, value) if len(f.x) else value
    if not math.isfinite(bound):
        bound = int(np.sum(coefficients))
    return LevelResult(name, "no_solution", value, bound, seconds), current


def _integer_bound(bound: float, value: int) -> int:
    if bound is None or not math.isfinite(bound):
        return math.inf  # type: ignore[return-value]
    return max(value, math.floor(bound + 1e-6))


def _fix_at_least(f: Formulation, coefficients: np.ndarray, value: float) -> None:
    if len(f.x):
        f.model.add(_sum(f.x, np.arange(len(f.x)), coefficients) >= value - 0.5)


def _spreading_level(f: Formulation, arrays: Arrays, settings: SolveSettings, clock: _Clock,
                     current: np.ndarray) -> tuple[LevelResult, np.ndarray]:
    """Minimise the highest neighbourhood utilisation (recent + added load) / cap, cap > 0."""
    began = time.perf_counter()
    c = f.candidates
    caps, recent = arrays.neighbourhood_cap, arrays.neighbourhood_recent_load
    with_cap = caps > 0
    floor_utilisation = float((recent[with_cap] / caps[with_cap]).max()) if with_cap.any() else 0.0
    value_now = max_utilisation(arrays, c.load[current], c.neighbourhood[current])
    utilisation = f.model.new_num_var(floor_utilisation, max(value_now, floor_utilisation), "utilisation")
    counted = np.flatnonzero((c.load > 0) & with_cap[c.neighbourhood])
    groups = _groups(c.neighbourhood[counted])
    for group in groups:
        positions = counted[group]
        n = int(c.neighbourhood[positions[0]])
        f.model.add(_sum(f.x, positions, c.load[positions]) + float(recent[n]) <= utilisation * float(caps[n]))
    f.model.minimize(utilisation)
    status, solver = _run(f, settings, clock, integral=False, current=current)
    seconds = time.perf_counter() - began
    chosen = current
    if status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        candidate = _chosen(f, solver)
        if max_utilisation(arrays, c.load[candidate], c.neighbourhood[candidate]) <= value_now + 1e-9:
            chosen = candidate
    value = max_utilisation(arrays, c.load[chosen], c.neighbourhood[chosen])
    bound = solver.best_objective_bound if status != mb.SolveStatus.OPTIMAL else value
    bound = value if bound is None or not math.isfinite(bound) else min(value, float(bound))
    state = "optimal" if status == mb.SolveStatus.OPTIMAL else ("feasible" if chosen is not current else "no_solution")
    # fix the level exactly: each neighbourhood's load may not exceed what utilisation `value` allows
    for group in groups:
        positions = counted[group]
        n = int(c.neighbourhood[positions[0]])
        most = math.floor(value * caps[n] - recent[n] + 1e-9)
        f.model.add(_sum(f.x, positions, c.load[positions]) <= max(most, int(c.load[np.intersect1d(positions, chosen)].sum())))
    return LevelResult("spreading", state, value, bound, seconds), chosen


def max_utilisation(arrays: Arrays, loads: np.ndarray, neighbourhoods: np.ndarray) -> float:
    """Highest (recent_load + added load) / cap over neighbourhoods with cap > 0."""
    caps = arrays.neighbourhood_cap
    with_cap = caps > 0
    if not with_cap.any():
        return 0.0
    added = np.bincount(neighbourhoods, weights=loads, minlength=len(caps))
    return float(((arrays.neighbourhood_recent_load + added)[with_cap] / caps[with_cap]).max())


def fair_share_deviation(arrays: Arrays, municipalities: np.ndarray) -> float:
    """Σ over municipalities of |placed − population share × total placed|."""
    population = arrays.municipality_population.astype(float)
    share = population / population.sum() if population.sum() > 0 else np.zeros_like(population)
    placed = np.bincount(municipalities, minlength=len(population))
    return float(np.abs(placed - share * placed.sum()).sum())


def _fair_share_level(f: Formulation, arrays: Arrays, settings: SolveSettings, clock: _Clock,
                      current: np.ndarray) -> tuple[LevelResult, np.ndarray]:
    """Minimise the total deviation of placements per municipality from its population share."""
    began = time.perf_counter()
    c = f.candidates
    population = arrays.municipality_population.astype(float)
    share = population / population.sum() if population.sum() > 0 else np.zeros_like(population)
    everything = np.arange(len(c))
    total = _sum(f.x, everything) if len(c) else 0
    deviations = []
    for m in range(len(population)):
        positions = np.flatnonzero(c.municipality == m)
        placed = _sum(f.x, positions) if len(positions) else 0
        deviation = f.model.new_num_var(0, math.inf, f"deviation_{m}")
        f.model.add(deviation >= placed - float(share[m]) * total)
        f.model.add(deviation >= float(share[m]) * total - placed)
        deviations.append(deviation)
    value_now = fair_share_deviation(arrays, c.municipality[current])
    f.model.minimize(mb.LinearExpr.sum(deviations))
    status, solver = _run(f, settings, clock, integral=False, current=current)
    seconds = time.perf_counter() - began
    chosen = current
    if status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        candidate = _chosen(f, solver)
        if fair_share_deviation(arrays, c.municipality[candidate]) <= value_now + 1e-9:
            chosen = candidate
    value = fair_share_deviation(arrays, c.municipality[chosen])
    bound = value if status == mb.SolveStatus.OPTIMAL else min(value, float(solver.best_objective_bound or 0))
    state = "optimal" if status == mb.SolveStatus.OPTIMAL else ("feasible" if chosen is not current else "no_solution")
    return LevelResult("fair_share", state, value, bound, seconds), chosen


def solve_lexicographic(f: Formulation, arrays: Arrays, settings: SolveSettings,
                        start: np.ndarray, keep: np.ndarray | None = None) -> Solution:
    """Run every level in order, starting from a feasible allocation `start` (e.g. the greedy).

    `keep` lists candidate positions of matches already communicated: after W, a `continuity`
    level keeps as many of them as possible, so one only moves when moving it raises W.
    """
    clock = _Clock(settings.time_limit)
    c = f.candidates
    chosen = start
    solution = Solution(chosen=start)

    level, chosen = _integral_level("priority", f, c.weight, settings, clock, chosen)
    solution.levels.append(level)
    _fix_at_least(f, c.weight, level.value)

    if keep is not None and len(keep):
        kept = np.zeros(len(c), dtype=np.int64)
        kept[keep] = 1
        level, chosen = _integral_level("continuity", f, kept, settings, clock, chosen)
        solution.levels.append(level)
        _fix_at_least(f, kept, level.value)

    level, chosen = _integral_level("preference", f, c.preference, settings, clock, chosen)
    solution.levels.append(level)
    _fix_at_least(f, c.preference, level.value)

    level, chosen = _spreading_level(f, arrays, settings, clock, chosen)
    solution.levels.append(level)

    level, chosen = _fair_share_level(f, arrays, settings, clock, chosen)
    solution.levels.append(level)

    solution.chosen = np.sort(chosen)
    return solution
