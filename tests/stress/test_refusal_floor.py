"""The refusal floor: the fewest refused offers a placement costs on average under the simulation's
refusal model, whatever the policy (benchmarks/STRESS-RESULTS.md uses it to show why a target of
fewer refusals can be out of reach)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.stress.scenario import ClientDeclines, Declines


def test_hand_checked_floors() -> None:
    # only the landlord declines, half the time: a geometric number of refusals with mean 1
    assert Declines(client=ClientDeclines.flat(0.0), landlord=0.5).refusal_floor() == pytest.approx(1.0)
    # only the client, always half the time: E = 0.5 (1 + E), so E = 1
    assert Declines(client=ClientDeclines.flat(0.5), landlord=0.0).refusal_floor() == pytest.approx(1.0)
    # client 0.4 halving after each refusal, no landlord: E = 0.4 (1 + 0.2 (1 + 0.1 (1 + …)))
    halving = ClientDeclines(origin=0.4, preferred=0.4, current=0.4, elsewhere=0.4, after_refusal=0.5)
    expected = 0.4 * (1 + 0.2 * (1 + 0.1 * (1 + 0.05 * (1 + 0.025))))
    assert Declines(client=halving, landlord=0.0).refusal_floor() == pytest.approx(expected, abs=1e-4)


def test_floor_uses_the_match_least_often_declined() -> None:
    odd = ClientDeclines(origin=0.3, preferred=0.2, current=0.25, elsewhere=0.1, after_refusal=1.0)
    floor = Declines(client=odd, landlord=0.0).refusal_floor()
    assert floor == pytest.approx(0.1 / 0.9)  # elsewhere is declined least here


def test_a_certain_decline_has_no_floor() -> None:
    assert Declines(client=ClientDeclines.flat(1.0), landlord=0.0).refusal_floor() == float("inf")
    assert Declines(client=ClientDeclines.flat(0.0), landlord=1.0).refusal_floor() == float("inf")


def test_floor_matches_a_simulation_of_offers() -> None:
    """The default model, offered over and over with the best match, drawn 200,000 times."""
    declines = Declines()
    client = declines.client
    rng = np.random.default_rng(7)
    total, people = 0, 200_000
    for _ in range(people):
        refused_by_client = 0
        while True:
            if rng.random() < declines.landlord:
                total += 1
                continue
            if rng.random() < client.origin * client.after_refusal**refused_by_client:
                total += 1
                refused_by_client += 1
                continue
            break
    assert total / people == pytest.approx(declines.refusal_floor(), abs=0.004)
