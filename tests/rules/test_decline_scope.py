"""The history rule with a decline's scope and `until` (allocation rules, eligibility rule 8).

Four units: U1 and U2 share site S1 in Oude Stad (Haarlem, Pré Wonen); U3 is in Oude Stad too,
without a site, of Elan Wonen; U4 is in Hoorn's Binnenstad, of Pré Wonen. Client C1 declined U1
(or another unit) with each scope; the eligible units are checked by hand, then against the
independent checker on the same instance written to disk.
"""

from __future__ import annotations

from datetime import date

import pytest
from builders import client, instance, unit
from independent_checker import eligible_pairs as reference_pairs

from matcher.io.read import read_instance
from matcher.io.write_instance import instance_files_bytes
from matcher.rules.eligibility import Eligibility, covering_decline
from models import InvalidInstance, Neighbourhood

START = date(2026, 11, 23)

UNITS = [
    unit(unit_id="U1", type="cluster", site_id="S1"),
    unit(unit_id="U2", type="cluster", site_id="S1"),
    unit(unit_id="U3", landlord="Elan Wonen"),
    unit(unit_id="U4", municipality_id="GM0405", neighbourhood_id="WK040501"),
]
CLIENTS = [
    client(client_id="C1", eligible_types=["cluster", "social_rental"]),
    client(client_id="C2", eligible_types=["cluster", "social_rental"]),
]


def _eligible(declined: list[dict]) -> set[tuple[str, str]]:
    built = instance(CLIENTS, UNITS, declined=declined)
    rules = Eligibility(built)
    pairs = rules.pairs
    return {(rules.arrays.client_ids[c], rules.arrays.unit_ids[u]) for c, u in zip(pairs.client, pairs.unit)}


def _of(pairs: set[tuple[str, str]], client_id: str) -> set[str]:
    return {u for c, u in pairs if c == client_id}


def _decline(unit_id: str = "U1", **fields) -> dict:
    return {"client_id": "C1", "unit_id": unit_id, "declined_by": "client", **fields}


ALL = {"U1", "U2", "U3", "U4"}


@pytest.mark.parametrize(
    ("fields", "still_eligible"),
    [
        ({}, {"U2", "U3", "U4"}),  # default scope: the unit only
        ({"scope": "unit"}, {"U2", "U3", "U4"}),
        ({"scope": "site"}, {"U3", "U4"}),  # U1 and U2 share S1
        ({"scope": "neighbourhood"}, {"U4"}),  # U1-U3 are in WK039201
        ({"scope": "landlord"}, {"U3"}),  # Pré Wonen has U1, U2, U4
        ({"scope": "municipality"}, {"U4"}),
        ({"scope": "municipality", "scope_id": "GM0405"}, {"U1", "U2", "U3"}),  # the named one only
        ({"scope": "landlord", "scope_id": "Elan Wonen"}, {"U1", "U2", "U4"}),
        ({"scope": "site", "until": "2026-11-23"}, {"U3", "U4"}),  # holds on the last day
        ({"scope": "site", "until": "2026-11-22"}, ALL),  # lapsed the day before the period
    ],
)
def test_a_decline_rules_out_what_its_scope_covers(fields, still_eligible, tmp_path):
    declined = [_decline(**fields)]
    pairs = _eligible(declined)
    assert _of(pairs, "C1") == still_eligible
    assert _of(pairs, "C2") == ALL, "a decline rules out units for its own client only"
    for name, content in instance_files_bytes(instance(CLIENTS, UNITS, declined=declined)).items():
        (tmp_path / name).write_bytes(content)
    assert set(reference_pairs(tmp_path)) == pairs, "the independent checker agrees"
    read = read_instance(tmp_path)
    assert _of(_eligible([d.model_dump() for d in read.declined]), "C1") == still_eligible, "as read"


def test_a_site_decline_of_a_unit_without_a_site_rules_out_nothing():
    """Rule 8: a unit's site matches only when non-empty; U3 has none."""
    assert _of(_eligible([_decline("U3", scope="site")]), "C1") == ALL


def test_a_unit_that_left_the_pool_is_named_with_its_scope_id():
    """A neighbourhood decline of a unit no longer listed still rules out that neighbourhood."""
    pairs = _eligible([_decline("U-GONE", scope="neighbourhood", scope_id="WK039201")])
    assert _of(pairs, "C1") == {"U4"}


def test_the_violation_names_the_scope_that_ruled_the_unit_out():
    built = instance(CLIENTS, UNITS, declined=[_decline(scope="site", until="2026-12-31")])
    decline = covering_decline(built, 0, 1)
    assert decline is not None and decline.unit_id == "U1"
    from matcher.rules.eligibility import RULE_BY_NAME

    message = RULE_BY_NAME["history"].violation(built, 0, 1)
    assert message == "C1 declined U1, which rules out every unit of site S1 until 2026-12-31"


@pytest.mark.parametrize(
    ("fields", "column", "words"),
    [
        ({"unit_id": "U-GONE"}, "unit_id", "unknown unit"),  # a unit scope needs the unit
        ({"unit_id": "U-GONE", "scope": "site"}, "unit_id", "give the site it rules out in scope_id"),
        ({"scope": "unit", "scope_id": "S1"}, "scope_id", "leave scope_id empty"),
        ({"scope": "neighbourhood", "scope_id": "WK999999"}, "scope_id", "unknown neighbourhood"),
        ({"scope": "municipality", "scope_id": "GM9999"}, "scope_id", "unknown municipality"),
    ],
)
def test_a_scope_that_names_nothing_known_is_refused_with_the_column(fields, column, words):
    with pytest.raises(InvalidInstance) as raised:
        instance(CLIENTS, UNITS, declined=[_decline(**fields)])
    [problem] = raised.value.problems
    assert problem.file == "declined.csv" and problem.column == column and words in problem.message


def test_neighbourhood_fixture_is_as_the_docstring_says():
    """Guard the hand-checked expectations above against a change of the builders' defaults."""
    built = instance(CLIENTS, UNITS)
    assert [(u.unit_id, u.neighbourhood_id, u.landlord, u.site_id) for u in built.units] == [
        ("U1", "WK039201", "Pré Wonen", "S1"),
        ("U2", "WK039201", "Pré Wonen", "S1"),
        ("U3", "WK039201", "Elan Wonen", None),
        ("U4", "WK040501", "Pré Wonen", None),
    ]
    assert isinstance(built.neighbourhoods[0], Neighbourhood)
