"""Solve the formulation level by level (lexicographic): held, continuity (when given), priority
W, preference P, then the agreements behind schedule (their shortfall, matcher.rules.agreements),
spreading (highest neighbourhood utilisation), then closeness to each municipality's agreed (or
population) share over the share period.

How each level is solved:
- held, continuity, W and P are integers with known upper bounds, so one integer objective
  `W·R_P + P` (with radices above each range, and the earlier levels in front) orders allocations
  exactly lexicographically. Its LP is tried first: the formulation is close to a network flow and
  the LP optimum is usually integral, which proves every level at once by LP duality. When it does
  not, each level's own LP is tried, then the remaining levels combined to the end by MIP
  (`_lexicographic_levels`); these levels are always solved to proven optimality (or the clock).
- Agreements, spreading and fair share are tie-breaks: LP first, then a bounded number of small MIPs around
  the best allocation (`level_steps.Budget`, from the settings). They never read the clock, so the
  same instance gives the same proposal with or without a time limit; what the budget did not
  prove they report `feasible`, with the LP's bound.
- MIPs run on HiGHS with mip_rel_gap = 0 and an absolute gap below 1 on integer objectives
  (`backend.mip`).
- A level never returns something worse than the allocation it started from (the greedy for the
  first), so a time limit always leaves the best proposal found so far.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse

from matcher.rules.agreements import shortfall as agreement_shortfall
from matcher.rules.arrays import Arrays
from matcher.rules.objectives import (
    fair_share_deviation,
    fair_share_offsets,
    max_utilisation,
    next_fair_share_deviation,
    next_utilisation,
    target_shares,
)
from matcher.solver.backend import Clock, Work
from matcher.solver.column_generation import priced_lp
from matcher.solver.formulation import Candidates, Formulation, Rows
from matcher.solver.level_steps import Budget, Level, Outcome, optimise
from matcher.solver.progress import Event, report
from matcher.solver.settings import SolveSettings

log = logging.getLogger(__name__)

# the combined integer objective must stay far inside double precision for exact proofs
_COMBINED_LIMIT = 2.0**50
# independent parts (no shared row) are solved one by one once they hold this many pairs
_PART_PAIRS = 20_000

# an exact check that an allocation keeps a level solved before (see `Level.guard`)
Guard = Callable[[np.ndarray], bool]


@dataclass
class LevelResult:
    """What one level achieved and how sure we are of it."""

    name: str
    status: str  # optimal | feasible | no_solution
    value: float
    bound: float
    seconds: float
    method: str = ""  # lp | mip | incumbent | … bounded steps (budget)
    work: Work = field(default_factory=Work)  # deterministic effort (LPs, MIPs, nodes, steps)

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

    @property
    def work(self) -> Work:
        """The deterministic effort of the whole solve (levels solved together count once)."""
        total, seen = Work(), set()
        for level in self.levels:
            if id(level.work) not in seen:
                seen.add(id(level.work))
                total.add(level.work)
        return total


# --- levels 1–2 (and continuity): one exact integer objective --------------------------------


def _radices(objectives: list[tuple[str, np.ndarray, int]]) -> list[int]:
    """Multipliers so that Σ multiplier·objective orders allocations lexicographically."""
    multipliers = []
    running = 1
    for _, _, upper in reversed(objectives):
        multipliers.append(running)
        running *= upper + 1
    return multipliers[::-1]


def _combined(multipliers: list[int], objectives: list[np.ndarray]) -> np.ndarray:
    """Σ multiplier·objective in int64 (there is always a first objective, priority)."""
    total = multipliers[0] * objectives[0].astype(np.int64)
    for multiplier, coefficients in zip(multipliers[1:], objectives[1:]):
        total = total + multiplier * coefficients.astype(np.int64)
    return total


def _sum_of(coefficients: np.ndarray) -> Callable[[np.ndarray], float]:
    """A level's exact score: the sum of `coefficients` over the chosen positions."""

    def score(chosen: np.ndarray) -> float:
        return int(coefficients[chosen].sum())

    return score


def _sum_at_least(coefficients: np.ndarray, value: int) -> Guard:
    """A guard: the sum of `coefficients` over the chosen positions stays at least `value`."""

    def guard(chosen: np.ndarray) -> bool:
        return int(coefficients[chosen].sum()) >= value

    return guard


def _upper_bound(f: Formulation, coefficients: np.ndarray) -> int:
    """Σ over clients of their best coefficient: no allocation scores more."""
    best = np.zeros(int(f.candidates.client.max(initial=-1)) + 1, dtype=np.int64)
    np.maximum.at(best, f.candidates.client, coefficients.astype(np.int64))
    return int(best.sum())


def _lexicographic_levels(
    f: Formulation,
    settings: SolveSettings,
    clock: Clock,
    incumbent: np.ndarray,
    objectives: list[tuple[str, np.ndarray]],
    fixed: list[Rows],
    guards: list[Guard],
) -> tuple[list[LevelResult], np.ndarray]:
    """Solve the integer levels exactly, cheapest proof first.

    At each level that is left: (a) all remaining levels combined into one objective (when
    precision allows), LP and cheap steps only: the LP usually proves them all at once; (b) else
    this level alone, LP and cheap steps only: its own LP bound may prove it where the combined
    one cannot (the combined LP trades fractions of W against P: on a generated 300 × 200 week
    ⌊26,073.5⌋ = 26,073 proves W, and P then solves on W's optimal face in a fraction of a second,
    where the combined MIP spent seconds in its root node); (c) else the remaining levels combined
    (or this one alone) to the end: when W itself needs branch-and-bound, one combined MIP is far
    cheaper than a MIP for W and then one for P under "W ≥ W*", which has to find W again.

    Afterwards the formulation only admits allocations that keep these levels: restricted to the
    LP's optimal face when the LP proved them, and by explicit "objective ≥ value" rows;
    `guards` gets an exact integer check either way.
    """
    bounded = [(name, coefficients, _upper_bound(f, coefficients)) for name, coefficients in objectives]
    results: list[LevelResult] = []
    chosen, began, work = incumbent, time.perf_counter(), Work()
    position = 0

    def solved(objective: np.ndarray, start: np.ndarray, **options) -> Outcome:
        level = Level(objective, True, True, _sum_of(objective), extra_rows=tuple(fixed), **options)
        outcome = optimise(f, level, start, settings, clock)
        outcome.work = work.add(outcome.work)
        return outcome

    while position < len(bounded):
        rest = bounded[position:]
        multipliers = _radices(rest)
        combined = None
        if len(rest) > 1 and (rest[0][2] + 1) * multipliers[0] < _COMBINED_LIMIT:
            combined = _combined(multipliers, [coefficients for _, coefficients, _ in rest])
            parts = f.components(_PART_PAIRS) if not fixed else []
            if len(parts) > 1:  # (a), part by part (each to the end: parts are small)
                outcome = _optimise_by_part(f, parts, combined, chosen, settings, clock)
                outcome.work = work.add(outcome.work)
            else:  # (a)
                outcome = solved(combined, chosen, exhaustive=False)
            if not outcome.unfinished or clock.expired():
                done, _ = _combined_results(f, rest, multipliers, combined, outcome, began, fixed, guards)
                return results + done, outcome.chosen
            chosen = outcome.chosen
        name, coefficients, upper = rest[0]
        outcome = solved(coefficients, chosen, exhaustive=False)  # (b)
        if outcome.unfinished and not clock.expired():  # (c)
            log.debug("%s not proven by its LP (%s); to the end", name, outcome.method)
            if combined is not None:
                outcome = solved(combined, outcome.chosen, cheap_steps=False)
                done, _ = _combined_results(f, rest, multipliers, combined, outcome, began, fixed, guards)
                return results + done, outcome.chosen
            outcome = solved(coefficients, outcome.chosen, cheap_steps=False)
        chosen = outcome.chosen
        value = int(coefficients[chosen].sum())
        bound = min(upper, int(outcome.bound)) if math.isfinite(outcome.bound) else upper
        results.append(
            LevelResult(
                name,
                "optimal" if outcome.proven or value >= upper else "feasible",
                value,
                max(value, bound),
                time.perf_counter() - began,
                outcome.method,
                outcome.work,
            )
        )
        began, work = time.perf_counter(), Work()
        if outcome.face is not None:
            f.restrict_to_face(*outcome.face)
        fixed.append(_at_least(coefficients, value))
        guards.append(_sum_at_least(coefficients, value))
        position += 1
    return results, chosen


def _combined_results(
    f: Formulation,
    bounded: list[tuple[str, np.ndarray, int]],
    multipliers: list[int],
    combined: np.ndarray,
    outcome: Outcome,
    began: float,
    fixed: list[Rows],
    guards: list[Guard],
) -> tuple[list[LevelResult], np.ndarray]:
    """Each level's result from the combined objective's outcome, and the rows that keep them."""
    seconds = time.perf_counter() - began
    known = math.isfinite(outcome.bound)
    results, remainder, exact_so_far = [], int(outcome.bound) if known else 0, known
    for multiplier, (name, coefficients, upper) in zip(multipliers, bounded):
        value = int(coefficients[outcome.chosen].sum())
        bound = min(upper, remainder // multiplier) if exact_so_far else upper
        status = (
            "optimal" if outcome.proven or (exact_so_far and bound <= value) or value >= upper else "feasible"
        )
        results.append(
            LevelResult(name, status, value, max(bound, value), seconds, outcome.method, outcome.work)
        )
        exact_so_far = exact_so_far and status == "optimal"
        remainder -= value * multiplier
    target = int(combined[outcome.chosen].sum())
    if outcome.face is not None:
        f.restrict_to_face(*outcome.face)
    elif not outcome.face_applied:
        if all(result.proven for result in results):
            # every level proven: "each objective ≥ its optimum" admits exactly the allocations
            # that keep them (none scores more), and unlike the combined row its coefficients
            # stay small, which keeps the later LPs and MIPs well conditioned
            fixed.extend(
                _at_least(coefficients, result.value)
                for (_, coefficients, _), result in zip(bounded, results)
            )
        else:
            fixed.append(_at_least(combined, target))
    guards.append(lambda chosen: int(combined[chosen].sum()) >= target)
    return results, outcome.chosen


def _optimise_by_part(
    f: Formulation,
    parts: list[np.ndarray],
    combined: np.ndarray,
    incumbent: np.ndarray,
    settings: SolveSettings,
    clock: Clock,
) -> Outcome:
    """Maximise the combined objective part by part: parts share no row, so the sum of the parts'
    optima is the optimum, and the sum of their bounds a bound. Restricts `f` to the optimal face
    of every part when each part provides one (then `face_applied`)."""
    chosen, bound, proven, methods, faces, work, unfinished = [], 0.0, True, set(), [], Work(), False
    in_incumbent = np.zeros(f.n_pairs, dtype=bool)
    in_incumbent[incumbent] = True
    for part, (sub, rows) in zip(parts, f.subsets(parts)):
        local = combined[part]
        level = Level(local, True, True, _sum_of(local))
        outcome = optimise(sub, level, np.flatnonzero(in_incumbent[part]), settings, clock)
        unfinished = unfinished or outcome.unfinished
        chosen.append(part[outcome.chosen])
        bound += outcome.bound
        proven = proven and outcome.proven
        methods.add(outcome.method)
        work.add(outcome.work)
        faces.append((sub, rows, part, outcome))
    everything = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    log.debug("solved %d independent parts (%s pairs)", len(parts), [len(p) for p in parts])
    with_face = [
        (sub, rows, part, outcome.face) for sub, rows, part, outcome in faces if outcome.face is not None
    ]
    applied = len(with_face) == len(faces)
    if applied:
        fixed = np.full(f.n_pairs, -1, dtype=np.int8)
        tight = [np.zeros(len(block), dtype=bool) for block in f.blocks]
        for sub, rows, part, face in with_face:
            part_fixed, part_tight = sub.face_marks(*face)
            fixed[part] = part_fixed
            for mask, kept, marks in zip(tight, rows, part_tight):
                mask[kept] |= marks
        f.apply_face(fixed, tight, everything)
    score = int(combined[everything].sum())
    return Outcome(
        everything,
        proven,
        score if proven else bound,
        "+".join(sorted(methods)) + f" ×{len(parts)} parts",
        face_applied=applied,
        work=work,
        unfinished=unfinished,
    )


def _at_least(coefficients: np.ndarray, value: float) -> Rows:
    """One row: Σ coefficient·x ≥ value (fixes a level for the levels after it)."""
    matrix = sparse.csr_matrix(np.asarray(coefficients, dtype=float).reshape(1, -1))
    return Rows("fixed_level", matrix, np.array([value - 0.5]), np.array([np.inf]))


# --- levels 3–4: the tie-breaks, bounded by work --------------------------------------------


def late_level_budget(settings: SolveSettings) -> Budget:
    """The deterministic work budget of each tie-break level (see matcher.solver.level_steps)."""
    return Budget(settings.late_level_steps, settings.late_level_nodes, settings.late_level_free_pairs)


# --- agreements behind schedule (before spreading) ---------------------------------------------


def _agreement_rows(c: Candidates, arrays: Arrays) -> tuple[np.ndarray, sparse.csr_matrix]:
    """The agreements behind schedule, and per such agreement the row of pairs it counts."""
    agreements = arrays.agreements
    lagging = np.flatnonzero(agreements.behind > 0) if len(agreements) else np.zeros(0, dtype=np.int64)
    counted = agreements.counted(c.client, c.unit)[lagging] if len(lagging) else np.zeros((0, len(c)), bool)
    return lagging, sparse.csr_matrix(counted.astype(float))


def _lagging_pairs(counted: sparse.csr_matrix, chosen: np.ndarray, n: int) -> np.ndarray:
    """The chosen pairs no agreement behind schedule counts: freeing them first may let a pair
    that closes a gap in."""
    touched = np.zeros(n, dtype=bool)
    touched[counted.indices] = True
    return chosen[~touched[chosen]]


def _agreements_level(
    f: Formulation,
    arrays: Arrays,
    settings: SolveSettings,
    clock: Clock,
    incumbent: np.ndarray,
    fixed: list[Rows],
    guards: list[Guard],
) -> tuple[LevelResult, np.ndarray]:
    """Minimise the shortfall Σ_a max(0, behind_a − placed_a) over the agreements behind schedule
    (columns s_a ≥ 0 with Σ_{j counted by a} x_j + s_a ≥ behind_a), then fix it for the levels after."""
    began = time.perf_counter()
    c = f.candidates
    lagging, counted = _agreement_rows(c, arrays)
    behind = arrays.agreements.behind[lagging].astype(float)

    def shortfall(chosen: np.ndarray) -> float:
        return agreement_shortfall(arrays.agreements, c.client[chosen], c.unit[chosen])

    current = shortfall(incumbent)
    if len(lagging) == 0 or current == 0:
        # nothing behind schedule, or the allocation closes every gap: nothing to steer
        if current:
            guards.append(lambda chosen: shortfall(chosen) <= current)
        return LevelResult(
            "agreements", "optimal", current, current, time.perf_counter() - began, "incumbent"
        ), incumbent
    n, n_a = f.n_pairs, len(lagging)
    matrix = sparse.hstack([counted, sparse.identity(n_a, format="csr")], format="csr")
    rows = Rows("agreements", matrix, behind, np.full(n_a, np.inf))
    objective = np.r_[np.zeros(n), np.ones(n_a)]
    level = Level(
        objective,
        False,
        True,
        shortfall,
        extra_columns=(np.zeros(n_a), behind),
        extra_rows=(*fixed, rows),
        guard=lambda chosen: all(check(chosen) for check in guards),
        budget=late_level_budget(settings),
        focus=lambda chosen: _lagging_pairs(counted, chosen, n),
    )
    outcome = optimise(f, level, incumbent, settings, clock)
    value = shortfall(outcome.chosen)
    bound = max(0.0, math.ceil(outcome.bound - 1e-6)) if math.isfinite(outcome.bound) else 0.0
    status = "optimal" if outcome.proven or value <= bound else "feasible"
    # the levels after keep it. Every gap closed: exactly the rows placed_a ≥ behind_a. A gap left:
    # "Σ_a max(0, behind_a − placed_a) ≤ value" has no row over the pairs alone, and rows per
    # agreement would also forbid closing the same total by other agreements (so a later level
    # could claim an optimum it did not have): the exact guard keeps it, and the later levels'
    # LP bounds stay bounds of a relaxation
    if value == 0:
        fixed.append(Rows("fixed_agreements", counted, behind, np.full(n_a, np.inf)))
    guards.append(lambda chosen: shortfall(chosen) <= value)
    return LevelResult(
        "agreements",
        status,
        value,
        min(value, bound),
        time.perf_counter() - began,
        outcome.method,
        outcome.work,
    ), outcome.chosen


# --- level 3: spreading ----------------------------------------------------------------------


def _fullest(c: Candidates, caps: np.ndarray, recent: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The chosen pairs that add load to the neighbourhoods at the highest utilisation."""
    counted = chosen[(c.load[chosen] > 0) & (caps[c.neighbourhood[chosen]] > 0)]
    if len(counted) == 0:
        return counted
    loads = np.bincount(c.neighbourhood[counted], weights=c.load[counted], minlength=len(caps))
    with_cap = caps > 0
    utilisation = np.zeros(len(caps))
    utilisation[with_cap] = (recent[with_cap] + loads[with_cap]) / caps[with_cap]
    at_most = utilisation[c.neighbourhood[counted]]
    return counted[at_most >= at_most.max() - 1e-12]


def _fix_spreading(
    c: Candidates,
    caps: np.ndarray,
    recent: np.ndarray,
    neighbourhoods: np.ndarray,
    loads_matrix: sparse.csr_matrix,
    value: float,
    chosen: np.ndarray,
    fixed: list[Rows],
) -> None:
    """Fix the level exactly: no neighbourhood's load may exceed what utilisation `value` allows."""
    allowed = np.floor(value * caps[neighbourhoods] - recent[neighbourhoods] + 1e-9)
    loads = np.bincount(c.neighbourhood[chosen], weights=c.load[chosen], minlength=len(caps))
    allowed = np.maximum(allowed, loads[neighbourhoods])
    fixed.append(Rows("fixed_spreading", loads_matrix, np.full(len(neighbourhoods), -np.inf), allowed))


def _most_load(f: Formulation, caps: np.ndarray, recent: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Per neighbourhood, the highest load any allocation can give it: its recent load plus, for
    each of its units still open to a client (a pair not fixed to 0), that unit's heaviest such
    pair times the clients it takes (its class size)."""
    usable = counted if f.fixed_pairs is None else counted[f.fixed_pairs[counted] != 0]
    c = f.candidates
    units, first, position = np.unique(c.unit[usable], return_index=True, return_inverse=True)
    heaviest = np.zeros(len(units))
    np.maximum.at(heaviest, position, c.load[usable])
    added = np.bincount(
        c.neighbourhood[usable][first], weights=heaviest * f.capacity_of(units), minlength=len(caps)
    )
    return recent + added


def _spreading_level(
    f: Formulation,
    arrays: Arrays,
    settings: SolveSettings,
    clock: Clock,
    incumbent: np.ndarray,
    fixed: list[Rows],
    guards: list[Guard],
) -> tuple[LevelResult, np.ndarray]:
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
    if len(counted) == 0:  # no pair adds load where a cap counts: every allocation is alike here
        result = LevelResult(
            "spreading", "optimal", current, current, time.perf_counter() - began, "incumbent"
        )
        return result, incumbent
    neighbourhoods, row = np.unique(c.neighbourhood[counted], return_inverse=True)
    # Σ load·x − cap·U ≤ −recent, with U the last column
    n = f.n_pairs
    matrix = sparse.csr_matrix(
        (
            np.r_[c.load[counted].astype(float), -caps[neighbourhoods]],
            (np.r_[row, np.arange(len(neighbourhoods))], np.r_[counted, np.full(len(neighbourhoods), n)]),
        ),
        shape=(len(neighbourhoods), n + 1),
    )
    if current <= floor_value + 1e-12:
        # the incumbent is already at the lowest value any allocation can have; the later
        # levels must still keep it there (fair shares may not move load into a full wijk)
        _fix_spreading(c, caps, recent, neighbourhoods, matrix[:, :n].tocsr(), current, incumbent, fixed)
        guards.append(lambda chosen: utilisation(chosen) <= current + 1e-12)
        result = LevelResult(
            "spreading", "optimal", current, current, time.perf_counter() - began, "incumbent"
        )
        return result, incumbent
    most_load = _most_load(f, caps, recent, counted)
    rows = [Rows("utilisation", matrix, np.full(len(neighbourhoods), -np.inf), -recent[neighbourhoods])]
    objective = np.r_[np.zeros(n), 1.0]
    level = Level(
        objective,
        False,
        False,
        utilisation,
        extra_columns=(np.array([floor_value]), np.array([current])),
        extra_rows=(*fixed, *rows),
        optimal_if=lambda chosen, bound: (
            utilisation(chosen) <= next_utilisation(arrays, bound, most_load) + 1e-12
        ),
        guard=lambda chosen: all(check(chosen) for check in guards),
        budget=late_level_budget(settings),
        focus=lambda chosen: _fullest(c, caps, recent, chosen),
    )
    outcome = optimise(f, level, incumbent, settings, clock)
    value = utilisation(outcome.chosen)
    bound = (
        next_utilisation(arrays, outcome.bound, most_load) if math.isfinite(outcome.bound) else floor_value
    )
    status = "optimal" if outcome.proven or value <= bound + 1e-12 else "feasible"
    _fix_spreading(c, caps, recent, neighbourhoods, matrix[:, :n].tocsr(), value, outcome.chosen, fixed)
    guards.append(lambda chosen: utilisation(chosen) <= value + 1e-12)
    return LevelResult(
        "spreading",
        status,
        value,
        min(bound, value),
        time.perf_counter() - began,
        outcome.method,
        outcome.work,
    ), outcome.chosen


# --- level 4: closest to each municipality's agreed (or population) share ----------------------


def _over_share(c: Candidates, share: np.ndarray, offset: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The chosen pairs in municipalities placed above their share, counting the placements so
    far (`offset`), the furthest above first."""
    placed = np.bincount(c.municipality[chosen], minlength=len(share)).astype(float)
    over = offset + placed - share * placed.sum()
    pairs = chosen[over[c.municipality[chosen]] > 1e-9]
    return pairs[np.lexsort((pairs, -over[c.municipality[pairs]]))]


def _fair_share_level(
    f: Formulation,
    arrays: Arrays,
    settings: SolveSettings,
    clock: Clock,
    incumbent: np.ndarray,
    fixed: list[Rows],
    guards: list[Guard],
) -> tuple[LevelResult, np.ndarray]:
    """Minimise Σ_m |q_m + placed_m − share_m·(S + N)| with N the number placed, q_m the
    placements so far and S = Σ q_m (deviations as columns; the constants q_m − share_m·S go
    to the rows' bounds)."""
    began = time.perf_counter()
    c = f.candidates
    share = target_shares(arrays)
    offset = fair_share_offsets(arrays, share)
    n, n_m = f.n_pairs, len(share)

    def deviation(chosen: np.ndarray) -> float:
        return fair_share_deviation(arrays, c.municipality[chosen])

    # columns: pairs, then N, then one deviation per municipality
    # rows: placed_m − share_m·N − d_m ≤ −offset_m; −placed_m + share_m·N − d_m ≤ offset_m; Σx − N = 0
    pair_rows = np.r_[c.municipality, c.municipality + n_m]
    pair_cols = np.r_[np.arange(n), np.arange(n)]
    pair_data = np.r_[np.ones(n), -np.ones(n)]
    m_rows = np.arange(n_m)
    rows = np.r_[pair_rows, m_rows, m_rows + n_m, m_rows, m_rows + n_m, np.full(n, 2 * n_m), [2 * n_m]]
    cols = np.r_[
        pair_cols, np.full(n_m, n), np.full(n_m, n), n + 1 + m_rows, n + 1 + m_rows, np.arange(n), [n]
    ]
    data = np.r_[pair_data, -share, share, -np.ones(n_m), -np.ones(n_m), np.ones(n), [-1.0]]
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(2 * n_m + 1, n + 1 + n_m))
    lower = np.r_[np.full(2 * n_m, -np.inf), [0.0]]
    upper = np.r_[-offset, offset, [0.0]]
    objective = np.r_[np.zeros(n + 1), np.ones(n_m)]
    columns = (np.zeros(1 + n_m), np.r_[[float(n)], float(n) + np.abs(offset)])
    level = Level(
        objective,
        False,
        False,
        deviation,
        extra_columns=columns,
        extra_rows=(*fixed, Rows("fair_share", matrix, lower, upper)),
        guard=lambda chosen: all(check(chosen) for check in guards),
        budget=late_level_budget(settings),
        focus=lambda chosen: _over_share(c, share, offset, chosen),
    )
    outcome = optimise(f, level, incumbent, settings, clock)
    value = deviation(outcome.chosen)
    bound = outcome.bound
    if not outcome.proven and math.isfinite(bound):
        bound = _fair_share_values_bound(f, offset, share, fixed, outcome, bound)
    status = "optimal" if outcome.proven or value <= bound + 1e-9 * max(1.0, value) else "feasible"
    return LevelResult(
        "fair_share",
        status,
        value,
        min(value, bound),
        time.perf_counter() - began,
        outcome.method,
        outcome.work,
    ), outcome.chosen


# the fair-share bound from the values a deviation can take (`next_fair_share_deviation`) is
# tried on weeks up to this many pairs (a 300 × 200 week has at most about 26,000): its two LPs for the
# range of N cost as much as the level's own LP or more (a 2,000 × 1,200 week of identical clients,
# 96,000 pairs: 2.4 s, and no proof), more than the proof is worth to the week's wait
_VALUES_BOUND_PAIRS = 30_000


def _fair_share_values_bound(
    f: Formulation, offset: np.ndarray, share: np.ndarray, fixed: list[Rows], outcome: Outcome, bound: float
) -> float:
    """The fair-share level's LP bound raised to the next value a deviation can take
    (`next_fair_share_deviation`), with the number placed N between the bounds of two LPs
    (fewest and most placed under the levels kept so far). Counts its LPs in `outcome.work`."""
    c = f.candidates
    usable = np.arange(f.n_pairs) if f.fixed_pairs is None else np.flatnonzero(f.fixed_pairs != 0)
    open_ = np.zeros(len(share), dtype=bool)
    open_[c.municipality[usable]] = True
    if f.n_pairs > _VALUES_BOUND_PAIRS or (1 << int(open_.sum())) > 1 << 16:
        return bound
    ones = np.ones(f.n_pairs)
    most = priced_lp(f, ones, list(fixed), outcome.chosen, Clock(None)).bound
    least = -priced_lp(f, -ones, list(fixed), outcome.chosen, Clock(None)).bound
    outcome.work.lp_solves += 2
    if not (math.isfinite(most) and math.isfinite(least)):
        return bound
    placed = (max(0, math.ceil(least - 1e-6)), math.floor(most + 1e-6))
    return next_fair_share_deviation(offset, share, open_, placed, bound)


def _late_value(name: str, arrays: Arrays, c: Candidates, chosen: np.ndarray) -> float:
    """A tie-break level's value for an allocation (when the clock left no time to solve it)."""
    if name == "agreements":
        return agreement_shortfall(arrays.agreements, c.client[chosen], c.unit[chosen])
    if name == "spreading":
        return max_utilisation(arrays, c.load[chosen], c.neighbourhood[chosen])
    return fair_share_deviation(arrays, c.municipality[chosen])


def continuity_coefficients(c: Candidates, keep: np.ndarray) -> np.ndarray:
    """1 for a pair that keeps a communicated match's unit with its client or gives it to a
    client of higher priority; 0 otherwise. A unit holds at most one client, so the sum over an
    allocation counts the communicated matches it honours."""
    coefficients = np.zeros(len(c), dtype=np.int64)
    kept_client = {int(c.unit[k]): (int(c.client[k]), int(c.weight[k])) for k in keep}
    for j in np.flatnonzero(np.isin(c.unit, np.fromiter(kept_client, dtype=np.int64))):
        client, weight = kept_client[int(c.unit[j])]
        coefficients[j] = int(c.client[j] == client or c.weight[j] > weight)
    return coefficients


def solve_lexicographic(
    f: Formulation,
    arrays: Arrays,
    settings: SolveSettings,
    start: np.ndarray,
    keep: np.ndarray | None = None,
    hold: np.ndarray | None = None,
) -> Solution:
    """Run every level in order, starting from a feasible allocation `start` (e.g. the greedy).

    Before W, two levels keep the weekly loop stable (docs/decisions.md):
    - `held` (`hold`: candidate positions of matches one side already accepted): as many held
      as the rules allow, weighted by their clients' priority, so one is released only when the
      rules no longer allow it together with the others;
    - `continuity` (`keep`: positions of matches already communicated): a communicated unit
      stays with its client, or goes to a client of higher priority; so a match moves only to
      place someone who comes first, never to add a client of lower priority.
    """
    clock = Clock(settings.time_limit)
    c = f.candidates
    objectives: list[tuple[str, np.ndarray]] = []
    if hold is not None and len(hold):
        held = np.zeros(len(c), dtype=np.int64)
        held[hold] = c.weight[hold]
        objectives.append(("held", held))
    if keep is not None and len(keep):
        objectives.append(("continuity", continuity_coefficients(c, keep)))
    objectives.append(("priority", c.weight))
    objectives.append(("preference", c.preference))
    fixed: list[Rows] = []
    solution = Solution(chosen=start)
    if len(c) == 0:
        solution.levels = [LevelResult(name, "optimal", 0, 0, 0.0, "empty") for name, _ in objectives]
        nothing = agreement_shortfall(
            arrays.agreements, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        )
        solution.levels += [
            LevelResult("agreements", "optimal", nothing, nothing, 0.0, "empty"),
            LevelResult(
                "spreading",
                "optimal",
                max_utilisation(arrays, np.zeros(0), np.zeros(0, dtype=np.int64)),
                0,
                0.0,
                "empty",
            ),
            LevelResult(
                "fair_share",
                "optimal",
                fair_share_deviation(arrays, np.zeros(0, dtype=np.int64)),
                fair_share_deviation(arrays, np.zeros(0, dtype=np.int64)),
                0.0,
                "empty",
            ),
        ]
        solution.chosen = np.zeros(0, dtype=np.int64)
        return solution
    guards: list[Guard] = []
    report(Event(objectives[0][0]))
    levels, chosen = _lexicographic_levels(f, settings, clock, start, objectives, fixed, guards)
    solution.levels.extend(levels)
    for level in levels:
        report(Event(level.name, True, level.status, level.value, level.bound))
    late = (
        ("agreements", _agreements_level),
        ("spreading", _spreading_level),
        ("fair_share", _fair_share_level),
    )
    for name, solve_level in late:
        report(Event(name))
        if clock.expired():
            value = _late_value(name, arrays, c, chosen)
            solution.levels.append(LevelResult(name, "no_solution", value, value, 0.0, "time limit"))
            report(Event(name, True, "no_solution", value, None))
            continue
        level, chosen = solve_level(f, arrays, settings, clock, chosen, fixed, guards)
        solution.levels.append(level)
        report(Event(name, True, level.status, level.value, level.bound))
    solution.chosen = np.sort(chosen)
    return solution
