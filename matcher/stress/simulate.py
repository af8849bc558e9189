"""The rolling weekly simulation of one scenario under one allocation policy for one seed.

Each week:
1. arrivals: new clients join the queue, new vacancies open (week 1 is the base instance);
2. the week's instance is built: the queue, the open vacancies, every pair declined so far, each
   neighbourhood's recent load = the load placed in the rolling window before this week, and what
   the period's agreements (intake ceilings, support slots) still allow;
3. the allocation policy proposes matches (the optimiser, or today's priority-order greedy);
4. each proposed match is offered: the landlord declines with chance `declines.landlord`, else
   the client with the chance for how the home fits them (origin, preferred, current or
   elsewhere), lowered by `after_refusal` for every earlier refusal of theirs; a declined pair is
   never proposed again, and a client who declines `refusals.max_refusals` offers has their
   urgency lapse to `lapse_to`;
5. accepted matches are placed: the client leaves the queue, the unit the scheme, the load counts
   against the neighbourhood for `window_weeks` weeks, and the placement uses up the period's
   agreements;
6. every vacancy that stood empty gets the week's reason (`matcher.stress.vacancy`); vacancies
   open for `vacancy_weeks` weeks without a tenant go back to the landlord; everyone else carries
   over to next week.

At the end every client has a wait — at placement, or until the end of the horizon for those
still waiting — and every vacancy its empty days, and the placements are checked against the
caps, ceilings and slots by `matcher.stress.checks`, which recomputes every load on its own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from matcher.rules.arrays import neighbourhood_cap
from matcher.rules.capacity import load_of
from matcher.rules.eligibility import Eligibility
from matcher.rules.objectives import priority_weight as one_weight
from matcher.solver.formulation import candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.solver.settings import SolveSettings
from matcher.stress.agreements import Ledger, agreed_instance
from matcher.stress.arrivals import Stream
from matcher.stress.checks import cap_violations
from matcher.stress.lookahead import WeekState
from matcher.stress.scenario import MATCH_CLASSES, Declines, Scenario, Sweep
from matcher.stress.vacancy import EMPTY_REASONS, NOT_LETTABLE, empty_reasons
from matcher.table import Table
from matcher.unmatched import COLUMNS as UNMATCHED_COLUMNS
from matcher.unmatched import unmatched_reason_codes
from models import Client, DeclinedPair, Instance, Policy, Unit
from models.fields import URGENCIES
from models.policy import Period

REASONS = ("no_eligible_unit", "capacity_full", "outranked")
PLACEMENT_COLUMNS = [
    "week",
    "client_id",
    "unit_id",
    "municipality_id",
    "neighbourhood_id",
    "unit_type",
    "source",
    "support_intensity",
    "urgency",
    "origin_municipality_id",
    "waiting_weeks",
    "in_origin",
    "load",
    "match",
    "weight",
]
PEOPLE_COLUMNS = [
    "client_id",
    "source",
    "urgency",
    "support_intensity",
    "arrived_week",
    "status",
    "placed_week",
    "wait_weeks",
    "queue_weeks",
    "offers",
    "refusals",
    "urgency_lapsed",
]
VACANCY_COLUMNS = [
    "unit_id",
    "unit_type",
    "municipality_id",
    "neighbourhood_id",
    "arrived_week",
    "available_from",
    "outcome",
    "left_week",
    "vacancy_days",
    "lettable",
    *(f"weeks_{reason}" for reason in EMPTY_REASONS),
]


@dataclass(frozen=True)
class RunKey:
    """Which run: scenario index, allocation policy and seed."""

    scenario: int
    allocation: str
    seed: int


@dataclass
class RunResult:
    """What one run produced: KPI rows, placements, per-week neighbourhood utilisation, every
    client's wait, every vacancy's empty weeks, and the independently counted cap violations."""

    key: RunKey
    rows: list[tuple[int, str, str, float]]  # (week, kpi, key, value); week is 1-based
    placements: pd.DataFrame
    utilisation: np.ndarray  # weeks × neighbourhoods, NaN where cap = 0
    neighbourhood_ids: list[str]
    seconds: float = 0.0  # wall time, for benchmarks only
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PEOPLE_COLUMNS))
    vacancies: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VACANCY_COLUMNS))
    violations: dict[str, int] = field(default_factory=dict)


@dataclass
class Waiting:
    """A client in the queue."""

    client: Client
    arrived: int = 0  # week index the client joined (0: the base queue)
    urgency: str = ""  # urgency on joining (before any lapse)
    refusals: int = 0
    offers: int = 0
    weight: int = 0  # priority weight w on joining, the weight of priority-weighted placements

    def __post_init__(self) -> None:
        self.urgency = self.urgency or self.client.urgency


@dataclass
class Vacancy:
    """A unit offered to the scheme and not yet let."""

    unit: Unit
    open_since: int | None = None  # first week it was available
    arrived: int = 0  # week index it was offered to the scheme
    empty: Counter = field(default_factory=Counter)  # empty weeks by reason


# --- the allocation policies -----------------------------------------------------------------------


def allocate(
    instance: Instance,
    allocation: str,
    seed: int,
    rules: Eligibility | None = None,
    state: WeekState | None = None,
) -> tuple[list[tuple[str, str]], Table]:
    """Proposed (client_id, unit_id) matches and the unmatched clients with their reason (the
    code only: the simulation counts reasons, it never shows a detail).

    `rules`: the week's eligibility on the instance in id order, when already built; `state`:
    what the look-ahead policy knows of the past and present (`matcher.stress.lookahead`)."""
    if not instance.clients:
        return [], Table.from_rows([], UNMATCHED_COLUMNS)
    if allocation == "lookahead":
        from matcher.stress.lookahead import lookahead_proposal

        if state is None:
            raise ValueError("the lookahead policy needs the week's state")
        return lookahead_proposal(instance, state, rules)
    if allocation == "optimiser":
        from matcher import solve

        proposal = solve(instance, SolveSettings(seed=seed, workers=1), rules=rules)
        reasons = unmatched_reason_codes(
            proposal.arrays, proposal.pairs, proposal.candidates, proposal.chosen
        )
        return proposal.pairs_chosen(), reasons
    if allocation == "greedy":
        return greedy_proposal(instance, rules)
    raise ValueError(f"unknown allocation policy {allocation!r}")


def _answers(
    stream: Stream, declines: Declines, queue: dict[str, Waiting], vacancies: dict[str, Vacancy]
) -> Callable[[str, str], bool]:
    """Whether offering `unit_id` to `client_id` this week would be accepted: the same draws and
    chances as the offers below."""

    def accepted(client_id: str, unit_id: str) -> bool:
        landlord_draw, client_draw = stream.offer_draws(client_id, unit_id)
        waiting = queue[client_id]
        match = match_class(waiting.client, vacancies[unit_id].unit)
        return landlord_draw >= declines.landlord and client_draw >= declines.client.chance(
            match, waiting.refusals
        )

    return accepted


def greedy_proposal(
    instance: Instance, rules: Eligibility | None = None
) -> tuple[list[tuple[str, str]], Table]:
    """Today's practice: clients in order of w, then registration date, each take their best
    eligible unit that the caps, intake and slots still allow (`matcher.solver.greedy`)."""
    from matcher.proposal import in_id_order

    rules = rules or Eligibility(in_id_order(instance))  # ties in id order (decision 30)
    arrays, pairs = rules.arrays, rules.pairs
    candidates = candidate_pairs(arrays, pairs)
    chosen = greedy_allocation(arrays, candidates, priority_order(arrays))
    matches = [
        (arrays.client_ids[c], arrays.unit_ids[u])
        for c, u in zip(candidates.client[chosen], candidates.unit[chosen])
    ]
    return matches, unmatched_reason_codes(arrays, pairs, candidates, chosen)


# --- helpers ---------------------------------------------------------------------------------------------


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 = all equal, towards 1 = all in one place."""
    values = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    if n == 0 or values.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ values / (n * values.sum()))


def caps_of(instance: Instance) -> np.ndarray:
    """cap(n) of every neighbourhood, in file order, as the allocation rules define it."""
    per_1000 = instance.policy.spreading.max_load_per_1000_dwellings
    return np.array([float(neighbourhood_cap(n.dwellings, n.cap, per_1000)) for n in instance.neighbourhoods])


def match_class(client: Client, unit: Unit) -> str:
    """How the home lies for the client: origin, preferred, current or elsewhere (the first that
    applies, in the order of the preference score p)."""
    municipality = unit.municipality_id
    if municipality == client.origin_municipality_id:
        return "origin"
    if municipality in client.preferred_municipalities:
        return "preferred"
    if municipality == client.current_municipality_id:
        return "current"
    return "elsewhere"


def priority_weight(client: Client, policy: Policy, monday: date) -> int:
    """w(c) at the week starting `monday`, as the allocation rules define it (its one home,
    matcher.rules.objectives)."""
    return one_weight(client, policy, monday)


def _lapse(client: Client, lapse_to: str) -> Client | None:
    """The client with urgency lapsed to `lapse_to`, or None when it is not higher than that."""
    if URGENCIES.index(client.urgency) <= URGENCIES.index(lapse_to):
        return None
    return client.model_copy(update={"urgency": lapse_to})


def _utilisation(load: np.ndarray, caps: np.ndarray) -> np.ndarray:
    with_cap = caps > 0
    result = np.full(len(caps), np.nan)
    result[with_cap] = load[with_cap] / caps[with_cap]
    return result


# --- the weekly loop -------------------------------------------------------------------------------------


@dataclass
class _Totals:
    intake: np.ndarray
    rows: list[tuple[int, str, str, float]] = field(default_factory=list)

    def add(self, week: int, kpi: str, value: float, key: str = "") -> None:
        self.rows.append((week + 1, kpi, key, float(value)))


def start_instance(stream: Stream, sweep: Sweep, scenario: Scenario) -> Instance:
    """Week 1 of a run: the base with the agreements per period, then the scenario's changes."""
    return scenario.apply(agreed_instance(stream.base, sweep))


def simulate(
    stream: Stream, sweep: Sweep, scenario: Scenario, allocation: str, known_answers: bool = False
) -> RunResult:
    """Run the horizon week by week; deterministic given the stream, scenario and policy.

    `known_answers`: a diagnostic of the look-ahead policy only (benchmarks/stress_bench.py): it is
    told this week's answer to every offer it could make (`WeekState.answers`)."""
    from matcher.proposal import in_id_order

    began = time.perf_counter()
    start = start_instance(stream, sweep, scenario)
    policy = start.policy
    refusals = policy.refusals
    declines: Declines = scenario.values.get("declines", sweep.declines)
    window, horizon = sweep.window_weeks, sweep.horizon_weeks
    neighbourhood_ids = [n.neighbourhood_id for n in start.neighbourhoods]
    n_index = {n: k for k, n in enumerate(neighbourhood_ids)}
    municipality_ids = [m.municipality_id for m in start.municipalities]
    population = np.array([m.population for m in start.municipalities], dtype=float)
    population_share = population / population.sum() if population.sum() > 0 else population
    caps, base_caps = caps_of(start), caps_of(stream.base)
    dwellings = np.array([n.dwellings for n in start.neighbourhoods], dtype=float)
    base_recent = np.array([n.recent_load for n in start.neighbourhoods], dtype=float)
    placed_load = np.zeros((horizon, len(neighbourhood_ids)))
    placed_in: Counter = Counter()  # placements per municipality so far: the share period is the horizon
    utilisation = np.full((horizon, len(neighbourhood_ids)), np.nan)
    ledger = Ledger.of(start, sweep.agreements.weeks)

    queue: dict[str, Waiting] = {
        c.client_id: Waiting(c, weight=priority_weight(c, policy, stream.week_start(0)))
        for c in start.clients
    }
    vacancies: dict[str, Vacancy] = {u.unit_id: Vacancy(u) for u in start.units}
    declined: dict[tuple[str, str], str] = {(d.client_id, d.unit_id): d.declined_by for d in start.declined}
    totals = _Totals(intake=np.zeros(len(municipality_ids)))
    placements: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    units_done: list[dict[str, Any]] = []

    for week in range(horizon):
        monday = stream.week_start(week)
        period = Period(start=monday, days=7)
        ledger.start_week(week)
        waiting_start = len(queue)
        for client in stream.clients[week]:
            queue[client.client_id] = Waiting(
                client, arrived=week, weight=priority_weight(client, policy, monday)
            )
        for unit in stream.units[week]:
            vacancies[unit.unit_id] = Vacancy(unit, arrived=week)
        for vacancy in vacancies.values():
            if vacancy.open_since is None and vacancy.unit.available_from <= period.end:
                vacancy.open_since = week

        # the load placed in the window before this week; the base's recent load counts as
        # placed evenly over the window before week 1, so it fades out over `window` weeks
        recent = base_recent * max(0, window - week) / window + placed_load[max(0, week - window) : week].sum(
            axis=0
        )
        instance = in_id_order(
            _week_instance(
                start,
                policy.model_copy(update={"period": period}),
                queue,
                vacancies,
                declined,
                np.round(recent, 6),
                ledger,
                placed_in,
            )
        )
        rules = Eligibility(instance)
        state = None
        if allocation == "lookahead":
            # the past and the present only: never the stream, which holds the realised future
            state = WeekState(
                week=week,
                seed=stream.seed,
                base=stream.base,
                start=start,
                sweep=sweep,
                declines=declines,
                past_load=placed_load[:week].copy(),
                refusals={c: waiting.refusals for c, waiting in queue.items()},
                open_since={u: vacancy.open_since for u, vacancy in vacancies.items()},
                answers=_answers(stream, declines, queue, vacancies) if known_answers else None,
            )
        proposed, unmatched = allocate(instance, allocation, stream.seed, rules, state)

        by_client, by_landlord, lapsed = 0, 0, 0
        offered: Counter = Counter()
        client_declined: Counter = Counter()
        refused_units: set[str] = set()
        placed_now: list[dict[str, Any]] = []
        for client_id, unit_id in sorted(proposed):
            landlord_draw, client_draw = stream.offer_draws(client_id, unit_id)
            waiting, unit = queue[client_id], vacancies[unit_id].unit
            match = match_class(waiting.client, unit)
            offered[match] += 1
            waiting.offers += 1
            if landlord_draw < declines.landlord:
                declined[(client_id, unit_id)] = "landlord"
                refused_units.add(unit_id)
                by_landlord += 1
                continue
            if client_draw < declines.client.chance(match, waiting.refusals):
                declined[(client_id, unit_id)] = "client"
                refused_units.add(unit_id)
                by_client += 1
                client_declined[match] += 1
                waiting.refusals += 1
                if waiting.refusals >= refusals.max_refusals:
                    lapsed_client = _lapse(waiting.client, refusals.lapse_to)
                    if lapsed_client is not None:
                        waiting.client = lapsed_client
                        lapsed += 1
                continue
            client = waiting.client
            load = load_of(policy, client.support_intensity, unit.type, persons=client.persons)
            placed_load[week, n_index[unit.neighbourhood_id]] += load
            placed_in[unit.municipality_id] += 1
            ledger.place(unit.municipality_id, client.support_intensity)
            waited = max(0, (monday - client.registered_on).days // 7)
            placed_now.append(
                {
                    "week": week + 1,
                    "client_id": client_id,
                    "unit_id": unit_id,
                    "municipality_id": unit.municipality_id,
                    "neighbourhood_id": unit.neighbourhood_id,
                    "unit_type": unit.type,
                    "source": client.source,
                    "support_intensity": client.support_intensity,
                    "urgency": client.urgency,
                    "origin_municipality_id": client.origin_municipality_id,
                    "waiting_weeks": waited,
                    "in_origin": unit.municipality_id == client.origin_municipality_id,
                    "load": load,
                    "match": match,
                    "weight": waiting.weight,
                }
            )
            people.append(_person(waiting, "placed", week + 1, waited, week - waiting.arrived))
            vacancy = vacancies[unit_id]
            units_done.append(_vacancy_row(vacancy, "let", week, stream.week_start(vacancy.arrived), monday))
            del queue[client_id]
            del vacancies[unit_id]

        # why each available vacancy not let this week stood empty
        empty = [
            unit_id
            for unit_id, vacancy in vacancies.items()
            if vacancy.open_since is not None and vacancy.unit.available_from <= period.end
        ]
        reasons = empty_reasons(rules, empty, refused_units, list(proposed))
        empty_weeks: Counter = Counter()
        blocked_by: Counter = Counter()
        for unit_id, (reason, limit) in reasons.items():
            vacancies[unit_id].empty[reason] += 1
            empty_weeks[reason] += 1
            if limit:
                blocked_by[limit] += 1

        returned = [
            unit_id
            for unit_id, vacancy in vacancies.items()
            if vacancy.open_since is not None and week - vacancy.open_since + 1 >= sweep.vacancy_weeks
        ]
        for unit_id in returned:
            vacancy = vacancies[unit_id]
            units_done.append(
                _vacancy_row(
                    vacancy, "returned", week, stream.week_start(vacancy.arrived), stream.week_start(week + 1)
                )
            )
            del vacancies[unit_id]

        in_window = recent + placed_load[week]
        utilisation[week] = _utilisation(in_window, caps)
        _record(
            totals,
            week,
            placed_now,
            unmatched,
            in_window,
            caps,
            base_caps,
            dwellings,
            municipality_ids,
            population_share,
        )
        totals.add(week, "offers", len(proposed))
        totals.add(week, "declined_by_client", by_client)
        totals.add(week, "declined_by_landlord", by_landlord)
        totals.add(week, "refusals", by_client + by_landlord)
        for match in MATCH_CLASSES:
            totals.add(week, "offers_by_match", offered[match], match)
        for match in MATCH_CLASSES:
            totals.add(week, "declined_by_client_match", client_declined[match], match)
        totals.add(week, "urgency_lapsed", lapsed)
        totals.add(week, "instroom", len(stream.clients[week]))
        totals.add(week, "waiting_start", waiting_start)
        totals.add(week, "uitstroom", len(placed_now))
        totals.add(week, "queue_open", len(queue))
        totals.add(week, "vacancies_in", len(stream.units[week]) if week else len(start.units))
        totals.add(week, "vacancies_returned", len(returned))
        totals.add(week, "vacancies_open", len(vacancies))
        for reason in EMPTY_REASONS:
            totals.add(week, "empty_unit_weeks", empty_weeks[reason], reason)
        for limit in ("neighbourhood_cap", "municipality_intake", "support_slots"):
            totals.add(week, "empty_unit_weeks_capacity", blocked_by[limit], limit)
        intake_full, slots_full = ledger.full()
        totals.add(week, "intake_full", intake_full)
        totals.add(week, "slots_full", slots_full)
        placements += placed_now

    end = stream.week_start(horizon)
    for waiting in queue.values():
        people.append(
            _person(
                waiting,
                "waiting",
                None,
                max(0, (end - waiting.client.registered_on).days // 7),
                horizon - waiting.arrived,
            )
        )
    for vacancy in vacancies.values():
        units_done.append(_vacancy_row(vacancy, "open", horizon - 1, stream.week_start(vacancy.arrived), end))

    frame = pd.DataFrame(placements, columns=PLACEMENT_COLUMNS)
    return RunResult(
        key=RunKey(scenario.index, allocation, stream.seed),
        rows=totals.rows,
        placements=frame,
        utilisation=utilisation,
        neighbourhood_ids=neighbourhood_ids,
        seconds=time.perf_counter() - began,
        people=pd.DataFrame(people, columns=PEOPLE_COLUMNS),
        vacancies=pd.DataFrame(units_done, columns=VACANCY_COLUMNS),
        violations=cap_violations(frame, start, window, sweep.agreements.weeks),
    )


def _person(waiting: Waiting, status: str, placed_week: int | None, wait: int, queued: int) -> dict[str, Any]:
    """One client's outcome: `wait` weeks since registration (some of it before they joined the
    scheme's queue, the same under every policy), `queued` weeks since joining the queue."""
    client = waiting.client
    return {
        "client_id": client.client_id,
        "source": client.source,
        "urgency": waiting.urgency,
        "support_intensity": client.support_intensity,
        "arrived_week": waiting.arrived + 1,
        "status": status,
        "placed_week": placed_week,
        "wait_weeks": wait,
        "queue_weeks": queued,
        "offers": waiting.offers,
        "refusals": waiting.refusals,
        "urgency_lapsed": client.urgency != waiting.urgency,
    }


def _vacancy_row(vacancy: Vacancy, outcome: str, week: int, entered: date, until: date) -> dict[str, Any]:
    """A vacancy that left the scheme (let, returned) or is still open at the end.

    Its empty days run from when it was both in the scheme (`entered`: the Monday of the week it
    was offered) and available, to `until`: the Monday of the week it was let, the Monday after
    the week it went back to the landlord, or the end of the horizon."""
    unit = vacancy.unit
    since = max(unit.available_from, entered)
    return {
        "unit_id": unit.unit_id,
        "unit_type": unit.type,
        "municipality_id": unit.municipality_id,
        "neighbourhood_id": unit.neighbourhood_id,
        "arrived_week": vacancy.arrived + 1,
        "available_from": unit.available_from,
        "outcome": outcome,
        "left_week": week + 1,
        "vacancy_days": max(0, (until - since).days),
        "lettable": outcome == "let" or any(vacancy.empty[r] for r in EMPTY_REASONS if r not in NOT_LETTABLE),
        **{f"weeks_{reason}": vacancy.empty[reason] for reason in EMPTY_REASONS},
    }


def _week_instance(
    start: Instance,
    policy,
    queue: dict[str, Waiting],
    vacancies: dict[str, Vacancy],
    declined: dict[tuple[str, str], str],
    recent: np.ndarray,
    ledger: Ledger,
    placed_in: Counter,
) -> Instance:
    """This week's instance: the queue, the open vacancies, the neighbourhoods' recent load, what
    the period's agreements still allow, and the placements per municipality so far (the fair
    share level weighs them, as `solve --ledger` does with the ledger's)."""
    clients = tuple(waiting.client for waiting in queue.values())
    units = tuple(vacancy.unit for vacancy in vacancies.values())
    neighbourhoods = tuple(
        n.model_copy(update={"recent_load": float(load)}) for n, load in zip(start.neighbourhoods, recent)
    )
    pairs = tuple(
        DeclinedPair(client_id=c, unit_id=u, declined_by=by)
        for (c, u), by in declined.items()
        if c in queue and u in vacancies
    )
    intake = ledger.intake_left()
    municipalities = tuple(
        m.model_copy(
            update={
                "placed_so_far": m.placed_so_far + placed_in[m.municipality_id],
                **({"max_intake": intake[m.municipality_id]} if m.municipality_id in intake else {}),
            }
        )
        for m in start.municipalities
    )
    slots = ledger.slots_left()
    capacity = tuple(
        row.model_copy(update={"slots": slots[(row.municipality_id, row.support_intensity)]})
        for row in start.support_capacity
    )
    return Instance.model_construct(
        municipalities=municipalities,
        neighbourhoods=neighbourhoods,
        units=units,
        clients=clients,
        support_capacity=capacity,
        declined=pairs,
        policy=policy,
    )


def _record(
    totals: _Totals,
    week: int,
    placed: list[dict[str, Any]],
    unmatched: Table,
    in_window: np.ndarray,
    caps: np.ndarray,
    base_caps: np.ndarray,
    dwellings: np.ndarray,
    municipality_ids: list[str],
    population_share: np.ndarray,
) -> None:
    """The week's placement, waiting, spreading, reason and intake KPIs."""
    totals.add(week, "placements", len(placed))
    waits = np.array([p["waiting_weeks"] for p in placed], dtype=float)
    totals.add(week, "wait_mean", waits.mean() if len(waits) else np.nan)
    totals.add(week, "wait_p90", np.percentile(waits, 90) if len(waits) else np.nan)
    totals.add(week, "origin_share", np.mean([p["in_origin"] for p in placed]) if placed else np.nan)
    with_cap = caps > 0
    utilisation = in_window[with_cap] / caps[with_cap]
    totals.add(week, "util_max", utilisation.max() if len(utilisation) else 0.0)
    with_base_cap = base_caps > 0
    base_utilisation = in_window[with_base_cap] / base_caps[with_base_cap]
    totals.add(week, "util_max_base_cap", base_utilisation.max() if len(base_utilisation) else 0.0)
    totals.add(week, "util_gini", gini(utilisation))
    totals.add(week, "neighbourhoods_full", int((caps[with_cap] - in_window[with_cap] < 1 - 1e-9).sum()))
    per_1000 = np.where(dwellings > 0, in_window / np.maximum(dwellings, 1) * 1000, 0.0)
    totals.add(week, "load_max_per_1000", per_1000.max() if len(per_1000) else 0.0)
    counts = Counter(unmatched["reason"])
    for reason in REASONS:
        totals.add(week, "unmatched", counts[reason], reason)
    index = {m: k for k, m in enumerate(municipality_ids)}
    this_week = np.zeros(len(municipality_ids))
    for p in placed:
        this_week[index[p["municipality_id"]]] += 1
    totals.intake += this_week
    placed_so_far = totals.intake.sum()
    for k, municipality in enumerate(municipality_ids):
        totals.add(week, "intake", this_week[k], municipality)
        gap = (totals.intake[k] / placed_so_far - population_share[k]) * 100 if placed_so_far else np.nan
        totals.add(week, "intake_share_gap", gap, municipality)
