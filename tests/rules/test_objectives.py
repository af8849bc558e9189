"""The objectives of matcher.rules.objectives on hand-worked numbers, and agreement with the
independent checker's spreading and fair-share measures on random feasible allocations.

The period starts Monday 2026-11-23 unless said otherwise.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_checker import fair_share_deviation as checker_fair_share
from independent_checker import max_utilisation as checker_max_utilisation
from independent_checker import violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.rules.arrays import build_arrays
from matcher.rules.objectives import (
    fair_share_deviation,
    max_utilisation,
    next_fair_share_deviation,
    next_utilisation,
    population_shares,
    preference_offers,
    preference_scores,
    priority_weights,
    weeks_waited,
)
from models import Municipality, Neighbourhood, Policy

START = date(2026, 11, 23)


# --- 1. priority ---------------------------------------------------------------------------------


def test_weeks_waited_counts_whole_weeks_and_never_below_zero():
    """Registered on the start: 0; 6 days before: 0; 7 days: 1; 2025-06-02 (539 days): 77,
    uncapped here; registered after the start: 0, not −1."""
    clients = tuple(
        client(client_id=f"C{k}", registered_on=d)
        for k, d in enumerate(["2026-11-23", "2026-11-17", "2026-11-16", "2025-06-02", "2026-11-30"])
    )
    assert weeks_waited(clients, START).tolist() == [0, 0, 1, 77, 0]


def test_priority_weights_cap_the_weeks_at_max_waiting_weeks():
    """per_week_waiting 2, max_waiting_weeks 10: normal after 77 weeks 100 + 2·10 = 120; acute
    after 1 week 200 + 2 = 202; high after 0 weeks 150; normal after exactly 10 weeks 120; after
    9 weeks 118."""
    policy = Policy(period={"start": "2026-11-23"}, priority={"per_week_waiting": 2, "max_waiting_weeks": 10})
    clients = (
        client(client_id="C1", registered_on="2025-06-02"),
        client(client_id="C2", urgency="acute", registered_on="2026-11-16"),
        client(client_id="C3", urgency="high", registered_on="2026-11-23"),
        client(client_id="C4", registered_on="2026-09-14"),  # 70 days: 10 weeks
        client(client_id="C5", registered_on="2026-09-15"),
    )  # 69 days: 9 weeks
    weeks = weeks_waited(clients, START)
    assert weeks.tolist() == [77, 1, 0, 10, 9]
    assert priority_weights(clients, policy, weeks).tolist() == [120, 202, 150, 120, 118]


def test_priority_weights_default_policy():
    """The default policy (1 per week, at most 52): the tiny instance's C03, 77 weeks → 152."""
    policy = Policy(period={"start": "2026-11-23"})
    clients = (client(registered_on="2025-06-02"),)
    assert priority_weights(clients, policy, weeks_waited(clients, START)).tolist() == [152]


# --- 2. preference -------------------------------------------------------------------------------

M_INDEX = {"GM0392": 0, "GM0405": 1, "GM0363": 2}


def test_origin_that_is_also_preferred_and_current_scores_the_higher_offer():
    """Origin Haarlem, preferred Hoorn then Haarlem, current Hoorn. Haarlem is offered as origin
    (30) and 2nd preferred (15): 30 wins, labelled origin. Hoorn as 1st preferred (20) and current
    (10): 20, labelled 1st preferred. Amsterdam: 0, elsewhere."""
    c = client(preferred_municipalities="GM0405;GM0392", current_municipality_id="GM0405")
    policy = Policy(period={"start": "2026-11-23"})
    assert preference_offers(c, policy) == [
        ("GM0392", 30, "municipality of origin"),
        ("GM0405", 20, "1st preferred municipality"),
        ("GM0392", 15, "2nd preferred municipality"),
        ("GM0405", 10, "current municipality"),
    ]
    score, label = preference_scores((c,), policy, M_INDEX)
    assert score.tolist() == [[30, 20, 0]]
    assert label.tolist() == [["municipality of origin", "1st preferred municipality", "elsewhere"]]


def test_a_later_offer_wins_when_it_scores_higher():
    """Policy origin 5, preferred [40], current 50, all three Haarlem: current (50) wins."""
    c = client(preferred_municipalities="GM0392", current_municipality_id="GM0392")
    policy = Policy(
        period={"start": "2026-11-23"}, preference={"origin": 5, "preferred": [40], "current": 50}
    )
    score, label = preference_scores((c,), policy, M_INDEX)
    assert (score[0, 0], label[0, 0]) == (50, "current municipality")


def test_an_equal_offer_keeps_the_first_label():
    """origin 20 = 1st preferred 20 for Haarlem: the score is 20, the label stays origin."""
    c = client(preferred_municipalities="GM0392")
    policy = Policy(period={"start": "2026-11-23"}, preference={"origin": 20, "preferred": [20]})
    score, label = preference_scores((c,), policy, M_INDEX)
    assert (score[0, 0], label[0, 0]) == (20, "municipality of origin")


def test_later_ranks_take_the_last_preferred_value():
    """Five preferred municipalities with preferred [20, 15, 10]: ranks 4 and 5 score 10; labels
    say 4th and 5th (ordinals 11th–13th would say th)."""
    policy = Policy(period={"start": "2026-11-23"})
    ids = ["GM0001", "GM0002", "GM0003", "GM0004", "GM0005"]
    c = client(origin_municipality_id="GM0009", preferred_municipalities=";".join(ids))
    offers = preference_offers(c, policy)[1:]
    assert [(value, why) for _, value, why in offers] == [
        (20, "1st preferred municipality"),
        (15, "2nd preferred municipality"),
        (10, "3rd preferred municipality"),
        (10, "4th preferred municipality"),
        (10, "5th preferred municipality"),
    ]


# --- 3. spreading ----------------------------------------------------------------------------------


def spreading_arrays():
    """N0 Oude Stad: cap 4, recent 1. N1 Binnenstad: 2000 dwellings → cap 10, recent 0.
    N2 Polder: cap 0, recent 3 (left out: no cap)."""
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201",
            municipality_id="GM0392",
            name="Oude Stad",
            dwellings=1000,
            cap=4,
            recent_load=1,
        ),
        Neighbourhood(
            neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=2000
        ),
        Neighbourhood(
            neighbourhood_id="WK040502", municipality_id="GM0405", name="Polder", dwellings=0, recent_load=3
        ),
    ]
    return build_arrays(instance(neighbourhoods=neighbourhoods))


def test_max_utilisation_on_hand_numbers():
    """Nothing added: max(1/4, 0/10) = 0.25 (Polder has cap 0 and is left out, though its recent
    load is 3). Loads 2 and 1 in Binnenstad: max(1/4, 3/10) = 0.3. Load 3 in Oude Stad on top:
    (1 + 3)/4 = 1.0."""
    arrays = spreading_arrays()
    assert max_utilisation(arrays, np.zeros(0), np.zeros(0, dtype=np.int64)) == 0.25
    assert max_utilisation(arrays, np.array([2, 1]), np.array([1, 1])) == 0.3
    assert max_utilisation(arrays, np.array([2, 1, 3]), np.array([1, 1, 0])) == 1.0


def test_max_utilisation_without_any_cap_is_zero():
    """When every neighbourhood has cap 0 there is nothing to spread over: 0."""
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201",
            municipality_id="GM0392",
            name="Oude Stad",
            dwellings=0,
            recent_load=2,
        )
    ]
    arrays = build_arrays(
        instance(neighbourhoods=neighbourhoods, municipalities=[instance().municipalities[0]])
    )
    assert max_utilisation(arrays, np.array([1]), np.array([0])) == 0.0
    assert next_utilisation(arrays, 0.5) == 0.0


def test_next_utilisation_is_the_next_value_an_allocation_can_reach():
    """Oude Stad takes values (1 + k)/4 = 0.25, 0.5, …; Binnenstad k/10 = 0, 0.1, …
    At least 0: 0 (Binnenstad empty). At least 0.26: min(0.5, 0.3) = 0.3. At least 0.3: 0.3
    itself. At least 0.31: min(0.5, 0.4) = 0.4. At least 0.45: min(0.5, 0.5) = 0.5."""
    arrays = spreading_arrays()
    assert next_utilisation(arrays, 0.0) == 0.0
    assert next_utilisation(arrays, 0.26) == pytest.approx(0.3)
    assert next_utilisation(arrays, 0.3) == pytest.approx(0.3)
    assert next_utilisation(arrays, 0.31) == pytest.approx(0.4)
    assert next_utilisation(arrays, 0.45) == pytest.approx(0.5)


def test_next_utilisation_leaves_out_a_neighbourhood_that_cannot_reach_the_value():
    """Binnenstad (cap 10, recent 0) can take at most load 3 this week: it never reaches 0.31, so
    the next value at least 0.31 is Oude Stad's (1 + 1)/4 = 0.5, not Binnenstad's 0.4; up to 0.3
    it still counts. When no neighbourhood can reach the value, the value itself is the bound."""
    arrays = spreading_arrays()
    most = np.array([1 + 5, 3, 3], dtype=float)  # recent + what its units can take (Polder: no cap)
    assert next_utilisation(arrays, 0.26, most) == pytest.approx(0.3)
    assert next_utilisation(arrays, 0.31, most) == pytest.approx(0.5)
    assert next_utilisation(arrays, 0.45, most) == pytest.approx(0.5)
    assert next_utilisation(arrays, 0.31, np.array([1, 3, 3], dtype=float)) == pytest.approx(0.31)
    assert next_utilisation(arrays, 0.31, None) == pytest.approx(0.4)  # without it, as before


# --- 4. fair share ---------------------------------------------------------------------------------


def test_next_fair_share_deviation_on_hand_numbers():
    """Two municipalities of equal share, nothing placed before, one client placed (N = 1): a_m =
    −0.5 each, and the deviation |k_1 − 0.5| + |k_2 − 0.5| with k_1 + k_2 = 1 is always 1. From an
    LP bound of 0.3 the next value it can take is 1; from 1, 1; from 1.01 the sign patterns allow
    nothing below 2 (a bound: no allocation reaches it). A third municipality where no pair is open
    adds its |a_3| = 0 + 0 as a constant; more patterns than allowed give the LP bound back."""
    offset, share = np.zeros(2), np.array([0.5, 0.5])
    both = np.array([True, True])
    assert next_fair_share_deviation(offset, share, both, (1, 1), 0.3) == pytest.approx(1.0)
    assert next_fair_share_deviation(offset, share, both, (1, 1), 1.0) == pytest.approx(1.0)
    assert next_fair_share_deviation(offset, share, both, (1, 1), 1.01) == pytest.approx(2.0)
    three = (np.array([0.0, 0.0, 0.0]), np.array([0.5, 0.5, 0.0]), np.array([True, True, False]))
    assert next_fair_share_deviation(*three, (1, 1), 0.3) == pytest.approx(1.0)
    # N from 1 to 2: with N = 2, a = (−1, −1) and values are whole and even: 0 is reachable
    assert next_fair_share_deviation(offset, share, both, (1, 2), 0.0) == pytest.approx(0.0)
    assert next_fair_share_deviation(offset, share, both, (1, 1), 0.3, most_combinations=2) == 0.3


def fair_share_arrays(populations: list[int]):
    municipalities = [
        Municipality(municipality_id=f"GM000{k}", name=f"Gemeente {k}", region="R", population=p)
        for k, p in enumerate(populations)
    ]
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id=f"WK000{k}", municipality_id=f"GM000{k}", name=f"Wijk {k}", dwellings=1000
        )
        for k in range(len(populations))
    ]
    return build_arrays(
        instance(
            [client(origin_municipality_id="GM0000")],
            [unit(municipality_id="GM0000", neighbourhood_id="WK0000")],
            municipalities=municipalities,
            neighbourhoods=neighbourhoods,
        )
    )


def test_fair_share_deviation_on_hand_numbers():
    """Populations 60 000, 30 000, 10 000: shares 0.6, 0.3, 0.1. Four placements, two in the
    first and two in the third: fair shares 2.4, 1.2, 0.4, deviation |2 − 2.4| + |0 − 1.2| +
    |2 − 0.4| = 0.4 + 1.2 + 1.6 = 3.2. Placed exactly by share (6, 3, 1 of 10): 0."""
    arrays = fair_share_arrays([60000, 30000, 10000])
    assert population_shares(arrays).tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert fair_share_deviation(arrays, np.array([0, 0, 2, 2])) == pytest.approx(3.2)
    assert fair_share_deviation(arrays, np.array([0] * 6 + [1] * 3 + [2])) == pytest.approx(0.0)
    assert fair_share_deviation(arrays, np.zeros(0, dtype=np.int64)) == 0.0


def test_fair_share_with_no_population_counts_every_placement():
    """Populations all 0: every share is 0, so the deviation is the number placed (2)."""
    arrays = fair_share_arrays([0, 0])
    assert population_shares(arrays).tolist() == [0.0, 0.0]
    assert fair_share_deviation(arrays, np.array([0, 1])) == 2.0


# --- agreement with the independent checker --------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_spreading_and_fair_share_agree_with_the_checker(tables, data):
    """On a proposal and on a random subset of it (dropping pairs keeps an allocation feasible),
    the engine's max_utilisation and fair_share_deviation equal the checker's exact values."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        arrays, c = proposal.arrays, proposal.candidates
        keep = data.draw(
            st.lists(st.booleans(), min_size=len(proposal.chosen), max_size=len(proposal.chosen))
        )
        for chosen in (proposal.chosen, proposal.chosen[np.array(keep, dtype=bool)]):
            pairs = [
                (arrays.client_ids[a], arrays.unit_ids[b]) for a, b in zip(c.client[chosen], c.unit[chosen])
            ]
            assert violations(path, pairs) == []
            engine_u = max_utilisation(arrays, c.load[chosen], c.neighbourhood[chosen])
            engine_d = fair_share_deviation(arrays, c.municipality[chosen])
            assert engine_u == pytest.approx(float(checker_max_utilisation(path, pairs)), abs=1e-9)
            assert engine_d == pytest.approx(float(checker_fair_share(path, pairs)), abs=1e-9)
