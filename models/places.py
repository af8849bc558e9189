"""Municipalities (gemeenten) and neighbourhoods (CBS wijken)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.fields import FROZEN, Id


class Municipality(BaseModel):
    """A municipality taking part in the regional priority scheme."""

    model_config = FROZEN

    municipality_id: Id
    name: Id
    region: Id
    population: int = Field(ge=0)
    max_intake: int | None = Field(default=None, ge=0)


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
