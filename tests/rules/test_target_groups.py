"""Target groups (issue 14, item 6): rule 11 (young adults' home), rule 12 (Housing First) and
`priority.family_bonus` — each with a case that satisfies it and one that violates it, the engine
compared with the independent checker (tests/reference/independent_checker.py) on the same files.

Every client is registered on the period's first day (2026-11-23) unless said otherwise, so w(c)
is the urgency base: 100 for normal, 150 for high (plus 50 for a family). Municipality GM0003 has
no client's origin in these cases, so a unit there scores no municipality points.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from independent_checker import eligible, objective, priority_weight, reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import check_proposal, read_pairs
from matcher.rules.eligibility import RULE_BY_NAME, Eligibility, rule_housing_first, rule_young_adults_home

CLIENT_COLUMNS = [
    "client_id",
    "source",
    "origin_municipality_id",
    "support_intensity",
    "household_size",
    "urgency",
    "registered_on",
    "current_unit_id",
    "target_groups",
]
UNIT_COLUMNS = [
    "unit_id",
    "type",
    "landlord",
    "municipality_id",
    "neighbourhood_id",
    "site_id",
    "rent",
    "max_household",
    "available_from",
    "tenancy",
    "young_adults_only",
]


def client(client_id: str, origin: str, **cells: str) -> dict[str, str]:
    """A light-support client from BW registered on the period's first day: w = urgency base."""
    row = dict.fromkeys(CLIENT_COLUMNS, "")
    row |= {
        "client_id": client_id,
        "source": "BW",
        "origin_municipality_id": origin,
        "support_intensity": "light",
        "urgency": "normal",
        "registered_on": "2026-11-23",
    }
    return row | cells


def unit(unit_id: str, municipality: str, **cells: str) -> dict[str, str]:
    """A permanent social-rental unit for up to four people in the municipality's one neighbourhood."""
    row = dict.fromkeys(UNIT_COLUMNS, "")
    row |= {
        "unit_id": unit_id,
        "type": "social_rental",
        "landlord": "Pré Wonen",
        "municipality_id": municipality,
        "neighbourhood_id": f"WK{municipality[2:]}01",
        "rent": "600",
        "max_household": "4",
        "available_from": "2026-11-01",
    }
    return row | cells


def write(folder: Path, clients: list[dict], units: list[dict], policy: str = "") -> Path:
    """Three municipalities, one neighbourhood each with room for 5 load (1000 dwellings)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"municipality_id": m, "name": name, "region": "Zuid-Kennemerland", "population": "1000"}
            for m, name in (("GM0001", "Haarlem"), ("GM0002", "Velsen"), ("GM0003", "Bloemendaal"))
        ]
    ).to_csv(folder / "municipalities.csv", index=False)
    pd.DataFrame(
        [
            {"neighbourhood_id": f"WK000{k}01", "municipality_id": f"GM000{k}", "name": f"Wijk {k}"}
            | {"dwellings": "1000"}
            for k in (1, 2, 3)
        ]
    ).to_csv(folder / "neighbourhoods.csv", index=False)
    pd.DataFrame(units, columns=UNIT_COLUMNS).to_csv(folder / "units.csv", index=False)
    pd.DataFrame(clients, columns=CLIENT_COLUMNS).to_csv(folder / "clients.csv", index=False)
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, days: 7}\n" + policy, encoding="utf-8")
    return folder


def agreed(folder: Path):
    """Solve, and check the proposal against the independent checker: feasible, and its (W, P)
    the reference optimum."""
    proposal = solve(read_instance(folder))
    pairs = proposal.pairs_chosen()
    assert violations(folder, pairs) == []
    assert (proposal.priority, proposal.preference) == objective(folder, pairs) == reference_optimum(folder)
    return proposal


def engine_pairs(folder: Path) -> set[tuple[str, str]]:
    rules = Eligibility(read_instance(folder))
    return set(zip(rules.arrays.client_ids[rules.pairs.client], rules.arrays.unit_ids[rules.pairs.unit]))


def checker_pairs(folder: Path) -> set[tuple[str, str]]:
    from independent_checker import eligible_pairs

    return set(eligible_pairs(folder))


def checked(folder: Path, tmp_path: Path, pairs: list[tuple[str, str]]):
    hand = tmp_path / "hand.csv"
    hand.write_text("client_id,unit_id\n" + "".join(f"{c},{u}\n" for c, u in pairs))
    return check_proposal(read_instance(folder), read_pairs(hand), optimum=False)


# --- rule 11: young adults' home ---------------------------------------------------------------


def _one_jongerenwoning(tmp_path: Path, young_adults_only: str = "true", **c1: str) -> Path:
    """One unit U1 in GM0001 (`young_adults_only` as given). C1 (normal, w 100) is marked
    jongere; C2 (high, w 150) is not. Both come from GM0001."""
    return write(
        tmp_path / "jongerenwoning",
        [
            client("C1", "GM0001", **({"target_groups": "jongere"} | c1)),
            client("C2", "GM0001", urgency="high"),
        ],
        [unit("U1", "GM0001", young_adults_only=young_adults_only)],
    )


def test_a_jongerenwoning_goes_to_the_young_adult(tmp_path):
    """Satisfying case, by hand: only C1 may take U1 (C2 is no young adult), so although C2 has
    the higher priority the optimum is {C1-U1}: W = 100, P = 30 (origin)."""
    folder = _one_jongerenwoning(tmp_path)
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert (proposal.priority, proposal.preference) == (100, 30)
    assert eligible(folder, "C2", "U1") == ["young_adults_home"]
    assert engine_pairs(folder) == checker_pairs(folder) == {("C1", "U1")}


def test_without_the_mark_the_higher_priority_wins(tmp_path):
    """Violating case: U1 is an ordinary unit: C2 (w 150) gets it, W = 150; and with U1 for
    young adults a proposal giving it to C2 breaks rule 11 in check and in the checker."""
    proposal = agreed(_one_jongerenwoning(tmp_path, young_adults_only=""))
    assert proposal.pairs_chosen() == [("C2", "U1")]
    assert proposal.priority == 150
    folder = _one_jongerenwoning(tmp_path / "marked")
    assert violations(folder, [("C2", "U1")]) == [
        "eligibility:young_adults_home: client C2 may not get unit U1"
    ]
    report = checked(folder, tmp_path, [("C2", "U1")])
    assert report.rules_broken() == ["eligibility:young_adults_home"]


def test_youth_care_counts_as_young_adult(tmp_path):
    """A client from youth care (source jeugd) is a young adult without the mark: C1 from jeugd
    with no target group still gets U1 (W 100), in the engine and in the checker."""
    folder = _one_jongerenwoning(tmp_path, source="jeugd", target_groups="")
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert eligible(folder, "C1", "U1") == []


def test_rule_11_holds_for_the_own_home(tmp_path):
    """Violating case for omklappen: C2 (no young adult) lives in the jongerenwoning U1 and may
    not stay (rule 11 holds for an own-home pair); by rule 10 nobody else gets it: U1 goes unused."""
    folder = write(
        tmp_path / "lives-in-jongerenwoning",
        [client("C1", "GM0001", target_groups="jongere"), client("C2", "GM0001", current_unit_id="U1")],
        [unit("U1", "GM0001", young_adults_only="yes", tenancy="trajectory")],
    )
    assert eligible(folder, "C2", "U1") == ["young_adults_home"]
    assert eligible(folder, "C1", "U1") == ["occupied"]
    assert engine_pairs(folder) == checker_pairs(folder) == set()
    assert agreed(folder).pairs_chosen() == []


def test_the_rule_itself(tmp_path):
    """The mask: rows C1 (jongere), C2; the one column U1 for young adults only."""
    rules = Eligibility(read_instance(_one_jongerenwoning(tmp_path)))
    allowed = rule_young_adults_home(rules.arrays, rules.sets, slice(0, 2), "prefer")
    assert allowed.tolist() == [[True], [False]]


# --- rule 12: Housing First --------------------------------------------------------------------


def _housing_first(tmp_path: Path, groups: str = "housing_first", **c1: str) -> Path:
    """C1 (high, w 150, target groups `groups`) and C2 (normal, w 100), both light and from
    GM0001. U1 a permanent room in GM0001, U2 a social-rental unit in GM0001 on a trajectory
    contract, U3 a permanent social-rental unit in GM0003 (no municipality points)."""
    return write(
        tmp_path / "housing-first",
        [client("C1", "GM0001", urgency="high", target_groups=groups, **c1), client("C2", "GM0001")],
        [
            unit("U1", "GM0001", type="room", max_household="1"),
            unit("U2", "GM0001", tenancy="trajectory"),
            unit("U3", "GM0003", tenancy="vast"),
        ],
    )


def test_housing_first_gets_a_permanent_social_rental_home(tmp_path):
    """Satisfying case, by hand: C1 may take only U3. p(C1,U3) = 0 + 10 (permanent, light, a
    week with a trajectory unit) = 10; p(C2,U1) = 30 + 10 = 40, p(C2,U2) = 30, p(C2,U3) = 10. W =
    250 needs both placed, C1 in U3, so the best is {C1-U3, C2-U1}: P = 50."""
    folder = _housing_first(tmp_path)
    proposal = agreed(folder)
    assert set(proposal.pairs_chosen()) == {("C1", "U3"), ("C2", "U1")}
    assert (proposal.priority, proposal.preference) == (250, 50)
    assert eligible(folder, "C1", "U1") == ["housing_first"]
    assert eligible(folder, "C1", "U2") == ["housing_first"]
    assert engine_pairs(folder) == checker_pairs(folder)


def test_without_housing_first_the_room_in_the_origin_is_best(tmp_path):
    """Violating case: C1 not in Housing First: {C1-U1, C2-U2} or {C1-U2, C2-U1}, both P = 40 +
    30 = 70 > 50; and with Housing First a proposal giving C1 the room or the trajectory unit
    breaks rule 12 in check and in the checker, named in words."""
    proposal = agreed(_housing_first(tmp_path / "plain", groups=""))
    assert proposal.preference == 70
    assert ("C1", "U3") not in proposal.pairs_chosen()
    folder = _housing_first(tmp_path)
    for pair in (("C1", "U1"), ("C1", "U2")):
        assert violations(folder, [pair]) == [
            f"eligibility:housing_first: client C1 may not get unit {pair[1]}"
        ]
        report = checked(folder, tmp_path, [pair])
        assert report.rules_broken() == ["eligibility:housing_first"]
    instance = read_instance(folder)
    assert "room" in RULE_BY_NAME["housing_first"].violation(instance, 0, 0)
    assert "trajectory" in RULE_BY_NAME["housing_first"].violation(instance, 0, 1)


def test_rule_12_holds_for_the_own_home(tmp_path):
    """Violating case for omklappen: a Housing First client living in U2 (trajectory contract)
    may not stay there; C1 goes to U3, and U2 stays empty (rule 10)."""
    folder = _housing_first(tmp_path, current_unit_id="U2")
    assert eligible(folder, "C1", "U2") == ["housing_first"]
    assert eligible(folder, "C2", "U2") == ["occupied"]
    assert engine_pairs(folder) == checker_pairs(folder)
    proposal = agreed(folder)
    assert set(proposal.pairs_chosen()) == {("C1", "U3"), ("C2", "U1")}


def test_housing_first_mask(tmp_path):
    rules = Eligibility(read_instance(_housing_first(tmp_path)))
    allowed = rule_housing_first(rules.arrays, rules.sets, slice(0, 2), "prefer")
    assert allowed.tolist() == [[False, False, True], [True, True, True]]


# --- priority.family_bonus ---------------------------------------------------------------------


def _family_or_waiting(tmp_path: Path, policy: str = "") -> Path:
    """One unit U1 (GM0001, up to four people). C1: a family of three, registered on the first
    day (w 100 + family bonus); C2: single, registered 40 weeks before (w 100 + 40 = 140)."""
    return write(
        tmp_path / "family",
        [
            client("C1", "GM0001", household_size="3", target_groups="Gezin"),
            client("C2", "GM0001", registered_on="2026-02-16"),
        ],
        [unit("U1", "GM0001")],
        policy,
    )


def test_the_family_bonus_puts_the_family_first(tmp_path):
    """Satisfying case, by hand: w(C1) = 100 + 50 = 150 > w(C2) = 140: C1 gets U1, W = 150,
    and the engine's w equals the checker's for both."""
    folder = _family_or_waiting(tmp_path)
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert proposal.priority == 150
    weights = Eligibility(read_instance(folder)).arrays.client_weight.tolist()
    assert weights == [priority_weight(folder, "C1"), priority_weight(folder, "C2")] == [150, 140]


def test_without_the_family_bonus_the_longer_wait_wins(tmp_path):
    """Violating case: `priority.family_bonus: 0`: w(C1) = 100 < 140: C2 gets U1, W = 140; a
    bonus of 30 (w 130) is not enough either."""
    for bonus in (0, 30):
        folder = _family_or_waiting(tmp_path / str(bonus), f"priority: {{family_bonus: {bonus}}}\n")
        proposal = agreed(folder)
        assert proposal.pairs_chosen() == [("C2", "U1")]
        assert proposal.priority == 140


@pytest.mark.parametrize("bonus", ["-5", "7.5", "true"])
def test_a_family_bonus_that_is_no_whole_number_from_zero_is_refused(tmp_path, bonus):
    from models import InvalidInstance

    folder = _family_or_waiting(tmp_path, f"priority: {{family_bonus: {bonus}}}\n")
    with pytest.raises(InvalidInstance) as refused:
        read_instance(folder)
    assert any("family_bonus" in str(p) for p in refused.value.problems)
