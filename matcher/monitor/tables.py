"""The figures as named tables in the user's language: one source for the workbook and the page.

Every heading and label goes through the catalogue (`matcher/locale/nl/monitor.po`); values stay
values (numbers as numbers, days as dates), so the workbook can sum them. Client ids never appear:
every table is a count.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.i18n import N_, _
from matcher.monitor.agreements import ABOVE, BELOW, Realised
from matcher.monitor.figures import ANY_TYPE, Monitor
from matcher.review.status import STATES

UNIT_TYPES = {
    "social_rental": N_("social-rental home"),
    "room": N_("room (unit type)"),
    "cluster": N_("cluster home"),
    "skaeve_huis": N_("Skaeve Huis"),
    ANY_TYPE: N_("any unit type"),
}
INTENSITIES = {
    "light": N_("light support"),
    "ambulant": N_("ambulant support"),
    "intensive": N_("intensive support"),
    "protected": N_("protected support"),
}
STATE_WORDS = {
    "offered": N_("offered (no decision yet)"),
    "accepted": N_("accepted by one side"),
    "housed": N_("housed (accepted by both)"),
    "declined": N_("declined by the client or the corporatie"),
    "withdrawn": N_("withdrawn (not in the latest proposal)"),
}
AGREEMENT_STATUS = {
    BELOW: N_("below the minimum"),
    ABOVE: N_("above the maximum"),
    "within": N_("within the agreement"),
}
UNKNOWN = N_("unknown (not in any known pool)")


@dataclass(frozen=True)
class Table:
    """One table: a sheet of the workbook, a section of the page."""

    name: str  # sheet name (at most 31 characters)
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


def unit_type(value: str | None) -> str:
    if value is None:
        return _(UNKNOWN)
    return ", ".join(_(UNIT_TYPES[part]) if part in UNIT_TYPES else part for part in value.split(", "))


def intensity(value: str) -> str:
    return _(INTENSITIES[value]) if value in INTENSITIES else value


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _name(monitor: Monitor, municipality: str | None) -> str:
    if municipality is None:
        return _(UNKNOWN)
    return monitor.municipality_names.get(municipality, "")


def definitions(monitor: Monitor) -> list[tuple[str, str]]:
    """Each figure's name and what exactly it counts, in the user's language."""
    return [
        (
            _("instroom"),
            _(
                "Clients whose first proposal (voorstel) in the ledger lies in the period. The ledger "
                "knows a client from their first proposal on: a client in the voorrangsregeling who was "
                "never proposed is not counted."
            ),
        ),
        (
            _("doorstroom"),
            _(
                "Clients housed in the period: a koppeling accepted by both the client and the corporatie "
                "and declined by neither (gehuisvest), counted in the week of the later of the two "
                "decisions. Each client and each unit once."
            ),
        ),
        (
            _("uitstroom"),
            _(
                "The programmes mean leaving the institution for an own home. The ledger sees leaving only "
                "through a housed koppeling, so here uitstroom to an own home equals doorstroom. Clients who "
                "left the weekly pool without being housed are counted apart: where they went is not recorded."
            ),
        ),
        (
            _("left the pool without a home through the scheme"),
            _(
                "Clients in one week's pool who are not in the next week's pool and were not housed; only "
                "for weeks whose pools are both known (the solved instance of their run folder, or --instance)."
            ),
        ),
        (
            _("still waiting"),
            _(
                "Clients in the pool of the last week of the period not housed by its end. Without a known "
                "pool: the pool size the ledger recorded for that week (the instance given to review export, "
                "which still lists the clients housed before) less every client housed up to the end."
            ),
        ),
        (
            _("in their gemeente of origin"),
            _(
                "Housed in the gemeente the client comes from (woonplaatsbeginsel); the share counts only "
                "placements whose client is in a known pool."
            ),
        ),
        (
            _("ceiling (max_intake)"),
            _(
                "A gemeente's max_intake in a week's instance is its ceiling for that week; over the period "
                "the ceilings of the weeks that have one add up, and so do the placements in those weeks."
            ),
        ),
        (
            _("vacancy days"),
            _(
                "Per unit: the days from the later of its available_from (when a pool shows it) and the first "
                "week it was offered or in a pool, until the week it was housed, the week it left the pool, or "
                "the end of the period; counted within the period. The ledger knows a unit only from its first "
                "offer, so without pools these are days on offer, not days empty."
            ),
        ),
        (
            _("shortfall"),
            _(
                "Clients still waiting for whom no unit of the last known pool (less the units housed) passes "
                "the eligibility rules: how many homes of which type, for whom, from when, where."
            ),
        ),
    ]


def headline(monitor: Monitor) -> list[tuple[str, Any]]:
    """The figures of the terminal table and the page's first table."""
    waiting: Any = monitor.waiting if monitor.waiting is not None else "–"
    left: Any = monitor.left_without_home if monitor.left_without_home is not None else "–"
    return [
        (_("weeks in the period"), len(monitor.weeks)),
        (_("instroom"), monitor.instroom),
        (_("doorstroom (housed)"), monitor.doorstroom),
        (_("uitstroom to an own home"), monitor.doorstroom),
        (_("left the pool without a home through the scheme"), left),
        (_("still waiting at the end"), waiting),
        (_("housed in their gemeente of origin"), f"{monitor.in_origin} / {monitor.origin_known}"),
        (_("share in gemeente of origin"), percent(monitor.origin_share)),
        (_("units offered, not let at the end"), monitor.offered_not_let),
        (_("vacancy days"), monitor.vacancy_days),
        (_("clients waiting with no fitting unit"), monitor.shortfall_clients),
    ]


def tables(monitor: Monitor) -> list[Table]:
    """Every table of the monitor, in the order of the workbook and the page."""
    return [
        Table(
            _("Headline figures"),
            _("Headline figures"),
            [_("figure"), _("value")],
            [list(row) for row in headline(monitor)],
        ),
        _weeks(monitor),
        _municipalities(monitor),
        _landlords(monitor),
        _sources(monitor),
        _origin(monitor),
        _agreements(monitor),
        _vacancy(monitor),
        _shortfall(monitor),
        _states(monitor),
        Table(
            _("Definitions"),
            _("Definitions"),
            [_("figure"), _("definition")],
            [list(row) for row in definitions(monitor)],
        ),
    ]


def _weeks(monitor: Monitor) -> Table:
    rows = [
        [
            week.start,
            week.end,
            week.proposed,
            week.instroom,
            week.housed,
            week.left_without_home,
            week.waiting,
            _("yes") if week.pool_known else _("no"),
        ]
        for week in monitor.weeks
    ]
    columns = [
        _("week from"),
        _("week to"),
        _("koppelingen proposed"),
        _("instroom"),
        _("housed"),
        _("left the pool without a home"),
        _("still waiting"),
        _("pool known"),
    ]
    return Table(_("Per week"), _("Per week"), columns, rows)


def _municipalities(monitor: Monitor) -> Table:
    housed = Counter(p.municipality_id for p in monitor.housed)
    from_here = Counter(p.origin for p in monitor.housed if p.origin is not None)
    in_origin = Counter(p.municipality_id for p in monitor.housed if p.in_origin)
    ceiling = {row.agreement.who: row for row in monitor.agreements}
    known = set(monitor.municipality_names) | set(housed) | set(from_here) | set(monitor.waiting_by_origin)
    rows = []
    for municipality in sorted(known, key=lambda m: (m is None, m or "")):
        agreed = ceiling.get(municipality) if municipality is not None else None
        rows.append(
            [
                municipality if municipality is not None else _(UNKNOWN),
                _name(monitor, municipality) if municipality is not None else "",
                housed.get(municipality, 0),
                in_origin.get(municipality, 0),
                from_here.get(municipality, 0) if municipality is not None else None,
                monitor.waiting_by_origin.get(municipality, 0) if municipality is not None else None,
                agreed.agreement.maximum if agreed else None,
                agreed.placed if agreed else None,
            ]
        )
    columns = [
        _("gemeente"),
        _("name"),
        _("housed in this gemeente"),
        _("of which from this gemeente"),
        _("clients from this gemeente housed"),
        _("from this gemeente, still waiting"),
        _("ceiling over the period"),
        _("housed in weeks with a ceiling"),
    ]
    return Table(_("Per gemeente"), _("Per gemeente"), columns, rows)


def _landlords(monitor: Monitor) -> Table:
    housed = Counter(p.landlord for p in monitor.housed)
    days: Counter = Counter()
    open_units: Counter = Counter()
    for vacancy in monitor.vacancies:
        days[vacancy.landlord] += vacancy.days
        if vacancy.offered and not vacancy.let and vacancy.ended is None:
            open_units[vacancy.landlord] += 1
    rows = [
        [
            landlord if landlord is not None else _(UNKNOWN),
            housed.get(landlord, 0),
            open_units.get(landlord, 0),
            days.get(landlord, 0),
        ]
        for landlord in sorted(set(housed) | set(days), key=lambda x: (x is None, x or ""))
    ]
    columns = [_("corporatie"), _("housed"), _("units offered, not let at the end"), _("vacancy days")]
    return Table(_("Per corporatie"), _("Per corporatie"), columns, rows)


def _sources(monitor: Monitor) -> Table:
    housed = Counter(p.source for p in monitor.housed)
    in_origin = Counter(p.source for p in monitor.housed if p.in_origin)
    known = ["BW", "MO", "VO", "jeugd"]
    others = sorted(
        str(source)
        for source in {*housed, *monitor.instroom_by_source, *monitor.waiting_by_source}
        if source and source not in known
    )
    rows = []
    for source in known + others:
        rows.append(
            [
                source,
                monitor.instroom_by_source.get(source, 0),
                housed.get(source, 0),
                in_origin.get(source, 0),
                monitor.waiting_by_source.get(source, 0),
            ]
        )
    unknown_in = monitor.instroom_by_source.get("", 0)
    unknown_housed = housed.get(None, 0)
    if unknown_in or unknown_housed:
        rows.append([_(UNKNOWN), unknown_in, unknown_housed, 0, 0])
    columns = [
        _("doelgroep"),
        _("instroom"),
        _("housed"),
        _("in their gemeente of origin"),
        _("still waiting"),
    ]
    return Table(_("Per doelgroep"), _("Per doelgroep (BW, MO, VO, jeugd)"), columns, rows)


def _origin(monitor: Monitor) -> Table:
    known = monitor.origin_known
    rows = [
        [_("in their gemeente of origin"), monitor.in_origin, share(monitor.in_origin, known)],
        [_("elsewhere in the region"), known - monitor.in_origin, share(known - monitor.in_origin, known)],
        [_(UNKNOWN), monitor.doorstroom - known, None],
    ]
    return Table(
        _("Origin"), _("Housed in their gemeente of origin"), [_("where"), _("housed"), _("share")], rows
    )


def _agreement_rows(rows: list[Realised], monitor: Monitor) -> list[list[Any]]:
    return [
        [
            row.agreement.who,
            _name(monitor, row.agreement.who) if row.agreement.kind == "gemeente" else "",
            row.agreement.start,
            row.agreement.end,
            row.agreement.minimum,
            row.agreement.maximum,
            row.placed,
            round(row.share_of_maximum, 3) if row.share_of_maximum is not None else None,
            _(AGREEMENT_STATUS[row.status]),
            _("max_intake of {weeks} week(s)", weeks=row.agreement.weeks)
            if row.agreement.basis == "max_intake"
            else row.agreement.basis,
        ]
        for row in rows
    ]


def _agreements(monitor: Monitor) -> Table:
    columns = [
        _("who"),
        _("name"),
        _("from"),
        _("to"),
        _("minimum"),
        _("maximum"),
        _("housed"),
        _("share of maximum"),
        _("realisation"),
        _("basis"),
    ]
    rows = (
        _agreement_rows(list(monitor.yearly_agreements), monitor)
        + _agreement_rows(list(monitor.agreements), monitor)
        + _agreement_rows(list(monitor.weekly_agreements), monitor)
    )
    note = (
        ""
        if rows
        else _(
            "No instance of a week in the period sets a max_intake or has agreements: no ceilings to realise."
        )
    )
    return Table(_("Agreements"), _("Realisation of agreements"), columns, rows, note)


def _vacancy(monitor: Monitor) -> Table:
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for vacancy in monitor.vacancies:
        key = (vacancy.unit_type or "", vacancy.municipality_id or "")
        groups[key][0] += 1
        groups[key][1] += int(vacancy.offered)
        groups[key][2] += int(vacancy.offered and not vacancy.let and vacancy.ended is None)
        groups[key][3] += vacancy.days
    rows = [
        [unit_type(kind or None), municipality, _name(monitor, municipality or None), *counts]
        for (kind, municipality), counts in sorted(groups.items())
    ]
    columns = [
        _("unit type"),
        _("gemeente"),
        _("name"),
        _("units empty for some days"),
        _("of which offered"),
        _("offered, not let at the end"),
        _("vacancy days"),
    ]
    return Table(_("Vacancy"), _("Vacancy days per unit type and gemeente"), columns, rows)


def _shortfall(monitor: Monitor) -> Table:
    rows = [
        [
            unit_type(row.unit_types),
            row.municipality_id,
            _name(monitor, row.municipality_id),
            intensity(row.support_intensity),
            row.household_size,
            row.clients,
            row.needed_from,
        ]
        for row in monitor.shortfall
    ]
    columns = [
        _("unit type needed"),
        _("gemeente of origin"),
        _("name"),
        _("begeleiding"),
        _("household size"),
        _("clients"),
        _("needed from"),
    ]
    note = (
        ""
        if monitor.waiting_from == "pool"
        else _(
            "No pool of the period is known: give --instance, or keep the run folders, to see the shortfall."
        )
    )
    return Table(_("Shortfall"), _("Shortfall: clients waiting with no fitting unit"), columns, rows, note)


def _states(monitor: Monitor) -> Table:
    rows = [[_(STATE_WORDS[state]), monitor.states.get(state, 0)] for state in STATES]
    return Table(
        _("Koppelingen"),
        _("Koppelingen by state at the end of the period"),
        [_("state"), _("koppelingen")],
        rows,
        _("Koppelingen whose latest proposal lies in the period, as they stood at its end."),
    )


def period_words(start: date, end: date) -> str:
    return _("{start} to {end}", start=start.isoformat(), end=end.isoformat())
