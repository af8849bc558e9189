"""An instance: everything one weekly allocation run reads, checked across files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from matcher.i18n import N_, _
from models.client import Client
from models.contact import Contact
from models.fields import FROZEN, Id, Intensity
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
    policy: Policy
    # staff contacts (contacts.csv, optional): shown in landlord workbooks, never read by the solve
    contacts: tuple[Contact, ...] = ()

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
    """contacts.csv rows whose landlord no unit names: a contact of a corporation the instance
    does not know (a typo, or another spelling than units.csv's). Checked when an instance is
    read, not by the model: a solved instance keeps only the landlords with units left. The
    landlord is shown as any id is (`shown`: masked when it reads as personal data)."""
    landlords = {u.landlord for u in instance.units}
    return [
        Problem(
            file="contacts.csv",
            row=row,
            column="landlord",
            message=_(
                "no unit in units.csv has landlord {landlord}: write the landlord exactly as units.csv "
                "does (spelling, accents, spaces)",
                landlord=shown(contact.landlord),
            ),
        )
        for contact, row in zip(instance.contacts, _rows(rows, len(instance.contacts)))
        if contact.landlord is not None and contact.landlord not in landlords
    ]
