"""Other groups' placements in the rolling neighbourhood load (other_placements.csv, issue 14):
recent_load(n) = the cell + the load of the rows with
`period.start − 7 × window_weeks days ≤ placed_on ≤ period_end`. Each case is checked on the
same files by the engine (the solve and `matcher check`) and by the independent checker
(tests/reference/independent_checker.py).

The period is 2026-11-23 … 2026-11-29; with the default window of 26 weeks the window opens on
2026-05-25. Haarlem (GM0001) has WK000101 with cap 2 and U1; Velsen (GM0002) has WK000201 with
1000 dwellings (cap 5) and U2. C1 is a light client (load 1) from Haarlem, registered on the
period's first day: in U1 it scores origin 30, in U2 nothing, so it goes to U1 while WK000101 has
room for one more load.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from independent_checker import load_tables, objective, reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import ProposedRow, check_proposal
from matcher.rules.arrays import build_arrays
from matcher.rules.load import folded, recent_loads, report, window_start


def write(folder: Path, placements: list[dict[str, str]] | None, policy: str = "", recent: str = "0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"municipality_id": "GM0001", "name": "Haarlem", "region": "ZK", "population": "1000"},
            {"municipality_id": "GM0002", "name": "Velsen", "region": "ZK", "population": "1000"},
        ]
    ).to_csv(folder / "municipalities.csv", index=False)
    pd.DataFrame(
        [
            {
                "neighbourhood_id": "WK000101",
                "municipality_id": "GM0001",
                "name": "Centrum",
                "dwellings": "1000",
            }
            | {"recent_load": recent, "cap": "2"},
            {
                "neighbourhood_id": "WK000201",
                "municipality_id": "GM0002",
                "name": "Noord",
                "dwellings": "1000",
            }
            | {"recent_load": "0", "cap": ""},
        ]
    ).to_csv(folder / "neighbourhoods.csv", index=False)
    pd.DataFrame(
        [
            {"unit_id": unit, "type": "social_rental", "landlord": "Pré Wonen", "municipality_id": m}
            | {"neighbourhood_id": n, "rent": "600", "available_from": "2026-11-01"}
            for unit, m, n in (("U1", "GM0001", "WK000101"), ("U2", "GM0002", "WK000201"))
        ]
    ).to_csv(folder / "units.csv", index=False)
    pd.DataFrame(
        [
            {
                "client_id": "C1",
                "source": "BW",
                "origin_municipality_id": "GM0001",
                "support_intensity": "light",
                "registered_on": "2026-11-23",
            }
        ]
    ).to_csv(folder / "clients.csv", index=False)
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, days: 7}\n" + policy, encoding="utf-8")
    if placements is not None:
        columns = ["neighbourhood_id", "placed_on", "load", "group", "reference"]
        cells = [dict.fromkeys(columns, "") | placement for placement in placements]
        pd.DataFrame(cells, columns=columns).to_csv(folder / "other_placements.csv", index=False)
    return folder


def row(placed_on: str, load: str = "", neighbourhood: str = "WK000101") -> dict[str, str]:
    return {"neighbourhood_id": neighbourhood, "placed_on": placed_on, "load": load, "group": "statushouders"}


def agreed(folder: Path) -> list[tuple[str, str]]:
    """The engine's proposal: feasible for the independent checker, and its (W, P) the reference
    optimum; the engine's `matcher check` agrees it breaks nothing."""
    proposal = solve(read_instance(folder))
    pairs = proposal.pairs_chosen()
    assert violations(folder, pairs) == []
    assert (proposal.priority, proposal.preference) == objective(folder, pairs) == reference_optimum(folder)
    assert check_proposal(read_instance(folder), rows(pairs), optimum=False).valid
    return pairs


def rows(pairs: list[tuple[str, str]]) -> list[ProposedRow]:
    return [ProposedRow(client, unit, k + 2) for k, (client, unit) in enumerate(pairs)]


def both_refuse_c1_in_u1(folder: Path) -> None:
    """Violating: C1 in U1 breaks the cap of WK000101, for the checker and for `matcher check`."""
    assert [v.split(":")[0] for v in violations(folder, [("C1", "U1")])] == ["neighbourhood_cap"]
    report_ = check_proposal(read_instance(folder), rows([("C1", "U1")]), optimum=False)
    assert report_.rules_broken() == ["neighbourhood_cap"]


def test_without_the_file_c1_gets_its_origin(tmp_path):
    assert agreed(write(tmp_path / "none", None)) == [("C1", "U1")]


def test_a_row_in_the_window_fills_the_neighbourhood(tmp_path):
    """A statushouder placed on 2026-10-01 with load 2 fills WK000101 (cap 2): C1 goes to Velsen."""
    folder = write(tmp_path / "in", [row("2026-10-01", "2")])
    assert agreed(folder) == [("C1", "U2")]
    both_refuse_c1_in_u1(folder)
    assert load_tables(folder)["neighbourhoods"]["WK000101"]["recent_load"] == 2
    arrays = build_arrays(read_instance(folder))
    assert arrays.neighbourhood_recent_load.tolist() == [2, 0]
    assert arrays.neighbourhood_room.tolist() == [0, 5]


def test_a_row_adds_to_the_typed_recent_load(tmp_path):
    """The cell stays: recent_load 1 typed plus one placement (load empty: 1) is 2, full."""
    folder = write(tmp_path / "plus", [row("2026-11-02")], recent="1")
    assert agreed(folder) == [("C1", "U2")]
    both_refuse_c1_in_u1(folder)
    only_the_cell = write(tmp_path / "cell", None, recent="1")
    assert agreed(only_the_cell) == [("C1", "U1")]


@pytest.mark.parametrize(
    ("placed_on", "counts"),
    [
        ("2026-05-24", False),  # the day before the window opens: no longer counted
        ("2026-05-25", True),  # period.start − 26 weeks: counted
        ("2026-11-29", True),  # period_end: counted
        ("2026-11-30", False),  # after the period: not counted yet
    ],
)
def test_the_window_bounds(tmp_path, placed_on, counts):
    folder = write(tmp_path / placed_on, [row(placed_on, "2")])
    assert agreed(folder) == ([("C1", "U2")] if counts else [("C1", "U1")])
    if counts:
        both_refuse_c1_in_u1(folder)
    else:
        assert violations(folder, [("C1", "U1")]) == []
        assert check_proposal(read_instance(folder), rows([("C1", "U1")]), optimum=False).valid
    assert window_start(read_instance(folder).policy).isoformat() == "2026-05-25"


def test_the_window_follows_window_weeks(tmp_path):
    """With `spreading: {window_weeks: 4}` the window opens on 2026-10-26: a row of 2026-10-01
    no longer counts, one of 2026-10-26 does."""
    policy = "spreading: {window_weeks: 4}\n"
    old = write(tmp_path / "old", [row("2026-10-01", "2")], policy)
    assert agreed(old) == [("C1", "U1")]
    assert violations(old, [("C1", "U1")]) == []
    new = write(tmp_path / "new", [row("2026-10-26", "2")], policy)
    assert agreed(new) == [("C1", "U2")]
    both_refuse_c1_in_u1(new)


def test_a_fractional_load_leaves_no_whole_room(tmp_path):
    """Load 1.5 (written 1,5 as Dutch Excel does) in a cap of 2: room floor(0.5) = 0 for C1."""
    folder = write(tmp_path / "half", [row("2026-11-01", "1,5")])
    folder.joinpath("other_placements.csv").write_text(
        'neighbourhood_id,placed_on,load\nWK000101,2026-11-01,"1,5"\n', encoding="utf-8"
    )
    assert read_instance(folder).other_placements[0].load == 1.5
    assert recent_loads(read_instance(folder)) == [Fraction(3, 2), 0]
    # the independent checker reads plain numbers only: the same row with a decimal point
    plain = write(tmp_path / "plain", [row("2026-11-01", "1.5")])
    assert agreed(plain) == solve(read_instance(folder)).pairs_chosen() == [("C1", "U2")]
    both_refuse_c1_in_u1(plain)


def test_rows_of_other_wijken_do_not_count_here(tmp_path):
    """Rows in WK000201 (cap 5) leave WK000101 alone; they add to WK000201's own load."""
    folder = write(
        tmp_path / "elsewhere", [row("2026-11-01", "3", "WK000201"), row("2026-11-02", "1", "WK000201")]
    )
    assert agreed(folder) == [("C1", "U1")]
    assert recent_loads(read_instance(folder)) == [0, 4]
    assert load_tables(folder)["neighbourhoods"]["WK000201"]["recent_load"] == 4


def test_the_report_and_the_folded_instance(tmp_path):
    """summary.json's section: the window, the rows counted, older and later, and the load per
    wijk; `folded` moves the same load into the cells (the stress simulation's start)."""
    folder = write(
        tmp_path / "report",
        [row("2026-10-01", "2"), row("2026-05-01"), row("2026-12-07"), row("2026-11-01", "0.5", "WK000201")],
    )
    instance = read_instance(folder)
    assert report(instance) == {
        "window": {"weeks": 26, "from": "2026-05-25", "to": "2026-11-29"},
        "rows": 4,
        "counted": 2,
        "before_window": 1,
        "after_period": 1,
        "load_added": {"WK000101": 2, "WK000201": 0.5},
    }
    flat = folded(instance)
    assert flat.other_placements == ()
    assert [n.recent_load for n in flat.neighbourhoods] == [2, 0.5]
    assert recent_loads(flat) == recent_loads(instance)
    assert report(read_instance(write(tmp_path / "no-file", None))) is None
