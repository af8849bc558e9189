"""Agreements over a year (issue 14, item 1): rule 5 (an agreement's maximum) and the level
`agreements` (the shortfall of agreements behind schedule, after W and P, before spreading) —
each with a case that satisfies it and one that violates it, the engine compared with the
independent checker (tests/reference/independent_checker.py) on the same files.

The week is 2026-11-23 … 2026-11-29. A yearly agreement 2026-01-01 … 2026-12-31 (365 days) has
run 333 days by the week's last day, so a minimum of 52 is due ⌈52 × 333 / 365⌉ = ⌈47.44⌉ = 48.
Every client is registered on the period's first day (w = urgency base, 100 for normal) and comes
from GM0003, which has no units (0 preference points), unless a case says otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from independent_checker import (
    agreement_shortfall,
    late_levels,
    objective,
    reference_optimum,
    violations,
)

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import ProposedRow, check_proposal
from matcher.rules import agreements as rules
from models import InvalidInstance

CLIENT_COLUMNS = [
    "client_id",
    "source",
    "origin_municipality_id",
    "support_intensity",
    "urgency",
    "registered_on",
]
UNIT_COLUMNS = [
    "unit_id",
    "type",
    "landlord",
    "municipality_id",
    "neighbourhood_id",
    "rent",
    "available_from",
]
AGREEMENT_COLUMNS = [
    "agreement_id",
    "kind",
    "party",
    "target_group",
    "start",
    "end",
    "minimum",
    "maximum",
    "placed_so_far",
]


def client(client_id: str, origin: str = "GM0003", source: str = "BW") -> dict[str, str]:
    return {
        "client_id": client_id,
        "source": source,
        "origin_municipality_id": origin,
        "support_intensity": "ambulant",
        "urgency": "normal",
        "registered_on": "2026-11-23",
    }


def unit(unit_id: str, municipality: str, landlord: str = "Pré Wonen") -> dict[str, str]:
    return {
        "unit_id": unit_id,
        "type": "social_rental",
        "landlord": landlord,
        "municipality_id": municipality,
        "neighbourhood_id": f"WK{municipality[2:]}01",
        "rent": "600",
        "available_from": "2026-11-01",
    }


def agreement(agreement_id: str, kind: str, party: str, **cells: str) -> dict[str, str]:
    row = dict.fromkeys(AGREEMENT_COLUMNS, "")
    return row | {
        "agreement_id": agreement_id,
        "kind": kind,
        "party": party,
        "start": "2026-01-01",
        "end": "2026-12-31",
        **cells,
    }


def write(
    folder: Path, clients: list[dict], units: list[dict], agreements: list[dict], recent_b: str = "0"
) -> Path:
    """Three municipalities with one neighbourhood each (cap 5 load: 1000 dwellings × 5 / 1000);
    GM0002's neighbourhood carries `recent_b` load already."""
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
                "recent_load": recent_b if k == 2 else "0",
            }
            for k in (1, 2, 3)
        ]
    ).to_csv(folder / "neighbourhoods.csv", index=False)
    pd.DataFrame(units, columns=UNIT_COLUMNS).to_csv(folder / "units.csv", index=False)
    pd.DataFrame(clients, columns=CLIENT_COLUMNS).to_csv(folder / "clients.csv", index=False)
    if agreements:
        pd.DataFrame(agreements, columns=AGREEMENT_COLUMNS).to_csv(folder / "agreements.csv", index=False)
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, days: 7}\n", encoding="utf-8")
    return folder


def agreed(folder: Path):
    """Solve; the proposal is feasible for the independent checker and its (W, P) is the
    reference optimum, and its shortfall the reference's S*."""
    proposal = solve(read_instance(folder))
    pairs = proposal.pairs_chosen()
    assert violations(folder, pairs) == []
    assert (proposal.priority, proposal.preference) == objective(folder, pairs) == reference_optimum(folder)
    best_s, _, _ = late_levels(folder)
    assert proposal.solution.level("agreements").value == agreement_shortfall(folder, pairs) == best_s
    return proposal


# --- rule 5: the maximum ------------------------------------------------------------------------


def test_a_used_up_maximum_keeps_its_units_out(tmp_path):
    """Satisfying case, by hand: GM0001's agreement allows 5 and 5 are placed, so U1 (in GM0001)
    can go to nobody this week; C1 and C2 (w 100 each) compete for U2: W* = 100."""
    folder = write(
        tmp_path / "full",
        [client("C1"), client("C2")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-1", "municipality", "GM0001", maximum="5", placed_so_far="5")],
    )
    proposal = agreed(folder)
    assert proposal.priority == 100
    assert [u for _, u in proposal.pairs_chosen()] == ["U2"]


def test_a_placement_over_the_maximum_is_a_violation(tmp_path):
    """Violating case: with room 1 left (maximum 6, 5 placed), an allocation that places two clients
    in GM0001 breaks rule 5 for the independent checker and for `matcher check`; the engine places
    one there (W* = 200: the second client takes U3 in GM0002)."""
    folder = write(
        tmp_path / "over",
        [client("C1"), client("C2")],
        [unit("U1", "GM0001"), unit("U2", "GM0001"), unit("U3", "GM0002")],
        [agreement("PA-1", "gemeente", "GM0001", maximum="6", placed_so_far="5")],
    )
    wrong = [("C1", "U1"), ("C2", "U2")]
    assert any(v.startswith("agreement_maximum: PA-1") for v in violations(folder, wrong))
    instance = read_instance(folder)
    report = check_proposal(
        instance, [ProposedRow(c, u, row) for row, (c, u) in enumerate(wrong, 2)], optimum=False
    )
    assert [(v.rule, v.rows) for v in report.violations] == [("municipality_agreement", (2, 3))]
    assert "PA-1" in report.violations[0].message
    proposal = agreed(folder)
    assert proposal.priority == 200
    assert sum(1 for _, u in proposal.pairs_chosen() if u in ("U1", "U2")) == 1


def test_a_landlord_agreement_counts_its_own_units_only(tmp_path):
    """Rule 5 for a corporation: Ymere's maximum is used up, so its U1 stays empty; Pré Wonen's U2
    in the same wijk is not counted. W* = 100 with one client of two placed."""
    folder = write(
        tmp_path / "landlord",
        [client("C1"), client("C2")],
        [unit("U1", "GM0001", landlord="Ymere"), unit("U2", "GM0001")],
        [agreement("PA-Y", "corporatie", "Ymere", maximum="3", placed_so_far="3")],
    )
    proposal = agreed(folder)
    assert [u for _, u in proposal.pairs_chosen()] == ["U2"]
    # the violating allocation: Ymere's U1 let anyway
    wrong = [("C1", "U1")]
    assert any(v.startswith("agreement_maximum: PA-Y") for v in violations(folder, wrong))
    report = check_proposal(read_instance(folder), [ProposedRow("C1", "U1", 2)], optimum=False)
    assert [v.rule for v in report.violations] == ["landlord_agreement"]


def test_a_group_maximum_counts_only_its_group(tmp_path):
    """An agreement for VO clients only: the MO client is not counted, the VO client is. VO's room
    is 0, so the VO client C1 cannot take U1 in GM0001 but may take U2 in GM0002; the MO client
    takes U1. W* = 200."""
    folder = write(
        tmp_path / "group",
        [client("C1", source="VO"), client("C2", source="MO")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-VO", "municipality", "GM0001", target_group="VO", maximum="2", placed_so_far="2")],
    )
    proposal = agreed(folder)
    assert set(proposal.pairs_chosen()) == {("C1", "U2"), ("C2", "U1")}


# --- the level `agreements`: behind schedule ----------------------------------------------------


def test_an_agreement_behind_schedule_wins_over_spreading(tmp_path):
    """Satisfying case, by hand: one client, U1 in GM0001 and U2 in GM0002, both p = 0, W = 100
    either way. GM0002's neighbourhood carries 4 of its 5 cap already: spreading alone prefers U1
    (max utilisation 4/5 = 0.8 against 5/5 = 1.0 with U2). GM0002's yearly minimum of 52 is 48
    due by the week's end with none placed: behind 48. The agreements level comes before
    spreading, so C1 gets U2: shortfall 47 (U1 would leave 48)."""
    folder = write(
        tmp_path / "behind",
        [client("C1")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-V", "municipality", "GM0002", minimum="52")],
        recent_b="4",
    )
    instance = read_instance(folder)
    assert rules.due(instance.agreements[0], instance.policy.period.end) == 48
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U2")]
    assert proposal.solution.level("agreements").value == 47
    # the violating allocation: the one spreading alone would choose leaves the whole gap
    assert agreement_shortfall(folder, [("C1", "U1")]) == 48 > 47


def test_without_the_agreement_spreading_decides(tmp_path):
    """The same week without agreements.csv: C1 gets U1 (the lower utilisation)."""
    folder = write(tmp_path / "plain", [client("C1")], [unit("U1", "GM0001"), unit("U2", "GM0002")], [], "4")
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]


def test_an_agreement_on_schedule_does_not_steer(tmp_path):
    """48 due, 48 placed already: nothing behind, so spreading decides (U1)."""
    folder = write(
        tmp_path / "on-schedule",
        [client("C1")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-V", "municipality", "GM0002", minimum="52", placed_so_far="48")],
        recent_b="4",
    )
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]


def test_preference_comes_before_an_agreement_behind_schedule(tmp_path):
    """C1 comes from GM0001 (origin: 30 points for U1). GM0002's agreement is behind, but P comes
    first: C1 stays in the origin municipality (P* = 30) and the shortfall stays 48."""
    folder = write(
        tmp_path / "origin-first",
        [client("C1", origin="GM0001")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-V", "municipality", "GM0002", minimum="52")],
    )
    proposal = agreed(folder)
    assert proposal.pairs_chosen() == [("C1", "U1")]
    assert proposal.preference == 30
    assert proposal.solution.level("agreements").value == 48


def test_the_gap_counts_once_per_placement_up_to_the_gap(tmp_path):
    """Two agreements behind: GM0001 by 1 (minimum 3 → ⌈3 × 333 / 365⌉ = 3 due, 2 placed), GM0002
    by 48. Three clients, two units in each municipality, all p = 0: the best closes GM0001's gap
    with one placement and sends the other two to GM0002: shortfall 0 + 46 = 46."""
    folder = write(
        tmp_path / "two-gaps",
        [client("C1"), client("C2"), client("C3")],
        [unit("U1", "GM0001"), unit("U2", "GM0001"), unit("U3", "GM0002"), unit("U4", "GM0002")],
        [
            agreement("PA-H", "municipality", "GM0001", minimum="3", placed_so_far="2"),
            agreement("PA-V", "municipality", "GM0002", minimum="52"),
        ],
    )
    proposal = agreed(folder)
    assert proposal.solution.level("agreements").value == 46
    placed = [u for _, u in proposal.pairs_chosen()]
    assert sorted(placed).count("U3") + sorted(placed).count("U4") == 2


def test_an_agreement_outside_its_period_does_nothing(tmp_path):
    """An agreement for 2027 does not apply to a week in 2026: no limit, no steering."""
    folder = write(
        tmp_path / "next-year",
        [client("C1"), client("C2")],
        [unit("U1", "GM0001"), unit("U2", "GM0002")],
        [agreement("PA-27", "municipality", "GM0001", start="2027-01-01", end="2027-12-31", maximum="0")],
    )
    proposal = agreed(folder)
    assert proposal.priority == 200


# --- reading --------------------------------------------------------------------------------------


def _problems(folder: Path) -> list:
    with pytest.raises(InvalidInstance) as caught:
        read_instance(folder)
    return [p for p in caught.value.problems if p.file == "agreements.csv"]


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"end": "2025-12-31", "maximum": "3"}, "end", "before the start"),
        ({"minimum": "5", "maximum": "3"}, "maximum", "below the minimum"),
        ({}, "minimum", "minimum, a maximum or both"),
        ({"maximum": "-1"}, "maximum", ""),
        ({"target_group": "ouderen", "maximum": "3"}, "target_group", ""),
    ],
)
def test_a_wrong_agreement_is_refused_with_its_cell(tmp_path, cells, column, words):
    folder = write(
        tmp_path / "bad",
        [client("C1")],
        [unit("U1", "GM0001")],
        [agreement("PA-1", "municipality", "GM0001", **cells)],
    )
    problems = _problems(folder)
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert words in problems[0].message


def test_an_unknown_municipality_is_refused(tmp_path):
    folder = write(
        tmp_path / "unknown",
        [client("C1")],
        [unit("U1", "GM0001")],
        [agreement("PA-1", "municipality", "GM9999", maximum="3")],
    )
    problems = _problems(folder)
    assert [(p.row, p.column) for p in problems] == [(2, "party")]


def test_two_maxima_that_could_count_one_placement_are_refused(tmp_path):
    """A yearly maximum for all clients and one for jongeren in the same municipality: one
    placement of a young adult would count for both, so one of the maxima must go; maxima for
    two different sources cannot share a client and are accepted."""
    folder = write(
        tmp_path / "overlap",
        [client("C1")],
        [unit("U1", "GM0001")],
        [
            agreement("PA-1", "municipality", "GM0001", maximum="30"),
            agreement("PA-2", "municipality", "GM0001", target_group="jongere", maximum="5"),
        ],
    )
    problems = _problems(folder)
    assert [(p.row, p.column) for p in problems] == [(3, "maximum")]
    assert "PA-1" in problems[0].message
    disjoint = write(
        tmp_path / "disjoint",
        [client("C1")],
        [unit("U1", "GM0001")],
        [
            agreement("PA-1", "municipality", "GM0001", target_group="VO", maximum="30"),
            agreement("PA-2", "municipality", "GM0001", target_group="MO", maximum="5"),
            agreement("PA-3", "municipality", "GM0001", minimum="40"),
        ],
    )
    assert len(read_instance(disjoint).agreements) == 3


def test_dutch_words_are_read(tmp_path):
    folder = write(
        tmp_path / "dutch",
        [client("C1")],
        [unit("U1", "GM0001")],
        [
            agreement("PA-1", "Gemeente", "GM0001", target_group="jongere", minimum="4"),
            agreement("PA-2", "corporatie", "Pré Wonen", target_group="gezin", minimum="2"),
        ],
    )
    agreements = read_instance(folder).agreements
    assert [(a.kind, a.target_group) for a in agreements] == [
        ("municipality", "young_adult"),
        ("landlord", "family"),
    ]
