"""The weekly simulation: rolling load window, offers and declines, refusal rule, vacancies,
queue accounting, common random numbers and determinism."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from matcher.stress.arrivals import Stream, build_stream
from matcher.stress.scenario import parse_sweep
from matcher.stress.simulate import gini, simulate
from models import Client, Instance, Municipality, Neighbourhood, Policy, Unit

START = date(2026, 11, 23)


def sweep_for(**settings):
    data = {
        "name": "t",
        "base": {"region": "west-friesland", "clients": 5, "units": 1},
        "horizon_weeks": 4,
        "arrivals": {"clients_per_week": 0, "units_per_week": 0},
        "seeds": [1],
        "declines": {"client": 0, "landlord": 0},
        # the base's own ceilings, afresh every week: these tests are about other mechanics
        "agreements": {"period": "week", "intake": "base", "slots": "base"},
    } | settings
    return parse_sweep(data)


def person(client_id: str, urgency: str = "normal", **extra) -> Client:
    return Client(
        client_id=client_id,
        source="MO",
        origin_municipality_id="GM01",
        support_intensity="light",
        urgency=urgency,
        registered_on=date(2026, 11, 2),
        **extra,
    )


def home(unit_id: str, neighbourhood: str = "WK01", **extra) -> Unit:
    return Unit(
        unit_id=unit_id,
        type="social_rental",
        landlord="Corp",
        municipality_id="GM01",
        neighbourhood_id=neighbourhood,
        rent=600,
        available_from=date(2026, 11, 1),
        **extra,
    )


def stream_of(
    clients,
    units,
    recent_load: float = 0.0,
    cap: float = 8,
    weeks: int = 4,
    arriving_clients: dict[int, list[Client]] | None = None,
    arriving_units: dict[int, list[Unit]] | None = None,
) -> Stream:
    """A hand-made stream: one municipality, two neighbourhoods, arrivals as given."""
    base = Instance(
        municipalities=(Municipality(municipality_id="GM01", name="Een", region="R", population=100),),
        neighbourhoods=(
            Neighbourhood(
                neighbourhood_id="WK01",
                municipality_id="GM01",
                name="A",
                dwellings=1000,
                recent_load=recent_load,
                cap=cap,
            ),
            Neighbourhood(neighbourhood_id="WK02", municipality_id="GM01", name="B", dwellings=1000),
        ),
        units=tuple(units),
        clients=tuple(clients),
        policy=Policy(period={"start": START}),
    )
    arriving_clients, arriving_units = arriving_clients or {}, arriving_units or {}
    clients_by_week = tuple(tuple(arriving_clients.get(week, ())) for week in range(weeks))
    units_by_week = tuple(tuple(arriving_units.get(week, ())) for week in range(weeks))
    everyone = [*clients, *(c for week in clients_by_week for c in week)]
    everything = [*units, *(u for week in units_by_week for u in week)]
    return Stream(
        seed=1,
        base=base,
        clients=clients_by_week,
        units=units_by_week,
        offer_key=7,
        client_number={c.client_id: k for k, c in enumerate(everyone)},
        unit_number={u.unit_id: k for k, u in enumerate(everything)},
    )


def kpi(result, name: str, key: str = "") -> list[float]:
    """A KPI's weekly values of one run."""
    frame = pd.DataFrame(result.rows, columns=["week", "kpi", "key", "value"])
    return frame[(frame["kpi"] == name) & (frame["key"] == key)].sort_values("week")["value"].tolist()


def run(stream, allocation: str = "greedy", **settings):
    sweep = sweep_for(**settings)
    return simulate(stream, sweep, sweep.scenarios()[0], allocation)


def test_base_recent_load_fades_over_the_window():
    """The base's recent load counts as placed evenly over the window before week 1, so it fades."""
    result = run(stream_of([], [], recent_load=4, cap=8), window_weeks=4)
    assert result.utilisation[:, 0].tolist() == [0.5, 0.375, 0.25, 0.125]


def test_placement_counts_for_the_window_weeks():
    """A placement's load counts in its own week and in the recent load of the next window_weeks weeks."""
    result = run(stream_of([person("C1")], [home("U1")], cap=4, weeks=5), window_weeks=2, horizon_weeks=5)
    assert result.utilisation[:, 0].tolist() == [0.25, 0.25, 0.25, 0.0, 0.0]
    assert kpi(result, "placements") == [1, 0, 0, 0, 0]


def test_full_neighbourhood_waits_for_the_window_to_roll():
    """With room for one placement, the second client is placed only once the first load left the window."""
    units = [home("U1"), home("U2")]
    result = run(
        stream_of([person("C1", "high"), person("C2")], units, cap=1, weeks=5),
        window_weeks=2,
        horizon_weeks=5,
        vacancy_weeks=10,
    )
    assert kpi(result, "placements") == [1, 0, 0, 1, 0]
    assert kpi(result, "unmatched", "outranked")[:3] == [1, 0, 0]  # C1 took U1 in week 1
    assert kpi(result, "unmatched", "capacity_full")[:3] == [0, 1, 1]  # then U2's wijk is full


def test_declined_pair_is_never_proposed_again():
    """A match the client declines is not proposed again; the client then has no eligible unit."""
    result = run(
        stream_of([person("C1")], [home("U1")]), declines={"client": 1.0, "landlord": 0}, vacancy_weeks=10
    )
    assert kpi(result, "offers") == [1, 0, 0, 0]
    assert kpi(result, "declined_by_client") == [1, 0, 0, 0]
    assert kpi(result, "unmatched", "no_eligible_unit") == [0, 1, 1, 1]


def test_refusal_rule_lapses_urgency():
    """After max_refusals declined offers the client's urgency lapses to lapse_to."""
    units = [home("U1"), home("U2"), home("U3")]
    result = run(
        stream_of([person("C1", "acute")], units),
        declines={"client": 1.0, "landlord": 0},
        vacancy_weeks=10,
        grid={"refusals": [{"max_refusals": 2, "lapse_to": "normal"}]},
    )
    assert kpi(result, "declined_by_client")[:3] == [1, 1, 1]
    assert kpi(result, "urgency_lapsed")[:3] == [0, 1, 0]


def test_landlord_declines_are_not_client_refusals():
    """Declines by the landlord never lapse the client's urgency."""
    units = [home("U1"), home("U2"), home("U3")]
    result = run(
        stream_of([person("C1", "acute")], units), declines={"client": 0, "landlord": 1.0}, vacancy_weeks=10
    )
    assert kpi(result, "declined_by_landlord")[:3] == [1, 1, 1]
    assert sum(kpi(result, "urgency_lapsed")) == 0


def test_unlet_vacancy_returns_to_the_landlord():
    """A vacancy without a tenant for vacancy_weeks weeks leaves the scheme."""
    result = run(stream_of([], [home("U1")]), vacancy_weeks=2)
    assert kpi(result, "vacancies_returned") == [0, 1, 0, 0]
    assert kpi(result, "vacancies_open") == [1, 0, 0, 0]


def test_arrivals_join_the_queue():
    """Clients and vacancies arriving in a week are in that week's proposal."""
    stream = stream_of([], [], arriving_clients={1: [person("C9")]}, arriving_units={2: [home("U9")]})
    result = run(stream)
    assert kpi(result, "instroom") == [0, 1, 0, 0]
    assert kpi(result, "placements") == [0, 0, 1, 0]
    assert result.placements["waiting_weeks"].tolist() == [5]  # registered 2 Nov, placed week of 7 Dec


def test_gini():
    """Gini is 0 for equal utilisation and (n−1)/n when one neighbourhood carries everything."""
    assert gini(np.array([0.5, 0.5, 0.5])) == 0
    assert gini(np.array([0.0, 0.0, 3.0])) == pytest.approx(2 / 3)
    assert gini(np.array([])) == 0


@pytest.fixture(scope="module")
def generated():
    """A short generated sweep: one seed's stream and both policies' runs."""
    sweep = parse_sweep(
        {
            "name": "g",
            "base": {"region": "west-friesland", "clients": 20, "units": 3},
            "horizon_weeks": 4,
            "arrivals": {"clients_per_week": 3, "units_per_week": 3},
            "seeds": [5],
            "declines": {"client": 0.3, "landlord": 0.1},
            "grid": {"max_load_per_1000_dwellings": [2, 8]},
        }
    )
    stream = build_stream(sweep, 5)
    runs = {(s.index, a): simulate(stream, sweep, s, a) for s in sweep.scenarios() for a in sweep.allocation}
    return sweep, stream, runs


def test_queue_accounting(generated):
    """Every week: open queue = waiting at the start + instroom − uitstroom, and next week's start is it."""
    _, _, runs = generated
    for result in runs.values():
        door, new, out, still = (
            np.array(kpi(result, name)) for name in ("waiting_start", "instroom", "uitstroom", "queue_open")
        )
        assert (still == door + new - out).all()
        assert (door[1:] == still[:-1]).all()
        assert (np.array(kpi(result, "uitstroom")) == np.array(kpi(result, "placements"))).all()


def test_same_arrivals_for_every_scenario_and_policy(generated):
    """Common random numbers: every scenario and policy sees the same arrivals."""
    _, _, runs = generated
    arrivals = {key: (kpi(result, "instroom"), kpi(result, "vacancies_in")) for key, result in runs.items()}
    assert len(set(map(str, arrivals.values()))) == 1


def test_stream_depends_on_the_seed_only(generated):
    """Drawing a seed's stream again gives the same arrivals and the same offer answers."""
    sweep, stream, _ = generated
    again = build_stream(sweep, 5)
    assert again.clients == stream.clients and again.units == stream.units
    client_id, unit_id = stream.base.clients[0].client_id, stream.base.units[0].unit_id
    assert again.offer_draws(client_id, unit_id) == stream.offer_draws(client_id, unit_id)
    other = build_stream(sweep, 6)
    assert [len(w) for w in other.clients] != [
        len(w) for w in stream.clients
    ] or other.clients != stream.clients


def test_simulation_is_deterministic(generated):
    """Simulating the same run again gives identical KPI rows and placements."""
    sweep, stream, runs = generated
    scenario = sweep.scenarios()[0]
    again = simulate(stream, sweep, scenario, "optimiser")
    assert again.rows == runs[(0, "optimiser")].rows
    pd.testing.assert_frame_equal(again.placements, runs[(0, "optimiser")].placements)


def test_placements_respect_safety_exclusions(generated):
    """No one is ever placed in a municipality or neighbourhood they excluded."""
    _, stream, runs = generated
    everyone = {c.client_id: c for c in (*stream.base.clients, *(c for w in stream.clients for c in w))}
    for result in runs.values():
        for row in result.placements.itertuples():
            person_ = everyone[row.client_id]
            assert row.municipality_id not in person_.excluded_municipalities
            assert row.neighbourhood_id not in person_.excluded_neighbourhoods


def test_placements_never_push_a_neighbourhood_over_its_cap(generated):
    """Where a week adds load to a neighbourhood, its window load stays within its cap."""
    _, _, runs = generated
    for result in runs.values():
        index = {n: k for k, n in enumerate(result.neighbourhood_ids)}
        loaded = result.placements[result.placements["load"] > 0]
        for row in loaded.itertuples():
            assert result.utilisation[row.week - 1, index[row.neighbourhood_id]] <= 1 + 1e-9
