"""Limits instead of collapse: pair and memory estimates, refusal with advice, time limits."""

from __future__ import annotations

import time
from datetime import date

import pytest

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver.size_guard import (
    DEFAULT_MAX_PAIRS,
    InstanceTooLarge,
    check_limits,
    estimate_size,
    sample_positions,
)
from models import InvalidInstance


def exact_pairs(instance) -> int:
    arrays = build_arrays(instance)
    return len(eligible_pairs(instance, arrays, client_sets(instance, arrays)))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated four-region instance of 900 clients and 360 units."""
    from matcher.generate.instance import generate_instance, write_instance

    folder = tmp_path_factory.mktemp("limits") / "generated"
    write_instance(generate_instance("all", 900, 360, 5, date(2026, 11, 23)), folder)
    return read_instance(folder)


def test_small_instances_are_counted_exactly(tiny):
    """Up to the sample size every client is checked, so the count equals the engine's."""
    instance = read_instance(tiny)
    estimate = estimate_size(instance)
    assert estimate.exact and estimate.pairs == exact_pairs(instance)
    assert estimate.upper_bound == len(instance.clients) * len(instance.units)


def test_sampled_estimate_is_close_to_the_true_count(generated):
    """From 150 of 900 clients the estimate lands within 15% of the exact pair count."""
    estimate = estimate_size(generated, sample=150)
    exact = exact_pairs(generated)
    assert not estimate.exact and estimate.sampled_clients == 150
    assert abs(estimate.pairs - exact) <= 0.15 * exact, (estimate.pairs, exact)
    assert estimate.pairs <= estimate.upper_bound


def test_sample_positions_spread_over_the_whole_file():
    """The sample includes the first and last client and is evenly spread."""
    positions = sample_positions(10_000, 5)
    assert list(positions) == [0, 2500, 5000, 7499, 9999]
    assert list(sample_positions(3, 5)) == [0, 1, 2]


def test_a_small_instance_passes(tiny):
    """The tiny instance is far below every default limit."""
    assert check_limits(read_instance(tiny)) is None


def test_nothing_is_sampled_when_every_pair_fits(tiny, monkeypatch):
    """When clients × units is within the limit the check costs nothing."""
    import matcher.solver.size_guard

    monkeypatch.setattr(
        matcher.solver.size_guard, "count_pairs", lambda *_: pytest.fail("sampled needlessly")
    )
    check_limits(read_instance(tiny), max_pairs=DEFAULT_MAX_PAIRS)


def test_too_many_pairs_is_refused_with_advice(generated):
    """Above the pair limit the run stops with the numbers and what to do about them."""
    with pytest.raises(InstanceTooLarge) as refused:
        check_limits(generated, max_pairs=10_000)
    message = str(refused.value.problems[0])
    assert isinstance(refused.value, InvalidInstance)  # the CLI reports it and exits 2
    assert "limit 10,000 pairs" in message and "900 clients × 360 units" in message
    assert "Split the instance by region" in message and "4 regions" in message
    assert "Tighten the period (now 7 days)" in message
    assert refused.value.estimate.pairs > 10_000


def test_too_much_memory_is_refused(tiny):
    """An estimate above the memory limit is refused even when the pair count is allowed."""
    with pytest.raises(InstanceTooLarge, match="GiB of memory"):
        check_limits(read_instance(tiny), max_pairs=DEFAULT_MAX_PAIRS, max_bytes=1000)


def test_a_national_instance_is_refused_quickly_and_cleanly(generated):
    """150,000 clients × 60,000 units (9·10⁹ possible pairs) is refused in seconds."""
    clients = [
        generated.clients[k % len(generated.clients)].model_copy(update={"client_id": f"C-{k:06d}"})
        for k in range(150_000)
    ]
    units = [
        generated.units[k % len(generated.units)].model_copy(update={"unit_id": f"U-{k:06d}"})
        for k in range(60_000)
    ]
    national = generated.model_construct(
        **{**dict(generated), "clients": tuple(clients), "units": tuple(units), "declined": ()}
    )
    began = time.perf_counter()
    with pytest.raises(InstanceTooLarge) as refused:
        check_limits(national)
    assert time.perf_counter() - began < 30
    assert refused.value.estimate.pairs > DEFAULT_MAX_PAIRS
    assert "150,000 clients × 60,000 units" in str(refused.value.problems[0])


def test_a_time_limit_yields_the_best_proposal_found_in_time(generated):
    """A short time limit returns a feasible proposal soon after the limit, never a false proof."""
    from matcher.proposal import solve
    from matcher.solver.settings import SolveSettings

    best = solve(generated, SolveSettings())
    began = time.perf_counter()
    limited = solve(generated, SolveSettings(time_limit=0.2))
    assert time.perf_counter() - began < 0.2 + 10
    assert limited.priority >= limited.greedy_priority
    priority = limited.solution.level("priority")
    assert priority.status != "optimal" or limited.priority == best.priority
    assert priority.bound >= best.priority
