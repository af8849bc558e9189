"""A unit a corporation or landlord has made available to the priority scheme."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from matcher.i18n import _
from models.fields import FROZEN, Bool, Day, Id, UnitType


class Unit(BaseModel):
    """A social-rental home, room, cluster place or Skaeve Huis."""

    model_config = FROZEN

    unit_id: Id
    type: UnitType
    landlord: Id
    municipality_id: Id
    neighbourhood_id: Id
    site_id: Id | None = None  # an id like the others: no formula start, no control characters
    rent: float = Field(ge=0)
    max_household: int = Field(default=1, ge=1)
    accessible: Bool = False
    available_from: Day

    @model_validator(mode="after")
    def _site_for_grouped_housing(self) -> Unit:
        if self.type in ("cluster", "skaeve_huis") and not self.site_id:
            raise ValueError(_("site_id is required for a {type} unit: name its site", type=self.type))
        return self
