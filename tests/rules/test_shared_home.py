"""Two clients sharing one home (issue 14, item 6): a clients.csv row with `shares_home_with` is
one household of two clients of the scheme. Rule 13 (a social-rental home, never a room, cluster
place or Skaeve Huis), and the two people counted in the neighbourhood load (rule 2) and the
support slots (rule 4) — each with a satisfying and a violating case, the engine compared with
the independent checker (tests/reference/independent_checker.py) on the same files.

Every client is registered on the period's first day (w = urgency base, 100 for normal) and comes
from GM0003, which has no units (0 preference points).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from independent_checker import objective, reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import ProposedRow, check_proposal
from models import InvalidInstance

CLIENT_COLUMNS = [
    "client_id",
    "source",
    "origin_municipality_id",
    "support_intensity",
    "household_size",
    "registered_on",
    "shares_home_with",
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
]


def client(client_id: str, shares: str = "", household: str = "1") -> dict[str, str]:
    return {
        "client_id": client_id,
        "source": "BW",
        "origin_municipality_id": "GM0003",
        "support_intensity": "ambulant",
        "household_size": "2" if shares else household,
        "registered_on": "2026-11-23",
        "shares_home_with": shares,
    }


def unit(unit_id: str, municipality: str, kind: str = "social_rental") -> dict[str, str]:
    return {
        "unit_id": unit_id,
        "type": kind,
        "landlord": "Pré Wonen",
        "municipality_id": municipality,
        "neighbourhood_id": f"WK{municipality[2:]}01",
        "site_id": "S1" if kind in ("cluster", "skaeve_huis") else "",
        "rent": "600",
        "max_household": "2",
        "available_from": "2026-11-01",
    }


def write(folder: Path, clients: list[dict], units: list[dict], caps: str = "", slots: str = "") -> Path:
    """Three municipalities with one neighbourhood each; `caps` the cap cell of GM0001's."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"municipality_id": m, "name": name, "region": "Zuid-Kennemerland", "population": "1000"}
            for m, name in (("GM0001", "Haarlem"), ("GM0002", "Velsen"), ("GM0003", "Bloemendaal"))
        ]
    ).to_csv(folder / "municipalities.csv", index=False)
    pd.DataFrame(
        [
            {
                "neighbourhood_id": f"WK000{k}01",
                "municipality_id": f"GM000{k}",
                "name": f"Wijk {k}",
                "dwellings": "1000",
                "cap": caps if k == 1 else "",
            }
            for k in (1, 2, 3)
        ]
    ).to_csv(folder / "neighbourhoods.csv", index=False)
    pd.DataFrame(units, columns=UNIT_COLUMNS).to_csv(folder / "units.csv", index=False)
    pd.DataFrame(clients, columns=CLIENT_COLUMNS).to_csv(folder / "clients.csv", index=False)
    if slots:
        (folder / "support_capacity.csv").write_text(
            f"municipality_id,support_intensity,slots\nGM0001,ambulant,{slots}\n", encoding="utf-8"
        )
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, days: 7}\n", encoding="utf-8")
    return folder


def agreed(folder: Path):
    proposal = solve(read_instance(folder))
    pairs = proposal.pairs_chosen()
    assert violations(folder, pairs) == []
    assert (proposal.priority, proposal.preference) == objective(folder, pairs) == reference_optimum(folder)
    return proposal


def engine_violations(folder: Path, pairs: list[tuple[str, str]]) -> list[str]:
    report = check_proposal(
        read_instance(folder), [ProposedRow(c, u, row) for row, (c, u) in enumerate(pairs, 2)], optimum=False
    )
    return [v.rule for v in report.violations]


def test_two_sharing_get_a_home_not_a_room(tmp_path):
    """Satisfying case: the household H1 (with H1B) may take U2 (social rental) only, the single
    S1 either: the best places both, H1 in U2 and S1 in the room U1 (W* = 200)."""
    folder = write(
        tmp_path / "home",
        [client("H1", shares="H1B"), client("S1")],
        [unit("U1", "GM0001", "room"), unit("U2", "GM0002")],
    )
    proposal = agreed(folder)
    assert set(proposal.pairs_chosen()) == {("H1", "U2"), ("S1", "U1")}
    frame = proposal.matches()
    assert dict(zip(frame["client_id"], frame["shares_home_with"])) == {"H1": "H1B", "S1": ""}


@pytest.mark.parametrize("kind", ["room", "cluster", "skaeve_huis"])
def test_a_place_for_one_breaks_the_rule(tmp_path, kind):
    """Violating case: H1 in a room, cluster place or Skaeve Huis breaks rule 13 for both checkers."""
    folder = write(tmp_path / kind, [client("H1", shares="H1B")], [unit("U1", "GM0001", kind)])
    assert any(v.startswith("eligibility:shared_home") for v in violations(folder, [("H1", "U1")]))
    assert "eligibility:shared_home" in engine_violations(folder, [("H1", "U1")])
    assert agreed(folder).pairs_chosen() == []


def test_both_count_in_the_neighbourhood_load(tmp_path):
    """GM0001's wijk has cap 1: one ambulant client (load 1) fits, the household of two (load 2)
    does not. So H1 can only take U2 (GM0002), and the best places H1 in U2 and S1 in U1
    (W* = 200). Violating: H1 in U1 breaks the cap for both checkers."""
    folder = write(
        tmp_path / "load",
        [client("H1", shares="H1B"), client("S1")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        caps="1",
    )
    proposal = agreed(folder)
    assert set(proposal.pairs_chosen()) == {("H1", "U2"), ("S1", "U1")}
    assert any(v.startswith("neighbourhood_cap") for v in violations(folder, [("H1", "U1")]))
    assert "neighbourhood_cap" in engine_violations(folder, [("H1", "U1")])


def test_both_use_a_support_slot(tmp_path):
    """GM0001 has one ambulant slot: the household needs two. H1 may only take U1 (in GM0001) —
    U2 is a room — so H1 stays unmatched and S1 takes U1 (W* = 100). Violating: H1 in U1 breaks
    the slots for both checkers."""
    folder = write(
        tmp_path / "slots",
        [client("H1", shares="H1B"), client("S1")],
        [unit("U1", "GM0001"), unit("U2", "GM0002", "room")],
        slots="1",
    )
    proposal = agreed(folder)
    assert proposal.priority == 100
    assert "H1" not in {c for c, _ in proposal.pairs_chosen()}
    assert any(v.startswith("support_slots") for v in violations(folder, [("H1", "U1")]))
    assert "support_slots" in engine_violations(folder, [("H1", "U1")])


def _problems(folder: Path) -> list[tuple[int | None, str | None]]:
    with pytest.raises(InvalidInstance) as caught:
        read_instance(folder)
    return [(p.row, p.column) for p in caught.value.problems if p.file == "clients.csv"]


def test_a_shared_home_is_listed_once_for_two(tmp_path):
    units = [unit("U1", "GM0001")]
    alone = write(tmp_path / "alone", [client("H1", household="1") | {"shares_home_with": "H1B"}], units)
    assert _problems(alone) == [(2, "shares_home_with")]
    self_ = write(tmp_path / "self", [client("H1", shares="H1")], units)
    assert _problems(self_) == [(2, "shares_home_with")]
    listed = write(tmp_path / "listed", [client("H1", shares="S1"), client("S1")], units)
    assert _problems(listed) == [(2, "shares_home_with")]
    twice = write(tmp_path / "twice", [client("H1", shares="X9"), client("H2", shares="X9")], units)
    assert _problems(twice) == [(3, "shares_home_with")]
    bsn = write(tmp_path / "bsn", [client("H1", shares="111222333")], units)
    assert _problems(bsn) == [(2, "shares_home_with")]
