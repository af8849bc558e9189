"""An instance: everything one weekly allocation run reads, checked across files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from matcher.i18n import N_, _
from models.agreement import Agreement, agreement_problems
from models.client import Client
from models.contact import Contact
from models.fields import FROZEN, Id, Intensity
from models.other_placement import FILE as OTHER_PLACEMENTS_FILE
from models.other_placement import OtherPlacement
from models.places import Municipality, Neighbourhood
from models.policy import Policy
from models.privacy import personal_data, refusal, shown
from models.problems import InvalidInstance, Problem
from models.unit import Unit

# the kinds of id a reference names, as words in the user's language
KIND_WORDS = {
    "municipality": N_("municipality"),
    "neighbourhood": N_("neighbourhood"),
    "unit": N_("unit"),
    "client": N_("client"),
}


def unknown_prefix(kind: str) -> str:
    """How the problem "unknown {kind} …" begins, in the user's language (matcher.io.read drops
    these when the rows the id may be in could not be read)."""
    return _(
        "unknown {kind} {id}: add it to {file} or correct the id", kind=_(KIND_WORDS[kind]), id="\0", file=""
    ).split("\0")[0]


class SupportCapacity(BaseModel):
    """At most `slots` new clients of this intensity may be placed in this municipality."""

    model_config = FROZEN

    municipality_id: Id
    support_intensity: Intensity
    slots: int = Field(ge=0)


class ProviderCapacity(BaseModel):
    """At most `slots` new clients of this care provider may be placed in this municipality
    (allocation rule 6); `provider` is written as clients.csv writes it."""

    model_config = FROZEN

    provider: Id
    municipality_id: Id
    slots: int = Field(ge=0)


DeclineScope = Literal["unit", "site", "neighbourhood", "landlord", "municipality"]
DECLINE_SCOPES: tuple[str, ...] = ("unit", "site", "neighbourhood", "landlord", "municipality")


class DeclinedPair(BaseModel):
    """A match that was declined before: by its `scope`, it rules out the declined unit only
    (`unit`), or every unit of its site, neighbourhood, landlord or municipality (`scope_id`, or
    the declined unit's own when empty), for this client, while `period.start ≤ until`."""

    model_config = FROZEN

    client_id: Id
    unit_id: Id
    declined_by: Literal["client", "landlord"]
    scope: DeclineScope = "unit"
    scope_id: Id | None = None
    until: date | None = None

    def holds(self, period_start: date) -> bool:
        """The decline still applies in a period starting on `period_start` (history rule)."""
        return self.until is None or period_start <= self.until


Rows = Sequence[int | None]


class Instance(BaseModel):
    """One allocation run's input, valid within each row and across files."""

    model_config = FROZEN

    municipalities: tuple[Municipality, ...]
    neighbourhoods: tuple[Neighbourhood, ...]
    units: tuple[Unit, ...]
    clients: tuple[Client, ...]
    support_capacity: tuple[SupportCapacity, ...] = ()
    declined: tuple[DeclinedPair, ...] = ()
    # yearly (or any period's) agreements per municipality and corporation (issue 14, item 1)
    agreements: tuple[Agreement, ...] = ()
    # care providers' capacity per municipality (issue 14, item 5; allocation rule 6)
    provider_capacity: tuple[ProviderCapacity, ...] = ()
    policy: Policy
    # staff contacts (contacts.csv, optional): shown in landlord workbooks, never read by the solve
    contacts: tuple[Contact, ...] = ()
    # other groups' placements in the wijken (other_placements.csv, optional): part of the
    # recent load while in the rolling window (`matcher.rules.load`)
    other_placements: tuple[OtherPlacement, ...] = ()

    def with_row(self, table: str, position: int, **update: object) -> Instance:
        """A copy with fields of one row of one table (clients, units, …) changed."""
        rows = getattr(self, table)
        changed = rows[:position] + (rows[position].model_copy(update=update),) + rows[position + 1 :]
        return self.model_copy(update={table: changed})

    @model_validator(mode="after")
    def _consistent_across_files(self) -> Instance:
        problems = cross_file_problems(self)
        if problems:
            raise InvalidInstance(problems)
        return self


def _rows(rows: Rows | None, count: int) -> Rows:
    return rows if rows is not None else [None] * count


def _duplicates(file: str, column: str, ids: Iterable[str], rows: Rows) -> list[Problem]:
    ids = list(ids)
    counts = Counter(ids)
    return [
        Problem(
            file=file,
            row=row,
            column=column,
            message=_("duplicate id {id}: ids must be unique", id=shown(value)),
        )
        for value, row in zip(ids, rows)
        if counts[value] > 1
    ]


def cross_file_problems(
    instance: Instance, rows: Mapping[str, Rows] | None = None, unparsed: dict[str, set[str]] | None = None
) -> list[Problem]:
    """Every reference between files that does not resolve, every duplicate id, and every client
    id that looks like personal data (`models.privacy.personal_data`). Messages show an id that
    looks like personal data masked (`models.privacy.shown`), never in full.

    `rows` maps a file name to the spreadsheet row of each entity, for messages; without it
    problems carry no row. `unparsed` maps a kind ("municipality", "neighbourhood", "unit",
    "client") to ids of rows that had problems of their own: references to them are not
    reported again.
    """
    rows = rows or {}
    unparsed = unparsed or {}
    m_rows = _rows(rows.get("municipalities.csv"), len(instance.municipalities))
    n_rows = _rows(rows.get("neighbourhoods.csv"), len(instance.neighbourhoods))
    u_rows = _rows(rows.get("units.csv"), len(instance.units))
    c_rows = _rows(rows.get("clients.csv"), len(instance.clients))
    s_rows = _rows(rows.get("support_capacity.csv"), len(instance.support_capacity))
    d_rows = _rows(rows.get("declined.csv"), len(instance.declined))
    a_rows = _rows(rows.get("agreements.csv"), len(instance.agreements))
    p_rows = _rows(rows.get("provider_capacity.csv"), len(instance.provider_capacity))

    municipalities = {m.municipality_id for m in instance.municipalities} | unparsed.get(
        "municipality", set()
    )
    neighbourhood_municipality = {n.neighbourhood_id: n.municipality_id for n in instance.neighbourhoods}
    units = {u.unit_id for u in instance.units} | unparsed.get("unit", set())
    clients = {c.client_id for c in instance.clients} | unparsed.get("client", set())
    unparsed_neighbourhoods = unparsed.get("neighbourhood", set())

    problems: list[Problem] = []
    problems += _duplicates(
        "municipalities.csv", "municipality_id", (m.municipality_id for m in instance.municipalities), m_rows
    )
    problems += _duplicates(
        "neighbourhoods.csv",
        "neighbourhood_id",
        (n.neighbourhood_id for n in instance.neighbourhoods),
        n_rows,
    )
    problems += _duplicates("units.csv", "unit_id", (u.unit_id for u in instance.units), u_rows)
    problems += _duplicates("clients.csv", "client_id", (c.client_id for c in instance.clients), c_rows)

    def unknown(file: str, row: int | None, column: str, value: str, kind: str) -> Problem:
        return Problem(
            file=file,
            row=row,
            column=column,
            message=_(
                "unknown {kind} {id}: add it to {file} or correct the id",
                kind=_(KIND_WORDS[kind]),
                id=shown(value),
                file=kind_file[kind],
            ),
        )

    kind_file = {
        "municipality": "municipalities.csv",
        "neighbourhood": "neighbourhoods.csv",
        "unit": "units.csv",
        "client": "clients.csv",
    }

    for n, row in zip(instance.neighbourhoods, n_rows):
        if n.municipality_id not in municipalities:
            problems.append(
                unknown("neighbourhoods.csv", row, "municipality_id", n.municipality_id, "municipality")
            )

    for u, row in zip(instance.units, u_rows):
        if u.municipality_id not in municipalities:
            problems.append(unknown("units.csv", row, "municipality_id", u.municipality_id, "municipality"))
        if u.neighbourhood_id in unparsed_neighbourhoods:
            pass
        elif u.neighbourhood_id not in neighbourhood_municipality:
            problems.append(
                unknown("units.csv", row, "neighbourhood_id", u.neighbourhood_id, "neighbourhood")
            )
        elif neighbourhood_municipality[u.neighbourhood_id] != u.municipality_id:
            problems.append(
                Problem(
                    file="units.csv",
                    row=row,
                    column="neighbourhood_id",
                    message=_(
                        "neighbourhood {neighbourhood} lies in {actual}, not in {given}: "
                        "correct the municipality or the neighbourhood",
                        neighbourhood=shown(u.neighbourhood_id),
                        actual=shown(neighbourhood_municipality[u.neighbourhood_id]),
                        given=shown(u.municipality_id),
                    ),
                )
            )

    for c, row in zip(instance.clients, c_rows):
        kind = personal_data(c.client_id)
        if kind is not None:
            problems.append(Problem(file="clients.csv", row=row, column="client_id", message=refusal(kind)))
        other = personal_data(c.shares_home_with) if c.shares_home_with else None
        if other is not None:
            problems.append(
                Problem(file="clients.csv", row=row, column="shares_home_with", message=refusal(other))
            )
        if c.origin_municipality_id not in municipalities:
            problems.append(
                unknown(
                    "clients.csv", row, "origin_municipality_id", c.origin_municipality_id, "municipality"
                )
            )
        if c.current_municipality_id and c.current_municipality_id not in municipalities:
            problems.append(
                unknown(
                    "clients.csv", row, "current_municipality_id", c.current_municipality_id, "municipality"
                )
            )
        for column in ("preferred_municipalities", "excluded_municipalities"):
            for value in getattr(c, column):
                if value not in municipalities:
                    problems.append(unknown("clients.csv", row, column, value, "municipality"))
        for value in c.excluded_neighbourhoods:
            if value not in neighbourhood_municipality and value not in unparsed_neighbourhoods:
                problems.append(
                    unknown("clients.csv", row, "excluded_neighbourhoods", value, "neighbourhood")
                )

    seen_capacity: set[tuple[str, str]] = set()
    for s, row in zip(instance.support_capacity, s_rows):
        if s.municipality_id not in municipalities:
            problems.append(
                unknown("support_capacity.csv", row, "municipality_id", s.municipality_id, "municipality")
            )
        key = (s.municipality_id, s.support_intensity)
        if key in seen_capacity:
            problems.append(
                Problem(
                    file="support_capacity.csv",
                    row=row,
                    column="support_intensity",
                    message=_(
                        "second row for {municipality} / {intensity}: keep one row per pair",
                        municipality=shown(key[0]),
                        intensity=key[1],
                    ),
                )
            )
        seen_capacity.add(key)

    neighbourhoods = set(neighbourhood_municipality) | unparsed.get("neighbourhood", set())
    for d, row in zip(instance.declined, d_rows):
        if d.client_id not in clients:
            problems.append(unknown("declined.csv", row, "client_id", d.client_id, "client"))
        # a unit that left the pool may be named when the scope names what it rules out
        if d.unit_id not in units and (d.scope == "unit" or d.scope_id is None):
            problem = unknown("declined.csv", row, "unit_id", d.unit_id, "unit")
            if d.scope != "unit":
                problem = problem.model_copy(
                    update={
                        "message": problem.message
                        + _(", or give the {scope} it rules out in scope_id", scope=d.scope)
                    }
                )
            problems.append(problem)
        problems += _scope_problems(d, row, municipalities, neighbourhoods)
    o_rows = _rows(rows.get(OTHER_PLACEMENTS_FILE), len(instance.other_placements))
    for o, row in zip(instance.other_placements, o_rows):
        if o.neighbourhood_id not in neighbourhoods:
            problems.append(
                unknown(OTHER_PLACEMENTS_FILE, row, "neighbourhood_id", o.neighbourhood_id, "neighbourhood")
            )

    problems += _provider_capacity_problems(instance.provider_capacity, p_rows, municipalities, unknown)
    problems += agreement_problems(instance.agreements, a_rows)
    for a, row in zip(instance.agreements, a_rows):
        if a.kind == "municipality" and a.party not in municipalities:
            problems.append(unknown("agreements.csv", row, "party", a.party, "municipality"))
    return problems


def _provider_capacity_problems(
    capacity: Sequence[ProviderCapacity],
    rows: Rows,
    municipalities: set[str],
    unknown: Callable[[str, int | None, str, str, str], Problem],
) -> list[Problem]:
    """provider_capacity.csv: every municipality must exist, one row per (provider, municipality).
    A provider no client names is fine (its slots go unused)."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for s, row in zip(capacity, rows):
        if s.municipality_id not in municipalities:
            problems.append(
                unknown("provider_capacity.csv", row, "municipality_id", s.municipality_id, "municipality")
            )
        key = (s.provider, s.municipality_id)
        if key in seen:
            problems.append(
                Problem(
                    file="provider_capacity.csv",
                    row=row,
                    column="municipality_id",
                    message=_(
                        "second row for provider {provider} in {municipality}: keep one row per "
                        "provider and municipality",
                        provider=shown(s.provider),
                        municipality=shown(s.municipality_id),
                    ),
                )
            )
        seen.add(key)
    return problems


def _scope_problems(
    d: DeclinedPair, row: int | None, municipalities: set[str], neighbourhoods: set[str]
) -> list[Problem]:
    """A scope_id must fit its scope: none for `unit`, a known neighbourhood or municipality."""
    if d.scope_id is None:
        return []
    if d.scope == "unit":
        message = _(
            "scope_id {id} with scope unit: a unit decline rules out the unit only; "
            "leave scope_id empty, or give the scope it names (site, neighbourhood, landlord, municipality)",
            id=shown(d.scope_id),
        )
    elif d.scope == "neighbourhood" and d.scope_id not in neighbourhoods:
        message = _(
            "unknown {kind} {id}: add it to {file} or correct the id",
            kind=_(KIND_WORDS["neighbourhood"]),
            id=shown(d.scope_id),
            file="neighbourhoods.csv",
        )
    elif d.scope == "municipality" and d.scope_id not in municipalities:
        message = _(
            "unknown {kind} {id}: add it to {file} or correct the id",
            kind=_(KIND_WORDS["municipality"]),
            id=shown(d.scope_id),
            file="municipalities.csv",
        )
    else:
        return []
    return [Problem(file="declined.csv", row=row, column="scope_id", message=message)]


def contact_problems(instance: Instance, rows: Rows | None = None) -> list[Problem]:
    """contacts.csv rows whose landlord is another spelling of a landlord of units.csv (the same
    once case, accents and spaces are set aside): a typo that would leave that corporation's
    workbook without its contact. A landlord no unit names at all is accepted: a standing list of
    contacts names corporations that have no vacancy this week (found by the 26-week example,
    examples/cycle.py), unless it reads as a phone, citizen service number or other personal data
    than a name (corporations' names read as names, and contacts.csv is where names belong). Checked when an instance is read, not by the model. The landlord is shown
    as any id is (`shown`: masked when it reads as personal data)."""
    landlords = {u.landlord for u in instance.units}
    spelled = {_spelling(landlord) for landlord in landlords}
    return [
        Problem(
            file="contacts.csv",
            row=row,
            column="landlord",
            message=_(
                "units.csv writes landlord {landlord} differently: write the landlord exactly as "
                "units.csv does (spelling, accents, spaces)",
                landlord=shown(contact.landlord),
            ),
        )
        for contact, row in zip(instance.contacts, _rows(rows, len(instance.contacts)))
        if contact.landlord is not None
        and contact.landlord not in landlords
        and (_spelling(contact.landlord) in spelled or personal_data(contact.landlord) not in (None, "name"))
    ]


def _spelling(name: str) -> str:
    """A name without case, accents and spaces: `Pre wonen` and `Pré Wonen` spell one name."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name)
    return "".join(char for char in plain if char.isalnum()).casefold()
