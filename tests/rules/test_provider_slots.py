"""Care providers (issue 14, item 5): allocation rule 6, at most `slots` clients of a care
provider (zorgaanbieder) placed in a municipality per provider_capacity.csv row — a satisfying
and a violating case, the engine compared with the independent checker
(tests/reference/independent_checker.py) on the same files, and the limit's words for check,
explain and unmatched.csv.

Every client is registered on the period's first day (2026-11-23), so w(c) is the urgency base:
100 for normal, 150 for high. Every client comes from GM0001 (origin: 30 points there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from independent_checker import objective, reference_optimum, violations

from matcher.i18n import set_language
from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.explain import explain_client
from matcher.rules.arrays import build_arrays
from matcher.rules.capacity import LIMIT_BY_NAME, Remaining, full_limits, over_limits

CLIENT_COLUMNS = [
    "client_id",
    "source",
    "origin_municipality_id",
    "support_intensity",
    "urgency",
    "registered_on",
    "current_unit_id",
    "provider",
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
LDH = "Leger des Heils"
KENTER = "Kenter Jeugdhulp"


def client(client_id: str, provider: str, urgency: str = "normal", **cells: str) -> dict[str, str]:
    row = dict.fromkeys(CLIENT_COLUMNS, "")
    row |= {
        "client_id": client_id,
        "source": "BW",
        "origin_municipality_id": "GM0001",
        "support_intensity": "light",
        "urgency": urgency,
        "registered_on": "2026-11-23",
        "provider": provider,
    }
    return row | cells


def unit(unit_id: str, municipality: str, tenancy: str = "") -> dict[str, str]:
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


def write(folder: Path, clients: list[dict], units: list[dict], capacity: list[tuple[str, str, int]]) -> Path:
    """Two municipalities, one neighbourhood each with room for 5 load (1000 dwellings)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"municipality_id": m, "name": name, "region": "Zuid-Kennemerland", "population": "1000"}
            for m, name in (("GM0001", "Haarlem"), ("GM0002", "Velsen"))
        ]
    ).to_csv(folder / "municipalities.csv", index=False)
    pd.DataFrame(
        [
            {
                "neighbourhood_id": f"WK000{k}01",
                "municipality_id": f"GM000{k}",
                "name": f"Wijk {k}",
                "dwellings": "1000",
            }
            for k in (1, 2)
        ]
    ).to_csv(folder / "neighbourhoods.csv", index=False)
    pd.DataFrame(units, columns=UNIT_COLUMNS).to_csv(folder / "units.csv", index=False)
    pd.DataFrame(clients, columns=CLIENT_COLUMNS).to_csv(folder / "clients.csv", index=False)
    if capacity:
        pd.DataFrame(capacity, columns=["provider", "municipality_id", "slots"]).to_csv(
            folder / "provider_capacity.csv", index=False
        )
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, days: 7}\n", encoding="utf-8")
    return folder


def agreed(folder: Path):
    """Solve, and check the proposal against the independent checker: feasible, and its (W, P)
    the reference optimum."""
    proposal = solve(read_instance(folder))
    pairs = proposal.pairs_chosen()
    assert violations(folder, pairs) == []
    assert (proposal.priority, proposal.preference) == objective(folder, pairs) == reference_optimum(folder)
    return proposal


def three(tmp_path: Path, capacity: list[tuple[str, str, int]], **c2: str) -> Path:
    """C1 (high, w 150) and C2 (w 100) of Leger des Heils, C3 (w 100) of Kenter Jeugdhulp; U1 and
    U2 in Haarlem (GM0001, the clients' origin: 30 points), U3 in Velsen (GM0002: 0 points)."""
    return write(
        tmp_path / "three",
        [client("C1", LDH, "high"), client("C2", LDH, **c2), client("C3", KENTER)],
        [unit("U1", "GM0001"), unit("U2", "GM0001", "trajectory" if c2 else ""), unit("U3", "GM0002")],
        capacity,
    )


def test_without_provider_rows_everyone_is_placed(tmp_path):
    """By hand: all three placed, W = 150 + 100 + 100 = 350; two of them in Haarlem (30 each),
    one in Velsen (0): P = 60."""
    proposal = agreed(three(tmp_path, []))
    assert (proposal.priority, proposal.preference) == (350, 60)


def test_provider_slots_hold_in_the_engine_and_the_checker(tmp_path):
    """Satisfying case, by hand: Leger des Heils has one slot in Haarlem and none in Velsen, so one
    of C1 and C2 is placed, and it is C1 (w 150 > 100): {C1-U?, C3-U?} both in Haarlem. W = 250,
    P = 60; C2 stays unmatched, U3 unused."""
    folder = three(tmp_path, [(LDH, "GM0001", 1), (LDH, "GM0002", 0)])
    proposal = agreed(folder)
    assert (proposal.priority, proposal.preference) == (250, 60)
    placed = dict(proposal.pairs_chosen())
    assert set(placed) == {"C1", "C3"}
    assert {placed["C1"], placed["C3"]} == {"U1", "U2"}


def test_breaking_provider_slots_is_found_by_the_engine_and_the_checker(tmp_path):
    """Violating case: C1 and C2 (both Leger des Heils) in Haarlem break the one slot; C3 of
    Kenter Jeugdhulp in Velsen is not limited."""
    folder = three(tmp_path, [(LDH, "GM0001", 1), (LDH, "GM0002", 0)])
    pairs = [("C1", "U1"), ("C2", "U2"), ("C3", "U3")]
    assert violations(folder, pairs) == ["provider_slots: GM0001 gets 2 clients of Leger des Heils, slots 1"]
    arrays = build_arrays(read_instance(folder))
    found = over_limits(arrays, np.array([0, 1, 2]), np.array([0, 1, 2]))
    assert [(o.limit, LIMIT_BY_NAME[o.limit].label(arrays, o.key), o.used, o.allowed) for o in found] == [
        ("provider_slots", "Leger des Heils/GM0001", 2, 1)
    ]
    set_language("en")
    try:
        assert found[0].message(arrays) == "GM0001 gets 2 clients of care provider Leger des Heils, slots 1"
    finally:
        set_language(None)


def test_an_own_home_pair_counts_like_any_pair(tmp_path):
    """Omklappen counts in rule 6: C2 lives in U2 (Haarlem) and would stay there (30 origin + 30
    stay), but Leger des Heils' one Haarlem slot goes to C1 (w 150 > 100): W = 250, C2 unmatched."""
    folder = three(tmp_path, [(LDH, "GM0001", 1), (LDH, "GM0002", 0)], current_unit_id="U2")
    proposal = agreed(folder)
    assert proposal.priority == 250
    assert "C2" not in dict(proposal.pairs_chosen())
    assert violations(folder, [("C1", "U1"), ("C2", "U2")]) != []


def test_names_are_compared_exactly_after_trimming(tmp_path):
    """` Leger des Heils ` is Leger des Heils (cells are trimmed, like a landlord); `leger des
    heils` is another provider, without a row, so not limited: both placed in Haarlem."""
    trimmed = three(tmp_path / "a", [(f" {LDH} ", "GM0001", 1), (LDH, "GM0002", 0)])
    assert agreed(trimmed).priority == 250
    other_case = three(tmp_path / "b", [(LDH.lower(), "GM0001", 1), (LDH.lower(), "GM0002", 0)])
    assert agreed(other_case).priority == 350


def test_the_words_of_a_full_provider_limit(tmp_path):
    """unmatched.csv and explain name the provider and the municipality; explain suggests one
    more slot (the relaxation raises the row, 1 → 2, which places C2)."""
    folder = three(tmp_path, [(LDH, "GM0001", 1), (LDH, "GM0002", 0)])
    instance = read_instance(folder)
    arrays = build_arrays(instance)
    remaining = Remaining.after(arrays, np.array([0, 2]), np.array([0, 1]))
    set_language("en")
    try:
        (full,) = full_limits(arrays, remaining, 1, 1)
        assert full.limit == "provider_slots"
        assert full.words(arrays) == "slots of care provider Leger des Heils in GM0001 full (1 of 1)"
        named = full.words(arrays, lambda m: instance.municipalities[m].name)
        assert named == "slots of care provider Leger des Heils in Haarlem full (1 of 1)"
        message, raised = LIMIT_BY_NAME["provider_slots"].relax(instance, arrays, full.key, 1)
        assert message == "one more slot of Leger des Heils in Haarlem (1 → 2)"
        first = raised.provider_capacity[0]
        assert (first.provider, first.municipality_id, first.slots) == (
            LDH,
            "GM0001",
            2,
        )
        assert solve(raised).priority == 350
    finally:
        set_language(None)


def test_explain_suggests_one_more_provider_slot(tmp_path):
    """`matcher explain` for C2 (unmatched): the full limit is Leger des Heils' slots, and the
    smallest change that places C2 is one more slot of it (Haarlem or Velsen, each 1 more)."""
    folder = three(tmp_path, [(LDH, "GM0001", 1), (LDH, "GM0002", 0)])
    instance = read_instance(folder)
    proposal = solve(instance)
    set_language("en")
    try:
        result = explain_client(instance, proposal.pairs_chosen(), "C2")
    finally:
        set_language(None)
    text = repr(result)
    assert "slots of care provider Leger des Heils" in text
    assert "more slot of Leger des Heils in" in text
