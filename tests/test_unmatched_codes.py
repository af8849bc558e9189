"""`unmatched_reason_codes` (the stress simulation's reasons without details) gives exactly the
reason `unmatched_reasons` gives, on generated weeks of every family, for the greedy allocation,
the optimum, and allocations with random matches dropped (which leave open units: not_chosen)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import in_id_order, solve
from matcher.rules.eligibility import Eligibility
from matcher.solver.formulation import candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.unmatched import unmatched_reason_codes, unmatched_reasons


@pytest.mark.parametrize("family", ["plain", "tight", "strict", "identical"])
def test_codes_equal_the_full_reasons(tmp_path, family):
    rng = np.random.default_rng(11)
    seen: set[str] = set()
    for seed in (1, 2, 3):
        folder = tmp_path / f"{seed}"
        write_instance(generate_instance("west-friesland", 60, 30, seed, family=family), folder)
        instance = in_id_order(read_instance(folder))
        rules = Eligibility(instance)
        arrays, pairs = rules.arrays, rules.pairs
        candidates = candidate_pairs(arrays, pairs)
        greedy = greedy_allocation(arrays, candidates, priority_order(arrays))
        optimum = solve(instance, rules=rules).chosen
        dropped = np.sort(rng.choice(greedy, size=len(greedy) // 3, replace=False)) if len(greedy) else greedy
        for chosen in (greedy, np.sort(optimum), np.setdiff1d(greedy, dropped)):
            full = unmatched_reasons(arrays, pairs, candidates, chosen)
            codes = unmatched_reason_codes(arrays, pairs, candidates, chosen)
            assert codes["client_id"] == full["client_id"]
            assert codes["reason"] == full["reason"]
            seen |= set(full["reason"])
    assert "not_chosen" in seen and "outranked" in seen  # the comparison covered the open-unit search
