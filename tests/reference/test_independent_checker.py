"""Tests of the independent checker and reference solver (tests/checker.py) themselves."""

from __future__ import annotations

import re
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import independent_checker as checker
from independent_checker import (
    brute_force_optimum,
    eligible,
    greedy_priority_allocation,
    load_tables,
    milp_optimum,
    objective,
    preference_score,
    priority_weight,
    reference_optimum,
    violations,
)
from strategies import instances, write_instance

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------------
# Hand-built instances
# --------------------------------------------------------------------------------------------

MUNICIPALITIES = [
    {"municipality_id": "GM0001", "name": "Aadorp", "region": "R1", "population": "50000"},
    {"municipality_id": "GM0002", "name": "Beekdal", "region": "R1", "population": "30000"},
    {"municipality_id": "GM0003", "name": "Cruquius", "region": "R2", "population": "20000"},
]
NEIGHBOURHOODS = [
    {"neighbourhood_id": "WK01", "municipality_id": "GM0001", "name": "Oost", "dwellings": "3000"},
    {"neighbourhood_id": "WK02", "municipality_id": "GM0002", "name": "West", "dwellings": "3000"},
    {"neighbourhood_id": "WK03", "municipality_id": "GM0003", "name": "Zuid", "dwellings": "3000"},
]
NEIGHBOURHOOD_OF = {"GM0001": "WK01", "GM0002": "WK02", "GM0003": "WK03"}


def unit(unit_id: str, municipality_id: str = "GM0001", **cells: str) -> dict:
    """A social_rental unit row, ready from before the period, with ``cells`` overridden."""
    row = {
        "unit_id": unit_id,
        "type": "social_rental",
        "landlord": "Woonstad",
        "municipality_id": municipality_id,
        "neighbourhood_id": NEIGHBOURHOOD_OF[municipality_id],
        "site_id": "",
        "rent": "600",
        "available_from": "2025-02-01",
    }
    row.update(cells)
    return row


def client(client_id: str, **cells: str) -> dict:
    """A light BW client from GM0001 registered 8 weeks before the period, ``cells`` overridden."""
    row = {
        "client_id": client_id,
        "source": "BW",
        "origin_municipality_id": "GM0001",
        "support_intensity": "light",
        "registered_on": "2025-01-06",
    }
    row.update(cells)
    return row


def build(
    directory: Path,
    units: list[dict],
    clients: list[dict],
    policy: dict | None = None,
    neighbourhoods: list[dict] | None = None,
    municipalities: list[dict] | None = None,
    **extra: list[dict],
) -> dict:
    """Write a hand-built instance (period starting Monday 2025-03-03) and load it."""
    tables = {
        "municipalities": municipalities or MUNICIPALITIES,
        "neighbourhoods": neighbourhoods or NEIGHBOURHOODS,
        "units": units,
        "clients": clients,
        **extra,
        "policy": checker.merge_policy({"period": {"start": "2025-03-03"}}, policy),
    }
    write_instance(tables, directory)
    return load_tables(directory)


def assert_rule(tables: dict, client_id: str, good_unit: str, bad_unit: str, rule: str) -> None:
    """The good pair is eligible; the bad pair breaks exactly ``rule``, also via violations()."""
    assert eligible(tables, client_id, good_unit) == []
    assert violations(tables, [(client_id, good_unit)]) == []
    assert eligible(tables, client_id, bad_unit) == [rule]
    messages = violations(tables, [(client_id, bad_unit)])
    assert messages and all(m.startswith(f"eligibility:{rule}: ") for m in messages)


def rule_names(messages: list[str]) -> set[str]:
    """The rule names the messages start with."""
    return {m.split(": ", 1)[0] for m in messages}


# --------------------------------------------------------------------------------------------
# Loading and defaults
# --------------------------------------------------------------------------------------------


def test_defaults_apply_when_optional_columns_are_missing(tmp_path):
    """Missing optional columns and empty cells take the spec's defaults."""
    tables = build(tmp_path, [unit("U01")], [client("C001")])
    u, c = tables["units"]["U01"], tables["clients"]["C001"]
    assert (u["max_household"], u["accessible"], u["site_id"]) == (1, False, None)
    assert (c["household_size"], c["max_rent"], c["needs_accessible"]) == (1, None, False)
    assert (c["urgency"], c["ready_from"], c["eligible_types"]) == ("normal", None, None)
    assert tables["neighbourhoods"]["WK01"]["recent_load"] == 0
    assert tables["neighbourhoods"]["WK01"]["cap"] is None
    assert tables["support_capacity"] == {} and tables["declined"] == set()
    assert tables["period_end"].isoformat() == "2025-03-09"


def test_policy_merges_nested_keys_with_defaults(tmp_path):
    """A partial policy.yaml overrides only the keys it names, nested dicts key by key."""
    policy = {"compatibility": {"light": ["room"]}, "spreading": {"exempt_types": []}}
    tables = build(tmp_path, [unit("U01")], [client("C001")], policy=policy)
    merged = tables["policy"]
    assert merged["compatibility"]["light"] == ["room"]
    assert merged["compatibility"]["protected"] == ["cluster"]
    assert merged["spreading"]["exempt_types"] == []
    assert merged["spreading"]["max_load_per_1000_dwellings"] == 5
    assert merged["priority"]["urgency_base"]["acute"] == 200
    assert merged["period"]["days"] == 7


def test_period_start_is_required(tmp_path):
    """An instance without period.start is refused."""
    write_instance(
        {
            "municipalities": MUNICIPALITIES,
            "neighbourhoods": NEIGHBOURHOODS,
            "units": [unit("U01")],
            "clients": [client("C001")],
            "policy": {"origin_rule": "prefer"},
        },
        tmp_path,
    )
    with pytest.raises(ValueError, match=r"period\.start"):
        load_tables(tmp_path)


def test_booleans_and_lists_are_parsed_leniently(tmp_path):
    """Booleans accept true/false/yes/no/1/0 in any case; lists drop spaces and empty items."""
    units = [unit(f"U0{i}", accessible=text) for i, text in enumerate(["TRUE", "yes", "1"], 1)]
    units += [unit(f"U0{i}", accessible=text) for i, text in enumerate(["False", "NO", "0"], 4)]
    clients = [client("C001", preferred_municipalities=" GM0002 ; ;GM0003; ")]
    tables = build(tmp_path, units, clients)
    assert [tables["units"][f"U0{i}"]["accessible"] for i in range(1, 7)] == [True] * 3 + [False] * 3
    assert tables["clients"]["C001"]["preferred_municipalities"] == ["GM0002", "GM0003"]
    with pytest.raises(ValueError):
        checker.parse_bool("maybe")


def test_dangling_references_are_refused(tmp_path):
    """A unit whose neighbourhood lies in another municipality makes the instance invalid."""
    write_instance(
        {
            "municipalities": MUNICIPALITIES,
            "neighbourhoods": NEIGHBOURHOODS,
            "units": [unit("U01", neighbourhood_id="WK02")],
            "clients": [client("C001")],
            "policy": {"period": {"start": "2025-03-03"}},
        },
        tmp_path,
    )
    with pytest.raises(ValueError, match="neighbourhood not in its municipality"):
        load_tables(tmp_path)


def test_checker_is_independent_of_the_engine():
    """independent_checker.py and strategies.py import nothing from the engine packages matcher/models."""
    import ast

    for name in ("reference/independent_checker.py", "support/strategies.py"):
        tree = ast.parse((Path(__file__).parents[1] / name).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
        assert not {m for m in imported if m.split(".")[0] in ("matcher", "models")}


# --------------------------------------------------------------------------------------------
# Eligibility: one instance per rule
# --------------------------------------------------------------------------------------------


def test_rule_type(tmp_path):
    """type: the policy's compatibility decides, unless the client's eligible_types overrides it."""
    units = [unit("U01"), unit("U02", type="skaeve_huis", site_id="SH1"), unit("U03", type="room")]
    clients = [
        client("C001"),
        client("C002", eligible_types="skaeve_huis"),
        client("C003", support_intensity="intensive"),
    ]
    tables = build(tmp_path, units, clients)
    assert_rule(tables, "C001", "U01", "U02", "type")
    assert_rule(tables, "C002", "U02", "U01", "type")
    assert_rule(tables, "C003", "U01", "U03", "type")


def test_rule_size(tmp_path):
    """size: household_size must not exceed max_household (default 1)."""
    units = [unit("U01", max_household="2"), unit("U02")]
    tables = build(tmp_path, units, [client("C001", household_size="2")])
    assert_rule(tables, "C001", "U01", "U02", "size")


def test_rule_rent(tmp_path):
    """rent: a rent equal to max_rent is fine, a cent more is not."""
    units = [unit("U01", rent="600.00"), unit("U02", rent="600.01")]
    tables = build(tmp_path, units, [client("C001", max_rent="600")])
    assert_rule(tables, "C001", "U01", "U02", "rent")


def test_rule_access(tmp_path):
    """access: a client who needs step-free access only gets accessible units."""
    units = [unit("U01", accessible="Yes"), unit("U02", accessible="")]
    tables = build(tmp_path, units, [client("C001", needs_accessible="TRUE")])
    assert_rule(tables, "C001", "U01", "U02", "access")


def test_rule_timing(tmp_path):
    """timing: unit available and client ready on or before the inclusive period end (Sunday)."""
    units = [unit("U01", available_from="2025-03-09"), unit("U02", available_from="2025-03-10")]
    clients = [client("C001", ready_from="2025-03-09"), client("C002", ready_from="2025-03-10")]
    tables = build(tmp_path, units, clients)
    assert_rule(tables, "C001", "U01", "U02", "timing")
    assert eligible(tables, "C002", "U01") == ["timing"]


def test_rule_safety(tmp_path):
    """safety: excluded municipalities and neighbourhoods are never allowed."""
    units = [unit("U01"), unit("U02", "GM0002"), unit("U03", "GM0003")]
    clients = [
        client("C001", excluded_municipalities="GM0002", excluded_neighbourhoods="WK03"),
    ]
    tables = build(tmp_path, units, clients)
    assert_rule(tables, "C001", "U01", "U02", "safety")
    assert_rule(tables, "C001", "U01", "U03", "safety")


def test_rule_safety_beats_preference(tmp_path):
    """safety: a municipality both preferred and excluded stays excluded."""
    units = [unit("U01"), unit("U02", "GM0002")]
    clients = [client("C001", preferred_municipalities="GM0002", excluded_municipalities="GM0002")]
    tables = build(tmp_path, units, clients)
    assert_rule(tables, "C001", "U01", "U02", "safety")


def test_rule_origin_rule_region(tmp_path):
    """origin_rule region: same region as the origin, or a preferred municipality."""
    units = [unit("U01", "GM0002"), unit("U02", "GM0003")]
    clients = [client("C001"), client("C002", preferred_municipalities="GM0003")]
    tables = build(tmp_path, units, clients, policy={"origin_rule": "region"})
    assert_rule(tables, "C001", "U01", "U02", "origin_rule")
    assert eligible(tables, "C002", "U02") == []


def test_rule_origin_rule_strict(tmp_path):
    """origin_rule strict: only the origin or a preferred municipality, not the rest of the
    region."""
    units = [unit("U01"), unit("U02", "GM0002"), unit("U03", "GM0003")]
    clients = [client("C001"), client("C002", preferred_municipalities="GM0003")]
    tables = build(tmp_path, units, clients, policy={"origin_rule": "strict"})
    assert_rule(tables, "C001", "U01", "U02", "origin_rule")
    assert eligible(tables, "C002", "U03") == []
    assert eligible(tables, "C002", "U02") == ["origin_rule"]


def test_rule_origin_rule_prefer_adds_nothing(tmp_path):
    """origin_rule prefer: every municipality is allowed."""
    units = [unit("U01", "GM0003")]
    tables = build(tmp_path, units, [client("C001")], policy={"origin_rule": "prefer"})
    assert eligible(tables, "C001", "U01") == []


def test_rule_history(tmp_path):
    """history: a pair in declined.csv (by client or landlord) is never eligible again."""
    units = [unit("U01"), unit("U02"), unit("U03")]
    declined = [
        {"client_id": "C001", "unit_id": "U02", "declined_by": "client"},
        {"client_id": "C001", "unit_id": "U03", "declined_by": "landlord"},
    ]
    tables = build(tmp_path, units, [client("C001")], declined=declined)
    assert_rule(tables, "C001", "U01", "U02", "history")
    assert_rule(tables, "C001", "U01", "U03", "history")


def test_several_broken_rules_are_all_named(tmp_path):
    """A pair breaking several rules lists each of them in spec order."""
    units = [unit("U01", type="skaeve_huis", site_id="SH1", rent="900")]
    tables = build(tmp_path, units, [client("C001", max_rent="500", household_size="3")])
    assert eligible(tables, "C001", "U01") == ["type", "size", "rent"]


# --------------------------------------------------------------------------------------------
# Allocation rules
# --------------------------------------------------------------------------------------------


def test_unknown_id(tmp_path):
    """unknown_id: pairs naming a client or unit not in the instance are reported."""
    tables = build(tmp_path, [unit("U01")], [client("C001")])
    assert violations(tables, [("C001", "U01")]) == []
    messages = violations(tables, [("C999", "U01"), ("C001", "U99")])
    assert rule_names(messages) == {"unknown_id"} and len(messages) == 2


def test_one_unit_per_client(tmp_path):
    """one_unit_per_client: a client gets at most one unit."""
    tables = build(tmp_path, [unit("U01"), unit("U02")], [client("C001"), client("C002")])
    assert violations(tables, [("C001", "U01"), ("C002", "U02")]) == []
    messages = violations(tables, [("C001", "U01"), ("C001", "U02")])
    assert rule_names(messages) == {"one_unit_per_client"}


def test_one_client_per_unit(tmp_path):
    """one_client_per_unit: a unit goes to at most one client."""
    tables = build(tmp_path, [unit("U01"), unit("U02")], [client("C001"), client("C002")])
    messages = violations(tables, [("C001", "U01"), ("C002", "U01")])
    assert rule_names(messages) == {"one_client_per_unit"}


def test_neighbourhood_cap_default_floors_dwellings(tmp_path):
    """neighbourhood_cap: default cap = floor(dwellings × 5 / 1000); 399 dwellings carry 1."""
    neighbourhoods = [dict(NEIGHBOURHOODS[0], dwellings="399"), *NEIGHBOURHOODS[1:]]
    units = [unit("U01"), unit("U02")]
    tables = build(tmp_path, units, [client("C001"), client("C002")], neighbourhoods=neighbourhoods)
    assert checker.neighbourhood_cap(tables, "WK01") == 1
    assert violations(tables, [("C001", "U01")]) == []
    messages = violations(tables, [("C001", "U01"), ("C002", "U02")])
    assert rule_names(messages) == {"neighbourhood_cap"}


def test_neighbourhood_cap_weights_by_intensity(tmp_path):
    """neighbourhood_cap: light/ambulant weigh 1, intensive/protected weigh 2 (cap 2 here)."""
    neighbourhoods = [dict(NEIGHBOURHOODS[0], dwellings="400"), *NEIGHBOURHOODS[1:]]
    units = [unit("U01"), unit("U02"), unit("U03", type="cluster", site_id="CL1")]
    clients = [
        client("C001"),
        client("C002", support_intensity="ambulant"),
        client("C003", support_intensity="intensive"),
        client("C004", support_intensity="protected"),
    ]
    tables = build(tmp_path, units, clients, neighbourhoods=neighbourhoods)
    assert violations(tables, [("C001", "U01"), ("C002", "U02")]) == []
    assert violations(tables, [("C003", "U01")]) == []
    assert violations(tables, [("C004", "U03")]) == []
    assert rule_names(violations(tables, [("C001", "U01"), ("C003", "U02")])) == {"neighbourhood_cap"}
    assert rule_names(violations(tables, [("C003", "U01"), ("C004", "U03")])) == {"neighbourhood_cap"}


def test_neighbourhood_cap_exempts_skaeve_huis(tmp_path):
    """neighbourhood_cap: skaeve_huis placements add no load, even in a neighbourhood with cap 0."""
    neighbourhoods = [dict(NEIGHBOURHOODS[0], cap="0"), *NEIGHBOURHOODS[1:]]
    units = [unit("U01", type="skaeve_huis", site_id="SH1"), unit("U02")]
    clients = [client("C001", support_intensity="protected", eligible_types="skaeve_huis")]
    clients.append(client("C002"))
    tables = build(tmp_path, units, clients, neighbourhoods=neighbourhoods)
    assert violations(tables, [("C001", "U01")]) == []
    assert rule_names(violations(tables, [("C002", "U02")])) == {"neighbourhood_cap"}


def test_neighbourhood_cap_subtracts_recent_load(tmp_path):
    """neighbourhood_cap: room = max(0, cap − recent_load), compared exactly (3 − 1.5 = 1.5)."""
    neighbourhoods = [
        dict(NEIGHBOURHOODS[0], cap="3", recent_load="1.5"),
        dict(NEIGHBOURHOODS[1], recent_load="20"),
        NEIGHBOURHOODS[2],
    ]
    units = [unit("U01"), unit("U02"), unit("U03", "GM0002")]
    clients = [client("C001"), client("C002"), client("C003", support_intensity="intensive")]
    tables = build(tmp_path, units, clients, neighbourhoods=neighbourhoods)
    assert checker.neighbourhood_room(tables, "WK01") == Fraction(3, 2)
    assert checker.neighbourhood_room(tables, "WK02") == 0
    assert violations(tables, [("C001", "U01")]) == []
    assert rule_names(violations(tables, [("C001", "U01"), ("C002", "U02")])) == {"neighbourhood_cap"}
    assert rule_names(violations(tables, [("C003", "U01")])) == {"neighbourhood_cap"}
    assert rule_names(violations(tables, [("C001", "U03")])) == {"neighbourhood_cap"}


def test_neighbourhood_cap_follows_policy(tmp_path):
    """neighbourhood_cap: max_load_per_1000_dwellings and load_weight come from the policy."""
    policy = {"spreading": {"max_load_per_1000_dwellings": 1.5, "load_weight": {"light": 2}}}
    neighbourhoods = [dict(NEIGHBOURHOODS[0], dwellings="1999"), *NEIGHBOURHOODS[1:]]
    units = [unit("U01"), unit("U02")]
    clients = [client("C001"), client("C002", support_intensity="ambulant")]
    tables = build(tmp_path, units, clients, policy=policy, neighbourhoods=neighbourhoods)
    assert checker.neighbourhood_cap(tables, "WK01") == 2  # floor(2.9985)
    assert violations(tables, [("C001", "U01")]) == []
    assert violations(tables, [("C002", "U01")]) == []
    assert rule_names(violations(tables, [("C001", "U01"), ("C002", "U02")])) == {"neighbourhood_cap"}


def test_municipality_intake(tmp_path):
    """municipality_intake: at most max_intake placements in that municipality, exempt or not."""
    municipalities = [dict(MUNICIPALITIES[0], max_intake="1"), *MUNICIPALITIES[1:]]
    units = [unit("U01"), unit("U02", type="skaeve_huis", site_id="SH1"), unit("U03", "GM0002")]
    clients = [client("C001"), client("C002", eligible_types="skaeve_huis"), client("C003")]
    tables = build(tmp_path, units, clients, municipalities=municipalities)
    assert violations(tables, [("C001", "U01"), ("C003", "U03")]) == []
    messages = violations(tables, [("C001", "U01"), ("C002", "U02")])
    assert rule_names(messages) == {"municipality_intake"}


def test_support_slots(tmp_path):
    """support_slots: at most ``slots`` clients of that intensity in that municipality."""
    capacity = [{"municipality_id": "GM0001", "support_intensity": "intensive", "slots": "1"}]
    units = [unit("U01"), unit("U02"), unit("U03", "GM0002")]
    clients = [
        client("C001", support_intensity="intensive"),
        client("C002", support_intensity="intensive"),
        client("C003"),
    ]
    tables = build(tmp_path, units, clients, support_capacity=capacity)
    assert violations(tables, [("C001", "U01"), ("C003", "U02"), ("C002", "U03")]) == []
    messages = violations(tables, [("C001", "U01"), ("C002", "U02")])
    assert rule_names(messages) == {"support_slots"}


def test_zero_slots_block_the_intensity(tmp_path):
    """support_slots: a row with slots 0 forbids that intensity there; no row means no limit."""
    capacity = [{"municipality_id": "GM0001", "support_intensity": "light", "slots": "0"}]
    clients = [client("C001"), client("C002", support_intensity="ambulant")]
    tables = build(tmp_path, [unit("U01")], clients, support_capacity=capacity)
    assert rule_names(violations(tables, [("C001", "U01")])) == {"support_slots"}
    assert violations(tables, [("C002", "U01")]) == []


# --------------------------------------------------------------------------------------------
# Objective
# --------------------------------------------------------------------------------------------


def test_priority_weight(tmp_path):
    """w(c) = urgency base + whole weeks waited (floored, never negative, at most 52)."""
    clients = [
        client("C001"),  # 56 days: 8 weeks
        client("C002", registered_on="2025-02-18", urgency="high"),  # 13 days: 1 week
        client("C003", registered_on="2025-03-05", urgency="acute"),  # after the start: 0
        client("C004", registered_on="2020-01-01"),  # capped at 52 weeks
    ]
    tables = build(tmp_path, [unit("U01")], clients)
    assert [priority_weight(tables, c) for c in ["C001", "C002", "C003", "C004"]] == [
        108,
        151,
        200,
        152,
    ]


def test_preference_score_takes_the_highest_that_applies(tmp_path):
    """p(c, u): origin 30, preferred ranks 20/15/10 (later ranks 10), current 10, else 0."""
    units = [unit("U01"), unit("U02", "GM0002"), unit("U03", "GM0003")]
    clients = [
        client("C001", preferred_municipalities="GM0001;GM0002", current_municipality_id="GM0003"),
        client("C002", origin_municipality_id="GM0003", preferred_municipalities="GM0003;GM0002"),
        client("C003", preferred_municipalities="GM0003;GM0003;GM0003;GM0002"),
        client("C004", current_municipality_id="GM0002"),
    ]
    tables = build(tmp_path, units, clients)
    scores = {
        (c, u): preference_score(tables, c, u)
        for c in ["C001", "C002", "C003", "C004"]
        for u in ["U01", "U02", "U03"]
    }
    assert [scores["C001", u] for u in ["U01", "U02", "U03"]] == [30, 15, 10]
    assert [scores["C002", u] for u in ["U01", "U02", "U03"]] == [0, 15, 30]
    assert [scores["C003", u] for u in ["U01", "U02", "U03"]] == [30, 10, 20]
    assert [scores["C004", u] for u in ["U01", "U02", "U03"]] == [30, 10, 0]


def test_objective_sums_w_and_p(tmp_path):
    """objective() is (Σ w over placed clients, Σ p over pairs)."""
    units = [unit("U01"), unit("U02", "GM0003")]
    tables = build(tmp_path, units, [client("C001"), client("C002", urgency="acute")])
    assert objective(tables, []) == (0, 0)
    assert objective(tables, [("C001", "U02"), ("C002", "U01")]) == (108 + 208, 0 + 30)


# --------------------------------------------------------------------------------------------
# Greedy baseline and reference optimum, hand-built
# --------------------------------------------------------------------------------------------


def test_greedy_follows_priority_then_preference(tmp_path):
    """The greedy serves w desc, then registered_on, each taking its best free unit (lowest id
    on ties)."""
    units = [unit("U01", "GM0002"), unit("U02"), unit("U03")]
    clients = [
        client("C001"),  # w 108, registered 2025-01-06: served last, gets U03
        client(
            "C002",
            urgency="acute",
            origin_municipality_id="GM0003",
            preferred_municipalities="GM0002",
        ),  # w 208: served first, U01 (preferred, 20) beats U02/U03 (0)
        client("C003", registered_on="2025-01-05"),  # w 108, registered earlier: U02 (tie, 30)
    ]
    tables = build(tmp_path, units, clients)
    assert greedy_priority_allocation(tables) == [("C002", "U01"), ("C003", "U02"), ("C001", "U03")]


def test_greedy_is_beaten_by_the_optimum(tmp_path):
    """The greedy takes the only unit a lower-priority client could use; the optimum does not."""
    units = [unit("U01"), unit("U02", "GM0003")]
    clients = [
        client("C001", urgency="high"),
        client("C002", excluded_municipalities="GM0003"),
    ]
    tables = build(tmp_path, units, clients)
    greedy = greedy_priority_allocation(tables)
    assert greedy == [("C001", "U01")]
    assert violations(tables, greedy) == []
    assert objective(tables, greedy) == (158, 30)
    assert brute_force_optimum(tables) == milp_optimum(tables) == (158 + 108, 30)
    assert reference_optimum(tables) == (266, 30)


def test_reference_prefers_priority_over_preference(tmp_path):
    """Lexicographic: more W beats any amount of P (the acute client gets the only unit)."""
    units = [unit("U01")]
    clients = [
        client("C001", origin_municipality_id="GM0001"),
        client("C002", urgency="acute", origin_municipality_id="GM0003"),
    ]
    tables = build(tmp_path, units, clients)
    assert reference_optimum(tables) == milp_optimum(tables) == (208, 0)


def test_empty_and_infeasible_instances_have_zero_optimum(tmp_path):
    """No eligible pair means an empty allocation worth (0, 0) for every solver."""
    units = [unit("U01", type="skaeve_huis", site_id="SH1")]
    tables = build(tmp_path, units, [client("C001")])
    assert greedy_priority_allocation(tables) == []
    assert brute_force_optimum(tables) == milp_optimum(tables) == (0, 0)


# --------------------------------------------------------------------------------------------
# Properties on random instances
# --------------------------------------------------------------------------------------------


def _load_drawn(drawn: dict) -> dict:
    """Write a drawn instance to a fresh temporary folder and load it back."""
    with tempfile.TemporaryDirectory() as directory:
        write_instance(drawn, Path(directory))
        return load_tables(directory)


@PROPERTY_SETTINGS
@given(instances())
def test_drawn_instances_are_valid(drawn):
    """Drawn instances load, use pseudonymous client ids and keep units inside their area."""
    tables = _load_drawn(drawn)
    assert all(re.fullmatch(r"C\d{3}", c) for c in tables["clients"])
    for u in tables["units"].values():
        neighbourhood = tables["neighbourhoods"][u["neighbourhood_id"]]
        assert neighbourhood["municipality_id"] == u["municipality_id"]
        assert u["site_id"] or u["type"] not in ("cluster", "skaeve_huis")
    for c in tables["clients"].values():
        assert c["origin_municipality_id"] in tables["municipalities"]


@PROPERTY_SETTINGS
@given(instances(max_clients=8, max_units=8))
def test_brute_force_and_milp_agree(drawn):
    """Enumeration and the two-stage MIP find the same (W, P) with feasible allocations."""
    tables = _load_drawn(drawn)
    brute_value, brute_pairs = brute_force_optimum(tables, return_allocation=True)
    milp_value, milp_pairs = milp_optimum(tables, return_allocation=True)
    assert brute_value == milp_value
    assert violations(tables, brute_pairs) == [] and violations(tables, milp_pairs) == []
    assert objective(tables, brute_pairs) == brute_value
    assert objective(tables, milp_pairs) == milp_value


@PROPERTY_SETTINGS
@given(instances())
def test_greedy_is_feasible_and_never_beats_the_reference(drawn):
    """The greedy baseline is always an allocation and never beats the lexicographic optimum."""
    tables = _load_drawn(drawn)
    greedy = greedy_priority_allocation(tables)
    assert violations(tables, greedy) == []
    greedy_w, greedy_p = objective(tables, greedy)
    best_w, best_p = reference_optimum(tables)
    assert greedy_w <= best_w
    assert (greedy_w, greedy_p) <= (best_w, best_p)
