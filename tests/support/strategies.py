"""Hypothesis strategy for small random valid instances, and a writer for the folder form.

``instances()`` draws a dict ``{"municipalities": DataFrame, "neighbourhoods": DataFrame,
"units": DataFrame, "clients": DataFrame, ["support_capacity": DataFrame,]
["declined": DataFrame,] "policy": dict}``; every DataFrame cell is a string ('' = default).
``write_instance(tables, directory)`` writes it as CSVs plus ``policy.yaml``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import strategies as st

UNIT_TYPES = ["social_rental", "room", "cluster", "skaeve_huis"]
SOURCES = ["BW", "MO", "VO", "jeugd"]
INTENSITIES = ["light", "ambulant", "intensive", "protected"]
URGENCIES = ["normal", "high", "acute"]
ORIGIN_RULES = ["prefer", "region", "strict"]

PERIOD_START = date(2025, 3, 3)

# Mostly roomy neighbourhoods (cap = floor(dwellings × 5 / 1000) by default), some tight ones.
DWELLINGS = st.one_of(
    st.sampled_from([0, 250, 700, 1000, 1400, 2000, 2600, 3000, 3000, 3000]),
    st.integers(0, 3000),
)
RECENT_LOADS = st.sampled_from(["0", "1", "2", "0.5", "3.5", "7"])
CAPS = st.sampled_from(["0", "1", "2", "2.5", "4", "6", "10"])

COLUMNS = {
    "municipalities": ["municipality_id", "name", "region", "population", "max_intake"],
    "neighbourhoods": [
        "neighbourhood_id",
        "municipality_id",
        "name",
        "dwellings",
        "recent_load",
        "cap",
    ],
    "units": [
        "unit_id",
        "type",
        "landlord",
        "municipality_id",
        "neighbourhood_id",
        "site_id",
        "rent",
        "max_household",
        "accessible",
        "available_from",
        "young_adults_only",
    ],
    "clients": [
        "client_id",
        "source",
        "origin_municipality_id",
        "current_municipality_id",
        "support_intensity",
        "household_size",
        "max_rent",
        "needs_accessible",
        "eligible_types",
        "preferred_municipalities",
        "excluded_municipalities",
        "excluded_neighbourhoods",
        "urgency",
        "registered_on",
        "ready_from",
        "target_groups",
        "shares_home_with",
    ],
    "support_capacity": ["municipality_id", "support_intensity", "slots"],
    "declined": ["client_id", "unit_id", "declined_by", "scope", "scope_id", "until"],
}


def _maybe(draw, strategy, percent: int = 50) -> str:
    """Draw from ``strategy`` about ``percent`` % of the time, else the empty cell ''."""
    if draw(st.integers(0, 99)) < percent:
        return draw(strategy)
    return ""


def _bool_text():
    """Boolean cells in every accepted spelling."""
    return st.sampled_from(["true", "false", "yes", "no", "1", "0", "TRUE", "No"])


def _date_text(low: int, high: int):
    """ISO dates between PERIOD_START + low and PERIOD_START + high days."""
    return st.integers(low, high).map(lambda d: (PERIOD_START + timedelta(days=d)).isoformat())


def _id_lists(ids: list[str], max_size: int):
    """';'-separated lists of distinct ids (sometimes with stray spaces or a trailing ';')."""
    return st.builds(
        lambda chosen, separator, tail: separator.join(chosen) + tail,
        st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=max_size),
        st.sampled_from([";", "; ", " ;"]),
        st.sampled_from(["", "", ";"]),
    )


def _target_groups(household_size: str):
    """A target_groups cell in codes or Dutch words, any case (rules 11, 12, family bonus);
    `family` only for a household of two or more, as the reader demands."""
    words = {
        "young_adult": ["young_adult", "jongere", "Jongeren"],
        "family": ["family", "gezin", "GEZIN"],
        "housing_first": ["housing_first", "housing first", "Housing First"],
    }
    groups = [g for g in words if g != "family" or household_size not in ("", "1")]
    return st.lists(st.sampled_from(groups), unique=True, min_size=1, max_size=2).flatmap(
        lambda chosen: st.tuples(*[st.sampled_from(words[g]) for g in chosen]).map(";".join)
    )


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame of strings with the table's columns in spec order."""
    return pd.DataFrame(rows, columns=COLUMNS[name], dtype=str)


@st.composite
def instances(draw, max_clients: int = 12, max_units: int = 10) -> dict:
    """Draw a small random valid instance (dict of string DataFrames plus a policy dict)."""
    # Municipalities in one or two regions.
    n_regions = draw(st.integers(1, 2))
    municipality_ids = [f"GM{i:04d}" for i in range(1, draw(st.integers(2, 4)) + 1)]
    municipalities = [
        {
            "municipality_id": m,
            "name": f"Gemeente {m[-2:]}",
            "region": f"R{draw(st.integers(1, n_regions))}",
            "population": str(draw(st.integers(0, 200_000))),
            "max_intake": _maybe(draw, st.sampled_from(["0", "1", "2", "2", "3", "4"]), 30),
        }
        for m in municipality_ids
    ]

    # Neighbourhoods, each in a municipality.
    neighbourhoods = []
    for i in range(1, draw(st.integers(2, 6)) + 1):
        municipality = draw(st.sampled_from(municipality_ids))
        neighbourhoods.append(
            {
                "neighbourhood_id": f"WK{municipality[2:]}{i:02d}",
                "municipality_id": municipality,
                "name": f"Wijk {i}",
                "dwellings": str(draw(DWELLINGS)),
                "recent_load": _maybe(draw, RECENT_LOADS, 25),
                "cap": _maybe(draw, CAPS, 25),
            }
        )
    neighbourhood_ids = [n["neighbourhood_id"] for n in neighbourhoods]
    municipality_of = {n["neighbourhood_id"]: n["municipality_id"] for n in neighbourhoods}

    # Units of every type; clustered types share a few sites.
    units = []
    for i in range(1, draw(st.integers(1, max_units)) + 1):
        neighbourhood = draw(st.sampled_from(neighbourhood_ids))
        unit_type = draw(st.sampled_from(UNIT_TYPES))
        site = ""
        if unit_type in ("cluster", "skaeve_huis"):
            site = f"S{unit_type[0].upper()}{draw(st.integers(1, 2))}"
        units.append(
            {
                "unit_id": f"U{i:03d}",
                "type": unit_type,
                "landlord": draw(st.sampled_from(["Woonstad", "Havensteder", "Particulier"])),
                "municipality_id": municipality_of[neighbourhood],
                "neighbourhood_id": neighbourhood,
                "site_id": site,
                "rent": draw(st.sampled_from(["450", "550.50", "620", "700", "879.66"])),
                "max_household": _maybe(draw, st.integers(1, 4).map(str), 60),
                "accessible": _maybe(draw, _bool_text(), 60),
                "available_from": draw(_date_text(-30, 8)),
                # a jongerenwoning (rule 11) now and then
                "young_adults_only": _maybe(draw, _bool_text(), 20),
            }
        )
    unit_ids = [u["unit_id"] for u in units]

    # Clients with pseudonymous ids C001, C002, ...
    clients = []
    for i in range(1, draw(st.integers(1, max_clients)) + 1):
        eligible_types = _maybe(
            draw,
            st.lists(st.sampled_from(UNIT_TYPES), unique=True, min_size=1).map(";".join),
            35,
        )
        clients.append(
            {
                "client_id": f"C{i:03d}",
                "source": draw(st.sampled_from(SOURCES)),
                "origin_municipality_id": draw(st.sampled_from(municipality_ids)),
                "current_municipality_id": _maybe(draw, st.sampled_from(municipality_ids), 60),
                "support_intensity": draw(st.sampled_from(INTENSITIES)),
                "household_size": _maybe(draw, st.sampled_from(["1", "1", "1", "2", "3"]), 40),
                "max_rent": _maybe(draw, st.sampled_from(["500", "650", "700.00", "900"]), 40),
                "needs_accessible": _maybe(draw, _bool_text(), 25),
                "eligible_types": eligible_types,
                "preferred_municipalities": _maybe(draw, _id_lists(municipality_ids, 4), 60),
                "excluded_municipalities": _maybe(draw, _id_lists(municipality_ids, 1), 25),
                "excluded_neighbourhoods": _maybe(draw, _id_lists(neighbourhood_ids, 2), 25),
                "urgency": _maybe(draw, st.sampled_from(URGENCIES)),
                "registered_on": draw(_date_text(-500, 3)),
                "ready_from": _maybe(draw, _date_text(-10, 10), 40),
            }
        )
        clients[-1]["target_groups"] = _maybe(draw, _target_groups(clients[-1]["household_size"]), 35)
        # now and then two clients sharing one home (rule 13): a household of at least 2
        if draw(st.integers(0, 99)) < 12:
            clients[-1]["shares_home_with"] = f"D{i:03d}"
            if clients[-1]["household_size"] in ("", "1"):
                clients[-1]["household_size"] = "2"
        else:
            clients[-1]["shares_home_with"] = ""
    client_ids = [c["client_id"] for c in clients]

    tables = {
        "municipalities": _frame("municipalities", municipalities),
        "neighbourhoods": _frame("neighbourhoods", neighbourhoods),
        "units": _frame("units", units),
        "clients": _frame("clients", clients),
    }

    if draw(st.booleans()):
        keys = draw(
            st.lists(
                st.tuples(st.sampled_from(municipality_ids), st.sampled_from(INTENSITIES)),
                unique=True,
                max_size=4,
            )
        )
        tables["support_capacity"] = _frame(
            "support_capacity",
            [
                {
                    "municipality_id": m,
                    "support_intensity": s,
                    "slots": str(draw(st.integers(0, 3))),
                }
                for m, s in keys
            ],
        )

    if draw(st.booleans()):
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(client_ids), st.sampled_from(unit_ids)),
                unique=True,
                max_size=4,
            )
        )
        tables["declined"] = _frame(
            "declined",
            [
                {
                    "client_id": c,
                    "unit_id": u,
                    "declined_by": draw(st.sampled_from(["client", "landlord"])),
                    # mostly the declined unit only; the wider scopes with the unit's own value
                    "scope": draw(
                        st.sampled_from(["", "unit", "site", "neighbourhood", "landlord", "municipality"])
                    ),
                    "scope_id": "",
                    # for good, still holding this period, or lapsed the day before it starts
                    "until": draw(
                        st.sampled_from(
                            ["", "", PERIOD_START.isoformat(), (PERIOD_START - timedelta(days=1)).isoformat()]
                        )
                    ),
                }
                for c, u in pairs
            ],
        )

    policy: dict = {
        "period": {"start": PERIOD_START.isoformat(), "days": draw(st.sampled_from([7, 7, 14]))},
        "origin_rule": draw(st.sampled_from(ORIGIN_RULES + ["prefer"])),
    }
    if draw(st.integers(0, 99)) < 30:
        policy["spreading"] = {"max_load_per_1000_dwellings": draw(st.sampled_from([1, 2, 1.5]))}
    tables["policy"] = policy
    return tables


def write_instance(tables: dict, directory: Path) -> Path:
    """Write ``tables`` (DataFrames or lists of row dicts, plus ``policy``) as a folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if name == "policy":
            continue
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table, dtype=str)
        frame.to_csv(directory / f"{name}.csv", index=False, encoding="utf-8")
    policy = tables.get("policy", {})
    (directory / "policy.yaml").write_text(
        yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return directory
