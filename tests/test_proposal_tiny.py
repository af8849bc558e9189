"""The tiny instance's optimum, worked out by hand in instances/tiny/README.md, asserted exactly."""

from __future__ import annotations

from independent_checker import reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve

EXPECTED = {
    ("C01", "U02"),
    ("C02", "U01"),
    ("C03", "U03"),
    ("C04", "U05"),
    ("C06", "U06"),
}


def test_tiny_optimum_is_the_hand_checked_proposal(tiny):
    """The engine proposes exactly the five matches derived by hand, with W = 751 and P = 120."""
    proposal = solve(read_instance(tiny))
    assert set(proposal.pairs_chosen()) == EXPECTED
    assert (proposal.priority, proposal.preference) == (751, 120)
    assert proposal.proven_optimal


def test_tiny_optimum_agrees_with_brute_force(tiny):
    """The independent brute force finds the same W and P and the proposal breaks no rule."""
    proposal = solve(read_instance(tiny))
    assert reference_optimum(tiny) == (proposal.priority, proposal.preference)
    assert violations(tiny, proposal.pairs_chosen()) == []


def test_tiny_unmatched_reasons(tiny):
    """C05 meets a full cap, C07 has no unit big enough, C08 is outranked by C01 and C02."""
    unmatched = solve(read_instance(tiny)).unmatched().set_index("client_id")
    assert unmatched.loc["C05", "reason"] == "capacity_full"
    assert "WK045301" in unmatched.loc["C05", "detail"]
    assert unmatched.loc["C07", "reason"] == "no_eligible_unit"
    assert "most excluded by size" in unmatched.loc["C07", "detail"]
    assert unmatched.loc["C08", "reason"] == "outranked"
    assert "C01 (w 226)" in unmatched.loc["C08", "detail"] and "C02 (w 158)" in unmatched.loc["C08", "detail"]
    assert list(unmatched.index) == ["C05", "C07", "C08"]


def test_tiny_match_reasons(tiny):
    """Each match says why in words: origin, 1st preferred or current municipality."""
    matches = solve(read_instance(tiny)).matches().set_index("client_id")
    assert matches.loc["C01", "reason"] == "municipality of origin"
    assert matches.loc["C02", "reason"] == "1st preferred municipality"
    assert matches.loc["C03", "reason"] == "current municipality"
    assert list(matches["priority_weight"]) == sorted(matches["priority_weight"], reverse=True)


def test_keep_proposal_keeps_communicated_matches_that_cost_no_priority(tiny):
    """A communicated swap of C01 and C06 is kept, since undoing it only raises P, not W."""
    proposal = solve(read_instance(tiny), keep=[("C01", "U06"), ("C06", "U02")])
    assert {("C01", "U06"), ("C06", "U02")} <= set(proposal.pairs_chosen())
    assert (proposal.priority, proposal.preference) == (751, 60)


def test_keep_proposal_gives_way_when_it_would_lower_priority(tiny):
    """A communicated match of C03's cluster place to C06 is moved, because keeping it loses W."""
    proposal = solve(read_instance(tiny), keep=[("C06", "U03")])
    assert ("C06", "U03") not in proposal.pairs_chosen()
    assert proposal.priority == 751
