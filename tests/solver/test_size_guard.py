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
    check_pairs,
    count_pairs,
    estimate_size,
    memory_bytes,
    sample_positions,
    stratified_positions,
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


# --- issue 12, finding 10: an estimate that cannot be fooled, a memory model that counts clients ---


@pytest.fixture(scope="module")
def sampled_ineligible(generated):
    """6,000 clients (the generated 900 repeated) where exactly the 400 clients the old evenly
    spaced sample looked at can take no unit (a household of 9), and every other can."""
    hidden = set(sample_positions(6_000, 400).tolist())
    clients = tuple(
        generated.clients[k % len(generated.clients)].model_copy(
            update={"client_id": f"C-{k:05d}", **({"household_size": 9} if k in hidden else {})}
        )
        for k in range(6_000)
    )
    return generated.model_construct(**{**dict(generated), "clients": clients, "declined": ()})


def test_clients_the_old_sample_saw_cannot_hide_the_pairs(sampled_ineligible):
    """The finding: the 400 sampled clients were ineligible, the estimate 0, and 1.6 M pairs were
    solved under --max-pairs 500000. Now the pairs are counted exactly and the run refused."""
    assert count_pairs(sampled_ineligible, sample_positions(6_000, 400)) == 0  # what the old guard saw
    exact = exact_pairs(sampled_ineligible)
    assert exact > 500_000
    with pytest.raises(InstanceTooLarge) as refused:
        check_limits(sampled_ineligible, max_pairs=500_000)
    assert refused.value.estimate.pairs == exact and refused.value.estimate.exact
    assert f"too large to solve in one run: {exact:,} eligible pairs" in refused.value.message


def test_solve_refuses_it_before_building_the_formulation(sampled_ineligible, monkeypatch):
    """Through `solve` with --max-pairs 500000, as the finding ran it: refused, no formulation built."""
    from matcher import proposal
    from matcher.solver.settings import SolveSettings

    monkeypatch.setattr(proposal, "build_formulation", lambda *_: pytest.fail("formulation built"))
    with pytest.raises(InstanceTooLarge, match="limit 500,000 pairs"):
        proposal.solve(sampled_ineligible, SolveSettings(max_pairs=500_000))


def test_a_stratified_random_sample_sees_what_even_spacing_missed(sampled_ineligible, monkeypatch):
    """Above EXACT_COUNT_CELLS the sample decides whether to refuse at once: one random client per
    stretch of the file finds the eligible clients the evenly spaced ones missed."""
    import matcher.solver.size_guard as guard

    monkeypatch.setattr(guard, "EXACT_COUNT_CELLS", 0)
    monkeypatch.setattr(guard, "count_all_pairs", lambda *_: pytest.fail("counted although surely too large"))
    estimate = estimate_size(sampled_ineligible)
    exact = exact_pairs(sampled_ineligible)
    assert abs(estimate.pairs - exact) <= 4 * estimate.standard_error, (estimate, exact)
    with pytest.raises(InstanceTooLarge, match="about"):
        check_limits(sampled_ineligible, max_pairs=500_000)


def test_an_instance_is_never_let_through_on_an_estimate(sampled_ineligible, monkeypatch):
    """Even a sample that finds no pair at all only means "count them": the exact count refuses."""
    import numpy as np

    import matcher.solver.size_guard as guard

    monkeypatch.setattr(guard, "EXACT_COUNT_CELLS", 0)
    monkeypatch.setattr(
        guard, "pairs_per_client", lambda _, positions: np.zeros(len(positions), dtype=np.int64)
    )
    with pytest.raises(InstanceTooLarge) as refused:
        check_limits(sampled_ineligible, max_pairs=500_000)
    assert refused.value.estimate.exact and refused.value.estimate.pairs == exact_pairs(sampled_ineligible)


def test_check_pairs_enforces_the_limit_on_the_pairs_eligibility_produced(generated):
    """The same refusal on the exact pairs after eligibility, before the formulation is built."""
    check_pairs(generated, 400_000, max_pairs=500_000)
    with pytest.raises(InstanceTooLarge) as refused:
        check_pairs(generated, 1_600_000, max_pairs=500_000)
    assert "too large to solve in one run: 1,600,000 eligible pairs (900 clients × 360 units" in str(
        refused.value
    )
    assert "Split the instance by region" in str(refused.value)


def test_stratified_positions_draw_one_client_from_each_stretch():
    positions = stratified_positions(10_000, 100)
    assert len(positions) == 100 and list(positions) == sorted(positions)
    assert all(100 * k <= p < 100 * (k + 1) for k, p in enumerate(positions))
    assert list(positions) == list(stratified_positions(10_000, 100))  # the same verdict every run
    assert list(positions) != list(sample_positions(10_000, 100))
    assert list(stratified_positions(5, 100)) == [0, 1, 2, 3, 4]


# Peak RSS of `matcher solve` measured with /usr/bin/time -v on generated four-region instances
# (28 municipalities): pairs, clients, units, peak kB. docs/reliability.md, section 5.
MEASURED = [
    (2_930_311, 4_000, 1_600, 1_588_172),
    (2_930_311, 4_000, 48_000, 1_658_448),
    (6_754_696, 6_000, 2_400, 3_071_064),
    (8_935_690, 12_000, 1_600, 4_464_092),
    (2_269_352, 100_000, 40, 1_970_948),
    (1_057_153, 200_000, 10, 1_715_220),
    (1_044_861, 400_000, 5, 2_684_124),
    (2_089_977, 800_000, 5, 5_235_792),
]


@pytest.mark.parametrize(("pairs", "clients", "units", "peak_kib"), MEASURED)
def test_the_memory_model_is_above_every_measured_peak_and_not_far_above(pairs, clients, units, peak_kib):
    """The old model (no term per client) predicted 1.7 GiB where 800,000 clients took 5.0 GiB."""
    model = memory_bytes(pairs, clients, 28, units)
    assert peak_kib * 1024 <= model <= 1.5 * peak_kib * 1024


# --- the budget enforced while the pairs are built (no count first) ---


def test_solve_stops_building_pairs_above_the_budget_and_refuses_with_the_exact_count(
    sampled_ineligible, monkeypatch
):
    """Through `solve`: the pairs are not counted before they are built; building stops as soon as
    the budget is passed (never holding all 1.6 M pairs), and the refusal names the exact count."""
    from matcher import proposal
    from matcher.rules import eligibility
    from matcher.solver import size_guard as guard
    from matcher.solver.settings import SolveSettings

    exact = exact_pairs(sampled_ineligible)
    built: list[int] = []
    original = eligibility.eligible_pairs

    def watched(instance, arrays, sets, most=None):
        built.append(-1 if most is None else most)
        return original(instance, arrays, sets, most)

    monkeypatch.setattr(eligibility, "eligible_pairs", watched)
    counted = []
    monkeypatch.setattr(guard, "count_all_pairs", lambda instance: counted.append(1) or exact)
    with pytest.raises(InstanceTooLarge) as refused:
        proposal.solve(sampled_ineligible, SolveSettings(max_pairs=500_000))
    assert built == [500_000] and counted == [1]  # counted only to name the count when refusing
    assert refused.value.estimate.pairs == exact and refused.value.estimate.exact
    assert f"too large to solve in one run: {exact:,} eligible pairs" in refused.value.message


def test_eligible_pairs_raises_once_past_the_budget_and_not_at_it(generated):
    """`most` is the largest count allowed: exactly that many pass, one fewer refuses."""
    from matcher.solver.size_guard import TooManyPairs

    arrays = build_arrays(generated)
    sets = client_sets(generated, arrays)
    exact = len(eligible_pairs(generated, arrays, sets))
    assert len(eligible_pairs(generated, arrays, sets, most=exact)) == exact
    with pytest.raises(TooManyPairs):
        eligible_pairs(generated, arrays, sets, most=exact - 1)


def test_the_budget_is_the_pair_and_memory_limit_whichever_is_lower(generated):
    """None when every client with every unit fits; else min(max_pairs, what the memory allows)."""
    from matcher.solver.size_guard import BYTES_PER_PAIR, pair_budget

    n_c, n_u, n_m = len(generated.clients), len(generated.units), len(generated.municipalities)
    assert pair_budget(generated, max_pairs=n_c * n_u) is None
    assert pair_budget(generated, max_pairs=10_000) == 10_000
    fixed = memory_bytes(0, n_c, n_m, n_u)
    assert pair_budget(generated, max_pairs=10**9, max_bytes=fixed + 7 * BYTES_PER_PAIR + 3) == 7
    assert pair_budget(generated, max_pairs=10**9, max_bytes=fixed - 1) == 0


def test_a_week_at_exactly_the_budget_is_solved(generated):
    """The pairs allowed are allowed: a limit equal to the exact count solves the week."""
    from matcher.proposal import solve
    from matcher.solver.settings import SolveSettings

    exact = exact_pairs(generated)
    assert len(solve(generated, SolveSettings(max_pairs=exact)).pairs) == exact
