"""Independent feasibility checker and reference solver for the allocation spec.

This module re-implements ``shared/spec/ALLOCATION-RULES.md`` from scratch so the test suite can
verify the engine against a second, deliberately simple reading of the contract. It must never
import from the engine packages (``matcher``, ``models``): independence is the point.

Public functions
----------------
- :func:`load_tables` reads an instance folder and applies the spec's defaults.
- :func:`eligible` lists the eligibility rules a (client, unit) pair breaks.
- :func:`violations` lists everything that makes a set of pairs not an allocation.
- :func:`priority_weight`, :func:`preference_score`, :func:`objective` compute w(c), p(c, u)
  and (W, P).
- :func:`greedy_priority_allocation` is today's practice baseline (priority order, best unit).
- :func:`reference_optimum` is the lexicographic optimum (max W, then max P), by brute force on
  tiny instances (:func:`brute_force_optimum`) and by two MIP solves otherwise
  (:func:`milp_optimum`).

Every function that takes ``instance`` accepts either an instance folder or the dict returned by
:func:`load_tables` (load once, query many times). Numbers from cells and the policy are kept as
:class:`fractions.Fraction`, so every comparison is exact.
"""

from __future__ import annotations

import copy
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

# --------------------------------------------------------------------------------------------
# Spec constants and defaults
# --------------------------------------------------------------------------------------------

UNIT_TYPES = ("social_rental", "room", "cluster", "skaeve_huis")
SOURCES = ("BW", "MO", "VO", "jeugd")
INTENSITIES = ("light", "ambulant", "intensive", "protected")
URGENCIES = ("normal", "high", "acute")
ORIGIN_RULES = ("prefer", "region", "strict")
DECLINED_BY = ("client", "landlord")
DECLINE_SCOPES = ("unit", "site", "neighbourhood", "landlord", "municipality")
#: tenancy words of units.csv (English codes and the Dutch words docs/allocation-rules.md lists)
TENANCY_WORDS = {
    "": "permanent",
    "permanent": "permanent",
    "vast": "permanent",
    "trajectory": "trajectory",
    "traject": "trajectory",
    "tijdelijk": "trajectory",
}
#: intensities whose clients earn preference.permanent in a permanent home
PERMANENT_POINTS_FOR = ("light", "ambulant")
#: target groups of clients.csv, by the words docs/allocation-rules.md lists (any case, runs of
#: spaces as one)
TARGET_GROUP_WORDS = {
    "young_adult": "young_adult",
    "jongere": "young_adult",
    "jongeren": "young_adult",
    "family": "family",
    "gezin": "family",
    "gezinnen": "family",
    "housing_first": "housing_first",
    "housing first": "housing_first",
}

DEFAULT_POLICY: dict[str, Any] = {
    "period": {"start": None, "days": 7},
    "origin_rule": "prefer",
    "compatibility": {
        "light": ["social_rental", "room", "cluster"],
        "ambulant": ["social_rental", "room", "cluster"],
        "intensive": ["social_rental", "cluster"],
        "protected": ["cluster"],
    },
    "spreading": {
        "max_load_per_1000_dwellings": 5,
        "load_weight": {"light": 1, "ambulant": 1, "intensive": 2, "protected": 2},
        "exempt_types": ["skaeve_huis"],
    },
    "priority": {
        "urgency_base": {"normal": 100, "high": 150, "acute": 200},
        "per_week_waiting": 1,
        "max_waiting_weeks": 52,
        "family_bonus": 50,
    },
    "preference": {
        "origin": 30,
        "preferred": [20, 15, 10],
        "current": 10,
        "permanent": 10,
        "stay": 30,
    },
}

#: Instances at most this big (clients and units) are solved by enumeration.
BRUTE_FORCE_MAX_CLIENTS = 8
BRUTE_FORCE_MAX_UNITS = 8

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


# --------------------------------------------------------------------------------------------
# Cell parsing
# --------------------------------------------------------------------------------------------


def parse_bool(cell: str, default: bool = False) -> bool:
    """Parse a boolean cell (true/false/yes/no/1/0, any case); empty means ``default``."""
    text = cell.strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {cell!r}")


def parse_number(cell: str, default: Fraction | None = None) -> Fraction | None:
    """Parse a number cell exactly as a Fraction; empty means ``default``."""
    text = cell.strip()
    if text == "":
        return default
    return Fraction(text)


def parse_int(cell: str, default: int | None = None) -> int | None:
    """Parse an integer cell (``3`` or ``3.0``); empty means ``default``."""
    value = parse_number(cell)
    if value is None:
        return default
    if value.denominator != 1:
        raise ValueError(f"not an integer: {cell!r}")
    return int(value)


def parse_date(cell: Any, default: date | None = None) -> date | None:
    """Parse an ISO ``YYYY-MM-DD`` cell (or a date already parsed by YAML)."""
    if isinstance(cell, date):
        return cell
    text = str(cell).strip() if cell is not None else ""
    if text == "":
        return default
    return date.fromisoformat(text)


def parse_list(cell: str) -> list[str]:
    """Split a ';'-separated list cell, stripping spaces and dropping empty items."""
    return [item.strip() for item in cell.split(";") if item.strip() != ""]


def parse_target_groups(cell: str, client_id: str, household_size: str) -> tuple[str, ...]:
    """The target groups of a clients.csv cell, as codes, each once; `family` needs a household of
    two or more (a household with minor children)."""
    groups: list[str] = []
    for item in parse_list(cell):
        word = " ".join(item.split()).lower()
        if word not in TARGET_GROUP_WORDS:
            raise ValueError(f"client {client_id}: unknown target group {item!r}")
        if TARGET_GROUP_WORDS[word] not in groups:
            groups.append(TARGET_GROUP_WORDS[word])
    if "family" in groups and parse_int(household_size, 1) == 1:
        raise ValueError(f"client {client_id}: target group family with household_size 1")
    return tuple(groups)


def _exact(value: Any) -> Fraction:
    """Turn a policy number (int, float or numeric string) into an exact Fraction."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float):
        return Fraction(str(value))
    return Fraction(value)


def _plain(value: Fraction) -> int | Fraction:
    """Return an int when the Fraction is integral (the usual case), else the Fraction."""
    return int(value) if value.denominator == 1 else value


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as a string and empty cells as ''."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _rows(frame: pd.DataFrame, required: Iterable[str], name: str) -> list[dict[str, str]]:
    """Rows as dicts of stripped strings; missing optional columns read as ''."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}")
    rows = []
    for record in frame.to_dict("records"):
        row = defaultdict(str, {k: str(v).strip() for k, v in record.items()})
        for column in required:
            if row[column] == "":
                raise ValueError(f"{name}: empty required cell {column!r} in {dict(row)}")
        rows.append(row)
    return rows


def _choice(value: str, allowed: Iterable[str], what: str) -> str:
    """Check that ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{what}: {value!r} is not one of {allowed}")
    return value


def merge_policy(defaults: dict, override: dict | None) -> dict:
    """Merge ``override`` into a copy of ``defaults``, nested dicts key by key (lists replace)."""
    merged = copy.deepcopy(defaults)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_policy(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _unique(rows: list[dict], key: str, name: str) -> dict[str, dict]:
    """Index rows by ``key``, refusing duplicates."""
    index: dict[str, dict] = {}
    for row in rows:
        if row[key] in index:
            raise ValueError(f"{name}: duplicate {key} {row[key]!r}")
        index[row[key]] = row
    return index


def _check_references(municipalities: dict, neighbourhoods: dict, units: dict, clients: dict) -> None:
    """Refuse instances whose ids point nowhere (the spec's "must exist" columns)."""
    problems = []
    for n in neighbourhoods.values():
        if n["municipality_id"] not in municipalities:
            problems.append(f"neighbourhood {n['neighbourhood_id']}: unknown municipality")
    for u in units.values():
        neighbourhood = neighbourhoods.get(u["neighbourhood_id"])
        if u["municipality_id"] not in municipalities:
            problems.append(f"unit {u['unit_id']}: unknown municipality")
        if neighbourhood is None or neighbourhood["municipality_id"] != u["municipality_id"]:
            problems.append(f"unit {u['unit_id']}: neighbourhood not in its municipality")
        if u["type"] in ("cluster", "skaeve_huis") and not u["site_id"]:
            problems.append(f"unit {u['unit_id']}: {u['type']} needs a site_id")
    for c in clients.values():
        if c["origin_municipality_id"] not in municipalities:
            problems.append(f"client {c['client_id']}: unknown origin municipality")
    homes = Counter(c["current_unit_id"] for c in clients.values() if c["current_unit_id"])
    for unit_id, count in sorted(homes.items()):
        if count > 1:
            problems.append(f"current_unit_id {unit_id} is shared by {count} clients")
    if problems:
        raise ValueError("invalid instance: " + "; ".join(problems))


def _other_placement_load(
    folder: Path, neighbourhoods: dict, policy: dict, period_start: date, days: int
) -> dict[str, Fraction]:
    """other_placements.csv: per neighbourhood, the load (default 1, > 0) of the rows with
    ``period.start − 7 · window_weeks days ≤ placed_on ≤ period_end`` (window_weeks default 26)."""
    path = folder / "other_placements.csv"
    if not path.exists():
        return {}
    weeks = int(policy["spreading"].get("window_weeks", 26))
    first, last = period_start - timedelta(days=7 * weeks), period_start + timedelta(days=days - 1)
    added: dict[str, Fraction] = defaultdict(Fraction)
    for r in _rows(_read_csv(path), ["neighbourhood_id", "placed_on"], "other_placements"):
        if r["neighbourhood_id"] not in neighbourhoods:
            raise ValueError(f"other placement: unknown neighbourhood {r['neighbourhood_id']!r}")
        load = parse_number(r["load"], Fraction(1))
        if load <= 0:
            raise ValueError(f"other placement: load {load} is not positive")
        if first <= parse_date(r["placed_on"]) <= last:
            added[r["neighbourhood_id"]] += load
    return added


def load_tables(instance_dir: str | Path) -> dict:
    """Read an instance folder into plain dicts with the spec's defaults applied.

    Returns a dict with keys ``municipalities``, ``neighbourhoods``, ``units``, ``clients``
    (each ``{id: record}``), ``support_capacity`` (``{(municipality_id, intensity): slots}``),
    ``declined`` (a set of ``(client_id, unit_id)``), ``policy`` (defaults merged with the yaml),
    ``period_start`` and ``period_end`` (inclusive dates) and ``raw`` (the DataFrames as read).
    """
    folder = Path(instance_dir)
    raw = {
        name: _read_csv(folder / f"{name}.csv")
        for name in ("municipalities", "neighbourhoods", "units", "clients")
    }
    for name in ("support_capacity", "declined", "agreements", "provider_capacity"):
        if (folder / f"{name}.csv").exists():
            raw[name] = _read_csv(folder / f"{name}.csv")

    policy_path = folder / "policy.yaml"
    policy_yaml = {}
    if policy_path.exists():
        policy_yaml = yaml.safe_load(policy_path.read_text(encoding="utf-8")) or {}
    policy = merge_policy(DEFAULT_POLICY, policy_yaml)
    _choice(policy["origin_rule"], ORIGIN_RULES, "policy.origin_rule")
    period_start = parse_date(policy["period"].get("start"))
    if period_start is None:
        raise ValueError("policy.yaml: period.start is required")
    days = int(policy["period"]["days"])
    if days < 1:
        raise ValueError("policy.yaml: period.days must be at least 1")

    municipalities = _unique(
        [
            {
                "municipality_id": r["municipality_id"],
                "name": r["name"],
                "region": r["region"],
                "population": parse_int(r["population"]),
                "max_intake": parse_int(r["max_intake"]),
                "target_share": parse_number(r["target_share"]),
                "placed_so_far": parse_int(r["placed_so_far"], 0),
            }
            for r in _rows(
                raw["municipalities"],
                ["municipality_id", "name", "region", "population"],
                "municipalities",
            )
        ],
        "municipality_id",
        "municipalities",
    )

    neighbourhoods = _unique(
        [
            {
                "neighbourhood_id": r["neighbourhood_id"],
                "municipality_id": r["municipality_id"],
                "name": r["name"],
                "dwellings": parse_int(r["dwellings"]),
                "recent_load": parse_number(r["recent_load"], Fraction(0)),
                "cap": parse_number(r["cap"]),
                "closed_until": parse_date(r.get("closed_until")),
            }
            for r in _rows(
                raw["neighbourhoods"],
                ["neighbourhood_id", "municipality_id", "name", "dwellings"],
                "neighbourhoods",
            )
        ],
        "neighbourhood_id",
        "neighbourhoods",
    )

    units = _unique(
        [
            {
                "unit_id": r["unit_id"],
                "type": _choice(r["type"], UNIT_TYPES, f"unit {r['unit_id']} type"),
                "landlord": r["landlord"],
                "municipality_id": r["municipality_id"],
                "neighbourhood_id": r["neighbourhood_id"],
                "site_id": r["site_id"] or None,
                "rent": parse_number(r["rent"]),
                "max_household": parse_int(r["max_household"], 1),
                "accessible": parse_bool(r["accessible"], False),
                "available_from": parse_date(r["available_from"]),
                "tenancy": _choice(
                    TENANCY_WORDS.get(r["tenancy"].lower(), r["tenancy"]),
                    ("permanent", "trajectory"),
                    f"unit {r['unit_id']} tenancy",
                ),
                "young_adults_only": parse_bool(r["young_adults_only"], False),
            }
            for r in _rows(
                raw["units"],
                [
                    "unit_id",
                    "type",
                    "landlord",
                    "municipality_id",
                    "neighbourhood_id",
                    "rent",
                    "available_from",
                ],
                "units",
            )
        ],
        "unit_id",
        "units",
    )

    clients = _unique(
        [
            {
                "client_id": r["client_id"],
                "source": _choice(r["source"], SOURCES, f"client {r['client_id']} source"),
                "origin_municipality_id": r["origin_municipality_id"],
                "current_municipality_id": r["current_municipality_id"] or None,
                "support_intensity": _choice(
                    r["support_intensity"], INTENSITIES, f"client {r['client_id']} intensity"
                ),
                "household_size": parse_int(r["household_size"], 1),
                "max_rent": parse_number(r["max_rent"]),
                "needs_accessible": parse_bool(r["needs_accessible"], False),
                "eligible_types": parse_list(r["eligible_types"]) or None,
                "preferred_municipalities": parse_list(r["preferred_municipalities"]),
                "excluded_municipalities": parse_list(r["excluded_municipalities"]),
                "excluded_neighbourhoods": parse_list(r["excluded_neighbourhoods"]),
                "urgency": _choice(r["urgency"] or "normal", URGENCIES, f"client {r['client_id']} urgency"),
                "registered_on": parse_date(r["registered_on"]),
                "ready_from": parse_date(r["ready_from"]),
                "current_unit_id": r["current_unit_id"] or None,
                "target_groups": parse_target_groups(r["target_groups"], r["client_id"], r["household_size"]),
                "provider": (r.get("provider") or "").strip() or None,
                # two clients sharing one home: the row counts two people (load, support slots)
                "persons": 2 if (r.get("shares_home_with") or "").strip() else 1,
            }
            for r in _rows(
                raw["clients"],
                [
                    "client_id",
                    "source",
                    "origin_municipality_id",
                    "support_intensity",
                    "registered_on",
                ],
                "clients",
            )
        ],
        "client_id",
        "clients",
    )

    support_capacity: dict[tuple[str, str], int] = {}
    if "support_capacity" in raw:
        for r in _rows(
            raw["support_capacity"],
            ["municipality_id", "support_intensity", "slots"],
            "support_capacity",
        ):
            key = (r["municipality_id"], _choice(r["support_intensity"], INTENSITIES, "slots"))
            slots = parse_int(r["slots"])
            # Several rows for the same key are each a constraint: the smallest one binds.
            support_capacity[key] = min(slots, support_capacity.get(key, slots))

    # rule 6: (provider, municipality_id) -> slots; the provider compared exactly after trimming
    provider_capacity: dict[tuple[str, str], int] = {}
    if "provider_capacity" in raw:
        for r in _rows(
            raw["provider_capacity"], ["provider", "municipality_id", "slots"], "provider_capacity"
        ):
            key = (r["provider"].strip(), r["municipality_id"])
            if key in provider_capacity:
                raise ValueError(f"provider_capacity: two rows for {key}")
            if r["municipality_id"] not in municipalities:
                raise ValueError(f"provider_capacity: unknown municipality {r['municipality_id']!r}")
            slots = parse_int(r["slots"])
            if slots is None or slots < 0:
                raise ValueError(f"provider_capacity: slots must be a whole number >= 0 for {key}")
            provider_capacity[key] = slots

    # history rule: (client_id, unit_id, scope, scope_id or None, until or None) per row
    declined: set[tuple[str, str, str, str | None, date | None]] = set()
    if "declined" in raw:
        for r in _rows(raw["declined"], ["client_id", "unit_id"], "declined"):
            if r["declined_by"]:
                _choice(r["declined_by"], DECLINED_BY, "declined_by")
            scope = _choice(r.get("scope") or "unit", DECLINE_SCOPES, "declined scope")
            declined.add(
                (r["client_id"], r["unit_id"], scope, r.get("scope_id") or None, parse_date(r.get("until")))
            )

    # agreements (rule 5 and the agreements level): kind in English or Dutch, group as written
    agreements = []
    if "agreements" in raw:
        for r in _rows(raw["agreements"], ["agreement_id", "kind", "party", "start", "end"], "agreements"):
            kind = {"gemeente": "municipality", "corporatie": "landlord", "woningcorporatie": "landlord"}.get(
                r["kind"].strip().lower(), r["kind"].strip().lower()
            )
            group = (r.get("target_group") or "").strip()
            group = {"jongere": "young_adult", "jongeren": "young_adult", "gezin": "family"}.get(
                group.lower(), group
            )
            agreements.append(
                {
                    "agreement_id": r["agreement_id"],
                    "kind": _choice(kind, ("municipality", "landlord"), "agreement kind"),
                    "party": r["party"],
                    "target_group": group or None,
                    "start": parse_date(r["start"]),
                    "end": parse_date(r["end"]),
                    "minimum": parse_int(r.get("minimum") or ""),
                    "maximum": parse_int(r.get("maximum") or ""),
                    "placed_so_far": parse_int(r.get("placed_so_far") or "", 0),
                }
            )

    _check_references(municipalities, neighbourhoods, units, clients)
    # recent_load(n) = the cell + the load of other groups' placements in the rolling window
    others = _other_placement_load(folder, neighbourhoods, policy, period_start, days)
    for neighbourhood_id, load in others.items():
        neighbourhoods[neighbourhood_id]["recent_load"] += load
    return {
        "agreements": agreements,
        "municipalities": municipalities,
        "neighbourhoods": neighbourhoods,
        "units": units,
        "clients": clients,
        "support_capacity": support_capacity,
        "provider_capacity": provider_capacity,
        "declined": declined,
        # unit_id -> the client who lives in it now (current_unit_id; unique, checked above)
        "occupants": {c["current_unit_id"]: c["client_id"] for c in clients.values() if c["current_unit_id"]},
        "some_trajectory": any(u["tenancy"] == "trajectory" for u in units.values()),
        "policy": policy,
        "period_start": period_start,
        "period_end": period_start + timedelta(days=days - 1),
        "raw": raw,
    }


def _tables(instance: str | Path | dict) -> dict:
    """Accept an instance folder or already-loaded tables."""
    if isinstance(instance, dict) and "period_end" in instance:
        return instance
    return load_tables(instance)


# --------------------------------------------------------------------------------------------
# Eligibility: one function per rule, each returns True when the pair satisfies it
# --------------------------------------------------------------------------------------------


def own_home(client: dict, unit: dict) -> bool:
    """The client lives in this unit now (current_unit_id): staying is omklappen."""
    return client["current_unit_id"] == unit["unit_id"]


def rule_type(tables: dict, client: dict, unit: dict) -> bool:
    """type: the unit type is in the client's eligible_types, else in the policy compatibility."""
    allowed = client["eligible_types"]
    if allowed is None:
        allowed = tables["policy"]["compatibility"].get(client["support_intensity"], [])
    return unit["type"] in allowed


def rule_size(tables: dict, client: dict, unit: dict) -> bool:
    """size: the household fits the unit."""
    return client["household_size"] <= unit["max_household"]


def rule_rent(tables: dict, client: dict, unit: dict) -> bool:
    """rent: the rent is affordable when the client has a max_rent."""
    return client["max_rent"] is None or unit["rent"] <= client["max_rent"]


def rule_access(tables: dict, client: dict, unit: dict) -> bool:
    """access: a client who needs step-free access gets an accessible unit."""
    return unit["accessible"] or not client["needs_accessible"]


def rule_timing(tables: dict, client: dict, unit: dict) -> bool:
    """timing: unit available and client ready by the (inclusive) end of the period."""
    end = tables["period_end"]
    unit_ok = unit["available_from"] <= end
    client_ok = client["ready_from"] is None or client["ready_from"] <= end
    return unit_ok and client_ok


def rule_safety(tables: dict, client: dict, unit: dict) -> bool:
    """safety: never a municipality or neighbourhood the client excluded."""
    return (
        unit["municipality_id"] not in client["excluded_municipalities"]
        and unit["neighbourhood_id"] not in client["excluded_neighbourhoods"]
    )


def rule_origin_rule(tables: dict, client: dict, unit: dict) -> bool:
    """origin_rule: prefer allows all; region needs same region or preferred; strict needs
    origin or preferred."""
    rule = tables["policy"]["origin_rule"]
    municipality = unit["municipality_id"]
    origin = client["origin_municipality_id"]
    if rule == "prefer" or own_home(client, unit):  # omklappen: no new placement
        return True
    if municipality == origin or municipality in client["preferred_municipalities"]:
        return True
    if rule == "strict":
        return False
    # region: compare the regions of the unit's municipality and the client's origin.
    municipalities = tables["municipalities"]
    unit_region = municipalities.get(municipality, {}).get("region")
    origin_region = municipalities.get(origin, {}).get("region")
    return unit_region is not None and unit_region == origin_region


def rule_history(tables: dict, client: dict, unit: dict) -> bool:
    """history: no declined row that still holds (no until, or period start <= until) has this
    client and, by its scope, covers the unit: `unit` the declined unit itself; otherwise the
    unit's site (only when non-empty), neighbourhood, landlord or municipality equals scope_id,
    or, when that is empty, the declined unit's own value."""
    field = {
        "site": "site_id",
        "neighbourhood": "neighbourhood_id",
        "landlord": "landlord",
        "municipality": "municipality_id",
    }
    for client_id, unit_id, scope, scope_id, until in tables["declined"]:
        if client_id != client["client_id"]:
            continue
        if until is not None and tables["period_start"] > until:
            continue  # no longer holds
        if scope == "unit":
            if unit_id == unit["unit_id"]:
                return False
            continue
        value = unit[field[scope]]
        if scope_id is None:
            declined_unit = tables["units"].get(unit_id)
            scope_id = declined_unit[field[scope]] if declined_unit else None
        if value and scope_id and value == scope_id:
            return False
    return True


def rule_open_neighbourhood(tables: dict, client: dict, unit: dict) -> bool:
    """open neighbourhood: no closed_until, or closed_until before the period's start."""
    if own_home(client, unit):  # omklappen: the client already lives there
        return True
    closed_until = tables["neighbourhoods"][unit["neighbourhood_id"]]["closed_until"]
    return closed_until is None or closed_until < tables["period_start"]


def rule_occupied(tables: dict, client: dict, unit: dict) -> bool:
    """occupied: no other client of this week has the unit as current_unit_id."""
    occupant = tables["occupants"].get(unit["unit_id"])
    return occupant is None or occupant == client["client_id"]


def is_young_adult(client: dict) -> bool:
    """A young adult: target group young_adult, or from residential youth care (source jeugd)."""
    return "young_adult" in client["target_groups"] or client["source"] == "jeugd"


def rule_young_adults_home(tables: dict, client: dict, unit: dict) -> bool:
    """young adults' home: a young_adults_only unit goes to a young adult only (own home too)."""
    return not unit["young_adults_only"] or is_young_adult(client)


def rule_housing_first(tables: dict, client: dict, unit: dict) -> bool:
    """Housing First: a housing_first client gets only a social_rental unit with a permanent
    tenancy (own home too)."""
    if "housing_first" not in client["target_groups"]:
        return True
    return unit["type"] == "social_rental" and unit["tenancy"] == "permanent"


def rule_shared_home(tables: dict, client: dict, unit: dict) -> bool:
    """Two clients sharing one home get a social_rental unit (a room, cluster place or Skaeve
    Huis is for one person)."""
    return client.get("persons", 1) < 2 or unit["type"] == "social_rental"


ELIGIBILITY_RULES: dict[str, Callable[[dict, dict, dict], bool]] = {
    "type": rule_type,
    "size": rule_size,
    "rent": rule_rent,
    "access": rule_access,
    "timing": rule_timing,
    "safety": rule_safety,
    "origin_rule": rule_origin_rule,
    "history": rule_history,
    "open_neighbourhood": rule_open_neighbourhood,
    "occupied": rule_occupied,
    "young_adults_home": rule_young_adults_home,
    "housing_first": rule_housing_first,
    "shared_home": rule_shared_home,
}


def eligible(tables: dict, client_id: str, unit_id: str) -> list[str]:
    """Names of the eligibility rules the pair breaks, in spec order (empty list = eligible)."""
    tables = _tables(tables)
    client = tables["clients"][client_id]
    unit = tables["units"][unit_id]
    return [name for name, rule in ELIGIBILITY_RULES.items() if not rule(tables, client, unit)]


def eligible_pairs(instance: str | Path | dict) -> list[tuple[str, str]]:
    """All eligible (client_id, unit_id) pairs, sorted."""
    tables = _tables(instance)
    return [
        (c, u)
        for c in sorted(tables["clients"])
        for u in sorted(tables["units"])
        if not eligible(tables, c, u)
    ]


# --------------------------------------------------------------------------------------------
# Capacities (allocation rules 2-4)
# --------------------------------------------------------------------------------------------


def neighbourhood_cap(tables: dict, neighbourhood_id: str) -> Fraction:
    """cap(n): the ``cap`` cell, else floor(dwellings × max_load_per_1000_dwellings / 1000)."""
    neighbourhood = tables["neighbourhoods"][neighbourhood_id]
    if neighbourhood["cap"] is not None:
        return neighbourhood["cap"]
    per_1000 = _exact(tables["policy"]["spreading"]["max_load_per_1000_dwellings"])
    return Fraction(math.floor(neighbourhood["dwellings"] * per_1000 / 1000))


def neighbourhood_room(tables: dict, neighbourhood_id: str) -> Fraction:
    """Load the allocation may add: max(0, cap(n) − recent_load(n))."""
    recent = tables["neighbourhoods"][neighbourhood_id]["recent_load"]
    return max(Fraction(0), neighbourhood_cap(tables, neighbourhood_id) - recent)


def pair_load(tables: dict, client_id: str, unit_id: str) -> Fraction:
    """Load a pair adds to its neighbourhood: the intensity's weight, 0 for exempt unit types and
    for a client staying in the unit they live in (omklappen)."""
    spreading = tables["policy"]["spreading"]
    unit = tables["units"][unit_id]
    if unit["type"] in spreading["exempt_types"] or own_home(tables["clients"][client_id], unit):
        return Fraction(0)
    intensity = tables["clients"][client_id]["support_intensity"]
    # two clients sharing one home both arrive with support
    return _exact(spreading["load_weight"][intensity]) * tables["clients"][client_id].get("persons", 1)


class Usage:
    """Running totals of neighbourhood load, municipality intake and support slots.

    Used by the greedy baseline and the brute force to test "does this pair still fit?".
    """

    def __init__(self, tables: dict):
        self.tables = tables
        self.load: Counter = Counter()
        self.intake: Counter = Counter()
        self.slots: Counter = Counter()
        self.providers: Counter = Counter()  # (provider, municipality) -> pairs (rule 6)
        self.agreed: Counter = Counter()  # placements per agreement with a maximum (rule 5)
        self._room = {n: _plain(neighbourhood_room(tables, n)) for n in tables["neighbourhoods"]}
        self._pairs: dict[tuple[str, str], tuple] = {}

    def _info(self, client_id: str, unit_id: str) -> tuple:
        """(neighbourhood, municipality, (municipality, intensity), load) of a pair, cached."""
        key = (client_id, unit_id)
        if key not in self._pairs:
            unit = self.tables["units"][unit_id]
            intensity = self.tables["clients"][client_id]["support_intensity"]
            self._pairs[key] = (
                unit["neighbourhood_id"],
                unit["municipality_id"],
                (unit["municipality_id"], intensity),
                _plain(pair_load(self.tables, client_id, unit_id)),  # int when whole: fast
            )
        return self._pairs[key]

    def fits(self, client_id: str, unit_id: str) -> bool:
        """True when adding the pair keeps every capacity rule satisfied."""
        neighbourhood, municipality, slot_key, added = self._info(client_id, unit_id)
        if added > 0 and self.load[neighbourhood] + added > self._room[neighbourhood]:
            return False
        max_intake = self.tables["municipalities"].get(municipality, {}).get("max_intake")
        if max_intake is not None and self.intake[municipality] + 1 > max_intake:
            return False
        slots = self.tables["support_capacity"].get(slot_key)
        persons = self.tables["clients"][client_id].get("persons", 1)
        if slots is not None and self.slots[slot_key] + persons > slots:
            return False
        provider_key = (self.tables["clients"][client_id]["provider"], municipality)
        provider_slots = self.tables["provider_capacity"].get(provider_key)
        if provider_slots is not None and self.providers[provider_key] + 1 > provider_slots:
            return False
        return all(
            self.agreed[a["agreement_id"]] + 1 <= agreement_room(a)
            for a in agreements_counting(self.tables, client_id, unit_id)
            if a["maximum"] is not None
        )

    def add(self, client_id: str, unit_id: str, sign: int = 1) -> None:
        """Record the pair (``sign=-1`` removes it again)."""
        neighbourhood, municipality, slot_key, added = self._info(client_id, unit_id)
        self.load[neighbourhood] += sign * added
        self.intake[municipality] += sign
        self.slots[slot_key] += sign * self.tables["clients"][client_id].get("persons", 1)
        self.providers[(self.tables["clients"][client_id]["provider"], municipality)] += sign
        for a in agreements_counting(self.tables, client_id, unit_id):
            self.agreed[a["agreement_id"]] += sign

    def remove(self, client_id: str, unit_id: str) -> None:
        """Undo :meth:`add`."""
        self.add(client_id, unit_id, sign=-1)

    def state(self) -> tuple:
        """A hashable snapshot of the capacity used (for memoisation)."""
        return tuple(
            tuple(sorted((k, v) for k, v in counter.items() if v))
            for counter in (self.load, self.intake, self.slots, self.agreed, self.providers)
        )


# --------------------------------------------------------------------------------------------
# Feasibility of a whole allocation
# --------------------------------------------------------------------------------------------


def check_unknown_id(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """unknown_id: every client_id and unit_id must exist in the instance."""
    messages = []
    for client_id, unit_id in pairs:
        if client_id not in tables["clients"]:
            messages.append(f"unknown_id: client {client_id!r} is not in clients.csv")
        if unit_id not in tables["units"]:
            messages.append(f"unknown_id: unit {unit_id!r} is not in units.csv")
    return messages


def check_one_unit_per_client(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """one_unit_per_client: a client appears in at most one pair."""
    counts = Counter(c for c, _ in pairs)
    return [
        f"one_unit_per_client: client {c} appears in {n} pairs" for c, n in sorted(counts.items()) if n > 1
    ]


def check_one_client_per_unit(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """one_client_per_unit: a unit appears in at most one pair."""
    counts = Counter(u for _, u in pairs)
    return [f"one_client_per_unit: unit {u} appears in {n} pairs" for u, n in sorted(counts.items()) if n > 1]


def check_eligibility(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """eligibility:<rule>: every pair must be eligible."""
    return [
        f"eligibility:{rule}: client {c} may not get unit {u}"
        for c, u in pairs
        for rule in eligible(tables, c, u)
    ]


def check_neighbourhood_cap(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """neighbourhood_cap: added load per neighbourhood ≤ max(0, cap − recent_load)."""
    added: Counter = Counter()
    for c, u in pairs:
        added[tables["units"][u]["neighbourhood_id"]] += pair_load(tables, c, u)
    messages = []
    for neighbourhood, load in sorted(added.items()):
        if load == 0:
            continue
        room = neighbourhood_room(tables, neighbourhood)
        if load > room:
            messages.append(
                f"neighbourhood_cap: {neighbourhood} gets load {load} but has room for {room} "
                f"(cap {neighbourhood_cap(tables, neighbourhood)}, recent_load "
                f"{tables['neighbourhoods'][neighbourhood]['recent_load']})"
            )
    return messages


def check_municipality_intake(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """municipality_intake: at most max_intake pairs with units in that municipality."""
    counts = Counter(tables["units"][u]["municipality_id"] for _, u in pairs)
    messages = []
    for municipality, count in sorted(counts.items()):
        limit = tables["municipalities"].get(municipality, {}).get("max_intake")
        if limit is not None and count > limit:
            messages.append(
                f"municipality_intake: {municipality} gets {count} placements, max_intake {limit}"
            )
    return messages


def check_support_slots(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """support_slots: per support_capacity row, at most ``slots`` clients of that intensity there
    (two clients sharing one home are two)."""
    counts: Counter = Counter()
    for c, u in pairs:
        client = tables["clients"][c]
        counts[(tables["units"][u]["municipality_id"], client["support_intensity"])] += client.get(
            "persons", 1
        )
    messages = []
    for key, count in sorted(counts.items()):
        limit = tables["support_capacity"].get(key)
        if limit is not None and count > limit:
            messages.append(f"support_slots: {key[0]} gets {count} {key[1]} clients, slots {limit}")
    return messages


# --- agreements (rule 5 and the agreements level) -------------------------------------------------


def agreement_applies(tables: dict, agreement: dict) -> bool:
    """An agreement covers the week when start ≤ period.start ≤ end."""
    return agreement["start"] <= tables["period_start"] <= agreement["end"]


def agreement_counts(tables: dict, agreement: dict, client_id: str, unit_id: str) -> bool:
    """The pair lies in the agreement's municipality (or is its landlord's unit) and the client is
    of its target group (source, or one of the client's target groups), when it names one."""
    unit, client = tables["units"][unit_id], tables["clients"][client_id]
    side = unit["municipality_id"] if agreement["kind"] == "municipality" else unit["landlord"]
    if side != agreement["party"]:
        return False
    group = agreement["target_group"]
    young = group == "young_adult" and client["source"] == "jeugd"  # youth care: a young adult too
    return group is None or client["source"] == group or group in client.get("target_groups", ()) or young


def agreements_counting(tables: dict, client_id: str, unit_id: str) -> list[dict]:
    """The agreements that apply this week and count the pair."""
    return [
        a
        for a in tables.get("agreements", [])
        if agreement_applies(tables, a) and agreement_counts(tables, a, client_id, unit_id)
    ]


def agreement_room(agreement: dict) -> int:
    """max(0, maximum − placed_so_far)."""
    return max(0, agreement["maximum"] - agreement["placed_so_far"])


def agreement_behind(tables: dict, agreement: dict) -> int:
    """max(0, ⌈minimum × d / D⌉ − placed_so_far), d the agreement's days to the week's last day."""
    if agreement["minimum"] is None or not agreement_applies(tables, agreement):
        return 0
    total = (agreement["end"] - agreement["start"]).days + 1
    elapsed = min(total, (tables["period_end"] - agreement["start"]).days + 1)
    due = -(-agreement["minimum"] * elapsed // total)  # ceiling, exactly in integers
    return max(0, due - agreement["placed_so_far"])


def check_agreement_maximum(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """agreement_maximum: per applicable agreement with a maximum, its pairs ≤ maximum − placed_so_far."""
    messages = []
    for a in tables.get("agreements", []):
        if a["maximum"] is None or not agreement_applies(tables, a):
            continue
        count = sum(1 for c, u in pairs if agreement_counts(tables, a, c, u))
        if count > agreement_room(a):
            messages.append(
                f"agreement_maximum: {a['agreement_id']} counts {count} placements, room {agreement_room(a)}"
            )
    return messages


def agreement_shortfall(instance: str | Path | dict, pairs: Iterable[tuple[str, str]]) -> int:
    """Σ over applicable agreements of max(0, behind − pairs it counts)."""
    tables = _tables(instance)
    pairs = list(set(pairs))
    return sum(
        max(0, agreement_behind(tables, a) - sum(1 for c, u in pairs if agreement_counts(tables, a, c, u)))
        for a in tables.get("agreements", [])
        if agreement_applies(tables, a)
    )


def check_provider_slots(tables: dict, pairs: list[tuple[str, str]]) -> list[str]:
    """provider_slots (rule 6): per provider_capacity row, at most ``slots`` pairs with units in
    that municipality and clients of that provider (own-home pairs count like any pair)."""
    counts = Counter(
        (tables["clients"][c]["provider"], tables["units"][u]["municipality_id"])
        for c, u in pairs
        if tables["clients"][c]["provider"] is not None
    )
    messages = []
    for key, count in sorted(counts.items()):
        limit = tables["provider_capacity"].get(key)
        if limit is not None and count > limit:
            messages.append(f"provider_slots: {key[1]} gets {count} clients of {key[0]}, slots {limit}")
    return messages


def violations(instance: str | Path | dict, pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Every reason why ``pairs`` is not an allocation; each message starts with ``<rule>: ``.

    Empty list = feasible. Pairs with an unknown id are reported once (``unknown_id``) and left
    out of the other checks. A pair listed twice breaks both one-per rules.
    """
    tables = _tables(instance)
    pairs = [(str(c), str(u)) for c, u in pairs]
    messages = check_unknown_id(tables, pairs)
    known = [(c, u) for c, u in pairs if c in tables["clients"] and u in tables["units"]]
    messages += check_one_unit_per_client(tables, pairs)
    messages += check_one_client_per_unit(tables, pairs)
    messages += check_eligibility(tables, known)
    messages += check_neighbourhood_cap(tables, known)
    messages += check_municipality_intake(tables, known)
    messages += check_support_slots(tables, known)
    messages += check_provider_slots(tables, known)
    messages += check_agreement_maximum(tables, known)
    return messages


# --------------------------------------------------------------------------------------------
# Objective
# --------------------------------------------------------------------------------------------


def waiting_weeks(tables: dict, client_id: str) -> int:
    """weeks(c) = max(0, floor((period.start − registered_on) / 7 days))."""
    days = (tables["period_start"] - tables["clients"][client_id]["registered_on"]).days
    return max(0, days // 7)


def priority_weight(tables: dict, client_id: str) -> int:
    """w(c) = urgency_base[urgency] + per_week_waiting × min(max_waiting_weeks, weeks(c)), plus
    family_bonus when the client is in target group family."""
    tables = _tables(tables)
    priority = tables["policy"]["priority"]
    client = tables["clients"][client_id]
    weeks = min(int(priority["max_waiting_weeks"]), waiting_weeks(tables, client_id))
    weight = (
        _exact(priority["urgency_base"][client["urgency"]]) + _exact(priority["per_week_waiting"]) * weeks
    )
    if "family" in client["target_groups"]:
        weight += _exact(priority["family_bonus"])
    return _plain(weight)


def preference_score(tables: dict, client_id: str, unit_id: str) -> int:
    """p(c, u): the highest of origin / k-th preferred / current that applies, else 0; plus
    `permanent` for a light or ambulant client in a permanent unit when some unit is a
    trajectory unit; plus `stay` when the client lives in the unit (omklappen)."""
    tables = _tables(tables)
    preference = tables["policy"]["preference"]
    client = tables["clients"][client_id]
    municipality = tables["units"][unit_id]["municipality_id"]
    scores = [Fraction(0)]
    if municipality == client["origin_municipality_id"]:
        scores.append(_exact(preference["origin"]))
    ranks = list(preference["preferred"])
    for k, preferred in enumerate(client["preferred_municipalities"]):
        if preferred == municipality and ranks:
            scores.append(_exact(ranks[min(k, len(ranks) - 1)]))
    if municipality == client["current_municipality_id"]:
        scores.append(_exact(preference["current"]))
    score = max(scores)
    unit = tables["units"][unit_id]
    if (
        tables["some_trajectory"]
        and unit["tenancy"] == "permanent"
        and client["support_intensity"] in PERMANENT_POINTS_FOR
    ):
        score += _exact(preference["permanent"])
    if own_home(client, unit):
        score += _exact(preference["stay"])
    return _plain(score)


def objective(instance: str | Path | dict, pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """(W, P) of a set of pairs: W over distinct placed clients, P over distinct pairs."""
    tables = _tables(instance)
    pairs = sorted({(str(c), str(u)) for c, u in pairs})
    unknown = check_unknown_id(tables, pairs)
    if unknown:
        raise ValueError("; ".join(unknown))
    total_w = sum(Fraction(priority_weight(tables, c)) for c in {c for c, _ in pairs})
    total_p = sum(Fraction(preference_score(tables, c, u)) for c, u in pairs)
    return _plain(Fraction(total_w)), _plain(Fraction(total_p))


# --------------------------------------------------------------------------------------------
# Baseline: today's practice
# --------------------------------------------------------------------------------------------


def greedy_priority_allocation(instance: str | Path | dict) -> list[tuple[str, str]]:
    """Priority order (w desc, registered_on asc, client_id); each takes the free eligible unit
    with the highest p (ties: lowest unit_id) that still fits every capacity, or stays unmatched."""
    tables = _tables(instance)
    order = sorted(
        tables["clients"],
        key=lambda c: (
            -priority_weight(tables, c),
            tables["clients"][c]["registered_on"],
            c,
        ),
    )
    usage = Usage(tables)
    free = set(tables["units"])
    allocation = []
    for client_id in order:
        candidates = [
            u for u in sorted(free) if not eligible(tables, client_id, u) and usage.fits(client_id, u)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda u: preference_score(tables, client_id, u))
        # max() keeps the first of equal scores, and candidates are in unit_id order.
        usage.add(client_id, best)
        free.discard(best)
        allocation.append((client_id, best))
    return allocation


# --------------------------------------------------------------------------------------------
# Reference optimum
# --------------------------------------------------------------------------------------------


def brute_force_optimum(
    instance: str | Path | dict, return_allocation: bool = False
) -> tuple[int, int] | tuple[tuple[int, int], list[tuple[str, str]]]:
    """Lexicographic optimum (max W, then max P) by exhaustive enumeration.

    Clients are taken one by one (in client_id order); each either stays unmatched or takes one
    still-free eligible unit that fits the capacities used so far. Every injective partial
    assignment that respects the capacities is reached. The best (W, P) of the remaining clients
    depends only on (next client, units used, capacity used), so that value is memoised: the
    search stays exhaustive but never solves the same sub-problem twice.
    """
    tables = _tables(instance)
    clients = sorted(tables["clients"])
    options = {c: [u for u in sorted(tables["units"]) if not eligible(tables, c, u)] for c in clients}
    weight = {c: priority_weight(tables, c) for c in clients}
    score = {(c, u): preference_score(tables, c, u) for c in clients for u in options[c]}

    usage = Usage(tables)
    used: set[str] = set()
    memo: dict[tuple, tuple[tuple[Any, Any], tuple[tuple[str, str], ...]]] = {}

    def best_from(i: int) -> tuple[tuple[Any, Any], tuple[tuple[str, str], ...]]:
        """Best (W, P) and pairs for clients i.. given the units and capacity used so far."""
        if i == len(clients):
            return (0, 0), ()
        key = (i, frozenset(used), usage.state())
        if key not in memo:
            c = clients[i]
            best = best_from(i + 1)  # c stays unmatched
            for u in options[c]:
                if u in used or not usage.fits(c, u):
                    continue
                used.add(u)
                usage.add(c, u)
                (w, p), rest = best_from(i + 1)
                usage.remove(c, u)
                used.discard(u)
                candidate = (w + weight[c], p + score[c, u]), ((c, u),) + rest
                if candidate[0] > best[0]:
                    best = candidate
            memo[key] = best
        return memo[key]

    (best_w, best_p), allocation = best_from(0)
    value = (_plain(Fraction(best_w)), _plain(Fraction(best_p)))
    return (value, list(allocation)) if return_allocation else value


def _solve_milp(
    objective_coeffs: np.ndarray,
    matrix: np.ndarray,
    upper: np.ndarray,
    extra: list[Any],
) -> np.ndarray:
    """Maximise ``objective_coeffs · x`` over binary x with ``matrix x ≤ upper`` (+ extras)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    constraints = [LinearConstraint(matrix, -np.inf, upper)] + extra
    result = milp(
        c=-objective_coeffs,
        constraints=constraints,
        integrality=np.ones(len(objective_coeffs)),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0, "presolve": True},
    )
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"milp did not prove optimality: {result.message}")
    x = result.x
    if np.max(np.abs(x - np.round(x))) > 1e-6:
        raise RuntimeError("milp returned a fractional solution")
    return np.round(x).astype(int)


def _capacity_rows(tables: dict, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Dense rows `matrix · x ≤ upper` for one unit per client, one client per unit, caps,
    intake and support slots over the eligible `pairs`."""
    rows: list[tuple[list[tuple[int, float]], float]] = []
    by_client: dict[str, list[int]] = defaultdict(list)
    by_unit: dict[str, list[int]] = defaultdict(list)
    by_neighbourhood: dict[str, list[tuple[int, float]]] = defaultdict(list)
    by_municipality: dict[str, list[int]] = defaultdict(list)
    by_slot: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_provider: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for j, (c, u) in enumerate(pairs):
        unit = tables["units"][u]
        by_client[c].append(j)
        by_unit[u].append(j)
        load = pair_load(tables, c, u)
        if load > 0:
            by_neighbourhood[unit["neighbourhood_id"]].append((j, float(load)))
        by_municipality[unit["municipality_id"]].append(j)
        by_slot[(unit["municipality_id"], tables["clients"][c]["support_intensity"])].append(j)
        by_provider[(tables["clients"][c]["provider"], unit["municipality_id"])].append(j)

    for group in list(by_client.values()) + list(by_unit.values()):
        rows.append(([(j, 1.0) for j in group], 1.0))
    for neighbourhood, terms in by_neighbourhood.items():
        rows.append((terms, float(neighbourhood_room(tables, neighbourhood))))
    for municipality, group in by_municipality.items():
        limit = tables["municipalities"].get(municipality, {}).get("max_intake")
        if limit is not None:
            rows.append(([(j, 1.0) for j in group], float(limit)))
    for key, group in by_slot.items():
        limit = tables["support_capacity"].get(key)
        if limit is not None:  # a slot per person: two clients sharing one home use two
            rows.append(
                ([(j, float(tables["clients"][pairs[j][0]].get("persons", 1))) for j in group], float(limit))
            )
    for provider_key, group in by_provider.items():
        limit = tables["provider_capacity"].get(provider_key)  # never for a client without provider
        if limit is not None:
            rows.append(([(j, 1.0) for j in group], float(limit)))
    for a in tables.get("agreements", []):
        if a["maximum"] is not None and agreement_applies(tables, a):
            group = [j for j, (c, u) in enumerate(pairs) if agreement_counts(tables, a, c, u)]
            rows.append(([(j, 1.0) for j in group], float(agreement_room(a))))

    matrix = np.zeros((len(rows), len(pairs)))
    upper = np.zeros(len(rows))
    for i, (terms, bound) in enumerate(rows):
        for j, coeff in terms:
            matrix[i, j] = coeff
        # A tiny slack so float rounding never cuts a feasible point; exactness is re-checked.
        upper[i] = bound + 1e-9

    return matrix, upper


def milp_optimum(
    instance: str | Path | dict, return_allocation: bool = False
) -> tuple[int, int] | tuple[tuple[int, int], list[tuple[str, str]]]:
    """Lexicographic optimum by two ``scipy.optimize.milp`` solves over eligible pairs:
    max W; then max P subject to W ≥ W*. The result is re-checked with :func:`violations`."""
    from scipy.optimize import LinearConstraint

    tables = _tables(instance)
    pairs = eligible_pairs(tables)
    if not pairs:
        return ((0, 0), []) if return_allocation else (0, 0)

    matrix, upper = _capacity_rows(tables, pairs)

    w = np.array([float(priority_weight(tables, c)) for c, _ in pairs])
    p = np.array([float(preference_score(tables, c, u)) for c, u in pairs])

    def exact_value(x: np.ndarray) -> tuple[list[tuple[str, str]], tuple[Any, Any]]:
        chosen = [pairs[j] for j in range(len(pairs)) if x[j] == 1]
        problems = violations(tables, chosen)
        if problems:
            raise RuntimeError(f"milp solution is infeasible: {problems}")
        return chosen, objective(tables, chosen)

    _, (best_w, _) = exact_value(_solve_milp(w, matrix, upper, []))
    keep_w = LinearConstraint(w.reshape(1, -1), float(best_w) - 1e-6, np.inf)
    chosen, (final_w, best_p) = exact_value(_solve_milp(p, matrix, upper, [keep_w]))
    if final_w != best_w:
        raise RuntimeError(f"second solve lost priority: W {final_w} != {best_w}")
    value = (best_w, best_p)
    return (value, chosen) if return_allocation else value


def max_utilisation(instance: str | Path | dict, pairs: Iterable[tuple[str, str]]) -> Fraction:
    """Highest (recent_load + added load) / cap over neighbourhoods with cap > 0 (0 if none)."""
    tables = _tables(instance)
    added: dict[str, Fraction] = defaultdict(Fraction)
    for c, u in set(pairs):
        added[tables["units"][u]["neighbourhood_id"]] += pair_load(tables, c, u)
    values = []
    for neighbourhood_id, neighbourhood in tables["neighbourhoods"].items():
        cap = neighbourhood_cap(tables, neighbourhood_id)
        if cap > 0:
            values.append((neighbourhood["recent_load"] + added[neighbourhood_id]) / cap)
    return max(values, default=Fraction(0))


def municipality_shares(tables: dict) -> dict[str, Fraction]:
    """share_m: the municipality's ``target_share`` where given; the municipalities without one
    split ``1 − Σ given`` (at least 0) in proportion to their population (0 when they have none)."""
    municipalities = tables["municipalities"]
    given = {m: row["target_share"] for m, row in municipalities.items() if row["target_share"] is not None}
    if sum(given.values(), Fraction(0)) > 1:
        raise ValueError("municipalities: the target shares add up to more than 1")
    rest = max(Fraction(0), 1 - sum(given.values(), Fraction(0)))
    population = {m: Fraction(row["population"] or 0) for m, row in municipalities.items() if m not in given}
    total = sum(population.values(), Fraction(0))
    return {
        m: given[m] if m in given else (rest * population[m] / total if total else Fraction(0))
        for m in municipalities
    }


def fair_share_deviation(instance: str | Path | dict, pairs: Iterable[tuple[str, str]]) -> Fraction:
    """Σ over municipalities of |placed_so_far + placed − share × (S + N)|, with S the sum of
    placed_so_far and N the number of pairs."""
    tables = _tables(instance)
    pairs = set(pairs)
    share = municipality_shares(tables)
    so_far = {m: row["placed_so_far"] for m, row in tables["municipalities"].items()}
    everyone = sum(so_far.values()) + len(pairs)
    placed: dict[str, int] = defaultdict(int)
    for _, u in pairs:
        placed[tables["units"][u]["municipality_id"]] += 1
    return sum((abs(so_far[m] + placed[m] - share[m] * everyone) for m in share), Fraction(0))


def late_level_optimum(instance: str | Path | dict) -> tuple[Fraction, float]:
    """(U*, D*): see :func:`late_levels`."""
    _, best_u, best_d = late_levels(instance)
    return best_u, best_d


def late_levels(instance: str | Path | dict) -> tuple[int, Fraction, float]:
    """(S*, U*, D*): the smallest shortfall of the agreements behind schedule among allocations
    with the optimal (W*, P*), then the lowest highest neighbourhood utilisation among those, then
    the smallest fair-share deviation among those; scipy MILPs over the same rows as
    :func:`milp_optimum`, each result re-checked exactly."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    tables = _tables(instance)
    (best_w, best_p), _ = milp_optimum(tables, return_allocation=True)
    pairs = eligible_pairs(tables)
    if not pairs:
        return (
            agreement_shortfall(tables, []),
            max_utilisation(tables, []),
            float(fair_share_deviation(tables, [])),
        )
    matrix, upper = _capacity_rows(tables, pairs)
    n = len(pairs)
    w = np.array([float(priority_weight(tables, c)) for c, _ in pairs])
    p = np.array([float(preference_score(tables, c, u)) for c, u in pairs])
    capped = [
        (nid, neighbourhood_cap(tables, nid))
        for nid in tables["neighbourhoods"]
        if neighbourhood_cap(tables, nid) > 0
    ]
    floor_u = float(
        max((tables["neighbourhoods"][nid]["recent_load"] / cap for nid, cap in capped), default=0)
    )

    # variables: pairs, U, then per municipality a deviation d_m, then per agreement behind
    # schedule its shortfall s_a
    municipalities = list(tables["municipalities"])
    lagging = [a for a in tables.get("agreements", []) if agreement_behind(tables, a) > 0]
    width = n + 1 + len(municipalities) + len(lagging)

    def padded(rows: np.ndarray) -> np.ndarray:
        return np.hstack([rows, np.zeros((rows.shape[0], width - rows.shape[1]))])

    keep = [
        LinearConstraint(padded(matrix), -np.inf, upper),
        LinearConstraint(padded(w.reshape(1, -1)), float(best_w) - 1e-6, np.inf),
        LinearConstraint(padded(p.reshape(1, -1)), float(best_p) - 1e-6, np.inf),
    ]
    spread = np.zeros((len(capped), width))
    spread_upper = np.zeros(len(capped))
    for i, (nid, cap) in enumerate(capped):
        for j, (c, u) in enumerate(pairs):
            if tables["units"][u]["neighbourhood_id"] == nid:
                spread[i, j] = float(pair_load(tables, c, u))
        spread[i, n] = -float(cap)
        spread_upper[i] = -float(tables["neighbourhoods"][nid]["recent_load"]) + 1e-9
    integrality = np.r_[np.ones(n), np.zeros(width - n)]
    behind = np.array([float(agreement_behind(tables, a)) for a in lagging])
    bounds = Bounds(
        np.r_[np.zeros(n), floor_u, np.zeros(len(municipalities)), np.zeros(len(lagging))],
        np.r_[np.ones(n), np.inf, np.full(len(municipalities), np.inf), behind],
    )

    def solve(cost: np.ndarray, constraints: list) -> list[tuple[str, str]]:
        result = milp(
            c=cost,
            constraints=constraints,
            integrality=integrality,
            bounds=bounds,
            options={"mip_rel_gap": 0, "presolve": True},
        )
        if result.status != 0 or result.x is None:
            raise RuntimeError(f"milp did not prove optimality: {result.message}")
        chosen = [pairs[j] for j in range(n) if round(result.x[j]) == 1]
        problems = violations(tables, chosen)
        if problems or objective(tables, chosen) != (best_w, best_p):
            raise RuntimeError(f"late-level milp lost an earlier level: {problems}")
        return chosen

    best_s = 0
    if lagging:
        # placed_a + s_a ≥ behind_a; minimise Σ s_a, then keep Σ s_a ≤ S*
        closing = np.zeros((len(lagging), width))
        for i, a in enumerate(lagging):
            for j, (c, u) in enumerate(pairs):
                closing[i, j] = 1.0 if agreement_counts(tables, a, c, u) else 0.0
            closing[i, n + 1 + len(municipalities) + i] = 1.0
        keep.append(LinearConstraint(closing, behind - 1e-9, np.inf))
        cost = np.zeros(width)
        cost[n + 1 + len(municipalities) :] = 1.0
        chosen = solve(cost, keep)
        best_s = agreement_shortfall(tables, chosen)
        keep.append(LinearConstraint(cost.reshape(1, -1), -np.inf, best_s + 1e-6))
    chosen = solve(
        np.r_[np.zeros(n), 1.0, np.zeros(width - n - 1)],
        keep + ([LinearConstraint(spread, -np.inf, spread_upper)] if capped else []),
    )
    if agreement_shortfall(tables, chosen) != best_s:
        raise RuntimeError("spreading milp lost the agreements level")
    best_u = max_utilisation(tables, chosen)
    # d_m ≥ ±(q_m + placed_m − share_m · (S + N)) with N = Σ x, q_m placed so far, S = Σ q_m:
    # ±(placed_m − share_m · N) − d_m ≤ ∓(q_m − share_m · S)
    exact_share = municipality_shares(tables)
    share = np.array([float(exact_share[m]) for m in municipalities])
    so_far_total = sum(tables["municipalities"][m]["placed_so_far"] for m in municipalities)
    constant = np.array(
        [
            float(tables["municipalities"][m]["placed_so_far"] - exact_share[m] * so_far_total)
            for m in municipalities
        ]
    )
    deviation = np.zeros((2 * len(municipalities), width))
    for k, m in enumerate(municipalities):
        for j, (_, u) in enumerate(pairs):
            inside = 1.0 if tables["units"][u]["municipality_id"] == m else 0.0
            deviation[2 * k, j] = inside - share[k]
            deviation[2 * k + 1, j] = share[k] - inside
        deviation[2 * k, n + 1 + k] = deviation[2 * k + 1, n + 1 + k] = -1.0
    utilisation_kept = []
    if capped:
        spread_at_best = spread.copy()
        spread_at_best[:, n] = 0
        caps = np.array([float(cap) for _, cap in capped])
        utilisation_kept = [
            LinearConstraint(spread_at_best, -np.inf, spread_upper + caps * float(best_u) + 1e-9)
        ]
    chosen = solve(
        np.r_[np.zeros(n + 1), np.ones(len(municipalities)), np.zeros(len(lagging))],
        keep
        + utilisation_kept
        + [LinearConstraint(deviation, -np.inf, np.ravel(np.column_stack([-constant, constant])))],
    )
    if max_utilisation(tables, chosen) != best_u or agreement_shortfall(tables, chosen) != best_s:
        raise RuntimeError("fair-share milp lost the spreading or agreements level")
    return best_s, best_u, float(fair_share_deviation(tables, chosen))


def reference_optimum(instance: str | Path | dict) -> tuple[int, int]:
    """Lexicographic optimum (W*, P*): brute force on tiny instances, two MIP solves otherwise."""
    tables = _tables(instance)
    tiny = len(tables["clients"]) <= BRUTE_FORCE_MAX_CLIENTS and len(tables["units"]) <= BRUTE_FORCE_MAX_UNITS
    return brute_force_optimum(tables) if tiny else milp_optimum(tables)
