"""Region target shares across weeks (issue 14, item 4): the fair-share level (the fourth, after
W, P and spreading) minimises Σ_m |placed_so_far_m + placed_m − share_m · (S + N)|, with share_m
the agreed `target_share` or the population share of what the given shares leave, S = Σ
placed_so_far and N the number placed this week.

The period starts Monday 2026-11-23.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_checker import fair_share_deviation as checker_fair_share
from independent_checker import late_level_optimum, municipality_shares
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.io.write_instance import instance_files_bytes
from matcher.proposal import solve
from matcher.rules.arrays import build_arrays
from matcher.rules.objectives import fair_share_deviation, population_shares, target_shares
from models import InvalidInstance, Municipality, Neighbourhood, Policy

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"


def two_towns(so_far: tuple[int, int]):
    """Two municipalities of equal population (1000 each), each with one neighbourhood of 1000
    dwellings (cap 5, recent_load 0) and one social-rental unit; one light client. The policy
    scores no municipality (origin 0), so both units give the same W (the client's weight) and
    P (0), and the same spreading (highest utilisation 1/5)."""
    municipalities = [
        Municipality(
            municipality_id=f"GM000{k}",
            name=f"Gemeente {k}",
            region="R",
            population=1000,
            placed_so_far=so_far[k - 1],
        )
        for k in (1, 2)
    ]
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id=f"WK000{k}", municipality_id=f"GM000{k}", name=f"Wijk {k}", dwellings=1000
        )
        for k in (1, 2)
    ]
    units = [unit(unit_id=f"U{k}", municipality_id=f"GM000{k}", neighbourhood_id=f"WK000{k}") for k in (1, 2)]
    return instance(
        [client(client_id="C1", origin_municipality_id="GM0001")],
        units,
        municipalities=municipalities,
        neighbourhoods=neighbourhoods,
        policy=Policy(period={"start": "2026-11-23"}, preference={"origin": 0}),
    )


@pytest.mark.parametrize(("so_far", "unit_id"), [((3, 0), "U2"), ((0, 3), "U1")])
def test_the_placements_so_far_decide_a_tie_on_w_p_and_spreading(so_far, unit_id):
    """Shares 0.5 and 0.5; placed so far 3 in one municipality, 0 in the other (S = 3, N = 1,
    so each share of S + N = 4 is 2). Placing in the municipality that has 3 already:
    |3 + 1 − 2| + |0 − 2| = 2 + 2 = 4; placing in the other: |3 − 2| + |0 + 1 − 2| = 1 + 1 = 2.
    The proposal places the client in the other municipality, with deviation 2, and W, P and
    spreading are what they would be in either unit."""
    proposal = solve(two_towns(so_far))
    assert [pair[1] for pair in proposal.pairs_chosen()] == [unit_id]
    assert proposal.fair_share_deviation == pytest.approx(2.0)
    assert proposal.preference == 0
    assert proposal.solution.level("spreading").value == pytest.approx(0.2)
    arrays = proposal.arrays
    assert fair_share_deviation(arrays, np.array([0 if so_far[0] else 1])) == pytest.approx(4.0)
    assert proposal.solution.level("fair_share").proven


def test_without_placements_so_far_both_units_tie_at_one():
    """All placed_so_far 0: |1 − 0.5| + |0 − 0.5| = 1 in either municipality (today's objective)."""
    arrays = build_arrays(two_towns((0, 0)))
    assert fair_share_deviation(arrays, np.array([0])) == fair_share_deviation(arrays, np.array([1])) == 1.0


def shares_arrays(populations, targets=None, so_far=None):
    count = len(populations)
    targets = targets or [None] * count
    so_far = so_far or [0] * count
    municipalities = [
        Municipality(
            municipality_id=f"GM000{k}",
            name=f"Gemeente {k}",
            region="R",
            population=populations[k],
            target_share=targets[k],
            placed_so_far=so_far[k],
        )
        for k in range(count)
    ]
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id=f"WK000{k}", municipality_id=f"GM000{k}", name=f"Wijk {k}", dwellings=1000
        )
        for k in range(count)
    ]
    return build_arrays(
        instance(
            [client(origin_municipality_id="GM0000")],
            [unit(municipality_id="GM0000", neighbourhood_id="WK0000")],
            municipalities=municipalities,
            neighbourhoods=neighbourhoods,
        )
    )


def test_a_target_share_for_one_and_the_rest_split_by_population():
    """Populations 60 000, 30 000, 10 000; the first agreed 0.28: the other two share 0.72 as
    30 000 : 10 000, so 0.54 and 0.18. Four placements (one in the first, three in the second):
    targets 1.12, 2.16, 0.72, deviation |1 − 1.12| + |3 − 2.16| + |0 − 0.72| = 0.12 + 0.84 +
    0.72 = 1.68. With placed so far 5, 0, 1 (S = 6; S + N = 10): targets 2.8, 5.4, 1.8 against
    6, 3, 1: 3.2 + 2.4 + 0.8 = 6.4."""
    arrays = shares_arrays([60000, 30000, 10000], targets=[0.28, None, None])
    assert target_shares(arrays).tolist() == pytest.approx([0.28, 0.54, 0.18])
    placed = np.array([0, 1, 1, 1])
    assert fair_share_deviation(arrays, placed) == pytest.approx(1.68)
    arrays = shares_arrays([60000, 30000, 10000], targets=[0.28, None, None], so_far=[5, 0, 1])
    assert fair_share_deviation(arrays, placed) == pytest.approx(6.4)


def test_no_target_share_is_the_population_share():
    """Without target shares the shares are the population shares (0.6, 0.3, 0.1); with
    placed so far 6, 3, 1 (exactly by share) and two placements in the first: targets 7.2,
    3.6, 1.2 against 8, 3, 1: 0.8 + 0.6 + 0.2 = 1.6."""
    arrays = shares_arrays([60000, 30000, 10000], so_far=[6, 3, 1])
    assert target_shares(arrays).tolist() == pytest.approx(population_shares(arrays).tolist())
    assert fair_share_deviation(arrays, np.array([0, 0])) == pytest.approx(1.6)
    assert fair_share_deviation(arrays, np.zeros(0, dtype=np.int64)) == pytest.approx(0.0)


def test_every_share_given_below_one_leaves_the_rest_unshared():
    """Target shares 0.5 and 0.3 for both municipalities: the shares are 0.5 and 0.3 (0.2 of
    the placements has no municipality it is fair to); no placements so far, none now: 0."""
    arrays = shares_arrays([100, 100], targets=[0.5, 0.3])
    assert target_shares(arrays).tolist() == pytest.approx([0.5, 0.3])
    assert fair_share_deviation(arrays, np.array([0, 1])) == pytest.approx(abs(1 - 1.0) + abs(1 - 0.6))


def folder_with(tmp_path: Path, rows: dict[str, tuple[str, str]]) -> Path:
    """tiny with target_share and placed_so_far columns: {municipality_id: (share, so_far)}."""
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    path = folder / "municipalities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",target_share,placed_so_far"]
    for line in lines[1:]:
        share, so_far = rows.get(line.split(",")[0], ("", ""))
        out.append(f'{line},"{share}",{so_far}')
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return folder


def test_target_shares_adding_up_to_more_than_one_are_refused(tmp_path):
    folder = folder_with(tmp_path, {"GM0392": ("0.7", ""), "GM0453": ("0.4", "")})
    with pytest.raises(InvalidInstance) as refused:
        read_instance(folder)
    [problem] = [p for p in refused.value.problems if p.column == "target_share"]
    assert problem.file == "municipalities.csv"
    assert "add up to 1.1, more than 1" in problem.message and "lower them" in problem.message


def test_target_shares_adding_up_to_exactly_one_and_a_decimal_comma_are_read(tmp_path):
    folder = folder_with(tmp_path, {"GM0392": ("0,72", "4"), "GM0453": ("0.28", "")})
    read = read_instance(folder)
    assert [(m.target_share, m.placed_so_far) for m in read.municipalities] == [(0.72, 4), (0.28, 0)]


def test_a_negative_placed_so_far_or_a_share_above_one_is_refused(tmp_path):
    """28 (a percentage) is not a share: the message says to write 0.28."""
    folder = folder_with(tmp_path, {"GM0392": ("28", "-1")})
    with pytest.raises(InvalidInstance) as refused:
        read_instance(folder)
    by_column = {p.column: p for p in refused.value.problems}
    assert set(by_column) >= {"target_share", "placed_so_far"}
    assert by_column["target_share"].row == 2 and by_column["target_share"].file == "municipalities.csv"
    assert "between 0 and 1, e.g. 0.28 for 28 %" in by_column["target_share"].message


def test_the_written_instance_keeps_the_new_columns_only_when_used(tmp_path):
    """Without values municipalities.csv is written as before (no new columns); with them it
    reads back equal."""
    plain = read_instance(TINY)
    assert b"target_share" not in instance_files_bytes(plain)["municipalities.csv"]
    used = read_instance(folder_with(tmp_path, {"GM0392": ("0.3", "2")}))
    files = instance_files_bytes(used)
    assert files["municipalities.csv"].splitlines()[0].endswith(b"target_share,placed_so_far")
    again = tmp_path / "again"
    again.mkdir()
    for name, content in files.items():
        (again / name).write_bytes(content)
    assert read_instance(again) == used


def test_the_engine_and_the_checker_agree_on_tiny_with_shares(tmp_path):
    """tiny with Haarlem agreed 0.5 and 9 placements so far in Haarlem, 1 in Velsen: the
    proposal's fair-share value is the independent reference optimum."""
    folder = folder_with(tmp_path, {"GM0392": ("0.5", "9"), "GM0453": ("", "1")})
    proposal = solve(read_instance(folder))
    _best_u, best_d = late_level_optimum(folder)
    assert municipality_shares(read_tables(folder)) == {"GM0392": 0.5, "GM0453": 0.5}
    assert proposal.fair_share_deviation == pytest.approx(best_d, abs=1e-6)
    assert float(checker_fair_share(folder, proposal.pairs_chosen())) == pytest.approx(best_d, abs=1e-6)


def read_tables(folder: Path) -> dict:
    from independent_checker import load_tables

    return load_tables(folder)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_the_fair_share_level_is_optimal_with_shares_and_placements_so_far(tables, data):
    """On random instances with some target shares (adding up to at most 1) and placements so
    far, the proposal's fair-share deviation equals the independent reference optimum, and the
    engine's measure equals the checker's on the proposal."""
    frame = tables["municipalities"].copy()
    count = len(frame)
    given_shares = data.draw(
        st.lists(st.one_of(st.none(), st.sampled_from([0, 0.1, 0.25, 0.4])), min_size=count, max_size=count)
    )
    if sum(s for s in given_shares if s is not None) > 1:
        given_shares = [None] * count
    frame["target_share"] = ["" if s is None else str(s) for s in given_shares]
    frame["placed_so_far"] = [
        str(k) for k in data.draw(st.lists(st.integers(0, 6), min_size=count, max_size=count))
    ]
    tables = {**tables, "municipalities": frame}
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        _best_u, best_d = late_level_optimum(path)
        fair_share = proposal.solution.level("fair_share")
        assert fair_share.proven
        assert fair_share.value == pytest.approx(best_d, abs=1e-6)
        assert float(checker_fair_share(path, proposal.pairs_chosen())) == pytest.approx(
            proposal.fair_share_deviation, abs=1e-9
        )


def test_solve_refuses_shares_above_one_with_exit_code_2(tmp_path):
    from click.testing import CliRunner

    from matcher.cli.main import main

    folder = folder_with(tmp_path, {"GM0392": ("0.7", ""), "GM0453": ("0.4", "")})
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "municipalities.csv" in result.output and "target_share" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
