"""A stress-test scenario file: a base instance, a grid of policy changes, arrivals, seeds.

The file is YAML (see docs/stress-tests.md). Loading checks everything at once and raises
`ScenarioError` naming the file and the key of each problem, so a planner fixes the file in one
pass. Every combination of the grid's values is one *scenario*; each scenario runs under each
allocation policy for each seed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from matcher.generate.instance import DEFAULT_WEEK
from matcher.generate.regions import REGION_NAMES
from models import Instance, Municipality, Neighbourhood, Policy, SupportCapacity
from models.fields import INTENSITIES, URGENCIES

STRICT = ConfigDict(frozen=True, extra="forbid")
Allocation = Literal["optimiser", "greedy"]
ALLOCATIONS: tuple[Allocation, ...] = ("optimiser", "greedy")
GRID_KEYS = (
    "max_load_per_1000_dwellings",
    "neighbourhood_caps",
    "municipality_intake",
    "support_slots",
    "origin_rule",
    "urgency_weights",
    "per_week_waiting",
    "refusals",
)


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


class Arrivals(BaseModel):
    """New clients and vacancies per week: Poisson counts, drawn from the generator or resampled."""

    model_config = STRICT

    clients_per_week: float = Field(ge=0)
    units_per_week: float = Field(ge=0)
    source: Literal["generator", "resample"] | None = Field(
        default=None, description="generator (default for a region base) or resample (for a folder)"
    )


class Declines(BaseModel):
    """The chance that a client, or the landlord, declines a proposed match."""

    model_config = STRICT

    client: float = Field(default=0.10, ge=0, le=1)
    landlord: float = Field(default=0.05, ge=0, le=1)


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

    @field_validator("*")
    @classmethod
    def _non_empty(cls, values: list | None) -> list | None:
        if values is not None and not values:
            raise ValueError("list at least one value, or leave the key out")
        return values

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


class Sweep(BaseModel):
    """A whole scenario file."""

    model_config = STRICT

    name: str = Field(min_length=1)
    description: str = ""
    base: Base
    horizon_weeks: int = Field(ge=1, le=520)
    window_weeks: int = Field(
        default=26, ge=1, le=520, description="rolling window of a neighbourhood's recent load"
    )
    vacancy_weeks: int = Field(
        default=4, ge=1, description="weeks a vacancy stays in the scheme before it returns to the landlord"
    )
    arrivals: Arrivals
    declines: Declines = Field(default_factory=Declines)
    allocation: list[Allocation] = Field(default_factory=lambda: list(ALLOCATIONS))
    seeds: list[int] = Field(min_length=1)
    grid: Grid = Field(default_factory=Grid)
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
        return values

    @model_validator(mode="after")
    def _arrival_source(self) -> Sweep:
        if self.arrivals.source == "generator" and self.base.region is None:
            raise ValueError(
                "arrivals.source generator needs a generated base (`base.region`); "
                "use `resample` with an instance folder"
            )
        return self

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


def parse_sweep(data: Any, file: str = "scenario file", source: Path | None = None) -> Sweep:
    """Check a parsed scenario mapping; raise ScenarioError with every problem."""
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
    if sweep.base_path is not None and not sweep.base_path.is_dir():
        raise ScenarioError(file, [("base.instance", f"{sweep.base_path} is not an instance folder")])
    return sweep


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a scenario file; raise ScenarioError naming file and key of every problem."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise ScenarioError(file, [("", "file not found: give the path of a scenario .yaml file")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(file, [("", "not a UTF-8 text file: save it as YAML (UTF-8)")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ScenarioError(
            file,
            [
                (
                    where,
                    f"not valid YAML ({getattr(error, 'problem', None) or error}); "
                    "check indentation and colons",
                )
            ],
        ) from None
    return parse_sweep(data, file, path)


def check_against(sweep: Sweep, instance: Instance) -> None:
    """Apply every grid value to a base instance; raise ScenarioError for ids it does not know."""
    problems = []
    for key in GRID_KEYS:
        for position, value in enumerate(getattr(sweep.grid, key) or []):
            try:
                Scenario(index=0, values={key: value}).apply(instance)
            except (ValueError, ValidationError) as error:
                problems.append((f"grid.{key}[{position}]", str(error)))
    if problems:
        raise ScenarioError(str(sweep.source_file or "scenario file"), problems)
