"""A stress-test scenario file: a base instance, a grid of policy changes, arrivals, seeds.

The file is YAML (see docs/stress-tests.md). Loading checks everything at once and raises
`ScenarioError` naming the file and the key of each problem, so a planner fixes the file in one
pass. Every combination of the grid's values is one *scenario*; each scenario runs under each
allocation policy for each seed.

Every resource a file can ask for has a budget (docs/stress-tests.md, *Budgets*): the file's own
size, arrivals and the week-1 queue and vacancies, weeks, seeds, grid values and scenarios, and the
simulated weeks of the whole sweep (scenarios × policies × seeds × weeks, the one budget a planner
may raise, with `Budgets`). `estimate_memory` turns the same figures into the peak memory of a
worker and of the process collecting the tables, and `check_memory` compares it with the machine
before anything starts: a file asking for too much is refused in milliseconds, naming the key, the
value, the budget and what to do, instead of growing until the kernel kills it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from matcher.generate.instance import DEFAULT_WEEK
from matcher.generate.regions import REGION_NAMES
from models import Instance, Municipality, Neighbourhood, Policy, SupportCapacity
from models.fields import INTENSITIES, URGENCIES

STRICT = ConfigDict(frozen=True, extra="forbid")
Allocation = Literal["optimiser", "greedy", "lookahead"]
ALLOCATIONS: tuple[Allocation, ...] = ("optimiser", "greedy")  # the default; `lookahead` on request
GRID_KEYS = (
    "max_load_per_1000_dwellings",
    "neighbourhood_caps",
    "municipality_intake",
    "support_slots",
    "origin_rule",
    "urgency_weights",
    "per_week_waiting",
    "refusals",
    "declines",
)

# --- budgets: the most a scenario file may ask for (docs/stress-tests.md, "Budgets") -----------------
MAX_FILE_BYTES = 1 * 2**20  # a scenario file is a page of YAML; read whole only below this
MAX_YAML_DEPTH = 20  # nesting of the YAML; no anchors or aliases at all
MAX_ARRIVALS_PER_WEEK = 2_000  # Poisson mean of new clients, and of new vacancies, a week
MAX_BASE_CLIENTS = 20_000  # the generated queue of week 1
MAX_BASE_UNITS = 20_000  # the generated vacancies of week 1
MAX_WEEKS = 520  # horizon, window and vacancy weeks: ten years
MAX_SEEDS = 1_000
MAX_GRID_VALUES = 100  # values of one grid key
MAX_SCENARIOS = 10_000  # combinations of the grid
MAX_SCENARIO_WEEKS = 200_000  # scenarios × policies × seeds × horizon weeks; raise with Budgets
LAST_DAY = date(9999, 12, 31)  # dates of the simulation stay before the year 10000


@dataclass(frozen=True)
class Budgets:
    """The budgets a planner may raise explicitly (`matcher stress --max-scenario-weeks`)."""

    max_scenario_weeks: int = MAX_SCENARIO_WEEKS


def _amount(value: float) -> str:
    """1e9 as 1,000,000,000; 2.5 as 2.5."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _within(value: float, budget: int, what: str, advice: str) -> None:
    """Raise the budget message when `value` is above `budget`."""
    if not value <= budget:  # also catches NaN
        raise ValueError(f"{_amount(value)} {what} is above the budget of {budget:,}: {advice}")


class ScenarioError(Exception):
    """A scenario file that cannot be run, with every problem found: (key, message) pairs."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem: `file: key: message`."""
        return [
            f"{self.file}: {key}: {message}" if key else f"{self.file}: {message}"
            for key, message in self.problems
        ]


# --- the parts of a scenario file ----------------------------------------------------------------


class Base(BaseModel):
    """Where week 1 starts from: a region drawn by the generator, or an instance folder."""

    model_config = STRICT

    region: str | None = Field(default=None, description="a generator region, e.g. west-friesland")
    clients: int | None = Field(default=None, ge=1, description="clients waiting in week 1")
    units: int | None = Field(default=None, ge=1, description="vacancies open in week 1")
    seed: int | None = Field(
        default=None, ge=0, description="fixed generator seed; default: each run seed draws its own base"
    )
    week: date = Field(default=DEFAULT_WEEK, description="first day of week 1")
    instance: Path | None = Field(default=None, description="instance folder, relative to the scenario file")

    @model_validator(mode="after")
    def _one_source(self) -> Base:
        if (self.region is None) == (self.instance is None):
            raise ValueError("give either `region` (with clients and units) or `instance`, not both")
        if self.region is not None:
            if self.region not in REGION_NAMES:
                raise ValueError(f"unknown region {self.region!r}: choose one of {', '.join(REGION_NAMES)}")
            if self.clients is None or self.units is None:
                raise ValueError(
                    "a generated base needs `clients` and `units` (the queue and vacancies of week 1)"
                )
        elif self.clients is not None or self.units is not None or self.seed is not None:
            raise ValueError("`clients`, `units` and `seed` belong to a generated base, not to `instance`")
        return self

    @field_validator("clients")
    @classmethod
    def _clients_budget(cls, value: int | None) -> int | None:
        if value is not None:
            _within(
                value,
                MAX_BASE_CLIENTS,
                "clients waiting in week 1",
                "a regional queue is hundreds to a few thousand; lower base.clients, or run one "
                "sweep per region",
            )
        return value

    @field_validator("units")
    @classmethod
    def _units_budget(cls, value: int | None) -> int | None:
        if value is not None:
            _within(
                value,
                MAX_BASE_UNITS,
                "vacancies open in week 1",
                "a region offers tens of vacancies a week; lower base.units, or run one sweep per region",
            )
        return value


class Arrivals(BaseModel):
    """New clients and vacancies per week: Poisson counts, drawn from the generator or resampled."""

    model_config = STRICT

    clients_per_week: float = Field(ge=0)
    units_per_week: float = Field(ge=0)
    source: Literal["generator", "resample"] | None = Field(
        default=None, description="generator (default for a region base) or resample (for a folder)"
    )

    @field_validator("clients_per_week", "units_per_week")
    @classmethod
    def _per_week_budget(cls, value: float, info: ValidationInfo) -> float:
        what = "new clients a week" if info.field_name == "clients_per_week" else "new vacancies a week"
        _within(
            value,
            MAX_ARRIVALS_PER_WEEK,
            what,
            f"a region sees tens a week, the whole country a few hundred; lower arrivals.{info.field_name} "
            "(it is the Poisson mean per week, not a total), or run one sweep per region",
        )
        return value


# Chance that a client declines an offer, by how the home fits them (docs/stress-tests.md,
# "Declines"). The gradient is an assumption; its average over the generator's mix of matches
# (about 20 % origin, 25 % preferred or current, 55 % elsewhere) stays at the former flat 10 %.
CLIENT_DECLINES = {"origin": 0.05, "preferred": 0.08, "current": 0.08, "elsewhere": 0.15}
AFTER_REFUSAL = 0.5  # each earlier refusal by the client halves the chance (the urgency is at stake)
LANDLORD_DECLINES = 0.05
MATCH_CLASSES = tuple(CLIENT_DECLINES)


class ClientDeclines(BaseModel):
    """The chance that the client declines an offer, by where the home lies for them.

    `origin`: in their municipality of origin; `preferred`: in one of their preferred
    municipalities; `current`: where they stay now; `elsewhere`: anywhere else (the first that
    applies, in this order, as for the preference score p). Each earlier refusal by the same
    client multiplies the chance by `after_refusal`. A plain number in the file is the same chance
    everywhere with no history effect.
    """

    model_config = STRICT

    origin: float = Field(default=CLIENT_DECLINES["origin"], ge=0, le=1)
    preferred: float = Field(default=CLIENT_DECLINES["preferred"], ge=0, le=1)
    current: float = Field(default=CLIENT_DECLINES["current"], ge=0, le=1)
    elsewhere: float = Field(default=CLIENT_DECLINES["elsewhere"], ge=0, le=1)
    after_refusal: float = Field(default=AFTER_REFUSAL, ge=0, description="factor per earlier refusal")

    @classmethod
    def flat(cls, chance: float) -> ClientDeclines:
        """The same chance for every match and history."""
        return cls(origin=chance, preferred=chance, current=chance, elsewhere=chance, after_refusal=1.0)

    def chance(self, match: str, refusals: int) -> float:
        """The chance of declining a `match` (origin, preferred, current, elsewhere) after
        `refusals` earlier refusals, at most 1."""
        return min(1.0, float(getattr(self, match)) * float(self.after_refusal) ** refusals)

    def label(self) -> str:
        flat = {self.origin, self.preferred, self.current, self.elsewhere}
        if len(flat) == 1 and self.after_refusal == 1:
            return f"{self.origin:g}"
        return (
            f"{self.origin:g}/{self.preferred:g}/{self.current:g}/{self.elsewhere:g} ×{self.after_refusal:g}"
        )


def _client_declines(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # refused by the model: a chance is a number
    if isinstance(value, (int, float)):
        if not 0 <= value <= 1:
            raise ValueError("a chance must be between 0 and 1")
        return ClientDeclines.flat(float(value))
    return value


class Declines(BaseModel):
    """The chance that a client, or the landlord, declines a proposed match."""

    model_config = STRICT

    client: Annotated[ClientDeclines, BeforeValidator(_client_declines)] = Field(
        default_factory=ClientDeclines
    )
    landlord: float = Field(default=LANDLORD_DECLINES, ge=0, le=1)

    def label(self) -> str:
        return f"client {self.client.label()}, landlord {self.landlord:g}"

    def refusal_floor(self) -> float:
        """The fewest refused offers one placement costs on average under this refusal model,
        whatever the policy: every offer made with the lowest decline chance of any match (its
        municipality of origin, usually). The landlord declines any offer with its chance; the
        client declines with `chance(best, k)` after k refusals of theirs. E_k, the expected
        refusals before the client accepts, satisfies E_k = l / (1 − l) + c_k (1 + E_{k+1})."""
        landlord = float(self.landlord)
        if landlord >= 1:
            return float("inf")
        best = min(MATCH_CLASSES, key=lambda match: self.client.chance(match, 0))
        steps = 200
        tail = self.client.chance(best, steps)  # from here on c_k is (nearly) constant: E's fixed point
        if tail >= 1:
            return float("inf")
        later = (landlord / (1 - landlord) + tail) / (1 - tail)
        for k in reversed(range(steps)):
            chance = self.client.chance(best, k)
            if chance >= 1:
                return float("inf")
            later = landlord / (1 - landlord) + chance * (1 + later)
        return later


# --- agreements: intake ceilings and support slots per period, consumed week by week -------------

PERIOD_WEEKS = {"week": 1, "quarter": 13, "year": 52}
INTAKE_SLACK = 1.5  # derived intake: population share of the period's vacancies × this (generator: 1.2-1.8)
SLOTS_SLACK = 1.1  # derived slots: expected placements of an intensity × this (generator: 0.7-1.5)
SCARCE_INTENSITIES = ("intensive", "protected")  # the intensities derived slots limit


def _agreement(what: str):
    def parse(value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("base", "none", "derived"):
            return value.strip().lower()
        if isinstance(value, dict) and value:
            _check_set(what, value)
            return {str(key): item for key, item in value.items()}
        raise ValueError(f"use `derived`, `base`, `none` or a mapping of {AGREEMENT_WORDS[what]}")

    return BeforeValidator(parse)


AGREEMENT_WORDS = {
    "municipality_intake": "municipality ids to placements per period",
    "support_slots": "municipality ids to {intensity: slots} per period",
}


class Agreements(BaseModel):
    """Intake ceilings and support slots as a region agrees them: per year or quarter, used up by
    the placements of the period's weeks (not given afresh to every weekly run)."""

    model_config = STRICT

    period: Literal["week", "quarter", "year"] = Field(
        default="year", description="what one figure covers: week (every run afresh), quarter, year"
    )
    intake: Annotated[Any, _agreement("municipality_intake")] = Field(
        default="derived",
        description="derived | base | none | {GM0405: 40}: placements per municipality per period",
    )
    slots: Annotated[Any, _agreement("support_slots")] = Field(
        default="derived",
        description="derived | base | none | {GM0405: {intensive: 12}}: new clients per period",
    )
    intake_slack: float = Field(default=INTAKE_SLACK, ge=0)
    slots_slack: float = Field(default=SLOTS_SLACK, ge=0)

    @property
    def weeks(self) -> int:
        return PERIOD_WEEKS[self.period]

    def label(self) -> str:
        def words(value: Any) -> str:
            return value if isinstance(value, str) else f"{len(value)} set"

        return f"per {self.period}: intake {words(self.intake)}, slots {words(self.slots)}"


class Override(BaseModel):
    """One grid value for caps, intake or slots: keep the base, drop all, scale, or set some."""

    model_config = STRICT

    mode: Literal["base", "none", "scale", "set"]
    scale: float | None = None
    values: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, value: Any, what: str) -> Override:
        """`base`, `none`, `{scale: 1.5}` or a mapping of ids to values."""
        if isinstance(value, str) and value.strip().lower() in ("base", "none"):
            return cls(mode=value.strip().lower())
        if isinstance(value, dict) and set(value) == {"scale"}:
            scale = value["scale"]
            if (
                isinstance(scale, bool)
                or not isinstance(scale, (int, float))
                or scale < 0
                or not math.isfinite(scale)
            ):
                raise ValueError("scale must be a number ≥ 0")
            return cls(mode="scale", scale=float(scale))
        if isinstance(value, dict) and value:
            return cls(mode="set", values={str(key): item for key, item in value.items()})
        raise ValueError(f"use `base`, `none`, `{{scale: 1.5}}` or a mapping of {what}")

    def label(self) -> str:
        if self.mode == "scale":
            return f"×{self.scale:g}"
        if self.mode == "set":
            return ";".join(f"{key}={_short(value)}" for key, value in self.values.items())
        return self.mode


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "/".join(f"{key}:{item}" for key, item in value.items())
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _count(value: Any) -> int | None:
    """A limit cell: a whole number ≥ 0, or null for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or int(value) != value:
        raise ValueError(f"{value!r} is not a whole number ≥ 0 (or null for no limit)")
    return int(value)


class RefusalRule(BaseModel):
    """How many declined offers before a client's urgency lapses, and to what."""

    model_config = STRICT

    max_refusals: int = Field(default=2, ge=1)
    lapse_to: Literal["normal", "high", "acute"] = "normal"


def _override(field: str, what: str):
    """The validator of one grid value of `field` (caps, intake or slots)."""

    def parse(value: Any) -> Override:
        if isinstance(value, Override):
            return value
        override = Override.parse(value, what)
        if override.mode == "set":
            _check_set(field, override.values)
        return override

    return BeforeValidator(parse)


NeighbourhoodCaps = Annotated[Any, _override("neighbourhood_caps", "neighbourhood ids to caps")]
MunicipalityIntake = Annotated[Any, _override("municipality_intake", "municipality ids to intake limits")]
SupportSlots = Annotated[Any, _override("support_slots", "municipality ids to {intensity: slots}")]


class Grid(BaseModel):
    """Policy changes to try; every combination of the listed values is one scenario."""

    model_config = STRICT

    max_load_per_1000_dwellings: list[float] | None = None
    neighbourhood_caps: list[NeighbourhoodCaps] | None = None
    municipality_intake: list[MunicipalityIntake] | None = None
    support_slots: list[SupportSlots] | None = None
    origin_rule: list[Literal["prefer", "region", "strict"]] | None = None
    urgency_weights: list[dict[Literal["normal", "high", "acute"], int]] | None = None
    per_week_waiting: list[int] | None = None
    refusals: list[RefusalRule] | None = None
    declines: list[Declines] | None = None

    @field_validator("*")
    @classmethod
    def _non_empty(cls, values: list | None) -> list | None:
        if values is not None and not values:
            raise ValueError("list at least one value, or leave the key out")
        if values is not None:
            _within(
                len(values),
                MAX_GRID_VALUES,
                "values",
                "a grid key compares a handful of settings; list fewer, or split the sweep into files",
            )
        return values

    @model_validator(mode="after")
    def _scenarios_budget(self) -> Grid:
        count = self.scenario_count
        if count > MAX_SCENARIOS:
            sizes = " × ".join(f"{len(getattr(self, key))} {key}" for key in GRID_KEYS if getattr(self, key))
            _within(
                count,
                MAX_SCENARIOS,
                f"scenarios ({sizes})",
                "every combination of the grid's values is one scenario; list fewer values, "
                "or split the grid over several files",
            )
        return self

    @property
    def scenario_count(self) -> int:
        """How many scenarios the grid makes, without making them."""
        return math.prod(len(getattr(self, key)) for key in GRID_KEYS if getattr(self, key) is not None)

    @field_validator("max_load_per_1000_dwellings")
    @classmethod
    def _non_negative(cls, values: list[float] | None) -> list[float] | None:
        if values and any(value < 0 or not math.isfinite(value) for value in values):
            raise ValueError("caps per 1,000 dwellings must be numbers ≥ 0")
        return values

    @field_validator("per_week_waiting")
    @classmethod
    def _non_negative_int(cls, values: list[int] | None) -> list[int] | None:
        if values and any(value < 0 for value in values):
            raise ValueError("points per week waited must be ≥ 0")
        return values

    @field_validator("urgency_weights")
    @classmethod
    def _weights(cls, values: list[dict] | None) -> list[dict] | None:
        for weights in values or []:
            if any(value < 0 for value in weights.values()):
                raise ValueError("urgency weights must be ≥ 0")
        return values


def _check_set(field: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if field == "neighbourhood_caps":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
            ):
                raise ValueError(f"cap of {key} must be a number ≥ 0 or null")
        elif field == "municipality_intake":
            try:
                _count(value)
            except ValueError as error:
                raise ValueError(f"intake of {key}: {error}") from None
        else:
            if not isinstance(value, dict):
                raise ValueError(
                    f"slots of {key} must map support intensities to slots, e.g. {{intensive: 2}}"
                )
            for intensity, slots in value.items():
                if intensity not in INTENSITIES:
                    raise ValueError(
                        f"{key}: unknown support intensity {intensity!r}; use {', '.join(INTENSITIES)}"
                    )
                try:
                    _count(slots)
                except ValueError as error:
                    raise ValueError(f"slots of {key}/{intensity}: {error}") from None


class HindsightSettings(BaseModel):
    """The hindsight yardstick: the clairvoyant optimum of every scenario and seed."""

    model_config = STRICT

    answers: Literal["known", "ignored"] = Field(
        default="known", description="known: it knows every offer's answer; ignored: every offer is accepted"
    )
    seconds: float = Field(default=600, gt=0, le=86_400, description="time limit of one solve")


class LookaheadSettings(BaseModel):
    """The look-ahead policy (`matcher.stress.lookahead`): how far and how often it forecasts."""

    model_config = STRICT

    weeks: int = Field(default=8, ge=1, le=52, description="forecast weeks H after the current week")
    samples: int = Field(
        default=3, ge=1, le=20, description="forecast draws averaged (sample-average approximation)"
    )
    discount: float = Field(
        default=0.9, gt=0, le=1, description="value of a placement one week later, relative to now"
    )
    seconds: float = Field(default=20, gt=0, le=3_600, description="time limit of one week's solve")
    holding: float = Field(
        default=0.05,
        ge=0,
        le=10,
        description="cost of a vacancy-week left empty, as a share of the queue's mean priority weight",
    )


def _hindsight(value: Any) -> Any:
    if value is True:
        return HindsightSettings()
    if value is False:
        return None
    return value


class Sweep(BaseModel):
    """A whole scenario file."""

    model_config = STRICT

    name: str = Field(min_length=1)
    description: str = ""
    base: Base
    horizon_weeks: int = Field(ge=1)
    window_weeks: int = Field(default=26, ge=1, description="rolling window of a neighbourhood's recent load")
    vacancy_weeks: int = Field(
        default=4, ge=1, description="weeks a vacancy stays in the scheme before it returns to the landlord"
    )
    arrivals: Arrivals
    declines: Declines = Field(default_factory=Declines)
    agreements: Agreements = Field(default_factory=Agreements)
    allocation: list[Allocation] = Field(default_factory=lambda: list(ALLOCATIONS))
    seeds: list[int] = Field(min_length=1)
    grid: Grid = Field(default_factory=Grid)
    lookahead: LookaheadSettings = Field(default_factory=LookaheadSettings)
    hindsight: Annotated[HindsightSettings | None, BeforeValidator(_hindsight)] = Field(
        default=None, description="true, or {answers, seconds}: solve the clairvoyant optimum of each run"
    )
    source_file: Path | None = Field(default=None, exclude=True)

    @field_validator("allocation", "seeds")
    @classmethod
    def _distinct(cls, values: list) -> list:
        if not values:
            raise ValueError("list at least one value")
        if len(set(values)) != len(values):
            raise ValueError("a value appears twice")
        return values

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, values: list[int]) -> list[int]:
        if any(seed < 0 for seed in values):
            raise ValueError("seeds must be whole numbers ≥ 0")
        _within(
            len(values),
            MAX_SEEDS,
            "seeds",
            "the spread over seeds narrows only with their square root: 20 to 50 seeds are plenty",
        )
        return values

    @field_validator("horizon_weeks", "window_weeks", "vacancy_weeks")
    @classmethod
    def _weeks_budget(cls, value: int, info: ValidationInfo) -> int:
        _within(
            value,
            MAX_WEEKS,
            "weeks",
            f"ten years is the longest {info.field_name} a weekly simulation can say anything about; "
            "shorten it",
        )
        return value

    @model_validator(mode="after")
    def _arrival_source(self) -> Sweep:
        if self.arrivals.source == "generator" and self.base.region is None:
            raise ValueError(
                "arrivals.source generator needs a generated base (`base.region`); "
                "use `resample` with an instance folder"
            )
        return self

    @property
    def scenario_count(self) -> int:
        """How many scenarios the grid makes (`scenarios()` makes them)."""
        return self.grid.scenario_count

    @property
    def runs(self) -> int:
        """Scenarios × allocation policies × seeds."""
        return self.scenario_count * len(self.allocation) * len(self.seeds)

    @property
    def scenario_weeks(self) -> int:
        """The weeks the whole sweep simulates: runs × horizon weeks."""
        return self.runs * self.horizon_weeks

    @property
    def arrival_source(self) -> str:
        return self.arrivals.source or ("generator" if self.base.region else "resample")

    @property
    def root(self) -> Path:
        """The folder relative paths in the file are read from."""
        return self.source_file.parent if self.source_file else Path.cwd()

    @property
    def base_path(self) -> Path | None:
        if self.base.instance is None:
            return None
        return self.base.instance if self.base.instance.is_absolute() else self.root / self.base.instance

    def scenarios(self) -> list[Scenario]:
        """Every combination of the grid's values: keys in GRID_KEYS order (the last varies
        fastest), values in file order."""
        keys = [key for key in GRID_KEYS if getattr(self.grid, key) is not None]
        combinations = itertools.product(*(getattr(self.grid, key) for key in keys))
        return [
            Scenario(index=index, values=dict(zip(keys, values))) for index, values in enumerate(combinations)
        ]


# --- one scenario: a grid point ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One combination of grid values, applied on top of the base instance."""

    index: int
    values: dict[str, Any]

    @property
    def label(self) -> str:
        """Short text for tables and plots, e.g. `cap/1000=3, origin=strict`."""
        if not self.values:
            return "base"
        return ", ".join(f"{LABELS[key]}={label_value(key, value)}" for key, value in self.values.items())

    def apply(self, instance: Instance) -> Instance:
        """The base instance with this scenario's policy changes; raises ValueError for unknown ids."""
        policy = apply_policy(instance.policy, self.values)
        municipalities = instance.municipalities
        neighbourhoods = instance.neighbourhoods
        capacity = instance.support_capacity
        if "neighbourhood_caps" in self.values:
            neighbourhoods = _neighbourhood_caps(neighbourhoods, self.values["neighbourhood_caps"])
        if "municipality_intake" in self.values:
            municipalities = _municipality_intake(municipalities, self.values["municipality_intake"])
        if "support_slots" in self.values:
            capacity = _support_slots(municipalities, capacity, self.values["support_slots"])
        return Instance.model_construct(
            municipalities=municipalities,
            neighbourhoods=neighbourhoods,
            units=instance.units,
            clients=instance.clients,
            support_capacity=capacity,
            declined=instance.declined,
            provider_capacity=instance.provider_capacity,  # rule 6 as the instance has it
            policy=policy,
        )


LABELS = {
    "max_load_per_1000_dwellings": "cap/1000",
    "neighbourhood_caps": "wijk caps",
    "municipality_intake": "intake",
    "support_slots": "slots",
    "origin_rule": "origin",
    "urgency_weights": "urgency",
    "per_week_waiting": "per week",
    "refusals": "refusals",
    "declines": "declines",
}


def label_value(key: str, value: Any) -> str:
    """A grid value as a planner reads it."""
    if isinstance(value, Override):
        return value.label()
    if key == "urgency_weights":
        merged = {"normal": 100, "high": 150, "acute": 200} | dict(value)
        return "/".join(str(merged[urgency]) for urgency in URGENCIES)
    if key == "refusals":
        return f"{value.max_refusals}→{value.lapse_to}"
    if key == "declines":
        return value.label()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def apply_policy(policy: Policy, values: dict[str, Any]) -> Policy:
    """The policy with the scenario's spreading, origin, priority and refusal settings."""
    data = policy.model_dump()
    if "max_load_per_1000_dwellings" in values:
        data["spreading"]["max_load_per_1000_dwellings"] = values["max_load_per_1000_dwellings"]
    if "origin_rule" in values:
        data["origin_rule"] = values["origin_rule"]
    if "urgency_weights" in values:
        data["priority"]["urgency_base"] = data["priority"]["urgency_base"] | dict(values["urgency_weights"])
    if "per_week_waiting" in values:
        data["priority"]["per_week_waiting"] = values["per_week_waiting"]
    if "refusals" in values:
        data["refusals"] = values["refusals"].model_dump()
    return Policy.model_validate(data)


def _scaled(value: float | int | None, scale: float | None, whole: bool) -> float | int | None:
    if value is None:
        return None
    if scale is None:  # not reached: Override.parse gives every `scale` override its factor
        raise TypeError("a scale override without a factor")
    scaled = value * scale
    return math.floor(scaled + 0.5) if whole else round(scaled, 6)


def _unknown(kind: str, ids: set[str], known: list[str]) -> None:
    if ids:
        raise ValueError(
            f"unknown {kind} {', '.join(sorted(ids))}: the base has {', '.join(known[:12])}"
            + (" …" if len(known) > 12 else "")
        )


def _neighbourhood_caps(
    neighbourhoods: tuple[Neighbourhood, ...], override: Override
) -> tuple[Neighbourhood, ...]:
    if override.mode == "base":
        return neighbourhoods
    if override.mode == "none":
        return tuple(n.model_copy(update={"cap": None}) for n in neighbourhoods)
    if override.mode == "scale":
        return tuple(
            n.model_copy(update={"cap": _scaled(n.cap, override.scale, whole=False)}) for n in neighbourhoods
        )
    _unknown(
        "neighbourhood",
        set(override.values) - {n.neighbourhood_id for n in neighbourhoods},
        [n.neighbourhood_id for n in neighbourhoods],
    )
    return tuple(
        n.model_copy(update={"cap": override.values[n.neighbourhood_id]})
        if n.neighbourhood_id in override.values
        else n
        for n in neighbourhoods
    )


def _municipality_intake(
    municipalities: tuple[Municipality, ...], override: Override
) -> tuple[Municipality, ...]:
    if override.mode == "base":
        return municipalities
    if override.mode == "none":
        return tuple(m.model_copy(update={"max_intake": None}) for m in municipalities)
    if override.mode == "scale":
        return tuple(
            m.model_copy(update={"max_intake": _scaled(m.max_intake, override.scale, whole=True)})
            for m in municipalities
        )
    _unknown(
        "municipality",
        set(override.values) - {m.municipality_id for m in municipalities},
        [m.municipality_id for m in municipalities],
    )
    return tuple(
        m.model_copy(update={"max_intake": _count(override.values[m.municipality_id])})
        if m.municipality_id in override.values
        else m
        for m in municipalities
    )


def _support_slots(
    municipalities: tuple[Municipality, ...], capacity: tuple[SupportCapacity, ...], override: Override
) -> tuple[SupportCapacity, ...]:
    if override.mode == "base":
        return capacity
    if override.mode == "none":
        return ()
    if override.mode == "scale":
        return tuple(
            row.model_copy(update={"slots": _scaled(row.slots, override.scale, whole=True)})
            for row in capacity
        )
    _unknown(
        "municipality",
        set(override.values) - {m.municipality_id for m in municipalities},
        [m.municipality_id for m in municipalities],
    )
    rows: dict[tuple[str, str], int | None] = {
        (row.municipality_id, row.support_intensity): row.slots for row in capacity
    }
    for municipality, per_intensity in override.values.items():
        for intensity, slots in per_intensity.items():
            rows[(municipality, intensity)] = _count(slots)
    return tuple(
        SupportCapacity(municipality_id=m, support_intensity=s, slots=slots)
        for (m, s), slots in sorted(rows.items())
        if slots is not None
    )


# --- loading ------------------------------------------------------------------------------------------


def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _message(detail: ErrorDetails) -> str:
    message = str(detail["msg"]).removeprefix("Value error, ")
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind == "missing":
        return "required: add this key"
    if kind == "extra_forbidden":
        return "unknown key: check its spelling (see docs/stress-tests.md)"
    bounds = {
        "greater_than_equal": ("≥", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("≤", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        bound = context.get(key)
        return f"must be {sign} {bound:g}" if isinstance(bound, (int, float)) else f"must be {sign} {bound}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind in ("list_type",):
        return "must be a list, e.g. [3, 5, 8]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping of keys to values"
    if kind == "literal_error":
        return message.replace("Input should be", "must be one of:")
    if kind == "too_short":
        return "list at least one value"
    return message


def budget_problems(sweep: Sweep, budgets: Budgets | None = None) -> list[tuple[str, str]]:
    """What the whole file asks for, beyond the budget of each key: the simulated weeks of the
    sweep and the calendar its dates run over."""
    budgets = budgets or Budgets()
    problems = []
    if sweep.scenario_weeks > budgets.max_scenario_weeks:
        problems.append(
            (
                "horizon_weeks",
                f"{sweep.scenario_count:,} scenarios × {len(sweep.allocation)} policies × "
                f"{len(sweep.seeds)} seeds × {sweep.horizon_weeks} weeks = {sweep.scenario_weeks:,} "
                f"simulated weeks is above the budget of {budgets.max_scenario_weeks:,}: list fewer grid "
                "values, seeds or weeks, or, on a cluster that can take it, raise the budget with "
                "--max-scenario-weeks",
            )
        )
    latest = LAST_DAY - timedelta(weeks=sweep.horizon_weeks + 8)
    if not date(1900, 1, 1) <= sweep.base.week <= latest:
        problems.append(
            (
                "base.week",
                f"{sweep.base.week} with {sweep.horizon_weeks} weeks runs outside the calendar a "
                f"simulation can use: give a Monday between 1900-01-01 and {latest}",
            )
        )
    return problems


def parse_sweep(
    data: Any, file: str = "scenario file", source: Path | None = None, budgets: Budgets | None = None
) -> Sweep:
    """Check a parsed scenario mapping against the model and the budgets; raise ScenarioError
    with every problem."""
    if not isinstance(data, dict):
        raise ScenarioError(
            file, [("", "must be a YAML mapping with name, base, horizon_weeks, arrivals and seeds")]
        )
    try:
        sweep = Sweep.model_validate({**data, "source_file": source})
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc = tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
            # union/literal branches repeat the location; keep the first message per key
            key = _location(loc)
            problems.append((key, _message(detail)))
        raise ScenarioError(file, list(dict.fromkeys(problems))) from None
    problems = budget_problems(sweep, budgets)
    if sweep.base_path is not None and not sweep.base_path.is_dir():
        problems.append(("base.instance", f"{sweep.base_path} is not an instance folder"))
    if problems:
        raise ScenarioError(file, problems)
    return sweep


class _ScenarioLoader(yaml.SafeLoader):
    """YAML for scenario files: no anchors or aliases (an alias "bomb" expands a small file into
    billions of values), bounded depth."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "anchors and aliases (*name) are not supported in a scenario file: write the values out",
                self.peek_event().start_mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_sweep(path: str | Path, budgets: Budgets | None = None) -> Sweep:
    """Read and check a scenario file; raise ScenarioError naming file and key of every problem."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise ScenarioError(file, [("", "file not found: give the path of a scenario .yaml file")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            file,
            [
                (
                    "",
                    f"{size:,} bytes is above the budget of {MAX_FILE_BYTES:,} for a scenario file: "
                    "a sweep is a page of YAML; give the grid's values, not data",
                )
            ],
        )
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ScenarioLoader)
    except UnicodeDecodeError:
        raise ScenarioError(file, [("", "not a UTF-8 text file: save it as YAML (UTF-8)")]) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # constructors raise these for e.g. a 5000-digit number
        raise ScenarioError(file, [("", f"a value cannot be read ({str(error).split(';')[0]})")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = str(getattr(error, "problem", None) or error)
        ours = problem.startswith("anchors and aliases") or problem.startswith("nested more than")
        advice = "" if ours else "; check indentation and colons"
        raise ScenarioError(file, [(where, f"not valid YAML ({problem}){advice}")]) from None
    return parse_sweep(data, file, path, budgets)


def _only(agreements: Agreements, key: str) -> Agreements:
    """The agreements with only `key` (intake or slots) as given, the other left to the base."""
    other = "slots" if key == "intake" else "intake"
    return agreements.model_copy(update={other: "base"})


def check_against(sweep: Sweep, instance: Instance) -> None:
    """Apply every grid value to a base instance; raise ScenarioError for ids it does not know."""
    from matcher.stress.agreements import agreed_instance

    problems = []
    for key in ("intake", "slots"):
        if isinstance(getattr(sweep.agreements, key), dict):
            try:
                agreed_instance(
                    instance, sweep.model_copy(update={"agreements": _only(sweep.agreements, key)})
                )
            except ValueError as error:
                problems.append((f"agreements.{key}", str(error)))
    for key in GRID_KEYS:
        for position, value in enumerate(getattr(sweep.grid, key) or []):
            try:
                Scenario(index=0, values={key: value}).apply(instance)
            except (ValueError, ValidationError) as error:
                problems.append((f"grid.{key}[{position}]", str(error)))
    if problems:
        raise ScenarioError(str(sweep.source_file or "scenario file"), problems)


# --- memory: the file's figures as peak memory, checked before anything starts ---------------------

STREAM_BYTES_PER_ITEM = 3_000  # a client or vacancy drawn for a seed, held all sweep (measured 1.4-2.8 KB)
HINDSIGHT_BASE_BYTES = 200 * 2**20  # the process and the tables of one hindsight solve
# per variable (client, unit, week) of the hindsight MIP: measured 5.1 KB (Zuid-Kennemerland, 52 weeks,
# 204,000 variables, 1.05 GB peak); the count is bounded by every client × every vacancy × its weeks
HINDSIGHT_BYTES_PER_VARIABLE = 5_200
KPI_ROW_BYTES = 400  # one kpis.csv row in the collecting process, while the tables are built
PLACEMENT_BYTES = 1_500  # one placements.csv row, likewise
PAIR_DENSITY_GENERATED = 0.5  # eligible share of client × unit pairs in generated weeks (measured 0.42-0.46)
LEAD_WEEKS = 4  # a generated vacancy opens at most 28 days after the week it is drawn for
KPI_ROWS_PER_WEEK = 44  # per run and week, plus two per municipality (intake and its share gap)
PERSON_BYTES = 600  # one people.csv row (a client's wait), in the collecting process
VACANCY_BYTES = 800  # one vacancies.csv row (a vacancy's empty weeks), likewise


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak memory of a sweep from its figures: per worker process and for the collecting one."""

    queue: int  # most clients in one week's instance: the week-1 queue plus every arrival
    vacancies: int  # most vacancies in one week's instance
    pairs: int  # eligible pairs of that instance: the size of the weekly solve
    items_per_seed: int  # clients and vacancies a seed's stream holds
    seeds: int  # streams a worker may hold: every seed (runs of any seed can land on any worker)
    solve_bytes: int  # one weekly solve (the size guard's model, process included)
    streams_bytes: int  # the streams held
    tables_bytes: int  # every run's KPI rows, placements and utilisation, in the collecting process
    queue_key: str  # the key that makes the queue long
    hindsight_bytes: int = 0  # one hindsight MIP (time-expanded), when the file asks for hindsight

    @property
    def worker_bytes(self) -> int:
        return max(self.solve_bytes, self.hindsight_bytes) + self.streams_bytes

    @property
    def collector_bytes(self) -> int:
        from matcher.solver.size_guard import BASE_BYTES

        return BASE_BYTES + self.tables_bytes

    def need(self, workers: int) -> int:
        """Memory on this machine with `workers` local worker processes (0: serially, in this one)."""
        if workers == 0:
            return self.worker_bytes + self.tables_bytes
        return workers * self.worker_bytes + self.collector_bytes

    def parts(self) -> str:
        return (
            f"a weekly queue of up to {self.queue:,} clients × {self.vacancies:,} vacancies ≈ "
            f"{self.pairs:,} eligible pairs to solve ({_gib(self.solve_bytes)}), {self.seeds:,} seed"
            f"{'s' * (self.seeds != 1)}' arrivals held ({_gib(self.streams_bytes)}), and the tables "
            f"of every simulated week ({_gib(self.tables_bytes)})"
        )

    def largest_key(self) -> str:
        """The key of the scenario file behind the largest part."""
        largest = max(self.solve_bytes, self.streams_bytes, self.tables_bytes)
        if largest == self.solve_bytes:
            return self.queue_key
        return "seeds" if largest == self.streams_bytes else "horizon_weeks"


def _gib(count: float) -> str:
    return f"{count / 2**30:.1f} GiB"


def _at_most(mean: float) -> int:
    """A Poisson count with this mean stays below this (six standard deviations)."""
    return math.ceil(mean + 6 * math.sqrt(mean) + 5) if mean > 0 else 0


def _places(sweep: Sweep, base: Instance | None) -> tuple[int, int]:
    """Municipalities and neighbourhoods of the base: counted, or from the region's CBS tables."""
    if base is not None:
        return len(base.municipalities), len(base.neighbourhoods)
    from matcher.generate.instance import load_cbs
    from matcher.generate.regions import regions_for

    codes = {code for region in regions_for(sweep.base.region or "") for code in region.landlords}
    neighbourhoods = load_cbs()[1]
    return len(codes), int(neighbourhoods["gm_code"].isin(codes).sum())


def estimate_memory(sweep: Sweep, base: Instance | None = None) -> MemoryEstimate:
    """Peak memory of the sweep, from its figures (and, for an instance folder, the base read).

    The week's instance can hold the whole week-1 queue plus every arrival (a grid value that
    places nobody, e.g. a cap of 0, lets the queue grow by every arrival), and every vacancy that
    opened within `vacancy_weeks` plus the weeks before it opens. Its eligible pairs are that
    product times the share eligible: measured on generated instances, or counted on the folder.
    The model of a solve is the size guard's (matcher/solver/size_guard.py).
    """
    from matcher.solver.size_guard import estimate_size, memory_bytes

    weeks = max(0, sweep.horizon_weeks - 1)  # week 1 is the base
    arrivals_c = _at_most(sweep.arrivals.clients_per_week * weeks)
    arrivals_u = _at_most(sweep.arrivals.units_per_week * weeks)
    open_weeks = min(weeks, sweep.vacancy_weeks + LEAD_WEEKS)
    if base is not None:
        base_clients, base_units = len(base.clients), len(base.units)
        size = estimate_size(base) if base_clients and base_units else None
        density = size.pairs / size.upper_bound if size and size.upper_bound else 1.0
        queue_key = "base.instance"
    else:
        base_clients, base_units = sweep.base.clients or 0, sweep.base.units or 0
        density = PAIR_DENSITY_GENERATED
        queue_key = "base.clients"
    if arrivals_c > base_clients:
        queue_key = "arrivals.clients_per_week"
    queue = base_clients + arrivals_c
    vacancies = base_units + _at_most(sweep.arrivals.units_per_week * open_weeks)
    pairs = math.ceil(density * queue * vacancies)
    municipalities, neighbourhoods = _places(sweep, base)
    items = base_clients + base_units + arrivals_c + arrivals_u
    placements = min(queue, base_units + arrivals_u)
    vacancies_total = base_units + arrivals_u
    week_rows = KPI_ROWS_PER_WEEK + 2 * municipalities
    tables = sweep.runs * (
        sweep.horizon_weeks * (week_rows * KPI_ROW_BYTES + neighbourhoods * 16)
        + placements * PLACEMENT_BYTES
        + queue * PERSON_BYTES
        + (base_units + arrivals_u) * VACANCY_BYTES
    )
    return MemoryEstimate(
        queue=queue,
        vacancies=vacancies,
        pairs=pairs,
        items_per_seed=items,
        seeds=len(sweep.seeds),
        solve_bytes=memory_bytes(pairs, queue, municipalities),
        hindsight_bytes=(
            HINDSIGHT_BASE_BYTES
            + math.ceil(density * queue * vacancies_total * min(sweep.vacancy_weeks, sweep.horizon_weeks))
            * HINDSIGHT_BYTES_PER_VARIABLE
            if sweep.hindsight is not None
            else 0
        ),
        streams_bytes=len(sweep.seeds) * items * STREAM_BYTES_PER_ITEM,
        tables_bytes=tables,
        queue_key=queue_key,
    )


def check_memory(
    sweep: Sweep,
    estimate: MemoryEstimate,
    workers: int | None,
    available: int | None = None,
    worker_memory: int | None = None,
) -> None:
    """Refuse a sweep that does not fit: `workers` local worker processes (0: serially in this
    process; None: on workers elsewhere, each with `worker_memory` bytes when known), and this
    machine's `available` bytes (default four fifths of its memory). Raises ScenarioError."""
    from matcher.solver.size_guard import DEFAULT_MAX_PAIRS, default_max_bytes

    file = str(sweep.source_file or "scenario file")
    available = available if available is not None else default_max_bytes()
    key = estimate.largest_key()
    shorter = (
        f"lower {estimate.queue_key}, or shorten horizon_weeks"
        if key == estimate.queue_key
        else "list fewer seeds"
        if key == "seeds"
        else "list fewer grid values, seeds or weeks"
    )
    problems = []
    if estimate.pairs > DEFAULT_MAX_PAIRS:
        problems.append(
            (
                estimate.queue_key,
                f"a week's instance could reach about {estimate.pairs:,} eligible pairs "
                f"({estimate.queue:,} clients waiting × {estimate.vacancies:,} vacancies), above the "
                f"budget of {DEFAULT_MAX_PAIRS:,} pairs of one weekly solve: {shorter} (the queue can "
                "grow by every arrival when few are placed)",
            )
        )
    elif workers is None:
        if estimate.collector_bytes > available:
            problems.append(
                (
                    "horizon_weeks",
                    f"collecting the tables needs about {_gib(estimate.collector_bytes)}, above the "
                    f"budget of {_gib(available)} of this machine (four fifths of its memory): "
                    "list fewer grid values, seeds or weeks",
                )
            )
        if worker_memory and estimate.worker_bytes > worker_memory:
            problems.append(
                (
                    key,
                    f"about {_gib(estimate.worker_bytes)} per worker ({estimate.parts()}) is above the "
                    f"{_gib(worker_memory)} the cluster's workers may use: {shorter}, or start workers "
                    "with more memory (dask worker --memory-limit)",
                )
            )
    elif estimate.need(workers) > available:
        fit = (available - estimate.collector_bytes) // max(1, estimate.worker_bytes)
        how = (
            f"{workers} worker processes × {_gib(estimate.worker_bytes)} + {_gib(estimate.collector_bytes)} "
            "for the tables"
            if workers
            else "one process"
        )
        fewer = f"run with --workers {fit}, or " if 1 <= fit < workers else ""
        problems.append(
            (
                key,
                f"about {_gib(estimate.need(workers))} of memory ({how}; {estimate.parts()}) is above "
                f"the budget of {_gib(available)} of this machine (four fifths of its memory): "
                f"{fewer}{shorter}, or run on a cluster with more memory (--scheduler)",
            )
        )
    if problems:
        raise ScenarioError(file, problems)
