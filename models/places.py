"""Municipalities (gemeenten) and neighbourhoods (CBS wijken)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator

from matcher.i18n import _
from models.fields import FROZEN, Id


class Municipality(BaseModel):
    """A municipality taking part in the regional priority scheme."""

    model_config = FROZEN

    municipality_id: Id
    name: Id
    region: Id
    population: int = Field(ge=0)
    max_intake: int | None = Field(default=None, ge=0)
    # the share of placements the region agreed for it; None: its population share of what the
    # given shares leave (`matcher.rules.objectives.target_shares`)
    target_share: float | None = None
    # placements in it earlier in the share period (e.g. this year), before this week
    placed_so_far: int = Field(default=0, ge=0)

    @field_validator("target_share")
    @classmethod
    def _a_share(cls, share: float | None) -> float | None:
        if share is not None and not 0 <= share <= 1:
            raise ValueError(_("must be a share between 0 and 1, e.g. 0.28 for 28 %"))
        return share


class Neighbourhood(BaseModel):
    """A neighbourhood whose carrying capacity (draagkracht) the spreading cap protects."""

    model_config = FROZEN

    neighbourhood_id: Id
    municipality_id: Id
    name: Id
    dwellings: int = Field(ge=0)
    recent_load: float = Field(default=0.0, ge=0)
    cap: float | None = Field(default=None, ge=0)
    closed_until: date | None = None  # no new placements while period.start ≤ closed_until (rule 9)
