"""The hindsight yardstick: the best a coordinator could have done who knew every arrival in advance.

For one finished horizon (a scenario and a seed: the same week-1 queue, arrivals and answers every
policy saw), the clairvoyant optimum is a time-expanded MIP over placements (client c, unit u,
week t):

- x[c, u, t] exists when the pair is eligible by every static rule of the allocation rules (type,
  size, rent, access, safety, origin rule, the base's declined pairs), the client has arrived by
  week t and is ready by its end, the unit is in the scheme and available in week t and has not
  yet gone back to the landlord (its `vacancy_weeks` weeks from when it became available), and
  its neighbourhood is open that week. With `answers: known` (the default) the clairvoyant also
  knows the answer to every offer — the same random numbers the policies drew, for a first offer
  (no earlier refusal) — and makes only offers that are accepted; with `answers: ignored` every
  offer is accepted;
- each client is placed at most once, each unit let at most once;
- neighbourhood caps over the rolling window, exactly as the weekly runs apply them: for every
  neighbourhood n and week t, the load placed in weeks t − window … t is at most
  `max(0, cap(n) − recent_base(n, t))`, the base's recent load fading out over the window (this
  linear form is equivalent to the rules' `added ≤ max(0, cap − recent load)` week by week,
  because the room only grows as the base load fades);
- intake ceilings and support slots per agreement period, as agreed (`matcher.stress.agreements`).

It maximises priority-weighted placements Σ w(c), each client's priority weight taken when they
join the queue (week 1 for the week-1 queue) so that no schedule gains by letting people wait,
solved with HiGHS to a proven optimum or, when `seconds` run out, reported with the solver's proven
bound. Among the schedules of greatest W it prefers more placements in the client's municipality
of origin, then fewer vacancy days: a tie-break worth less than one point of W in total, so it
never costs W, but not itself proven optimal (the solver stops once W is proven). Origin
placements and vacancy days are reported for the schedule found.

With `answers: ignored` every schedule a policy produced is feasible here, so level 1 bounds every
policy's priority-weighted placements. With `answers: known` a policy can exceed it only by
placing, after a client's earlier refusal, a pair that client would have declined as a first
offer (the `after_refusal` effect); the report shows the share as it is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from scipy import sparse

from matcher.rules.arrays import neighbourhood_cap
from matcher.rules.capacity import load_of
from matcher.rules.eligibility import RULE_FUNCTIONS, Eligibility
from matcher.solver import lp_model
from matcher.solver.backend import number
from matcher.stress.arrivals import Stream
from matcher.stress.scenario import Scenario, Sweep
from models import Client, Instance, Unit

HINDSIGHT_COLUMNS = [
    "scenario",
    "seed",
    "answers",
    "priority_placed",
    "priority_bound",
    "priority_proven",
    "origin_placements",
    "placements",
    "vacancy_days",
    "variables",
    "seconds",
]


@dataclass(frozen=True)
class HindsightResult:
    """The clairvoyant optimum of one scenario and seed."""

    scenario: int
    seed: int
    answers: str
    priority_placed: float  # level 1 at the schedule found
    priority_bound: float  # the solver's proven bound on level 1 (= value when proven)
    priority_proven: bool
    origin_placements: float  # at that schedule: the most among those found with the greatest W
    placements: int
    vacancy_days: float
    variables: int
    seconds: float
    schedule: tuple[tuple[str, str, int], ...] = ()  # (client, unit, 1-based week)

    def row(self) -> dict[str, object]:
        return {column: getattr(self, column) for column in HINDSIGHT_COLUMNS}


def _static_allowed(instance: Instance) -> np.ndarray:
    """clients × units: every eligibility rule but timing and the open neighbourhood."""
    rules = Eligibility(instance)
    a, s = rules.arrays, rules.sets
    origin_rule = instance.policy.origin_rule
    allowed = np.ones((a.n_clients, a.n_units), dtype=bool)
    block = slice(0, a.n_clients)
    for name, allows in RULE_FUNCTIONS.items():
        if name in ("timing", "open_neighbourhood"):
            continue
        allowed &= allows(a, s, block, origin_rule)
    return allowed


@dataclass(frozen=True)
class Columns:
    """The columns x[c, u, t] of a time-expanded model: client, unit and week index of each."""

    client: np.ndarray
    unit: np.ndarray
    week: np.ndarray


def resource_rows(
    places: Instance,
    clients: list[Client],
    units: list[Unit],
    columns: Columns,
    window: int,
    cap_limits: np.ndarray,
    period_of_week: np.ndarray,
    intake_limits: np.ndarray,
    slot_limits: np.ndarray,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The rows `matrix · x ≤ upper` of a time-expanded placement model over weeks 0 … T − 1.

    - each client at most once, each unit at most once (rows in `clients`, `units` order);
    - the neighbourhood caps over the rolling window: for neighbourhood n and week t the load
      placed in weeks t − window … t is at most `cap_limits[n, t]` (neighbourhoods in `places`
      order; only rows of weeks in which something can be placed, the others being implied when
      the room only grows);
    - the intake ceilings: per agreement period p and municipality m (`places` order) at most
      `intake_limits[p, m]` placements, no row where it is negative (no ceiling);
    - the support slots: per period p and slot row s of `places.support_capacity` at most
      `slot_limits[p, s]` placements of that municipality and intensity.

    `period_of_week[t]`: the agreement period of week t (0-based, the first of the model)."""
    policy = places.policy
    col_c, col_u, col_t = columns.client, columns.unit, columns.week
    n = len(col_c)
    horizon = len(period_of_week)
    rows: list[sparse.csr_matrix] = []
    upper: list[np.ndarray] = []

    def add(keys: np.ndarray, amounts: np.ndarray, limits: np.ndarray) -> None:
        keep = keys >= 0
        matrix = sparse.csr_matrix(
            (amounts[keep].astype(float), (keys[keep], np.flatnonzero(keep))), shape=(len(limits), n)
        )
        rows.append(matrix)
        upper.append(np.asarray(limits, dtype=float))

    add(col_c, np.ones(n), np.ones(len(clients)))  # each client once
    add(col_u, np.ones(n), np.ones(len(units)))  # each unit once

    n_index = {nb.neighbourhood_id: k for k, nb in enumerate(places.neighbourhoods)}
    load = np.array(
        [
            load_of(policy, clients[c].support_intensity, units[u].type, persons=clients[c].persons)
            for c, u in zip(col_c, col_u)
        ],
        dtype=float,
    )
    col_n = np.array([n_index[units[u].neighbourhood_id] for u in col_u.tolist()], dtype=np.int64)
    if n and (load > 0).any():
        loaded = np.flatnonzero(load > 0)
        # a placement in week s counts in the rows of weeks s … s + window
        lags = np.arange(window + 1)
        cols = np.repeat(loaded, len(lags))
        row_weeks = (col_t[loaded][:, None] + lags[None, :]).ravel()
        keys = col_n[cols] * horizon + row_weeks
        needed = np.zeros(len(places.neighbourhoods) * horizon, dtype=bool)
        needed[col_n[loaded] * horizon + col_t[loaded]] = True
        inside = row_weeks < horizon
        inside[inside] = needed[keys[inside]]
        limits = np.asarray(cap_limits, dtype=float).reshape(-1)
        used = np.flatnonzero(needed)
        matrix = sparse.csr_matrix((load[cols[inside]], (keys[inside], cols[inside])), shape=(len(limits), n))
        rows.append(matrix[used])
        upper.append(limits[used])

    period = np.asarray(period_of_week, dtype=np.int64)[col_t] if n else np.zeros(0, np.int64)
    m_index = {m.municipality_id: k for k, m in enumerate(places.municipalities)}
    n_municipalities = len(places.municipalities)
    col_m = np.array([m_index[units[u].municipality_id] for u in col_u.tolist()], dtype=np.int64)
    intake_limits = np.asarray(intake_limits, dtype=float).reshape(-1, n_municipalities)
    limited = intake_limits[period, col_m] >= 0 if n else np.zeros(0, bool)
    add(
        np.where(limited, period * n_municipalities + col_m, -1),
        np.ones(n),
        np.maximum(intake_limits, 0).reshape(-1),
    )
    slot_rows = {(s.municipality_id, s.support_intensity): k for k, s in enumerate(places.support_capacity)}
    n_slots = len(places.support_capacity)
    if n_slots:
        slot_key = np.array(
            [
                slot_rows.get((units[u].municipality_id, clients[c].support_intensity), -1)
                for c, u in zip(col_c, col_u)
            ],
            dtype=np.int64,
        )
        add(
            np.where(slot_key >= 0, period * n_slots + slot_key, -1),
            np.ones(n),
            np.asarray(slot_limits, dtype=float).reshape(-1),
        )

    matrix = sparse.vstack(rows, format="csr") if rows else sparse.csr_matrix((0, n))
    return matrix, (np.concatenate(upper) if upper else np.zeros(0))


def hindsight(
    stream: Stream,
    sweep: Sweep,
    scenario: Scenario,
    answers: str = "known",
    seconds: float | None = 120.0,
    relaxed: bool = False,
) -> HindsightResult:
    """The clairvoyant optimum of the horizon of `stream` under `scenario` (see the module).

    `relaxed`: solve the LP relaxation instead (x between 0 and 1), much faster on a year: its W
    bounds the optimum's from above, so a policy's share of it is a lower bound on its share of
    the optimum. Then `priority_placed` = `priority_bound` = the relaxation's W, not proven, origin
    placements and placements its fractional sums, vacancy days NaN and no schedule."""
    from matcher.stress.simulate import match_class, priority_weight, start_instance

    began = time.perf_counter()
    start = start_instance(stream, sweep, scenario)
    policy = start.policy
    declines = scenario.values.get("declines", sweep.declines)
    horizon, window, period_weeks = sweep.horizon_weeks, sweep.window_weeks, sweep.agreements.weeks
    clients: list[Client] = list(start.clients)
    joined = [0] * len(clients)
    units: list[Unit] = list(start.units)
    arrived = [0] * len(units)
    for week in range(horizon):
        clients += stream.clients[week]
        joined += [week] * len(stream.clients[week])
        units += stream.units[week]
        arrived += [week] * len(stream.units[week])
    everything = Instance.model_construct(
        municipalities=start.municipalities,
        neighbourhoods=start.neighbourhoods,
        units=tuple(units),
        clients=tuple(clients),
        support_capacity=start.support_capacity,
        declined=start.declined,
        policy=policy,
    )
    allowed = _static_allowed(everything) if clients and units else np.zeros((len(clients), len(units)), bool)

    monday = [stream.week_start(week) for week in range(horizon + 1)]
    week_end = [day + timedelta(days=6) for day in monday]
    closed = {n.neighbourhood_id: n.closed_until for n in start.neighbourhoods}
    # the weeks each unit can be let: from the week it is available, for vacancy_weeks weeks
    unit_weeks: list[range] = []
    for unit, week in zip(units, arrived):
        first = next((t for t in range(week, horizon) if unit.available_from <= week_end[t]), horizon)
        unit_weeks.append(range(first, min(horizon, first + sweep.vacancy_weeks)))
    # vacancy days of each unit if it is never let, and since when it counts
    unit_since = [max(unit.available_from, monday[week]) for unit, week in zip(units, arrived)]
    unit_days = [
        max(0, (monday[min(horizon, weeks.start + sweep.vacancy_weeks)] - since).days)
        for weeks, since in zip(unit_weeks, unit_since)
    ]
    ready_week = [
        next(
            (t for t in range(joined[k], horizon) if c.ready_from is None or c.ready_from <= week_end[t]),
            horizon,
        )
        for k, c in enumerate(clients)
    ]

    columns: list[tuple[int, int, int]] = []
    pairs_c, pairs_u = np.nonzero(allowed)
    for c, u in zip(pairs_c.tolist(), pairs_u.tolist()):
        weeks = [t for t in unit_weeks[u] if t >= ready_week[c]]
        if not weeks:
            continue
        client, unit = clients[c], units[u]
        if answers == "known":
            landlord_draw, client_draw = stream.offer_draws(client.client_id, unit.unit_id)
            if landlord_draw < declines.landlord or client_draw < declines.client.chance(
                match_class(client, unit), 0
            ):
                continue
        until = closed.get(unit.neighbourhood_id)
        columns += [(c, u, t) for t in weeks if until is None or until < monday[t]]

    n = len(columns)
    col_c = np.array([c for c, _, _ in columns], dtype=np.int64)
    col_u = np.array([u for _, u, _ in columns], dtype=np.int64)
    col_t = np.array([t for _, _, t in columns], dtype=np.int64)
    weight = np.array(
        [priority_weight(clients[c], policy, monday[joined[c]]) for c in col_c.tolist()], dtype=float
    )
    origin = np.array(
        [units[u].municipality_id == clients[c].origin_municipality_id for c, u in zip(col_c, col_u)],
        dtype=float,
    )

    # neighbourhood caps over the rolling window: row (n, t) holds placements of weeks t-window..t,
    # the room only growing as the base's recent load fades
    per_1000 = policy.spreading.max_load_per_1000_dwellings
    cap_limits = np.zeros((len(start.neighbourhoods), horizon))
    for k, nb in enumerate(start.neighbourhoods):
        cap = float(neighbourhood_cap(nb.dwellings, nb.cap, per_1000))
        for t in range(horizon):
            faded = nb.recent_load * max(0, window - t) / window
            cap_limits[k, t] = max(0.0, math.floor(cap - faded + 1e-9))
    # intake ceilings and support slots per agreement period, as agreed
    periods = (horizon + period_weeks - 1) // period_weeks
    ceilings = np.array(
        [m.max_intake if m.max_intake is not None else -1 for m in start.municipalities], dtype=float
    )
    slots = np.array([s.slots for s in start.support_capacity], dtype=float)
    matrix, row_upper = resource_rows(
        start,
        clients,
        units,
        Columns(col_c, col_u, col_t),
        window,
        cap_limits,
        np.arange(horizon) // period_weeks,
        np.tile(ceilings, (periods, 1)),
        np.tile(slots, (periods, 1)),
    )
    # vacancy days saved by letting unit u in week t rather than not at all (≥ 0)
    saved = np.array(
        [
            unit_days[u] - max(0, (monday[t] - unit_since[u]).days)
            for u, t in zip(col_u.tolist(), col_t.tolist())
        ],
        dtype=float,
    )
    # Priority weights are whole numbers, so a tie-break worth less than 1 in total never costs W:
    # among the schedules of greatest W, prefer more origin placements, then fewer vacancy days.
    scale = float(sum(unit_days)) + 1.0
    tie_break = (origin * scale + saved) / ((float(origin.sum()) + 1.0) * scale * 2.0) if n else np.zeros(0)
    if relaxed:
        values, _, _ = solve_model(matrix, row_upper, weight + tie_break, np.zeros(n, bool), seconds)
        x = values if values is not None else np.zeros(n)
        bound = float(weight @ x) if values is not None else float(weight.sum())
        return HindsightResult(
            scenario=scenario.index,
            seed=stream.seed,
            answers=answers,
            priority_placed=bound,
            priority_bound=bound,
            priority_proven=False,
            origin_placements=float(origin @ x),
            placements=round(float(x.sum())),
            vacancy_days=float("nan"),
            variables=n,
            seconds=time.perf_counter() - began,
        )
    chosen, priority, priority_bound, priority_proven = _solve(matrix, row_upper, weight, tie_break, seconds)
    origin_value = float(origin[chosen].sum())

    let = dict(zip(col_u[chosen].tolist(), col_t[chosen].tolist()))
    vacancy_days = float(
        sum(
            max(0, (monday[let[u]] - unit_since[u]).days) if u in let else unit_days[u]
            for u in range(len(units))
        )
    )
    schedule = tuple(
        sorted(
            (clients[c].client_id, units[u].unit_id, int(t) + 1)
            for c, u, t in zip(col_c[chosen], col_u[chosen], col_t[chosen])
        )
    )
    return HindsightResult(
        scenario=scenario.index,
        seed=stream.seed,
        answers=answers,
        priority_placed=priority,
        priority_bound=priority_bound,
        priority_proven=priority_proven,
        origin_placements=origin_value,
        placements=int(chosen.sum()),
        vacancy_days=vacancy_days,
        variables=n,
        seconds=time.perf_counter() - began,
        schedule=schedule,
    )


def solve_model(
    matrix: sparse.csr_matrix,
    row_upper: np.ndarray,
    objective: np.ndarray,
    integer: np.ndarray,
    seconds: float | None,
    gap: float = 0.0,
) -> tuple[np.ndarray | None, bool, float | None]:
    """Maximise objective · x over 0 ≤ x ≤ 1, x integer where `integer`, with matrix · x ≤ row_upper,
    with HiGHS on one thread: (x, or None when no solution was found; whether proven optimal
    within the relative `gap`; the solver's bound)."""
    n = len(objective)
    model = lp_model.Model()
    model.helper.fill_model_from_sparse_data(
        np.zeros(n),  # type: ignore[arg-type]
        np.ones(n),  # type: ignore[arg-type]
        objective.astype(float),  # type: ignore[arg-type]
        np.full(matrix.shape[0], -np.inf),
        row_upper.astype(float),  # type: ignore[arg-type]
        matrix.astype(float),
    )
    model.helper.set_maximize(True)
    for column in np.flatnonzero(integer).tolist():
        model.helper.set_var_integrality(column, True)
    solver = lp_model.Solver("highs")
    solver.enable_output(False)
    parameters = [
        "output_flag=false",
        f"mip_rel_gap={gap:g}",
        "mip_abs_gap=1e-9",
        "threads=1",
        "random_seed=0",
    ]
    if seconds is not None:
        parameters.append(f"time_limit={seconds:g}")
        solver.set_time_limit_in_seconds(seconds)
    solver.set_solver_specific_parameters("\n".join(parameters))
    status = solver.solve(model)
    bound = number(solver.best_objective_bound)
    if status not in (lp_model.SolveStatus.OPTIMAL, lp_model.SolveStatus.FEASIBLE):
        return None, False, bound
    return solver.variable_values()[:n], status == lp_model.SolveStatus.OPTIMAL, bound


def _solve(
    matrix: sparse.csr_matrix,
    row_upper: np.ndarray,
    weight: np.ndarray,
    tie_break: np.ndarray,
    seconds: float | None,
) -> tuple[np.ndarray, float, float, bool]:
    """Maximise Σ (weight + tie_break) x over binary x with matrix · x ≤ row_upper:
    (chosen, W of it, proven bound on W, whether W is proven optimal)."""
    n = len(weight)
    if n == 0:
        return np.zeros(0, bool), 0.0, 0.0, True
    values, proven, bound = solve_model(matrix, row_upper, weight + tie_break, np.ones(n, bool), seconds)
    if values is None:
        return np.zeros(n, bool), 0.0, bound if bound is not None else float(weight.sum()), False
    chosen = values > 0.5
    value = float(weight[chosen].sum())
    # the tie-break adds less than 1: the bound on W is the solver's bound rounded down
    return chosen, value, value if proven else max(value, math.floor((bound or value) + 1e-6)), proven


def hindsight_table(results: list[HindsightResult]) -> pd.DataFrame:
    """One row per scenario and seed, sorted."""
    frame = pd.DataFrame([result.row() for result in results], columns=HINDSIGHT_COLUMNS)
    return frame.sort_values(["scenario", "seed"], kind="stable").reset_index(drop=True)


SHARES = {
    "priority_share_hindsight": ("priority_placed", "priority_placed"),
    "origin_share_hindsight": ("origin_placements", "origin_placements"),
    "vacancy_days_vs_hindsight": ("vacancy_days", "vacancy_days"),
}


def with_hindsight(runs: pd.DataFrame, optimum: pd.DataFrame) -> pd.DataFrame:
    """runs.csv with every policy as a share of the hindsight optimum of its scenario and seed:
    priority-weighted placements / the optimum's (≤ 1 when the optimum bounds it), origin
    placements / the optimum schedule's, vacancy days / the optimum schedule's."""
    if optimum.empty or runs.empty:
        return runs
    keyed = optimum.set_index(["scenario", "seed"])
    runs = runs.copy()
    for column, (mine, theirs) in SHARES.items():
        reference = (
            keyed[theirs].reindex(pd.MultiIndex.from_frame(runs[["scenario", "seed"]])).to_numpy(float)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            runs[column] = np.where(reference > 0, runs[mine].to_numpy(float) / reference, np.nan)
    return runs
