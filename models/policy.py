"""The region's agreed rules: `policy.yaml`, with every default of the allocation rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from matcher.i18n import _
from models.fields import FROZEN, INTENSITIES, URGENCIES, Day, Number, UnitType, Whole


def _default_compatibility() -> dict[str, tuple[UnitType, ...]]:
    return {
        "light": ("social_rental", "room", "cluster"),
        "ambulant": ("social_rental", "room", "cluster"),
        "intensive": ("social_rental", "cluster"),
        "protected": ("cluster",),
    }


class Period(BaseModel):
    """The allocation period: usually one week from its start date."""

    model_config = FROZEN

    start: Day
    days: Whole = Field(default=7, ge=1, le=366)

    @property
    def end(self) -> date:
        """Last day of the period, inclusive."""
        return self.start + timedelta(days=self.days - 1)


class Spreading(BaseModel):
    """How placements count against a neighbourhood's carrying capacity."""

    model_config = FROZEN

    max_load_per_1000_dwellings: Number = Field(default=5, ge=0)
    load_weight: dict[str, Whole] = Field(
        default_factory=lambda: {"light": 1, "ambulant": 1, "intensive": 2, "protected": 2}
    )
    exempt_types: tuple[UnitType, ...] = ("skaeve_huis",)
    # weeks a placement recorded in the ledger keeps counting against its neighbourhood: the
    # placements of this period and of the `window_weeks` weeks before it (decision 96)
    window_weeks: Whole = Field(default=26, ge=1, le=520)

    @field_validator("load_weight")
    @classmethod
    def _every_intensity_weighted(cls, weights: dict[str, int]) -> dict[str, int]:
        merged = {"light": 1, "ambulant": 1, "intensive": 2, "protected": 2} | dict(weights)
        unknown = set(merged) - set(INTENSITIES)
        if unknown:
            raise ValueError(
                _(
                    "unknown support intensity {given}; use {known}",
                    given=sorted(unknown),
                    known=list(INTENSITIES),
                )
            )
        if any(int(w) != w or w < 0 for w in merged.values()):
            raise ValueError(_("load weights must be whole numbers ≥ 0"))
        return {k: int(v) for k, v in merged.items()}


class Priority(BaseModel):
    """How urgency and time waited become the priority weight w."""

    model_config = FROZEN

    urgency_base: dict[str, Whole] = Field(default_factory=lambda: {"normal": 100, "high": 150, "acute": 200})
    per_week_waiting: Whole = Field(default=1, ge=0)
    max_waiting_weeks: Whole = Field(default=52, ge=0)
    # added to w(c) of a client in target group `family` (families with minor children are extra
    # urgent in the regional programmes; issue 14, item 6)
    family_bonus: Whole = Field(default=50, ge=0)

    @field_validator("urgency_base")
    @classmethod
    def _every_urgency_based(cls, bases: dict[str, int]) -> dict[str, int]:
        merged = {"normal": 100, "high": 150, "acute": 200} | dict(bases)
        unknown = set(merged) - set(URGENCIES)
        if unknown:
            raise ValueError(
                _("unknown urgency {given}; use {known}", given=sorted(unknown), known=list(URGENCIES))
            )
        if any(v < 0 for v in merged.values()):
            raise ValueError(_("urgency bases must be ≥ 0"))
        return merged


class Preference(BaseModel):
    """Scores p for placing a client in their origin, preferred or current municipality, plus
    the points for a home the client can stay in (issue 14)."""

    model_config = FROZEN

    origin: Whole = Field(default=30, ge=0)
    preferred: tuple[Whole, ...] = Field(default=(20, 15, 10), min_length=1)
    current: Whole = Field(default=10, ge=0)
    # added for a light or ambulant client in a unit of permanent tenancy, in a week whose
    # units include a trajectory unit (docs/allocation-rules.md, "Which allocation is best")
    permanent: Whole = Field(default=10, ge=0)
    # added for a client who stays in the unit they live in (omklappen)
    stay: Whole = Field(default=30, ge=0)

    @field_validator("preferred")
    @classmethod
    def _non_negative(cls, scores: tuple[int, ...]) -> tuple[int, ...]:
        if any(score < 0 for score in scores):
            raise ValueError(_("preference scores must be ≥ 0"))
        return scores

    def for_rank(self, rank: int) -> int:
        """Score of the rank-th preferred municipality (1-based); later ranks get the last value."""
        return self.preferred[min(rank, len(self.preferred)) - 1]


class Refusals(BaseModel):
    """What happens when a client refuses suitable offers (an extension of the allocation rules)."""

    model_config = FROZEN

    max_refusals: Whole = Field(default=2, ge=1)
    lapse_to: Literal["normal", "high", "acute"] = "normal"


# Rent limits of appropriate allocation (passend toewijzen) per household size: the national
# "aftoppingsgrenzen" of the housing allowance (huurtoeslag), in force from 1 January 2026: the
# lower limit for households of 1 or 2 persons, the higher for 3 or more. Source: Regeling
# huurtoeslaggrenzen 2026 (Staatscourant 2025, 39783), EUR 713.02 and EUR 764.14; consistent with
# the 2025 limits (EUR 682.96 and 731.93, huurstunt.nl/begrippen/wat-is-de-aftoppingsgrens) raised
# by the same 4.4 % as the 2026 kwaliteitskortingsgrens (EUR 477.20 -> 498.20, streekgids.nl,
# "Nieuwe regels huurtoeslag vanaf 2026"). The national limits apply to
# the bare rent (kale huur); units.csv holds the rent with service costs, so comparing it with
# them is the cautious side. Update these each January (or set them in policy.yaml).
AFFORDABILITY_2026 = (713.02, 713.02, 764.14)


class Affordability(BaseModel):
    """The highest rent that is appropriate for a household (passend toewijzen), by household size.

    `rent_limits[k]` holds for a household of k + 1 persons; larger households take the last.
    `matcher explain` never suggests raising a client's max rent above this limit.
    """

    model_config = FROZEN

    rent_limits: tuple[Number, ...] = Field(default=AFFORDABILITY_2026, min_length=1)

    @field_validator("rent_limits")
    @classmethod
    def _non_negative(cls, limits: tuple[float, ...]) -> tuple[float, ...]:
        if any(limit < 0 for limit in limits):
            raise ValueError(_("rent limits must be ≥ 0"))
        return limits

    def limit_for(self, household_size: int) -> float:
        """The rent limit for a household of `household_size` persons (1 or more)."""
        return self.rent_limits[min(max(household_size, 1), len(self.rent_limits)) - 1]


class FairShare(BaseModel):
    """The share period of the fair-share level: placements housed through the ledger from
    `since` (default: 1 January of the period start's year) up to this period count as placed
    so far."""

    model_config = FROZEN

    since: Day | None = None

    def start(self, period_start: date) -> date:
        """The first day of the share period for a period starting on `period_start`."""
        return self.since if self.since is not None else date(period_start.year, 1, 1)


class Policy(BaseModel):
    """Every rule the region agreed, with the defaults of the allocation rules."""

    model_config = FROZEN

    period: Period
    origin_rule: Literal["prefer", "region", "strict"] = "prefer"
    compatibility: dict[str, tuple[UnitType, ...]] = Field(default_factory=_default_compatibility)
    spreading: Spreading = Field(default_factory=Spreading)
    priority: Priority = Field(default_factory=Priority)
    preference: Preference = Field(default_factory=Preference)
    refusals: Refusals = Field(default_factory=Refusals)
    affordability: Affordability = Field(default_factory=Affordability)
    fair_share: FairShare = Field(default_factory=FairShare)

    @field_validator("compatibility")
    @classmethod
    def _every_intensity_compatible(
        cls, compatibility: dict[str, tuple[str, ...]]
    ) -> dict[str, tuple[str, ...]]:
        merged = _default_compatibility() | dict(compatibility)
        unknown = set(merged) - set(INTENSITIES)
        if unknown:
            raise ValueError(
                _(
                    "unknown support intensity {given}; use {known}",
                    given=sorted(unknown),
                    known=list(INTENSITIES),
                )
            )
        return merged

    @model_validator(mode="before")
    @classmethod
    def _period_required(cls, data: object) -> object:
        if isinstance(data, dict) and "period" not in data:
            raise ValueError(_("policy.yaml needs `period: {start: YYYY-MM-DD}`"))
        return data
