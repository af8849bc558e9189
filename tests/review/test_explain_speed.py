"""The shortcuts that make `matcher explain`'s search faster (issue 17) change nothing but the work:
the rules read once are reused only when the instance is in id order, the screen's quick test
against the start's own W gives the same verdict and mask as the greedy, and the search with and
without the screen finds the same changes, on seeded random generated weeks of both origin rules."""

from __future__ import annotations

import random

import numpy as np
import pytest

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import in_id_order, solve
from matcher.review import explain as ex
from models import Instance


def week(folder, seed: int, origin: str, clients: int = 60, units: int = 40) -> Instance:
    """A generated week with the given origin rule, in id order (as a run's solved instance)."""
    write_instance(generate_instance("zuid-kennemerland", clients, units, seed), folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("origin_rule: prefer", f"origin_rule: {origin}"))
    return in_id_order(read_instance(folder))


WEEKS = [(seed, origin) for seed in (3, 17) for origin in ("strict", "prefer")]


@pytest.fixture(scope="module", params=WEEKS, ids=[f"{s}-{o}" for s, o in WEEKS])
def solved(request, tmp_path_factory) -> tuple[Instance, list[tuple[str, str]], int]:
    instance = week(tmp_path_factory.mktemp("week") / "week", *request.param)
    assert instance.policy.origin_rule == request.param[1]
    proposal = solve(instance)
    return instance, proposal.pairs_chosen(), proposal.priority


def changes_for(ctx: ex.Context, client: int) -> list[ex.Change]:
    passes = ctx.client_passes(client)
    eligible = np.logical_and.reduce([passes[rule] for rule in ex.RULES])
    order = sorted(np.flatnonzero(eligible), key=lambda u: (-ctx.score(client, int(u))[0], u))
    return sorted(
        ex.capacity_changes(ctx, client, order)
        + ex.eligibility_changes(ctx, client, passes)
        + ex.supply_changes(ctx, client, order),
        key=lambda change: change.order,
    )


def same_read(one: ex.Changed, other: ex.Changed) -> bool:
    fields = ("client", "unit", "weight", "preference", "load", "neighbourhood", "municipality", "intensity")
    return one.client == other.client and all(
        np.array_equal(getattr(one.candidates, f), getattr(other.candidates, f)) for f in fields
    )


def test_the_rules_read_once_are_reused_only_in_id_order(solved):
    """Changed.of with the context's rules reads what it reads afresh; a shuffled instance (not
    in id order) is read afresh, never with rules of another row order."""
    instance, matches, _ = solved
    ctx = ex.Context.of(instance, matches)
    who = sorted(set(ctx.arrays.client_ids) - set(dict(matches)))[0]
    reused = ex.Changed.of(instance, who, ctx.rules)
    assert reused.arrays is ctx.arrays  # reused, not read again
    assert same_read(reused, ex.Changed.of(instance, who))
    shuffled_clients = list(instance.clients)
    random.Random(1).shuffle(shuffled_clients)
    shuffled = instance.model_copy(update={"clients": tuple(shuffled_clients)})
    other = ex.Context.of(shuffled, matches)
    read = ex.Changed.of(shuffled, who, other.rules)
    assert read.arrays is not other.arrays
    assert same_read(read, ex.Changed.of(instance, who))


def test_the_quick_screen_says_what_the_greedy_says(solved):
    """For every change of every unmatched client: the screen with the quick test against the
    start's W rules out exactly what the screen with the greedy alone rules out, with the same
    mask of pairs."""
    instance, matches, _ = solved
    ctx = ex.Context.of(instance, matches)
    unmatched = sorted(set(ctx.arrays.client_ids) - set(dict(matches)))
    compared = ruled_out = 0
    for who in unmatched[:10]:
        client = int(np.flatnonzero(ctx.arrays.client_ids == who)[0])
        prices = ex._prices(instance, who, matches, ex.SolveSettings())
        assert prices is not None
        for change in changes_for(ctx, client)[:6]:
            read = ex.Changed.of(change.apply(instance), who)
            quick = ex._screen(read, prices, matches)
            slow = ex._screen(read, prices, matches, quick=False)
            assert quick[0] == slow[0] and np.array_equal(quick[1], slow[1]), change.message
            compared += 1
            ruled_out += not quick[0]
    assert compared >= 4 and ruled_out >= 1


def test_ruled_out_is_monotone_in_the_lower_bound():
    """Ruled out against a lower W is ruled out against every higher one (why the quick test may
    come first)."""
    rng = random.Random(7)
    for _ in range(2000):
        low = float(rng.randint(0, 400_000))
        higher = low + rng.choice([0, 1, 2, rng.randint(0, 5000)])
        forced = low + rng.uniform(-3.0, 3.0)
        if ex._ruled_out(forced, low):
            assert ex._ruled_out(forced, higher)


@pytest.mark.parametrize("priority_first", [True, False], ids=["w-alone-first", "every-level"])
def test_the_search_finds_the_same_with_and_without_the_screen(solved, priority_first, monkeypatch):
    """explain's search for unmatched clients: the same changes tried and found (W, who is left
    out, how verified, how many re-solves counted) with the screen as without it, whether a change
    is first re-solved for W alone (as from PRIORITY_FIRST_PAIRS pairs on) or not; the unit may be
    another of equal score."""
    monkeypatch.setattr(ex, "PRIORITY_FIRST_PAIRS", 0 if priority_first else 10**12)
    instance, matches, _ = solved
    unmatched = sorted({c.client_id for c in instance.clients} - set(dict(matches)))

    def same(found: list[dict]) -> list[dict]:
        return [{key: value for key, value in f.items() if key != "unit_id"} for f in found]

    for who in unmatched[:4]:
        fast = ex.explain_client(instance, matches, who, max_resolves=30)["counterfactual"]
        slow = ex.explain_client(instance, matches, who, max_resolves=30, screen=False)["counterfactual"]
        assert same(fast["found"]) == same(slow["found"]) and fast["tried"] == slow["tried"], who
        assert fast["resolves"] <= slow["resolves"] + 1  # the prices are one LP


def test_the_pruned_greedy_reaches_the_same_w(solved):
    """The screen's lower bound: the greedy walking only the pairs that fit on top of the start
    (and given the pairs' limits) reaches the same W as the greedy walking every pair, from the
    proposal and from random partial allocations, on the instance and on changed instances."""
    from matcher.rules.capacity import PairLimits
    from matcher.solver.greedy import priority_order

    instance, matches, _ = solved
    ctx = ex.Context.of(instance, matches)
    rng = random.Random(5)
    who = sorted(set(ctx.arrays.client_ids) - set(dict(matches)))[0]
    client = int(np.flatnonzero(ctx.arrays.client_ids == who)[0])
    instances = [instance] + [change.apply(instance) for change in changes_for(ctx, client)[:4]]
    compared = 0
    for changed in instances:
        read = ex.Changed.of(changed, who)
        a, candidates = read.arrays, read.candidates
        limits = PairLimits.of(a, candidates.client, candidates.unit)
        order = priority_order(a)
        for share in (1.0, 0.5, 0.0):
            start = sorted(matches)
            start = rng.sample(start, int(len(start) * share))
            begin = ex._positions_of(a, candidates, start)
            slow = ex._greedy_priority(a, candidates, begin, order, prune=False)
            assert ex._greedy_priority(a, candidates, begin, order) == slow
            assert ex._greedy_priority(a, candidates, begin, order, limits) == slow
            compared += 1
    assert compared >= 6


def test_w_alone_rules_out_only_what_every_level_rules_out(solved):
    """The search's first re-solve of a change solves W alone: whenever an optimal allocation of
    every level (W, continuity, P) places the client, one with the highest W does too, so W alone
    never rules out a change the levels would keep (checked on every change of unmatched clients,
    with and without the screen's mask)."""
    instance, matches, priority = solved
    ctx = ex.Context.of(instance, matches)
    unmatched = sorted(set(ctx.arrays.client_ids) - set(dict(matches)))
    compared = placed = 0
    for who in unmatched[:6]:
        client = int(np.flatnonzero(ctx.arrays.client_ids == who)[0])
        prices = ex._prices(instance, who, matches, ex.SolveSettings())
        for change in changes_for(ctx, client)[:5]:
            changed = change.apply(instance)
            read = ex.Changed.of(changed, who)
            possible, only = ex._screen(read, prices, matches) if prices else (True, None)
            for mask in (None, only if possible else None):
                alone = ex.place_client(
                    changed, who, matches, priority, changed=read, only=mask, levels=False
                )
                every = ex.place_client(changed, who, matches, priority, changed=read, only=mask)
                assert alone.placed or not every.placed, change.message
                compared += 1
                placed += every.placed
    assert compared >= 10 and placed >= 1
