"""The look-ahead policy (matcher.stress.lookahead): it keeps a scarce unit for someone who could not
be housed elsewhere, never reads the realised future, proposes only what the week's rules allow,
and is deterministic."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from matcher.io.read import read_instance
from matcher.proposal import in_id_order
from matcher.review.check import ProposedRow, rule_violations
from matcher.rules.eligibility import Eligibility
from matcher.stress import simulate as simulate_module
from matcher.stress.arrivals import build_stream
from matcher.stress.lookahead import WeekState, draw_forecast, lookahead_proposal
from matcher.stress.scenario import parse_sweep
from matcher.stress.simulate import allocate, priority_weight, simulate

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
CLIENT_HEADER = (
    "client_id,source,origin_municipality_id,current_municipality_id,support_intensity,household_size,"
    "max_rent,needs_accessible,eligible_types,preferred_municipalities,excluded_municipalities,"
    "excluded_neighbourhoods,urgency,registered_on,ready_from"
)
UNIT_HEADER = "unit_id,type,landlord,municipality_id,neighbourhood_id,site_id,rent,max_household,accessible,available_from"


def _sweep(drop: tuple[str, ...] = (), **changes):
    data = {
        "name": "lookahead-test",
        "base": {"region": "west-friesland", "clients": 25, "units": 3},
        "horizon_weeks": 4,
        "window_weeks": 4,
        "vacancy_weeks": 4,
        "arrivals": {"clients_per_week": 3, "units_per_week": 3},
        "declines": {"client": 0.2, "landlord": 0.1},
        "allocation": ["optimiser", "greedy", "lookahead"],
        "seeds": [1],
        "lookahead": {"weeks": 2, "samples": 2},
    }
    data.update(changes)
    return parse_sweep({key: value for key, value in data.items() if key not in drop})


def _hand_instance(folder: Path, clients: list[str], units: list[str]):
    """The tiny instance's places and policy with the given client and unit rows."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("municipalities.csv", "neighbourhoods.csv", "policy.yaml"):
        (folder / name).write_text((TINY / name).read_text())
    (folder / "support_capacity.csv").write_text("municipality_id,support_intensity,slots\n")
    (folder / "declined.csv").write_text((TINY / "declined.csv").read_text().splitlines()[0] + "\n")
    (folder / "clients.csv").write_text("\n".join([CLIENT_HEADER, *clients]) + "\n")
    (folder / "units.csv").write_text("\n".join([UNIT_HEADER, *units]) + "\n")
    return in_id_order(read_instance(folder))


def _week_one(now, sweep, unit_id: str) -> WeekState:
    """Week 1 of a hand case: `now` is the base and the start, `unit_id` open since this week."""
    return WeekState(
        week=0,
        seed=1,
        base=now,
        start=now,
        sweep=sweep,
        declines=sweep.declines,
        past_load=np.zeros((0, len(now.neighbourhoods))),
        open_since={unit_id: 0},
    )


# A: normal urgency, no needs: could live in U1 (accessible) or in the ordinary U2 of next week.
# F: acute, needs an accessible home: only U1 will do. F and U2 arrive next week (the forecast).
CLIENT_A = "A1,MO,GM0392,,light,1,,false,,,,,normal,2026-11-16,"
CLIENT_F = "F1,MO,GM0392,,light,1,,true,,,,,acute,2026-11-27,"
UNIT_1 = "U1,social_rental,Pré Wonen,GM0392,WK039202,,650,1,true,2026-11-23"
UNIT_2 = "U2,social_rental,Pré Wonen,GM0392,WK039202,,650,1,false,2026-11-30"


def _hand_case(tmp_path: Path):
    now = _hand_instance(tmp_path / "now", [CLIENT_A], [UNIT_1])
    later = _hand_instance(tmp_path / "later", [CLIENT_A, CLIENT_F], [UNIT_1, UNIT_2])
    # the figures of the docstrings below: γ = 0.97, no holding cost
    sweep = _sweep(
        declines={"client": 0.05, "landlord": 0.05},
        lookahead={"weeks": 2, "samples": 2, "discount": 0.97, "holding": 0},
    )
    state = _week_one(now, sweep, "U1")
    client_f = next(c for c in later.clients if c.client_id == "F1")
    unit_2 = next(u for u in later.units if u.unit_id == "U2")
    return now, state, client_f, unit_2


def test_keeps_the_accessible_unit_for_the_client_who_can_live_nowhere_else(tmp_path):
    """Hand-checked. This week: A and the accessible U1. The forecast: next week F (acute, needs
    an accessible home) and the ordinary U2 arrive. The weekly optimum gives U1 to A now (its only
    pair this week), leaving F without a home. Look-ahead values, P = 0.95 · 0.95 (origin), γ = 0.97
    (a week's discount γ^(w / w̄), w̄ = 100 the queue's mean weight): A→U1 now = 100 P = 90.3; U1
    kept for F, A in U2 next week = (γ² 200 + γ 100) P = 257.4. So it keeps
    U1 this week. Without F in the forecast it lets U1 to A at once, as the optimum does."""
    now, state, client_f, unit_2 = _hand_case(tmp_path)
    optimum, _ = allocate(now, "optimiser", 1, Eligibility(now))
    assert optimum == [("A1", "U1")]

    with_f = [[((client_f,), (unit_2,)), ((), ())]] * 2
    matches, unmatched = lookahead_proposal(now, state, forecasts=with_f)
    assert matches == []
    assert unmatched["client_id"] == ["A1"]

    without_f = [[((), (unit_2,)), ((), ())]] * 2
    matches, _ = lookahead_proposal(now, state, forecasts=without_f)
    assert matches == [("A1", "U1")]


def test_a_forecast_that_comes_true_half_the_time_is_weighed_by_its_chance(tmp_path):
    """With F in one sample of two, keeping U1 is worth (½ γ² 200 + γ 100) P = 172.5 > 90.3: still kept.
    With F only a normal-urgency client (w = 100): γ (½·100 + 100) P = 131.3 > 90.3, kept; but
    with the discount at 0.3 it is 0.3 · 150 · P = 40.6 < 90.3, and U1 goes to A now."""
    now, state, client_f, unit_2 = _hand_case(tmp_path)
    half = [[((client_f,), (unit_2,)), ((), ())], [((), (unit_2,)), ((), ())]]
    assert lookahead_proposal(now, state, forecasts=half)[0] == []
    normal_f = client_f.model_copy(update={"urgency": "normal"})
    half_normal = [[((normal_f,), (unit_2,)), ((), ())], [((), (unit_2,)), ((), ())]]
    assert lookahead_proposal(now, state, forecasts=half_normal)[0] == []
    impatient = dataclasses.replace(
        state,
        sweep=state.sweep.model_copy(
            update={"lookahead": state.sweep.lookahead.model_copy(update={"discount": 0.3})}
        ),
    )
    assert lookahead_proposal(now, impatient, forecasts=half_normal)[0] == [("A1", "U1")]


# A2 comes from Velsen: U1 in Haarlem is "elsewhere" for them. B1 (from Haarlem) arrives next week.
CLIENT_A2 = "A2,MO,GM0453,,light,1,,false,,,,,normal,2026-11-16,"
CLIENT_B = "B1,MO,GM0392,,light,1,,false,,,,,normal,2026-11-23,"


@pytest.mark.parametrize(("holding", "keeps"), [(0.0, True), (0.05, True), (0.2, False)])
def test_a_week_a_home_stands_empty_has_a_price(tmp_path, holding, keeps):
    """Hand-checked. This week A2 and U1 (open since this week, back to the landlord after 4 weeks);
    next week B1 from Haarlem arrives. P(accept) 0.8 elsewhere, 0.95 in the municipality of origin;
    γ = 0.9; the holding cost h = holding × 100 (the queue's mean weight) per empty week, so a
    placement in week t is worth (w + h × (4 − t)) × P × γ^t:
    A2 → U1 now = (100 + 4h) × 0.8; U1 kept for B1 next week = 0.9 × (100 + 3h) × 0.95.
    holding 0: 80 < 85.5, kept; 0.05 (the default): 96 < 98.3, kept; 0.2: 144 > 136.8, let now."""
    now = _hand_instance(tmp_path / "now", [CLIENT_A2], [UNIT_1])
    later = _hand_instance(tmp_path / "later", [CLIENT_A2, CLIENT_B], [UNIT_1])
    declines = {
        "client": {"origin": 0.05, "preferred": 0.05, "current": 0.05, "elsewhere": 0.2, "after_refusal": 1}
    }
    sweep = _sweep(
        declines={**declines, "landlord": 0},
        lookahead={"weeks": 2, "samples": 2, "discount": 0.9, "holding": holding},
    )
    state = _week_one(now, sweep, "U1")
    client_b = next(c for c in later.clients if c.client_id == "B1")
    forecasts = [[((client_b,), ()), ((), ())]] * 2
    matches, _ = lookahead_proposal(now, state, forecasts=forecasts)
    assert matches == ([] if keeps else [("A2", "U1")])
    assert _sweep().lookahead.holding == 0.05 and _sweep().lookahead.discount == 0.9


# A3 (acute, from Velsen) and N1 (normal, needs an accessible home: none comes) wait now; U3 in
# Haarlem is free now, U4 in Velsen comes next week.
CLIENT_A3 = "A3,MO,GM0453,,light,1,,false,,,,,acute,2026-11-23,"
CLIENT_N = "N1,MO,GM0392,,light,1,,true,,,,,normal,2026-11-23,"
UNIT_3 = "U3,social_rental,Pré Wonen,GM0392,WK039202,,650,1,false,2026-11-23"
UNIT_4 = "U4,social_rental,Pré Wonen,GM0453,WK045302,,650,1,false,2026-11-30"


def test_a_week_of_waiting_costs_an_acute_client_more(tmp_path):
    """Hand-checked. A3 (w 200) could move into U3 now (elsewhere: P 0.8) or into U4 in their own
    town next week (P 0.95). N1 (w 100) fits neither, but counts in the queue's mean weight
    w̄ = 150. γ = 0.86, no holding cost. Now: 200 × 0.8 = 160. Next week, with the plain discount
    γ^1: 200 × 0.95 × 0.86 = 163.4, worth the wait; with the discount scaled by the weight,
    γ^(200/150) = 0.818: 155.4 < 160, so A3 moves into U3 now."""
    now = _hand_instance(tmp_path / "now", [CLIENT_A3, CLIENT_N], [UNIT_3])
    later = _hand_instance(tmp_path / "later", [CLIENT_A3, CLIENT_N], [UNIT_3, UNIT_4])
    declines = {"origin": 0.05, "preferred": 0.05, "current": 0.05, "elsewhere": 0.2, "after_refusal": 1}
    sweep = _sweep(
        declines={"client": declines, "landlord": 0},
        lookahead={"weeks": 2, "samples": 1, "discount": 0.86, "holding": 0},
    )
    state = _week_one(now, sweep, "U3")
    weights = {c.client_id: c for c in now.clients}
    assert {c: priority_weight(weights[c], now.policy, now.policy.period.start) for c in weights} == {
        "A3": 200,
        "N1": 100,
    }
    unit_4 = next(u for u in later.units if u.unit_id == "U4")
    matches, _ = lookahead_proposal(now, state, forecasts=[[((), (unit_4,)), ((), ())]])
    assert matches == [("A3", "U3")]
    # alone in the queue (w̄ = 200) the plain discount applies and A3 waits for U4
    alone = _hand_instance(tmp_path / "alone", [CLIENT_A3], [UNIT_3])
    assert (
        lookahead_proposal(
            alone,
            dataclasses.replace(state, base=alone, start=alone),
            forecasts=[[((), (unit_4,)), ((), ())]],
        )[0]
        == []
    )


def _recorded_run(stream, sweep, monkeypatch):
    """Simulate under look-ahead, recording every week's instance and proposal."""
    weeks: list[tuple[object, list[tuple[str, str]]]] = []

    def recording(instance, allocation, seed, rules=None, state=None):
        proposal = allocate(instance, allocation, seed, rules, state)
        weeks.append((instance, sorted(proposal[0])))
        return proposal

    monkeypatch.setattr(simulate_module, "allocate", recording)
    result = simulate(stream, sweep, sweep.scenarios()[0], "lookahead")
    return result, weeks


@pytest.fixture(scope="module")
def tiny_run():
    sweep = _sweep()
    return sweep, build_stream(sweep, 1)


def test_no_clairvoyance_the_decision_of_week_t_ignores_the_realised_future(tiny_run, monkeypatch):
    """Changing every realised arrival after week t (none at all, or twice as many, in another
    order) leaves the proposals of weeks 1 … t as they were; the later weeks do change."""
    sweep, stream = tiny_run
    t = 1  # 0-based: weeks 0 and 1 are decided before the change
    _, original = _recorded_run(stream, sweep, monkeypatch)
    none_after = dataclasses.replace(
        stream,
        clients=(*stream.clients[: t + 1], *(() for _ in stream.clients[t + 1 :])),
        units=(*stream.units[: t + 1], *(() for _ in stream.units[t + 1 :])),
    )
    _, changed = _recorded_run(none_after, sweep, monkeypatch)
    assert [p for _, p in changed[: t + 1]] == [p for _, p in original[: t + 1]]
    assert any(p for _, p in original[: t + 1])  # there was something to decide
    # the realised future did change what the later weeks saw
    later = [len(i.clients) + len(i.units) for i, _ in original[t + 1 :]]
    assert later != [len(i.clients) + len(i.units) for i, _ in changed[t + 1 :]]


def test_forecasts_depend_on_seed_week_and_sample_only(tiny_run):
    sweep, stream = tiny_run
    start = simulate_module.start_instance(stream, sweep, sweep.scenarios()[0])
    state = WeekState(
        week=1,
        seed=1,
        base=stream.base,
        start=start,
        sweep=sweep,
        declines=sweep.declines,
        past_load=np.zeros((1, len(start.neighbourhoods))),
    )
    first, again = draw_forecast(state, 2, 0), draw_forecast(state, 2, 0)
    other = draw_forecast(state, 2, 1)
    ids = [[c.client_id for c in clients] + [u.unit_id for u in units] for clients, units in first]
    assert ids == [[c.client_id for c in cs] + [u.unit_id for u in us] for cs, us in again]
    assert [[(c.origin_municipality_id, c.urgency) for c in cs] for cs, _ in first] != [
        [(c.origin_municipality_id, c.urgency) for c in cs] for cs, _ in other
    ]
    # forecast ids never collide with realised ones, and arrivals start after the current week
    realised = {c.client_id for week in stream.clients for c in week}
    assert not realised & {c.client_id for clients, _ in first for c in clients}
    assert all(
        c.registered_on >= state.week_start(2) - timedelta(days=7) for clients, _ in first for c in clients
    )


def test_every_weekly_proposal_keeps_every_rule(tiny_run, monkeypatch):
    """Each week's proposal breaks no rule of the week's instance (the engine's own check, as for
    `matcher check`), and the simulation's independent recount finds no cap, intake or slot breach."""
    sweep, stream = tiny_run
    result, weeks = _recorded_run(stream, sweep, monkeypatch)
    assert len(weeks) == sweep.horizon_weeks
    assert sum(len(p) for _, p in weeks) > 0
    for instance, proposal in weeks:
        rows = [ProposedRow(c, u, k + 2) for k, (c, u) in enumerate(proposal)]
        assert rule_violations(instance, rows) == []
    assert sum(result.violations.values()) == 0


def test_same_seed_same_result(tiny_run):
    sweep, stream = tiny_run
    scenario = sweep.scenarios()[0]
    first = simulate(stream, sweep, scenario, "lookahead")
    second = simulate(build_stream(sweep, 1), sweep, scenario, "lookahead")
    assert first.rows == second.rows
    assert first.placements.equals(second.placements)


def test_lookahead_settings_are_checked():
    from matcher.stress.scenario import ScenarioError

    assert _sweep().lookahead.weeks == 2
    assert _sweep(drop=("lookahead",)).lookahead.weeks == 8
    with pytest.raises(ScenarioError, match="lookahead"):
        _sweep(lookahead={"weeks": 0})


def test_told_the_answers_the_look_ahead_makes_no_refused_offer(tiny_run):
    """The diagnostic of benchmarks/stress_bench.py: told this week's answer to every offer it
    could make, the look-ahead offers only what is accepted; without it, this run has refusals."""
    sweep, stream = tiny_run
    sweep = sweep.model_copy(update={"horizon_weeks": 4})
    scenario = sweep.scenarios()[0]
    told = simulate(stream, sweep, scenario, "lookahead", known_answers=True)
    plain = simulate(stream, sweep, scenario, "lookahead")
    refused = [
        sum(value for _, kpi, key, value in result.rows if kpi == "refusals" and not key)
        for result in (told, plain)
    ]
    assert refused[0] == 0 < refused[1]
    assert len(told.placements) >= 1
