"""Stable weekly matches (decisions 52 and 53), over random instances.

Take the independent checker's priority-order greedy as last week's communicated proposal, and
a random part of it as matches one side accepted (held). Solving the same week again:
- every held match stays (they fit together: the greedy was feasible);
- every communicated unit stays with its client or goes to a client of higher priority;
- the proposal breaks no rule, and its W is at least the greedy's (keeping it all is feasible).
A fresh optimum kept as communicated comes back unchanged.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_checker import greedy_priority_allocation, objective, priority_weight, violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.proposal import solve


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_held_matches_stay_and_communicated_units_go_only_to_higher_priority(tables, data):
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        week = read_instance(path)
        communicated = sorted(greedy_priority_allocation(path))
        held = sorted(data.draw(st.sets(st.sampled_from(communicated))) if communicated else [])
        keep = [m for m in communicated if m not in held]
        proposal = solve(week, keep=keep or None, hold=held or None)
        pairs = proposal.pairs_chosen()
        assert violations(path, pairs) == []
        assert set(held) <= set(pairs), "held matches that fit together all stay"
        holder = {unit: client for client, unit in pairs}
        for client, unit in keep:
            taker = holder.get(unit)
            assert taker == client or (
                taker is not None and priority_weight(path, taker) > priority_weight(path, client)
            ), f"{client}->{unit} moved to {taker}"
        assert objective(path, pairs)[0] >= objective(path, communicated)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_an_optimal_proposal_kept_as_communicated_comes_back_unchanged(tables):
    with tempfile.TemporaryDirectory() as folder:
        week = read_instance(write_instance(tables, Path(folder)))
        first = solve(week)
        again = solve(week, keep=first.pairs_chosen() or None)
        assert sorted(again.pairs_chosen()) == sorted(first.pairs_chosen())
        assert (again.priority, again.preference) == (first.priority, first.preference)
