"""A second, generated small instance: W and P checked against an independent scipy MIP, and
the same input and seed give byte-identical outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from independent_checker import milp_optimum, violations

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.io.write import write_proposal
from matcher.proposal import solve
from matcher.solver.settings import SolveSettings


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A 40 × 25 West-Friesland instance from the generator (seed 7)."""
    folder = tmp_path_factory.mktemp("small") / "wf-40x25"
    write_instance(generate_instance("west-friesland", 40, 25, 7, None), folder)
    return folder


def test_small_optimum_matches_an_independent_mip(small):
    """The engine's (W, P) equals scipy's two-stage MIP and the proposal breaks no rule."""
    proposal = solve(read_instance(small))
    assert violations(small, proposal.pairs_chosen()) == []
    assert milp_optimum(small) == (proposal.priority, proposal.preference)
    assert proposal.proven_optimal


def _without_seconds(path: Path) -> dict:
    summary = json.loads(path.read_text())
    summary.pop("seconds")
    return summary


def test_same_input_and_seed_give_identical_outputs(small, tmp_path):
    """Two runs write byte-identical CSV files and summaries equal apart from timings."""
    settings = SolveSettings(seed=3)
    for name in ("first", "second"):
        write_proposal(solve(read_instance(small), settings), small, tmp_path / name, settings)
    for file in ("proposals.csv", "unmatched.csv"):
        assert (tmp_path / "first" / file).read_bytes() == (tmp_path / "second" / file).read_bytes()
    assert _without_seconds(tmp_path / "first" / "summary.json") == _without_seconds(
        tmp_path / "second" / "summary.json"
    )


def test_every_unmatched_client_has_a_reason(small):
    """Placed plus unmatched covers every client exactly once, each unmatched with a known reason."""
    proposal = solve(read_instance(small))
    placed = {client for client, _ in proposal.pairs_chosen()}
    unmatched = proposal.unmatched()
    assert placed.isdisjoint(unmatched["client_id"])
    assert len(placed) + len(unmatched) == proposal.arrays.n_clients
    assert set(unmatched["reason"]) <= {"no_eligible_unit", "capacity_full", "outranked"}
    assert unmatched["detail"].str.len().min() > 10
