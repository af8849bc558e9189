"""Tenancy and omklappen (issue 14): the occupied rule, the own-home pair's exemptions (origin
rule, open neighbourhood, neighbourhood cap), and the points `preference.permanent` and
`preference.stay` — each with a case that satisfies it and one that violates it, the engine
compared with the independent checker (tests/reference/independent_checker.py) on the same files.

Every client is registered on the period's first day (2026-11-23), so w(c) is the urgency base:
100 for normal, 150 for high. Municipality GM0003 has no units, so an origin there scores 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from independent_checker import eligible, objective, reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import check_proposal, read_pairs
from matcher.rules.capacity import load_of, pair_load
from matcher.rules.eligibility import Eligibility, rule_occupied

CLIENT_COLUMNS = [
    "client_id",
    "source",
    "origin_municipality_id",
    "support_intensity",
    "preferred_municipalities",
    "excluded_neighbourhoods",
    "urgency",
    "registered_on",
    "current_unit_id",
]
UNIT_COLUMNS = [
    "unit_id",
    "type",
    "landlord",
    "municipality_id",
    "neighbourhood_id",
    "rent",
    "available_from",
    "tenancy",
]


def client(client_id: str, intensity: str, origin: str, **cells: str) -> dict[str, str]:
    """A client registered on the period's first day (0 weeks waited): w = urgency base only."""
    row = dict.fromkeys(CLIENT_COLUMNS, "")
    row |= {
        "client_id": client_id,
        "source": "BW",
        "origin_municipality_id": origin,
        "support_intensity": intensity,
        "urgency": "normal",
        "registered_on": "2026-11-23",
    }
    return row | cells


def unit(unit_id: str, municipality: str, tenancy: str = "") -> dict[str, str]:
    """A social-rental unit for one person in the municipality's one neighbourhood."""
    row = dict.fromkeys(UNIT_COLUMNS, "")
    return row | {
        "unit_id": unit_id,
        "type": "social_rental",
        "landlord": "Pré Wonen",
        "municipality_id": municipality,
        "neighbourhood_id": f"WK{municipality[2:]}01",
        "rent": "600",
        "available_from": "2026-11-01",
        "tenancy": tenancy,
    }


def write(
    folder: Path, clients: list[dict], units: list[dict], policy: str = "", wk000101: dict | None = None
) -> Path:
    """Three municipalities, one neighbourhood each with room for 5 load (1000 dwellings)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"municipality_id": m, "name": name, "region": "Zuid-Kennemerland", "population": "1000"}
            for m, name in (("GM0001", "Haarlem"), ("GM0002", "Velsen"), ("GM0003", "Bloemendaal"))
        ]
    ).to_csv(folder / "municipalities.csv", index=False)
    rows = [
        {
            "neighbourhood_id": f"WK000{k}01",
            "municipality_id": f"GM000{k}",
            "name": f"Wijk {k}",
            "dwellings": "1000",
        }
        | {"recent_load": "0", "cap": "", "closed_until": ""}
        for k in (1, 2, 3)
    ]
    rows[0] |= wk000101 or {}
    pd.DataFrame(rows).to_csv(folder / "neighbourhoods.csv", index=False)
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


# --- preference.permanent ----------------------------------------------------------------------


def _two_by_two(tmp_path: Path, u2_tenancy: str = "trajectory", policy: str = "") -> Path:
    """C1 light (w 100), C2 intensive and high (w 150), both from GM0003 (0 points there). C1
    prefers GM0001 (rank 1: 20) then GM0002 (rank 2: 15). U1 in GM0002 is permanent; U2 in
    GM0001 is `u2_tenancy`. Both clients may take both units, so W = 250 in either allocation."""
    return write(
        tmp_path / "two-by-two",
        [
            client("C1", "light", "GM0003", preferred_municipalities="GM0001;GM0002"),
            client("C2", "intensive", "GM0003", urgency="high"),
        ],
        [unit("U1", "GM0002", "permanent"), unit("U2", "GM0001", u2_tenancy)],
        policy,
    )


def test_permanent_home_points_change_the_choice(tmp_path):
    """Satisfying case, by hand: A = {C1-U1, C2-U2}: p(C1,U1) = 15 (2nd preferred) + 10
    (permanent, light) = 25, p(C2,U2) = 0 (no municipality points; trajectory; intensive earns no
    permanent points anyway), P = 25; B = {C1-U2, C2-U1}: p(C1,U2) = 20 + 0 (trajectory) = 20,
    p(C2,U1) = 0 (intensive), P = 20. W = 100 + 150 = 250 in both: A is best, P* = 25."""
    proposal = agreed(_two_by_two(tmp_path))
    assert set(proposal.pairs_chosen()) == {("C1", "U1"), ("C2", "U2")}
    assert (proposal.priority, proposal.preference) == (250, 25)


def test_without_permanent_points_the_preferred_municipality_wins(tmp_path):
    """Violating case: `preference.permanent: 0`: A scores P = 15, B P = 20, so B = {C1-U2, C2-U1}."""
    proposal = agreed(_two_by_two(tmp_path, policy="preference: {permanent: 0}\n"))
    assert set(proposal.pairs_chosen()) == {("C1", "U2"), ("C2", "U1")}
    assert (proposal.priority, proposal.preference) == (250, 20)


def test_permanent_points_count_only_in_a_week_with_a_trajectory_unit(tmp_path):
    """With every unit permanent the points would favour no unit over another and are not
    counted: p(C1,U1) = 15, p(C1,U2) = 20, so B again, with P = 20 (not 30)."""
    proposal = agreed(_two_by_two(tmp_path, u2_tenancy="vast"))
    assert set(proposal.pairs_chosen()) == {("C1", "U2"), ("C2", "U1")}
    assert (proposal.priority, proposal.preference) == (250, 20)


# --- omklappen: the own-home pair and the occupied rule -----------------------------------------


def _lives_in_u2(tmp_path: Path, policy: str = "", wk000101: dict | None = None, **c1: str) -> Path:
    """C1 (ambulant, from GM0001) lives in U2 (GM0001, trajectory); C2 (light, high, from GM0001)
    does not. U1 in GM0001 is permanent. Both units are in neighbourhood WK000101."""
    return write(
        tmp_path / "lives-in-u2",
        [
            client("C1", "ambulant", "GM0001", current_unit_id="U2", **c1),
            client("C2", "light", "GM0001", urgency="high"),
        ],
        [unit("U1", "GM0001", "permanent"), unit("U2", "GM0001", "trajectory")],
        policy,
        wk000101,
    )


def test_omklappen_is_proposed_when_it_is_best(tmp_path):
    """Satisfying case, by hand: p(C1,U2) = 30 (origin) + 30 (stay) = 60 against p(C1,U1) = 30 +
    10 (permanent) = 40; C2 may not take U2 (occupied) and gets U1: 30 + 10 = 40. W = 100 + 150 =
    250, P = 100, and proposals.csv marks C1's match as omklappen."""
    proposal = agreed(_lives_in_u2(tmp_path))
    assert set(proposal.pairs_chosen()) == {("C1", "U2"), ("C2", "U1")}
    assert (proposal.priority, proposal.preference) == (250, 100)
    kinds = dict(zip(proposal.matches()["client_id"], proposal.matches()["match_kind"]))
    assert kinds == {"C1": "omklappen", "C2": ""}


def test_another_client_never_gets_an_occupied_unit(tmp_path):
    """Violating case: C1 declined U2 (history), so nobody stays there; still C2 may not take it
    (occupied), in the engine and in the checker; U2 goes unused."""
    folder = _lives_in_u2(tmp_path)
    (folder / "declined.csv").write_text("client_id,unit_id,declined_by\nC1,U2,client\n")
    proposal = agreed(folder)
    assert "U2" not in {u for _, u in proposal.pairs_chosen()}
    assert eligible(folder, "C2", "U2") == ["occupied"]
    assert eligible(folder, "C1", "U2") == ["history"]
    rules = Eligibility(read_instance(folder))
    pairs = set(zip(rules.arrays.client_ids[rules.pairs.client], rules.arrays.unit_ids[rules.pairs.unit]))
    assert pairs == {("C1", "U1"), ("C2", "U1")}


def test_rule_occupied_keeps_the_unit_for_its_occupant(tmp_path):
    """The rule itself: the occupant may take the unit, another client may not; a free unit is open to both."""
    rules = Eligibility(read_instance(_lives_in_u2(tmp_path)))
    allowed = rule_occupied(rules.arrays, rules.sets, slice(0, 2), "prefer")
    assert allowed.tolist() == [[True, True], [True, False]]  # rows C1, C2; columns U1, U2


def test_check_flags_an_occupied_unit_given_to_someone_else(tmp_path):
    """matcher check and the checker both refuse C2-U2 by the occupied rule, naming who lives there."""
    folder = _lives_in_u2(tmp_path)
    hand = tmp_path / "hand.csv"
    hand.write_text("client_id,unit_id\nC2,U2\nC1,U1\n")
    report = check_proposal(read_instance(folder), read_pairs(hand), optimum=False)
    assert report.rules_broken() == ["eligibility:occupied"]
    assert any("C1 lives in U2" in v.message for v in report.violations)
    assert violations(folder, [("C2", "U2"), ("C1", "U1")]) == [
        "eligibility:occupied: client C2 may not get unit U2"
    ]
    assert violations(folder, [("C1", "U2"), ("C2", "U1")]) == []


def test_staying_adds_no_load(tmp_path):
    """Satisfying case: WK000101 is full (cap 2, recent load 2), yet C1 stays in U2 (load 0);
    C2 cannot move into U1 there (load 1 > room 0)."""
    proposal = agreed(_lives_in_u2(tmp_path, wk000101={"cap": "2", "recent_load": "2"}))
    assert proposal.pairs_chosen() == [("C1", "U2")]
    rules = Eligibility(read_instance(tmp_path / "lives-in-u2"))
    assert pair_load(rules.arrays, np.array([0, 0, 1]), np.array([1, 0, 0])).tolist() == [0, 1, 1]
    assert load_of(rules.instance.policy, "ambulant", "social_rental", stays=True) == 0


def test_a_move_into_a_full_neighbourhood_is_over_its_cap(tmp_path):
    """Violating case: in the same full neighbourhood C1 moving to U1 breaks the cap."""
    folder = _lives_in_u2(tmp_path, wk000101={"cap": "2", "recent_load": "2"})
    assert [v.split(":")[0] for v in violations(folder, [("C1", "U1")])] == ["neighbourhood_cap"]


def test_the_own_home_is_exempt_from_origin_rule_and_closure(tmp_path):
    """Satisfying case: origin rule strict and C1 from GM0002, WK000101 closed: C1 may still stay
    in U2 (no new placement), but not move to U1 (both rules break)."""
    folder = _lives_in_u2(
        tmp_path,
        policy="origin_rule: strict\n",
        wk000101={"closed_until": "2026-12-31"},
        origin_municipality_id="GM0002",
    )
    assert eligible(folder, "C1", "U2") == []
    assert eligible(folder, "C1", "U1") == ["origin_rule", "open_neighbourhood"]
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U2")]


def test_safety_still_holds_for_the_own_home(tmp_path):
    """Violating case: C1 is excluded from WK000101 (safety): C1 may not stay in U2 either, and
    nobody else gets it."""
    folder = _lives_in_u2(tmp_path, excluded_neighbourhoods="WK000101")
    assert eligible(folder, "C1", "U2") == ["safety"]
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C2", "U1")]


def _alone_in_u2(tmp_path: Path, policy: str = "") -> Path:
    """C1 alone (ambulant, from GM0001) lives in U2 (GM0001, trajectory); U1 (GM0001) is permanent."""
    return write(
        tmp_path / "alone",
        [client("C1", "ambulant", "GM0001", current_unit_id="U2")],
        [unit("U1", "GM0001", "permanent"), unit("U2", "GM0001", "trajectory")],
        policy,
    )


def test_stay_points_make_staying_best(tmp_path):
    """Satisfying case, by hand: p(C1,U2) = 30 (origin) + 30 (stay) = 60 > p(C1,U1) = 30 + 10
    (permanent) = 40: C1 stays, W = 100, P = 60."""
    proposal = agreed(_alone_in_u2(tmp_path))
    assert proposal.pairs_chosen() == [("C1", "U2")]
    assert (proposal.priority, proposal.preference) == (100, 60)


def test_without_stay_points_the_permanent_home_wins(tmp_path):
    """Violating case: `preference.stay: 0`: p(C1,U2) = 30 < p(C1,U1) = 40, so C1 moves to U1."""
    proposal = agreed(_alone_in_u2(tmp_path, policy="preference: {stay: 0}\n"))
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert (proposal.priority, proposal.preference) == (100, 40)
    assert proposal.matches()["match_kind"].tolist() == [""]


def test_a_current_unit_not_offered_this_week_changes_nothing(tmp_path):
    """A current_unit_id that is not in units.csv is a unit not offered: no error, no omklappen,
    and proposals.csv has no match_kind column."""
    folder = write(
        tmp_path / "elsewhere",
        [client("C1", "light", "GM0001", current_unit_id="U9")],
        [unit("U1", "GM0001")],
    )
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert "match_kind" not in proposal.matches().columns
