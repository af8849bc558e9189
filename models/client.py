"""A client ready to move out of BW, MO, VO or residential youth care."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.fields import FROZEN, Bool, Day, Id, IdList, Intensity, Source, UnitTypeList, Urgency


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
