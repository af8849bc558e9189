"""The monitoring figures of one period, from the ledger and the weekly pools (`sources`).

Definitions (also on the page, docs/monitoring.md). A *week* is a proposal's period; a week is in
the period when its first day is. A decision belongs to the week it was recorded for.

- **instroom**: clients whose first proposal in the ledger lies in the period (the ledger knows a
  client from their first proposal on; a client waiting without ever being proposed is not in it);
- **doorstroom**: clients housed in the period: a match accepted by both the client and the
  corporatie and declined by neither (status *housed*), in the week of the later of the two
  decisions (as `solve --ledger` fixes it). A client or unit is counted once;
- **uitstroom**: the programmes mean leaving the institution for an own home. The ledger sees
  leaving only through a housed match, so in our data uitstroom to an own home *is* doorstroom.
  Clients who left the weekly pool without being housed (known only when both weeks' pools are)
  are counted apart: where they went is not recorded;
- **still waiting** at the end: the clients of the period's last known pool not housed by the
  end of the period. Without a known pool: the pool size the ledger recorded for the period's
  last week (the instance given to `review export`, which still lists the clients housed in
  earlier weeks, as `solve --ledger` expects) less every client housed up to the end;
- **vacancy days**: per unit, the days from the later of its available_from (when a pool shows
  it) and the first week it was offered or in a pool, until the week it was housed, the week it
  left the pool, or the end of the period, counted within the period;
- **shortfall**: clients still waiting for whom no unit of the last known pool (less those housed)
  passes the eligibility rules, counted per needed unit type, gemeente of origin, begeleiding
  and household size, with the earliest day one of them was ready to move.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matcher.monitor.agreements import (
    Agreement,
    Placed,
    Realised,
    period_totals,
    realisation,
    weekly_ceilings,
)
from matcher.monitor.sources import Sources, Week
from matcher.review.ledger import LedgerState, is_declined, is_placed, pair_status
from matcher.review.status import STATES, ledger_status
from models import Instance

ANY_TYPE = "any"


@dataclass(frozen=True)
class Placement:
    """A housed match (doorstroom), with what is known of its unit and client."""

    client_id: str
    unit_id: str
    week: date
    landlord: str | None
    municipality_id: str | None
    unit_type: str | None
    source: str | None  # the client's doelgroep: BW, MO, VO, jeugd (None: not in any known pool)
    origin: str | None  # the client's gemeente of origin
    target_groups: str | None = None  # `;`-separated (young_adult, family, housing_first)

    @property
    def in_origin(self) -> bool | None:
        if self.origin is None or self.municipality_id is None:
            return None
        return self.origin == self.municipality_id


@dataclass(frozen=True)
class Vacancy:
    """A unit that stood empty for some days of the period."""

    unit_id: str
    unit_type: str | None
    municipality_id: str | None
    landlord: str | None
    offered: bool  # offered in a proposal up to the end of the period
    start: date  # from when it counts as empty
    ended: date | None  # the week it was housed or left the pool; None: still empty at the end
    let: bool  # housed through the scheme (else: left the pool, or still empty)
    days: int  # empty days within the period


@dataclass(frozen=True)
class Shortfall:
    """Clients still waiting with no unit of the pool that fits them, of one kind."""

    unit_types: str  # the types they may live in, comma-separated, or ANY_TYPE
    municipality_id: str  # their gemeente of origin
    support_intensity: str
    household_size: int
    clients: int
    needed_from: date  # the earliest day one of them was ready to move (or registered)


@dataclass(frozen=True)
class WeekFigures:
    start: date
    end: date
    proposed: int  # matches in the week's latest proposal
    instroom: int
    housed: int
    waiting: int | None
    left_without_home: int | None  # clients of the previous week's pool gone from this one, not housed
    pool_known: bool


@dataclass(frozen=True)
class Monitor:
    """Everything `matcher monitor` shows for one period."""

    ledger: str
    start: date
    end: date
    weeks: tuple[WeekFigures, ...]
    instroom: int
    instroom_by_source: dict[str, int]
    housed: tuple[Placement, ...]
    left_without_home: int | None
    waiting: int | None
    waiting_from: str  # "pool" | "ledger" | "none"
    waiting_week: date | None  # the week whose pool the waiting count comes from
    waiting_by_source: dict[str, int]
    waiting_by_origin: dict[str, int]
    states: dict[str, int]
    agreements: tuple[Realised, ...]  # per gemeente over the period
    weekly_agreements: tuple[Realised, ...]
    # the agreements of agreements.csv (issue 14) in the last week's instance, with their
    # placements: the typed placed_so_far plus what the ledger housed under them up to `end`
    yearly_agreements: tuple[Realised, ...]
    vacancies: tuple[Vacancy, ...]
    shortfall: tuple[Shortfall, ...]
    municipality_names: dict[str, str]
    pools_known: int
    run_folders: int
    run_folders_sought: int

    @property
    def doorstroom(self) -> int:
        return len(self.housed)

    @property
    def in_origin(self) -> int:
        return sum(1 for p in self.housed if p.in_origin)

    @property
    def origin_known(self) -> int:
        return sum(1 for p in self.housed if p.in_origin is not None)

    @property
    def origin_share(self) -> float | None:
        return self.in_origin / self.origin_known if self.origin_known else None

    @property
    def offered_not_let(self) -> int:
        return sum(1 for v in self.vacancies if v.offered and not v.let and v.ended is None)

    @property
    def vacancy_days(self) -> int:
        return sum(v.days for v in self.vacancies)

    @property
    def shortfall_clients(self) -> int:
        return sum(s.clients for s in self.shortfall)

    @property
    def empty(self) -> bool:
        return not self.weeks


def _until(state: LedgerState, end: date) -> LedgerState:
    """The ledger as it stood at the end of the period: proposals and decisions up to `end`."""
    kept = [p for p in state.proposals if p["period_start"] <= end]
    ids = {p["proposal_id"] for p in kept}
    return LedgerState(
        decisions=[row for row in state.decisions if row["period_start"] <= end],
        proposals=kept,
        proposed=[pair for pair in state.proposed if pair["proposal_id"] in ids],
        open_conflicts=0,
    )


def placements(sources: Sources, state: LedgerState) -> list[Placement]:
    """Every housed match in `state`, each client and unit once (the earliest week wins)."""
    status = pair_status(state.decisions)
    proposed = {(p["client_id"], p["unit_id"]): p for p in state.proposed}
    pairs = sorted(
        (max(row["period_start"] for row in parties.values()), pair)
        for pair, parties in status.items()
        if is_placed(parties) and not is_declined(parties)
    )
    found, clients, units = [], set(), set()
    for week, (client_id, unit_id) in pairs:
        if client_id in clients or unit_id in units:
            continue  # housed twice: `solve --ledger` flags it for the coordinator
        clients.add(client_id)
        units.add(unit_id)
        record = proposed.get((client_id, unit_id), {})
        unit = sources.units.get(unit_id)
        client = sources.clients.get(client_id)
        found.append(
            Placement(
                client_id=client_id,
                unit_id=unit_id,
                week=week,
                landlord=record.get("landlord") or (unit.landlord if unit else None),
                municipality_id=record.get("municipality_id") or (unit.municipality_id if unit else None),
                unit_type=record.get("unit_type") or (unit.type if unit else None),
                source=client.source if client else record.get("source"),
                origin=client.origin_municipality_id if client else None,
                target_groups=";".join(client.target_groups) if client else record.get("target_groups"),
            )
        )
    return found


def _first_proposed(state: LedgerState) -> dict[str, date]:
    week_of = {p["proposal_id"]: p["period_start"] for p in state.proposals}
    first: dict[str, date] = {}
    for pair in state.proposed:
        week = week_of.get(pair["proposal_id"])
        if week is not None and (pair["client_id"] not in first or week < first[pair["client_id"]]):
            first[pair["client_id"]] = week
    return first


def _pool_clients(week: Week) -> set[str]:
    return {c.client_id for c in week.pool.clients} if week.pool is not None else set()


def _week_figures(
    weeks: list[Week],
    everything: list[Week],
    housed: list[Placement],
    first: dict[str, date],
    state: LedgerState,
) -> list[WeekFigures]:
    found = []
    pairs_of = Counter(pair["proposal_id"] for pair in state.proposed)
    for week in weeks:
        done = {p.client_id for p in housed if p.week <= week.start}
        index = everything.index(week)
        before = everything[index - 1] if index else None
        left = None
        if week.pool is not None and before is not None and before.pool is not None:
            left = len(_pool_clients(before) - _pool_clients(week) - done)
        if week.pool is not None:
            waiting: int | None = len(_pool_clients(week) - done)
        elif week.pool_clients is not None:
            waiting = max(0, week.pool_clients - len(done))
        else:
            waiting = None
        found.append(
            WeekFigures(
                start=week.start,
                end=week.end,
                proposed=pairs_of.get(week.proposal_id or "", 0),
                instroom=sum(1 for day in first.values() if day == week.start),
                housed=sum(1 for p in housed if p.week == week.start),
                waiting=waiting,
                left_without_home=left,
                pool_known=week.pool is not None,
            )
        )
    return found


def _yearly(week: Week, housed: Sequence[Placement], end: date) -> list[Realised]:
    """The agreements of the latest week's instance: as given (`--instance`), its placed_so_far
    holds only what the ledger does not know; a pool (the solved instance, or the given one with
    the ledger applied) already counts what the ledger housed before that week."""
    if week.given is not None:
        return yearly_realisation(week.given, housed, end)
    assert week.pool is not None
    return yearly_realisation(week.pool, housed, end, since=week.start)


def yearly_realisation(
    instance: Instance, housed: Sequence[Placement], end: date, since: date | None = None
) -> list[Realised]:
    """Each agreement of the instance's agreements.csv: its placed_so_far plus the matches the
    ledger housed under it from its start (or from `since`, when placed_so_far already counts the
    ledger's earlier ones) up to `end` (and its own end), counted as the engine counts them
    (`matcher.rules.agreements.counts_record`)."""
    from matcher.rules.agreements import counts_record

    found = []
    for agreement in instance.agreements:
        first = max(agreement.start, since) if since is not None else agreement.start
        last = min(end, agreement.end)
        placed = sum(
            1
            for p in housed
            if first <= p.week <= last
            and counts_record(
                agreement,
                {
                    "municipality_id": p.municipality_id,
                    "landlord": p.landlord,
                    "source": p.source,
                    "target_groups": p.target_groups,
                },
            )
        )
        found.append(
            Realised(
                Agreement(
                    who=agreement.party,
                    kind="gemeente" if agreement.kind == "municipality" else "corporatie",
                    start=agreement.start,
                    end=agreement.end,
                    minimum=agreement.minimum,
                    maximum=agreement.maximum,
                    basis=agreement.agreement_id
                    + (f" ({agreement.target_group})" if agreement.target_group else ""),
                ),
                agreement.placed_so_far + placed,
            )
        )
    return found


def _vacancies(
    sources: Sources, state: LedgerState, housed: list[Placement], start: date, end: date
) -> list[Vacancy]:
    week_of = {p["proposal_id"]: p["period_start"] for p in state.proposals}
    offered: dict[str, dict] = {}
    first: dict[str, date] = {}
    for pair in state.proposed:
        week = week_of[pair["proposal_id"]]
        offered.setdefault(pair["unit_id"], pair)
        first[pair["unit_id"]] = min(first.get(pair["unit_id"], week), week)
    known_weeks = [w for w in sources.weeks if w.start <= end and w.pool is not None]
    in_pool: dict[str, list[date]] = {}
    for week in known_weeks:
        for unit in week.pool.units if week.pool is not None else ():
            in_pool.setdefault(unit.unit_id, []).append(week.start)
            first[unit.unit_id] = min(first.get(unit.unit_id, week.start), week.start)
    let_on = {p.unit_id: p.week for p in housed}
    stop = end + timedelta(days=1)
    found = []
    for unit_id in sorted(first):
        details = sources.units.get(unit_id)
        record = offered.get(unit_id, {})
        begins = first[unit_id]
        if details is not None:
            begins = max(begins, details.available_from)
        ended, let = let_on.get(unit_id), unit_id in let_on
        if ended is None and unit_id in in_pool:
            last = max(in_pool[unit_id])
            later = [w.start for w in known_weeks if w.start > last]
            ended = min(later) if later else None  # left the pool: let outside the scheme, or withdrawn
        days = max(0, (min(ended or stop, stop) - max(begins, start)).days)
        found.append(
            Vacancy(
                unit_id=unit_id,
                unit_type=record.get("unit_type") or (details.type if details else None),
                municipality_id=record.get("municipality_id")
                or (details.municipality_id if details else None),
                landlord=record.get("landlord") or (details.landlord if details else None),
                offered=unit_id in offered,
                start=begins,
                ended=ended,
                let=let,
                days=days,
            )
        )
    return [v for v in found if v.days > 0]


def _shortfall(week: Week, waiting: set[str], let: set[str]) -> list[Shortfall]:
    """Waiting clients with no eligible unit in the week's pool (units housed by the end left out)."""
    pool = week.pool
    if pool is None or not waiting:
        return []
    from matcher.rules.eligibility import Eligibility

    eligibility = Eligibility(pool)
    ids = eligibility.arrays.client_ids
    unit_ids = eligibility.arrays.unit_ids
    pairs = eligibility.pairs
    fitting = {ids[c] for c, u in zip(pairs.client, pairs.unit, strict=True) if unit_ids[u] not in let}
    groups: dict[tuple[str, str, str, int], list[date]] = {}
    for client in pool.clients:
        if client.client_id not in waiting or client.client_id in fitting:
            continue
        types = ", ".join(client.eligible_types) if client.eligible_types else ANY_TYPE
        key = (types, client.origin_municipality_id, client.support_intensity, client.household_size)
        groups.setdefault(key, []).append(client.ready_from or client.registered_on)
    return [
        Shortfall(types, municipality, intensity, size, len(days), min(days))
        for (types, municipality, intensity, size), days in sorted(groups.items())
    ]


def compute(sources: Sources, start: date, end: date) -> Monitor:
    """The figures of the period from `start` to `end` (both inclusive)."""
    state = _until(sources.state, end)
    everything = [w for w in sources.weeks if w.start <= end]
    weeks = [w for w in everything if w.start >= start]
    all_housed = placements(sources, state)
    housed = [p for p in all_housed if start <= p.week <= end]
    first = _first_proposed(state)
    entered = [client for client, day in first.items() if start <= day <= end]

    waiting_week = next((w for w in reversed(weeks) if w.pool is not None), None)
    done = {p.client_id for p in all_housed}
    waiting_set: set[str] = set()
    if waiting_week is not None:
        waiting_set = _pool_clients(waiting_week) - done
        waiting: int | None = len(waiting_set)
        waiting_from = "pool"
    elif weeks and weeks[-1].pool_clients is not None:
        last = weeks[-1]
        # the pool the ledger recorded is the instance given to `review export`, which (as
        # `solve --ledger` expects) still lists the clients housed in earlier weeks
        waiting = max(0, (last.pool_clients or 0) - len(all_housed))
        waiting_from, waiting_week = "ledger", last
    else:
        waiting, waiting_from = None, "none"
    figures = _week_figures(weeks, everything, all_housed, first, state)
    left = [f.left_without_home for f in figures if f.left_without_home is not None]

    matches = ledger_status(state, week=end).matches
    states = Counter(m.state for m in matches if start <= m.week <= end)

    weekly = weekly_ceilings(
        (w.start, w.end, {m.municipality_id: m.max_intake for m in instance.municipalities})
        for w in weeks
        if (instance := w.given or w.pool) is not None
    )
    weekly_realised = realisation(weekly, [Placed(p.municipality_id, p.landlord, p.week) for p in housed])
    latest = next((w for w in reversed(everything) if (w.given or w.pool) is not None), None)
    clients = sources.clients
    return Monitor(
        ledger=sources.ledger,
        start=start,
        end=end,
        weeks=tuple(figures),
        instroom=len(entered),
        instroom_by_source=dict(
            sorted(Counter(clients[c].source if c in clients else "" for c in entered).items())
        ),
        housed=tuple(housed),
        left_without_home=sum(left) if left else None,
        waiting=waiting,
        waiting_from=waiting_from,
        waiting_week=waiting_week.start if waiting_week is not None else None,
        waiting_by_source=dict(
            sorted(Counter(clients[c].source for c in waiting_set if c in clients).items())
        ),
        waiting_by_origin=dict(
            sorted(Counter(clients[c].origin_municipality_id for c in waiting_set if c in clients).items())
        ),
        states={name: states.get(name, 0) for name in STATES},
        agreements=tuple(period_totals(weekly_realised, start, end)),
        weekly_agreements=tuple(weekly_realised),
        yearly_agreements=tuple(_yearly(latest, all_housed, end)) if latest is not None else (),
        vacancies=tuple(_vacancies(sources, state, all_housed, start, end)),
        shortfall=tuple(
            _shortfall(waiting_week, waiting_set, {p.unit_id for p in all_housed})
            if waiting_week is not None and waiting_from == "pool"
            else []
        ),
        municipality_names=sources.municipality_names,
        pools_known=sum(1 for w in weeks if w.pool is not None),
        run_folders=sources.run_folders,
        run_folders_sought=sources.run_folders_sought,
    )


def default_period(sources: Sources) -> tuple[date, date] | None:
    """The whole run: the first week's first day to the last week's last day (None: nothing yet)."""
    if not sources.weeks:
        return None
    return sources.weeks[0].start, max(w.end for w in sources.weeks)
