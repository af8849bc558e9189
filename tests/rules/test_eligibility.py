"""One test per eligibility rule, each calling that rule: a pair that passes, one that fails."""

from __future__ import annotations

import numpy as np
import pytest
from builders import client, instance, unit

from matcher.rules import eligibility
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import RULES, client_sets, eligible_pairs
from models import Policy


def allowed(rule, inst) -> bool:
    arrays = build_arrays(inst)
    sets = client_sets(inst, arrays)
    return bool(rule(arrays, sets, slice(0, 1), inst.policy.origin_rule)[0, 0])


def test_rule_type():
    """Intensive support allows social rental but not a room; eligible_types overrides the policy."""
    assert allowed(eligibility.rule_type, instance([client(support_intensity="intensive")]))
    assert not allowed(
        eligibility.rule_type, instance([client(support_intensity="intensive")], [unit(type="room")])
    )
    assert not allowed(eligibility.rule_type, instance([client()], [unit(type="skaeve_huis", site_id="S")]))
    assert allowed(
        eligibility.rule_type,
        instance([client(eligible_types="skaeve_huis")], [unit(type="skaeve_huis", site_id="S")]),
    )


def test_rule_size():
    """A household of 3 needs max_household ≥ 3."""
    assert allowed(eligibility.rule_size, instance([client(household_size=3)], [unit(max_household=3)]))
    assert not allowed(eligibility.rule_size, instance([client(household_size=3)], [unit(max_household=2)]))


def test_rule_rent():
    """Rent must not exceed max_rent; no max_rent means any rent."""
    assert allowed(eligibility.rule_rent, instance([client(max_rent=600)]))
    assert not allowed(eligibility.rule_rent, instance([client(max_rent=599.99)]))
    assert allowed(eligibility.rule_rent, instance([client()], [unit(rent=2000)]))


def test_rule_access():
    """A client who needs step-free access gets only an accessible unit."""
    assert allowed(
        eligibility.rule_access, instance([client(needs_accessible=True)], [unit(accessible=True)])
    )
    assert not allowed(eligibility.rule_access, instance([client(needs_accessible=True)]))
    assert allowed(eligibility.rule_access, instance([client()]))


def test_rule_timing():
    """Unit and client must both be ready by the period's last day (start + 6 for a week)."""
    assert allowed(
        eligibility.rule_timing,
        instance([client(ready_from="2026-11-29")], [unit(available_from="2026-11-29")]),
    )
    assert not allowed(eligibility.rule_timing, instance([client()], [unit(available_from="2026-11-30")]))
    assert not allowed(eligibility.rule_timing, instance([client(ready_from="2026-11-30")]))


def test_rule_safety():
    """Excluded municipalities and neighbourhoods are never allowed."""
    assert allowed(eligibility.rule_safety, instance([client(excluded_municipalities="GM0405")]))
    assert not allowed(eligibility.rule_safety, instance([client(excluded_municipalities="GM0392")]))
    assert not allowed(eligibility.rule_safety, instance([client(excluded_neighbourhoods="WK039201")]))


@pytest.mark.parametrize(
    "rule,origin,preferred,expected",
    [
        ("prefer", "GM0405", "", True),
        ("region", "GM0405", "", False),  # Hoorn is in another region than Haarlem
        ("region", "GM0405", "GM0392", True),  # ...unless Haarlem is preferred
        ("strict", "GM0392", "", True),
        ("strict", "GM0405", "", False),
    ],
)
def test_rule_origin(rule, origin, preferred, expected):
    """The origin rule: prefer allows all, region the origin's region, strict only the origin."""
    inst = instance(
        [client(origin_municipality_id=origin, preferred_municipalities=preferred)],
        policy=Policy(period={"start": "2026-11-23"}, origin_rule=rule),
    )
    assert allowed(eligibility.rule_origin, inst) is expected


def test_rule_history():
    """A declined pair is never eligible again."""
    assert allowed(eligibility.rule_history, instance())
    declined = [{"client_id": "C1", "unit_id": "U1", "declined_by": "landlord"}]
    assert not allowed(eligibility.rule_history, instance(declined=declined))


def test_exclusion_counts_per_rule():
    """Per client, each rule's count of excluded units is reported (rules overlap)."""
    inst = instance(
        [client(household_size=2, max_rent=500)],
        [
            unit(unit_id="U1"),
            unit(unit_id="U2", max_household=2),
            unit(unit_id="U3", rent=400, max_household=2),
        ],
    )
    arrays = build_arrays(inst)
    pairs = eligible_pairs(inst, arrays, client_sets(inst, arrays))
    c1 = pairs.excluded[list(arrays.client_ids).index("C1")]
    assert c1[RULES.index("size")] == 1 and c1[RULES.index("rent")] == 2
    assert list(arrays.unit_ids[pairs.unit]) == ["U3"]


def test_preference_score_takes_the_highest_that_applies():
    """Origin 30 beats current 10; the 2nd preferred municipality scores 15."""
    inst = instance(
        [
            client(
                current_municipality_id="GM0392",
                preferred_municipalities="GM0392;GM0405",
                origin_municipality_id="GM0405",
            )
        ],
        [unit(), unit(unit_id="U2", municipality_id="GM0405", neighbourhood_id="WK040501")],
    )
    arrays = build_arrays(inst)
    pairs = eligible_pairs(inst, arrays, client_sets(inst, arrays))
    assert dict(zip(arrays.unit_ids[pairs.unit], pairs.preference)) == {"U1": 20, "U2": 30}
    assert np.array_equal(arrays.client_weight, [110])
