"""A client ready to move out of BW, MO, VO or residential youth care."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from matcher.i18n import _
from models.fields import FROZEN, Bool, Day, Id, IdList, Intensity, Source, UnitTypeList, Urgency
from models.privacy import shown
from models.problems import Problem

# Intensities whose clients should get a home they can stay in (`preference.permanent`, issue 14)
SETTLED_INTENSITIES: tuple[str, ...] = ("light", "ambulant")


class Client(BaseModel):
    """A person with a priority decision (urgentie) waiting for a unit; known by pseudonym only."""

    model_config = FROZEN

    client_id: Id
    source: Source
    origin_municipality_id: Id
    current_municipality_id: str | None = None
    support_intensity: Intensity
    household_size: int = Field(default=1, ge=1)
    max_rent: float | None = Field(default=None, ge=0)
    needs_accessible: Bool = False
    eligible_types: UnitTypeList | None = None
    preferred_municipalities: IdList = ()
    excluded_municipalities: IdList = ()
    excluded_neighbourhoods: IdList = ()
    urgency: Urgency = "normal"
    registered_on: Day
    ready_from: Day | None = None
    # the unit the client lives in now under a trajectory contract: when it is among this week's
    # units, it is offered to this client only, to stay (omklappen, issue 14)
    current_unit_id: Id | None = None

    def stays_in(self, unit_id: str) -> bool:
        """True when `unit_id` is the home the client lives in (omklappen: no new load)."""
        return self.current_unit_id is not None and self.current_unit_id == unit_id


def shared_home_problems(
    clients: Sequence[Client], rows: Sequence[int | None] | None = None
) -> list[Problem]:
    """A `current_unit_id` that more than one client names: a unit is home to one client (one
    household) at a time, so which of them may stay is unclear. One problem per row after the first."""
    rows = rows if rows is not None else [None] * len(clients)
    first: dict[str, int | None] = {}
    problems = []
    for client, row in zip(clients, rows):
        unit = client.current_unit_id
        if unit is None:
            continue
        if unit not in first:
            first[unit] = row
            continue
        where = _(" (row {row})", row=first[unit]) if first[unit] is not None else ""
        problems.append(
            Problem(
                file="clients.csv",
                row=row,
                column="current_unit_id",
                message=_(
                    "unit {unit} is already the current unit of another client{where}: a unit is home "
                    "to one client; correct the current_unit_id of one of them",
                    unit=shown(unit),
                    where=where,
                ),
            )
        )
    return problems
