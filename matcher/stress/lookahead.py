"""The look-ahead policy: each week, a rolling-horizon sample-average plan over forecast arrivals.

The weekly optimiser places as much priority as it can this week; a unit or a unit of room under
a cap, ceiling or slot row it gives away now is gone for whoever arrives next week and could only
have been housed there. The look-ahead policy prices those scarce resources by a forecast:

1. Draw `lookahead.samples` forecasts of the next `lookahead.weeks` weeks (H) from the scenario's
   own arrival process — Poisson counts at `arrivals.*_per_week`, clients and units resampled
   from the week-1 instance, new homes spread over the wijken by social-rental stock
   (`matcher.stress.arrivals.build_stream`) — with a random stream of its own, seeded by the run's
   seed, the week and the sample only. The realised arrivals are never read: the policy does not
   even receive them (`WeekState` has no `Stream`), so its week-t decision cannot depend on them.
2. Build one time-expanded model over weeks 0 … H (capped at the end of the horizon) with the same
   columns and rows as the hindsight yardstick (`matcher.stress.hindsight.resource_rows`): the
   current queue and open vacancies plus, per sample, that sample's forecast clients and units;
   each client and unit at most once, the wijk caps over the rolling window (the load already
   placed in the window before this week counted in), intake ceilings and support slots per
   agreement period (what is left of the current one, the agreed figures for later ones).
   This week's columns x[c, u, 0] are shared by every sample and are exactly the engine's
   candidates of the week's instance (eligible and fitting on their own); each sample has its own
   columns for weeks 1 … H (a two-stage stochastic program: decide now, adapt later).
3. Maximise Σ (w(c) + h · r(u, t)) · P(accept | c, u) · γ^(t · w(c) / w̄) · x[c, u, t], this week's columns counted once and
   each sample's future columns with weight 1 / samples. P(accept) is the simulation's own refusal
   model: (1 − declines.landlord) · (1 − declines.client.chance(match, refusals so far)); γ is
   `lookahead.discount` (a placement now is worth more than the same one later: a forecast may not
   come true, and waiting costs the client and the empty home); the exponent is scaled by the
   client's weight over the queue's mean weight w̄, so a week's wait costs an acute client more
   than a normal one (measured: with γ^t alone acute clients waited 36-82 % longer in the queue
   than under greedy, for a home in their own town a week later). Each placement also earns
   h · (weeks it saves before the vacancy would go back to the landlord), h = `lookahead.holding` ×
   the queue's mean weight: a week a home stands empty has a price, so a home is kept for a
   forecast client only when the better fit is worth more than the empty weeks (measured: with
   γ = 0.97 and no price, homes stood empty 3-13 % longer than under greedy). A tie-break worth less than 1 point
   prefers origin placements. This week's columns are binary, the future ones continuous (they
   only price the resources; they are planned again next week).
4. This week's part of the solution is the proposal, passed once more through the engine's own
   capacity bookkeeping (`matcher.solver.greedy.greedy_allocation` restricted to the chosen pairs,
   in priority order), so it satisfies every rule of the week's instance by construction. When the
   solver finds no solution in `lookahead.seconds`, the week falls back to the greedy proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from scipy import sparse

from matcher.i18n import N_
from matcher.rules.arrays import neighbourhood_cap
from matcher.rules.eligibility import Eligibility
from matcher.solver.formulation import candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.stress.hindsight import Columns, _static_allowed, resource_rows, solve_model
from matcher.stress.scenario import Declines, LookaheadSettings, Sweep
from matcher.table import Table
from matcher.unmatched import unmatched_reason_codes
from models import Client, Instance, Unit

POLICY_NAME = N_("look-ahead (forecast of the coming weeks)")  # for report legends (plots.py)
SHORT_NAME = N_("look-ahead")
LOOKAHEAD_KEY = 0x10CA  # mixed into the forecast seeds, so they never coincide with a run's own
Forecast = list[tuple[tuple[Client, ...], tuple[Unit, ...]]]  # per forecast week 1 … H


@dataclass
class WeekState:
    """What the look-ahead policy knows at the start of a week: the past and the present only."""

    week: int  # 0-based week of the horizon
    seed: int  # the run's seed: the forecasts draw their own stream from it
    base: Instance  # the week-1 instance: the pool forecast arrivals are resampled from
    start: Instance  # week 1 with the agreements and the scenario: caps and agreed figures
    sweep: Sweep
    declines: Declines
    past_load: np.ndarray  # load placed in each earlier week × neighbourhood (start's order)
    refusals: dict[str, int] = field(default_factory=dict)  # client -> offers declined so far
    open_since: dict[str, int | None] = field(default_factory=dict)  # unit -> first available week
    # a diagnostic only (benchmarks/stress_bench.py), never a policy: the answer to offering this
    # unit to this client now (True: accepted), as the simulation will draw it. With it the policy
    # offers only what will be accepted, which shows how much of the gap to the hindsight
    # yardstick (which knows every answer) is knowing the answers rather than planning ahead.
    answers: Callable[[str, str], bool] | None = None

    @property
    def settings(self) -> LookaheadSettings:
        return self.sweep.lookahead

    def week_start(self, week: int) -> date:
        return self.base.policy.period.start + timedelta(days=7 * week)


def forecast_seed(seed: int, week: int, sample: int) -> int:
    """The seed of one forecast: a function of the run's seed, the week and the sample only."""
    return int(np.random.SeedSequence([LOOKAHEAD_KEY, seed, week, sample]).generate_state(1)[0] & 0x7FFFFFFF)


def draw_forecast(state: WeekState, weeks: int, sample: int) -> Forecast:
    """Arrivals of forecast weeks 1 … `weeks` after the current one, drawn from the scenario's
    arrival process with the forecast's own stream (resampled from the week-1 instance)."""
    from matcher.stress.arrivals import build_stream

    if weeks <= 0:
        return []
    sweep = state.sweep.model_copy(
        update={
            "horizon_weeks": weeks + 1,
            "arrivals": state.sweep.arrivals.model_copy(update={"source": "resample"}),
        }
    )
    drawn = build_stream(sweep, forecast_seed(state.seed, state.week, sample), state.base)
    shift = timedelta(days=7 * state.week)
    prefix = f"F{sample}-"

    def moved(day: date | None) -> date | None:
        return None if day is None else day + shift

    forecast: Forecast = []
    for k in range(1, weeks + 1):
        clients = tuple(
            c.model_copy(
                update={
                    "client_id": prefix + c.client_id,
                    "registered_on": moved(c.registered_on),
                    "ready_from": moved(c.ready_from),
                }
            )
            for c in drawn.clients[k]
        )
        units = tuple(
            u.model_copy(update={"unit_id": prefix + u.unit_id, "available_from": moved(u.available_from)})
            for u in drawn.units[k]
        )
        forecast.append((clients, units))
    return forecast


@dataclass
class _Sample:
    """One forecast's model: its clients and units (the current ones first) and its columns."""

    clients: list[Client]
    units: list[Unit]
    future: list[tuple[int, int, int]]  # (client, unit, week ≥ 1) columns of this sample
    joined: list[int]  # week each client joins (0 for the queue)
    back: list[int]  # model week each unit goes back to the landlord unless let before


def lookahead_proposal(
    instance: Instance,
    state: WeekState,
    rules: Eligibility | None = None,
    forecasts: list[Forecast] | None = None,
) -> tuple[list[tuple[str, str]], Table]:
    """This week's matches under the look-ahead policy, and the unmatched clients with their reason.

    `instance`: the week's instance (in id order, as the simulation builds it); `forecasts`: the
    forecast arrivals per sample, drawn by `draw_forecast` when not given (tests give them)."""
    from matcher.stress.simulate import greedy_proposal, match_class, priority_weight

    rules = rules or Eligibility(instance)
    arrays, pairs = rules.arrays, rules.pairs
    candidates = candidate_pairs(arrays, pairs)
    settings, sweep = state.settings, state.sweep
    weeks = max(0, min(settings.weeks, sweep.horizon_weeks - state.week - 1))
    if forecasts is None:
        forecasts = [draw_forecast(state, weeks, s) for s in range(settings.samples)]
    weeks = min(weeks, min((len(f) for f in forecasts), default=0))
    horizon = weeks + 1  # model weeks 0 … weeks
    monday = [state.week_start(state.week + k) for k in range(horizon)]
    week_end = [day + timedelta(days=6) for day in monday]
    policy = instance.policy
    declines = state.declines

    queue, vacant = list(instance.clients), list(instance.units)
    client_at = {c.client_id: k for k, c in enumerate(queue)}
    unit_at = {u.unit_id: k for k, u in enumerate(vacant)}
    # this week's columns: the engine's candidates, in the model's client and unit numbering
    now_c = np.array([client_at[arrays.client_ids[c]] for c in candidates.client], dtype=np.int64)
    now_u = np.array([unit_at[arrays.unit_ids[u]] for u in candidates.unit], dtype=np.int64)
    n_now = len(now_c)
    weight_now = {arrays.client_ids[c]: float(arrays.client_weight[c]) for c in range(arrays.n_clients)}

    closed = {n.neighbourhood_id: n.closed_until for n in instance.neighbourhoods}

    def returns(unit: Unit, arrived: int, since: int | None) -> int:
        """The model week the vacancy goes back to the landlord if no one moves in before."""
        first = (
            since - state.week
            if since is not None
            else next((t for t in range(arrived, horizon) if unit.available_from <= week_end[t]), horizon)
        )
        return first + sweep.vacancy_weeks

    def unit_weeks(unit: Unit, arrived: int, since: int | None) -> range:
        back = returns(unit, arrived, since)
        return range(max(back - sweep.vacancy_weeks, arrived), min(horizon, back))

    def accept(client: Client, unit: Unit) -> float:
        refused = state.refusals.get(client.client_id, 0)
        return (1.0 - declines.landlord) * (1.0 - declines.client.chance(match_class(client, unit), refused))

    samples: list[_Sample] = []
    for forecast in forecasts:
        clients, units = list(queue), list(vacant)
        joined, arrived = [0] * len(queue), [0] * len(vacant)
        for k, (new_clients, new_units) in enumerate(forecast[:weeks], start=1):
            clients += new_clients
            joined += [k] * len(new_clients)
            units += new_units
            arrived += [k] * len(new_units)
        future: list[tuple[int, int, int]] = []
        back = [
            returns(u, a, state.open_since.get(u.unit_id) if a == 0 else None) for u, a in zip(units, arrived)
        ]
        if weeks and clients and units:
            everything = Instance.model_construct(
                municipalities=instance.municipalities,
                neighbourhoods=instance.neighbourhoods,
                units=tuple(units),
                clients=tuple(clients),
                support_capacity=instance.support_capacity,
                declined=instance.declined,
                policy=policy,
            )
            allowed = _static_allowed(everything)
            spans = [
                unit_weeks(u, a, state.open_since.get(u.unit_id) if a == 0 else None)
                for u, a in zip(units, arrived)
            ]
            ready = [
                next(
                    (t for t in range(j, horizon) if c.ready_from is None or c.ready_from <= week_end[t]),
                    horizon,
                )
                for c, j in zip(clients, joined)
            ]
            for c, u in zip(*np.nonzero(allowed)):
                c, u = int(c), int(u)
                until = closed.get(units[u].neighbourhood_id)
                future += [
                    (c, u, t)
                    for t in spans[u]
                    if t >= max(1, ready[c]) and (until is None or until < monday[t])
                ]
        samples.append(_Sample(clients, units, future, joined, back))

    # the limits of every model week: cap room net of the load already in the window, what is
    # left of the current agreement period, the agreed figures for the periods after it
    window = sweep.window_weeks
    per_1000 = policy.spreading.max_load_per_1000_dwellings
    start_index = {n.neighbourhood_id: k for k, n in enumerate(state.start.neighbourhoods)}
    cap_limits = np.zeros((len(instance.neighbourhoods), horizon))
    for k, nb in enumerate(instance.neighbourhoods):
        j = start_index[nb.neighbourhood_id]
        base_nb = state.start.neighbourhoods[j]
        cap = float(neighbourhood_cap(base_nb.dwellings, base_nb.cap, per_1000))
        for t in range(horizon):
            absolute = state.week + t
            faded = base_nb.recent_load * max(0, window - absolute) / window
            placed = float(state.past_load[max(0, absolute - window) : state.week, j].sum())
            cap_limits[k, t] = max(0.0, np.floor(cap - faded - placed + 1e-9))
    period_weeks = sweep.agreements.weeks
    period_of_week = (state.week + np.arange(horizon)) // period_weeks - state.week // period_weeks
    periods = int(period_of_week[-1]) + 1
    agreed_intake = {m.municipality_id: m.max_intake for m in state.start.municipalities}
    intake_limits = np.array(
        [
            [
                (m.max_intake if p == 0 else agreed_intake.get(m.municipality_id))
                if (m.max_intake if p == 0 else agreed_intake.get(m.municipality_id)) is not None
                else -1
                for m in instance.municipalities
            ]
            for p in range(periods)
        ],
        dtype=float,
    )
    agreed_slots = {(s.municipality_id, s.support_intensity): s.slots for s in state.start.support_capacity}
    slot_limits = np.array(
        [
            [
                s.slots if p == 0 else agreed_slots.get((s.municipality_id, s.support_intensity), s.slots)
                for s in instance.support_capacity
            ]
            for p in range(periods)
        ],
        dtype=float,
    ).reshape(periods, len(instance.support_capacity))

    # one model: this week's columns shared, then each sample's future columns
    gamma = settings.discount
    # a week a vacancy stands empty costs `holding` × the queue's mean weight: letting it now
    # rather than in week t is worth that many weeks of it (weighted by the chance of acceptance)
    mean_weight = float(np.mean(list(weight_now.values()))) if weight_now else 1.0  # no queue: no columns
    hold = settings.holding * mean_weight
    blocks: list[sparse.csr_matrix] = []
    uppers: list[np.ndarray] = []
    objective = [np.zeros(n_now)]
    tie = [np.zeros(n_now)]
    offset = n_now
    future_counts = [len(s.future) for s in samples]
    total = n_now + sum(future_counts)
    for s, sample in enumerate(samples):
        cols = np.array([(c, u, 0) for c, u in zip(now_c, now_u)] + sample.future, dtype=np.int64).reshape(
            -1, 3
        )
        matrix, upper = resource_rows(
            instance,
            sample.clients,
            sample.units,
            Columns(cols[:, 0], cols[:, 1], cols[:, 2]),
            window,
            cap_limits,
            period_of_week,
            intake_limits,
            slot_limits,
        )
        where = np.concatenate([np.arange(n_now), offset + np.arange(len(sample.future))]).astype(np.int64)
        coo = matrix.tocoo()
        blocks.append(
            sparse.csr_matrix((coo.data, (coo.row, where[coo.col])), shape=(matrix.shape[0], total))
        )
        uppers.append(upper)
        weights = np.array(
            [
                weight_now[client.client_id]
                if c < len(queue)
                else priority_weight(client, policy, monday[sample.joined[c]])
                for c, client in enumerate(sample.clients)
            ],
            dtype=float,
        )
        # a week's wait costs a client in proportion to their weight: γ^(t · w / w̄), so an acute
        # client does not wait a week for a home that fits a little better
        values = np.array(
            [
                (weights[c] + hold * (sample.back[u] - t))
                * accept(sample.clients[c], sample.units[u])
                * gamma ** (t * weights[c] / mean_weight)
                for c, u, t in cols.tolist()
            ],
            dtype=float,
        )
        if state.answers is not None:  # the diagnostic: known answers for the queue and open units
            for k, (c, u, _) in enumerate(cols.tolist()):
                if c < len(queue) and u < len(vacant):
                    if state.answers(queue[c].client_id, vacant[u].unit_id):
                        values[k] /= accept(queue[c], vacant[u])
                    else:
                        values[k] = -1.0
        origin = np.array(
            [
                sample.units[u].municipality_id == sample.clients[c].origin_municipality_id
                for c, u, _ in cols.tolist()
            ],
            dtype=float,
        )
        share = 1.0 / len(samples)
        if s == 0:
            objective[0] = values[:n_now]
            tie[0] = origin[:n_now]
        objective.append(values[n_now:] * share)
        tie.append(origin[n_now:] * share)
        offset += len(sample.future)
    if not samples:  # no forecast at all: this week's columns alone
        cols = np.array([(c, u, 0) for c, u in zip(now_c, now_u)], dtype=np.int64).reshape(-1, 3)
        matrix, upper = resource_rows(
            instance,
            queue,
            vacant,
            Columns(cols[:, 0], cols[:, 1], cols[:, 2]),
            window,
            cap_limits,
            period_of_week,
            intake_limits,
            slot_limits,
        )
        blocks.append(matrix)
        uppers.append(upper)
        objective[0] = np.array(
            [
                (
                    weight_now[queue[c].client_id]
                    + hold * returns(vacant[u], 0, state.open_since.get(vacant[u].unit_id))
                )
                * accept(queue[c], vacant[u])
                for c, u in zip(now_c, now_u)
            ]
        )
        tie[0] = np.array(
            [vacant[u].municipality_id == queue[c].origin_municipality_id for c, u in zip(now_c, now_u)],
            dtype=float,
        )
    value = np.concatenate(objective)
    origins = np.concatenate(tie)
    value = value + origins / (2.0 * (origins.sum() + 1.0))  # less than 1 point in all
    integer = np.zeros(total, dtype=bool)
    integer[:n_now] = True

    chosen_now = np.zeros(0, dtype=np.int64)
    if n_now:
        matrix, upper = sparse.vstack(blocks, format="csr"), np.concatenate(uppers)
        # the relaxation first: this week's part is mostly whole already (an assignment with a
        # few side rows); only when it is not, the week's columns are made binary
        solution, _, _ = solve_model(matrix, upper, value, np.zeros(total, bool), settings.seconds)
        if solution is None or not np.allclose(solution[:n_now], np.round(solution[:n_now]), atol=1e-6):
            solution, _, _ = solve_model(matrix, upper, value, integer, settings.seconds, gap=1e-4)
        if solution is None:
            return greedy_proposal(instance, rules)
        chosen_now = np.flatnonzero(solution[:n_now] > 0.5)
    # the engine's own bookkeeping of units, caps, ceilings and slots, in priority order
    picked = candidates.take(chosen_now)
    kept = chosen_now[greedy_allocation(arrays, picked, priority_order(arrays))]
    matches = [(arrays.client_ids[candidates.client[k]], arrays.unit_ids[candidates.unit[k]]) for k in kept]
    return matches, unmatched_reason_codes(arrays, pairs, candidates, np.sort(kept))
