"""The honest simulation (issue 16, item 1), on hand-checked tiny horizons where the right answer
is known, and as properties: refusals that depend on the match and on the client's history,
agreements per period used up week by week, vacancies spread by social-rental stock, waits of
everyone, vacancy days with the reason of every empty week, paired differences with their
interval, and cap violations counted from the placements alone."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from matcher.stress import load_sweep, run_sweep
from matcher.stress.agreements import agreed_instance
from matcher.stress.arrivals import Stream, build_stream
from matcher.stress.checks import cap_violations
from matcher.stress.paired import paired_differences, paired_table, run_table
from matcher.stress.places import municipality_weights, social_stock_weights
from matcher.stress.scenario import ClientDeclines, ScenarioError, check_against, parse_sweep
from matcher.stress.simulate import simulate, start_instance
from models import Client, Instance, Municipality, Neighbourhood, Policy, SupportCapacity, Unit

ROOT = Path(__file__).resolve().parents[2]
START = date(2026, 11, 23)  # a Monday: week 1
REGISTERED = date(2026, 11, 2)  # three weeks before week 1


def sweep_for(**settings):
    data = {
        "name": "t",
        "base": {"region": "west-friesland", "clients": 5, "units": 1},
        "horizon_weeks": 3,
        "arrivals": {"clients_per_week": 0, "units_per_week": 0},
        "seeds": [1],
        "declines": {"client": 0, "landlord": 0},
        "agreements": {"period": "week", "intake": "base", "slots": "base"},
    } | settings
    return parse_sweep(data)


def person(client_id: str, origin: str = "GM01", urgency: str = "normal", **extra) -> Client:
    return Client(
        client_id=client_id,
        source=extra.pop("source", "MO"),
        origin_municipality_id=origin,
        support_intensity=extra.pop("support_intensity", "light"),
        urgency=urgency,
        registered_on=extra.pop("registered_on", REGISTERED),
        **extra,
    )


def home(unit_id: str, municipality: str = "GM01", neighbourhood: str | None = None, **extra) -> Unit:
    return Unit(
        unit_id=unit_id,
        type=extra.pop("type", "social_rental"),
        landlord="Corp",
        municipality_id=municipality,
        neighbourhood_id=neighbourhood or {"GM01": "WK01", "GM02": "WK02"}[municipality],
        rent=extra.pop("rent", 600),
        available_from=extra.pop("available_from", date(2026, 11, 1)),
        **extra,
    )


def stream_of(
    clients,
    units,
    weeks: int = 3,
    cap: float | None = 8,
    max_intake: int | None = None,
    capacity: tuple[SupportCapacity, ...] = (),
    arriving_clients: dict[int, list[Client]] | None = None,
    arriving_units: dict[int, list[Unit]] | None = None,
    offer_key: int = 7,
) -> Stream:
    """Two municipalities of one region, a wijk each; arrivals as given."""
    base = Instance(
        municipalities=(
            Municipality(
                municipality_id="GM01", name="Een", region="R", population=100, max_intake=max_intake
            ),
            Municipality(municipality_id="GM02", name="Twee", region="R", population=100),
        ),
        neighbourhoods=(
            Neighbourhood(neighbourhood_id="WK01", municipality_id="GM01", name="A", dwellings=1000, cap=cap),
            Neighbourhood(neighbourhood_id="WK02", municipality_id="GM02", name="B", dwellings=1000, cap=8),
        ),
        units=tuple(units),
        clients=tuple(clients),
        support_capacity=capacity,
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
        offer_key=offer_key,
        client_number={c.client_id: k for k, c in enumerate(everyone)},
        unit_number={u.unit_id: k for k, u in enumerate(everything)},
    )


def run(stream, allocation: str = "greedy", **settings):
    sweep = sweep_for(horizon_weeks=len(stream.clients), **settings)
    return simulate(stream, sweep, sweep.scenarios()[0], allocation)


def kpi(result, name: str, key: str = "") -> list[float]:
    frame = pd.DataFrame(result.rows, columns=["week", "kpi", "key", "value"])
    return frame[(frame["kpi"] == name) & (frame["key"] == key)].sort_values("week")["value"].tolist()


# --- declines depend on the match and on the client's history ------------------------------------


def test_a_plain_number_is_the_same_chance_everywhere():
    """`declines.client: 0.1` reads as 0.1 for every match, with no history effect."""
    sweep = sweep_for(declines={"client": 0.1, "landlord": 0.05})
    client = sweep.declines.client
    assert {client.chance(match, 0) for match in ("origin", "preferred", "current", "elsewhere")} == {0.1}
    assert client.chance("elsewhere", 3) == 0.1
    assert sweep.declines.label() == "client 0.1, landlord 0.05"


def test_default_declines_grow_with_distance_and_fall_after_a_refusal():
    """The defaults: 5 % at origin, 8 % preferred or current, 15 % elsewhere, halved per refusal."""
    client = ClientDeclines()
    assert [client.chance(m, 0) for m in ("origin", "preferred", "current", "elsewhere")] == [
        0.05,
        0.08,
        0.08,
        0.15,
    ]
    assert client.chance("elsewhere", 2) == pytest.approx(0.0375)


def test_a_home_in_the_origin_is_accepted_where_one_elsewhere_is_declined():
    """With origin 0 and elsewhere 1, the same client accepts at home and declines away."""
    declines = {"client": {"origin": 0, "preferred": 0, "current": 0, "elsewhere": 1}, "landlord": 0}
    away = run(stream_of([person("C1", origin="GM02")], [home("U1")]), declines=declines, vacancy_weeks=9)
    at_home = run(stream_of([person("C1", origin="GM01")], [home("U1")]), declines=declines, vacancy_weeks=9)
    assert kpi(away, "declined_by_client") == [1, 0, 0] and kpi(away, "placements") == [0, 0, 0]
    assert kpi(away, "declined_by_client_match", "elsewhere") == [1, 0, 0]
    assert kpi(at_home, "placements") == [1, 0, 0]
    assert at_home.placements["match"].tolist() == ["origin"]


def test_preferred_and_current_municipalities_have_their_own_chance():
    """A home in a preferred municipality is offered as `preferred`, in the current one as `current`."""
    declines = {"client": {"origin": 0, "preferred": 1, "current": 0, "elsewhere": 0}, "landlord": 0}
    preferred = person("C1", origin="GM02", preferred_municipalities=("GM01",))
    current = person("C2", origin="GM02", current_municipality_id="GM01")
    first = run(stream_of([preferred], [home("U1")]), declines=declines)
    second = run(stream_of([current], [home("U1")]), declines=declines)
    assert kpi(first, "offers_by_match", "preferred") == [1, 0, 0] and kpi(first, "placements") == [0, 0, 0]
    assert kpi(second, "offers_by_match", "current") == [1, 0, 0] and kpi(second, "placements") == [1, 0, 0]


def test_an_earlier_refusal_changes_the_next_answer():
    """With elsewhere 1 and after_refusal 0, the first offer is declined and the second accepted."""
    declines = {"client": {"elsewhere": 1, "after_refusal": 0}, "landlord": 0}
    result = run(
        stream_of([person("C1", origin="GM02")], [home("U1"), home("U2")]),
        declines=declines,
        vacancy_weeks=9,
        grid={"refusals": [{"max_refusals": 5}]},
    )
    assert kpi(result, "declined_by_client") == [1, 0, 0]
    assert kpi(result, "placements") == [0, 1, 0]
    person_row = result.people.iloc[0]
    assert (person_row["offers"], person_row["refusals"], person_row["status"]) == (2, 1, "placed")


def test_declines_are_a_grid_key():
    """`grid.declines` compares refusal behaviours: each value is one scenario with its own answers."""
    sweep = sweep_for(grid={"declines": [{"client": 0, "landlord": 0}, {"client": 1, "landlord": 0}]})
    assert [s.label for s in sweep.scenarios()] == [
        "declines=client 0, landlord 0",
        "declines=client 1, landlord 0",
    ]
    stream = stream_of([person("C1")], [home("U1")])
    placed = [kpi(simulate(stream, sweep, s, "greedy"), "placements")[0] for s in sweep.scenarios()]
    assert placed == [1, 0]


# --- agreements per period, used up week by week ------------------------------------------------------


def test_a_yearly_intake_ceiling_is_used_up_not_renewed_every_week():
    """An intake of 1 per year houses one client in the year; per week it houses one every week."""
    clients = [person("C1"), person("C2"), person("C3")]
    units = [home("U1"), home("U2"), home("U3")]
    yearly = run(
        stream_of(clients, units),
        agreements={"period": "year", "intake": {"GM01": 1}, "slots": "none"},
        vacancy_weeks=9,
    )
    weekly = run(
        stream_of(clients, units),
        agreements={"period": "week", "intake": {"GM01": 1}, "slots": "none"},
        vacancy_weeks=9,
    )
    assert kpi(yearly, "placements") == [1, 0, 0]
    assert kpi(yearly, "intake_full") == [1, 1, 1]
    assert kpi(weekly, "placements") == [1, 1, 1]
    assert kpi(yearly, "empty_unit_weeks_capacity", "municipality_intake") == [2, 2, 2]


def test_a_quarter_starts_afresh_after_13_weeks():
    """An intake of 1 per quarter: one placement in week 1, the next in week 14."""
    clients = [person("C1"), person("C2")]
    units = [home("U1"), home("U2")]
    result = run(
        stream_of(clients, units, weeks=14),
        agreements={"period": "quarter", "intake": {"GM01": 1}, "slots": "none"},
        vacancy_weeks=20,
    )
    placed = kpi(result, "placements")
    assert placed[0] == 1 and placed[13] == 1 and sum(placed) == 2


def test_yearly_support_slots_are_used_up():
    """Two intensive slots a year in GM01 house two intensive clients, however many weeks pass."""
    clients = [person(f"C{k}", support_intensity="intensive") for k in range(4)]
    units = [home(f"U{k}") for k in range(4)]
    capacity = {"GM01": {"intensive": 2}}
    result = run(
        stream_of(clients, units, weeks=4),
        agreements={"period": "year", "intake": "none", "slots": capacity},
        vacancy_weeks=9,
    )
    assert sum(kpi(result, "placements")) == 2
    assert kpi(result, "slots_full")[-1] == 1


def test_derived_agreements_follow_the_documented_formula():
    """Intake = ⌈1.5 × population share × vacancies a week × weeks⌉; slots for intensive and
    protected = ⌈1.1 × share of vacancies × intensity share of the queue × vacancies⌉ (at least 1)."""
    stream = stream_of(
        [person("C1", support_intensity="intensive"), person("C2")],
        [],
    )
    sweep = sweep_for(
        arrivals={"clients_per_week": 0, "units_per_week": 2},
        agreements={"period": "quarter", "intake": "derived", "slots": "derived"},
    )
    agreed = agreed_instance(stream.base, sweep)
    assert [m.max_intake for m in agreed.municipalities] == [20, 20]  # ⌈1.5 × 0.5 × 26⌉ = ⌈19.5⌉
    share = municipality_weights(stream.base, social_stock_weights(stream.base))
    assert share.tolist() == [0.5, 0.5]  # hand-made wijken: equal dwellings
    slots = {(s.municipality_id, s.support_intensity): s.slots for s in agreed.support_capacity}
    assert slots == {  # ⌈1.1 × 0.5 × 0.5 × 26⌉ = ⌈7.15⌉; protected: nobody in the queue, so 1
        ("GM01", "intensive"): 8,
        ("GM01", "protected"): 1,
        ("GM02", "intensive"): 8,
        ("GM02", "protected"): 1,
    }


def test_unknown_municipality_in_an_agreement_names_the_key():
    """An agreement for a municipality the base does not have is refused, naming the key."""
    sweep = sweep_for(agreements={"intake": {"GM9999": 3}})
    with pytest.raises(ScenarioError) as caught:
        check_against(sweep, stream_of([], []).base)
    assert dict(caught.value.problems).keys() == {"agreements.intake"}


def test_agreement_values_are_checked_when_loading():
    """A slot count that is not a whole number is refused with the file and key."""
    with pytest.raises(ScenarioError) as caught:
        sweep_for(agreements={"slots": {"GM01": {"intensive": 1.5}}})
    assert "agreements.slots" in dict(caught.value.problems)


# --- arrivals spread by social-rental stock ----------------------------------------------------------


def test_wijk_weights_follow_the_cbs_social_stock():
    """Within a municipality by dwellings, across municipalities by corporation share (CBS)."""
    base = load_sweep(ROOT / "instances" / "scenarios" / "year-west-friesland.yaml")
    instance = build_stream(base.model_copy(update={"horizon_weeks": 1}), 1).base
    weights = social_stock_weights(instance)
    assert weights.sum() == pytest.approx(1)
    cbs = pd.read_csv(ROOT / "instances" / "cbs" / "neighbourhoods.csv", dtype=str).set_index("wk_code")
    municipalities = pd.read_csv(ROOT / "instances" / "cbs" / "municipalities.csv", dtype=str).set_index(
        "gm_code"
    )
    hoorn = [n.neighbourhood_id for n in instance.neighbourhoods if n.municipality_id == "GM0405"]
    dwellings = cbs.loc[hoorn, "dwellings_2024"].astype(float)
    assert (weights[hoorn] / weights[hoorn].sum()).to_numpy() == pytest.approx(
        (dwellings / dwellings.sum()).to_numpy()
    )
    per_municipality = municipality_weights(instance, weights)
    share = municipalities.loc[["GM0405", "GM0388"], "pct_social_rental_corporation_2022"].astype(float)
    stock = municipalities.loc[["GM0405", "GM0388"], "dwellings_2024"].astype(float) * share
    assert per_municipality["GM0405"] / per_municipality["GM0388"] == pytest.approx(
        stock["GM0405"] / stock["GM0388"]
    )


def test_resampled_vacancies_open_across_the_region_by_social_stock():
    """A year resampled from one week's units lands in wijken in proportion to social-rental
    stock, not in the few wijken of that week; Skaeve Huse stay at their site."""
    sweep = parse_sweep(
        {
            "name": "spread",
            "base": {"instance": str(ROOT / "instances" / "west-friesland-week")},
            "horizon_weeks": 11,
            "arrivals": {"clients_per_week": 0, "units_per_week": 300, "source": "resample"},
            "seeds": [3],
        }
    )
    stream = build_stream(sweep, 3)
    arrived = [u for week in stream.units for u in week]
    base_wijken = {u.neighbourhood_id for u in stream.base.units}
    moved = [u for u in arrived if u.type != "skaeve_huis"]
    weights = social_stock_weights(stream.base)
    observed = pd.Series([u.neighbourhood_id for u in moved]).value_counts(normalize=True)
    observed = observed.reindex(weights.index, fill_value=0.0)
    assert 0.5 * np.abs(observed - weights).sum() < 0.06  # total variation, ~3,000 draws
    assert len(set(observed[observed > 0].index)) > 3 * len(base_wijken)
    municipality_of = {n.neighbourhood_id: n.municipality_id for n in stream.base.neighbourhoods}
    assert all(municipality_of[u.neighbourhood_id] == u.municipality_id for u in arrived)
    skaeve_sites = {u.neighbourhood_id for u in stream.base.units if u.type == "skaeve_huis"}
    assert {u.neighbourhood_id for u in arrived if u.type == "skaeve_huis"} <= skaeve_sites


# --- waits of everyone, vacancy days and why each empty week was empty --------------------------


def test_waits_are_measured_for_everyone():
    """One client placed in week 1 (waited 3 weeks); the other still waits at the end of week 3:
    6 weeks from 2 November to 14 December."""
    result = run(stream_of([person("C1", urgency="high"), person("C2")], [home("U1")]))
    people = result.people.set_index("client_id")
    assert people.loc["C1", ["status", "wait_weeks", "placed_week"]].tolist() == ["placed", 3, 1]
    assert people.loc["C2", ["status", "wait_weeks"]].tolist() == ["waiting", 6]
    assert pd.isna(people.loc["C2", "placed_week"])


def test_a_lapsed_urgency_counts_in_the_urgency_on_joining():
    """The waits by urgency group clients by their urgency on joining the queue."""
    result = run(
        stream_of([person("C1", urgency="acute")], [home("U1"), home("U2")]),
        declines={"client": 1, "landlord": 0},
        vacancy_weeks=9,
        grid={"refusals": [{"max_refusals": 1, "lapse_to": "normal"}]},
    )
    row = result.people.iloc[0]
    assert (row["urgency"], row["urgency_lapsed"], row["refusals"]) == ("acute", True, 2)


def test_no_eligible_client_weeks_and_vacancy_days_until_return():
    """A home nobody can afford stands empty two weeks, then goes back: 14 vacancy days."""
    result = run(stream_of([person("C1", max_rent=500)], [home("U1")]), vacancy_weeks=2)
    assert kpi(result, "empty_unit_weeks", "no_eligible_client") == [1, 1, 0]
    row = result.vacancies.iloc[0]
    assert (row["outcome"], row["vacancy_days"], row["left_week"], row["lettable"]) == (
        "returned",
        14,
        2,
        False,
    )


def test_waiting_for_the_clients_ready_date():
    """The only client is ready in week 3: weeks 1 and 2 wait for them; let in week 3 after 14 days."""
    ready = START + timedelta(days=14)
    result = run(stream_of([person("C1", ready_from=ready)], [home("U1")]), vacancy_weeks=9)
    assert kpi(result, "empty_unit_weeks", "client_not_ready") == [1, 1, 0]
    assert kpi(result, "placements") == [0, 0, 1]
    row = result.vacancies.iloc[0]
    assert (row["outcome"], row["vacancy_days"], row["weeks_client_not_ready"]) == ("let", 14, 2)


def test_a_full_cap_keeps_a_home_empty_and_is_named():
    """A wijk with cap 0 keeps its home empty every week: capacity full, by the neighbourhood cap."""
    result = run(stream_of([person("C1")], [home("U1")], cap=0), vacancy_weeks=9)
    assert kpi(result, "empty_unit_weeks", "capacity_full") == [1, 1, 1]
    assert kpi(result, "empty_unit_weeks_capacity", "neighbourhood_cap") == [1, 1, 1]
    assert result.vacancies.iloc[0]["vacancy_days"] == 21  # still open at the end of week 3


def test_refused_then_declined_before():
    """Declined in week 1 (refused); from week 2 its only client declined it before."""
    result = run(
        stream_of([person("C1")], [home("U1")]), declines={"client": 1, "landlord": 0}, vacancy_weeks=9
    )
    assert kpi(result, "empty_unit_weeks", "refused") == [1, 0, 0]
    assert kpi(result, "empty_unit_weeks", "declined_before") == [0, 1, 1]


def test_clients_placed_elsewhere():
    """One client, two homes: one is let, the other stood empty because its client took the first."""
    result = run(stream_of([person("C1")], [home("U1"), home("U2")]), vacancy_weeks=9)
    assert kpi(result, "empty_unit_weeks", "clients_placed_elsewhere")[0] == 1
    assert kpi(result, "empty_unit_weeks", "no_eligible_client")[1:] == [1, 1]  # nobody left after


def test_vacancy_days_start_when_the_home_is_available():
    """A home available on Thursday of week 1 and let in week 2 stood empty 4 days."""
    thursday = START + timedelta(days=3)
    ready = START + timedelta(days=7)
    result = run(
        stream_of([person("C1", ready_from=ready)], [home("U1", available_from=thursday)]), vacancy_weeks=9
    )
    row = result.vacancies.iloc[0]
    assert (row["outcome"], row["left_week"], row["vacancy_days"]) == ("let", 2, 4)


def test_a_home_not_yet_available_is_not_empty():
    """Weeks before a vacancy is available count no empty week and no vacancy day."""
    later = START + timedelta(days=14)
    result = run(stream_of([person("C1")], [home("U1", available_from=later)]), vacancy_weeks=9)
    assert (
        sum(
            sum(kpi(result, "empty_unit_weeks", reason)) for reason in ("no_eligible_client", "capacity_full")
        )
        == 0
    )
    assert kpi(result, "placements") == [0, 0, 1]
    assert result.vacancies.iloc[0]["vacancy_days"] == 0


# --- cap violations, counted from the placements alone -------------------------------------------------


def placement_rows(*rows) -> pd.DataFrame:
    columns = [
        "week",
        "client_id",
        "unit_id",
        "neighbourhood_id",
        "municipality_id",
        "unit_type",
        "support_intensity",
    ]
    return pd.DataFrame(list(rows), columns=columns)


def test_the_check_counts_what_breaks_a_cap():
    """Two intensive placements (load 2 each) in one week into a wijk with cap 3 break it once."""
    start = stream_of([], [], cap=3).base
    rows = placement_rows(
        (1, "C1", "U1", "WK01", "GM01", "social_rental", "intensive"),
        (1, "C2", "U2", "WK01", "GM01", "social_rental", "intensive"),
    )
    assert cap_violations(rows, start, window_weeks=26, period_weeks=1)["neighbourhood_cap"] == 1
    assert cap_violations(rows.iloc[:1], start, window_weeks=26, period_weeks=1)["neighbourhood_cap"] == 0


def test_the_check_rebuilds_the_rolling_window():
    """Load placed in week 1 still counts in week 2 (window 2) but not in week 3."""
    start = stream_of([], [], cap=2).base
    week = [(1, "C1", "U1", "WK01", "GM01", "social_rental", "intensive")]
    again_2 = placement_rows(*week, (2, "C2", "U2", "WK01", "GM01", "social_rental", "light"))
    again_3 = placement_rows(*week, (3, "C2", "U2", "WK01", "GM01", "social_rental", "light"))
    assert cap_violations(again_2, start, window_weeks=2, period_weeks=1)["neighbourhood_cap"] == 1
    assert cap_violations(again_3, start, window_weeks=1, period_weeks=1)["neighbourhood_cap"] == 0
    skaeve = placement_rows(*week, (2, "C2", "U2", "WK01", "GM01", "skaeve_huis", "intensive"))
    assert cap_violations(skaeve, start, window_weeks=2, period_weeks=1)["neighbourhood_cap"] == 0


def test_the_check_counts_intake_slots_and_doubles_per_period():
    """Two placements in a period with intake 1 break it; in two periods they do not."""
    start = stream_of(
        [],
        [],
        max_intake=1,
        capacity=(SupportCapacity(municipality_id="GM02", support_intensity="light", slots=1),),
    ).base
    rows = placement_rows(
        (1, "C1", "U1", "WK01", "GM01", "room", "light"),
        (2, "C2", "U2", "WK01", "GM01", "room", "light"),
        (2, "C3", "U3", "WK02", "GM02", "room", "light"),
        (2, "C3", "U4", "WK02", "GM02", "room", "light"),
    )
    counted = cap_violations(rows, start, window_weeks=26, period_weeks=52)
    assert counted == {
        "neighbourhood_cap": 0,
        "municipality_intake": 1,
        "support_slots": 1,
        "placed_twice": 1,
    }
    assert cap_violations(rows, start, window_weeks=26, period_weeks=1)["municipality_intake"] == 0


small_instances = st.fixed_dictionaries(
    {
        "clients": st.lists(
            st.tuples(
                st.sampled_from(["GM01", "GM02"]),
                st.sampled_from(["light", "ambulant", "intensive"]),
                st.sampled_from(["normal", "high", "acute"]),
                st.integers(0, 3),  # week of arrival
            ),
            min_size=1,
            max_size=8,
        ),
        "units": st.lists(
            st.tuples(
                st.sampled_from(["GM01", "GM02"]),
                st.sampled_from(["social_rental", "skaeve_huis"]),
                st.integers(0, 3),
            ),
            min_size=1,
            max_size=8,
        ),
        "cap": st.sampled_from([0, 1, 2, 3, 5]),
        "intake": st.sampled_from([None, 0, 1, 2]),
        "slots": st.sampled_from([None, 0, 1, 2]),
        "period": st.sampled_from(["week", "quarter", "year"]),
        "declines": st.sampled_from([0.0, 0.3]),
    }
)


def random_stream(drawn: dict) -> tuple[Stream, dict]:
    clients: dict[int, list[Client]] = {}
    units: dict[int, list[Unit]] = {}
    for k, (origin, intensity, urgency, week) in enumerate(drawn["clients"]):
        client = person(f"C{k:02d}", origin=origin, urgency=urgency, support_intensity=intensity)
        if intensity != "light" and k % 3 == 0:
            client = client.model_copy(update={"eligible_types": ("social_rental", "skaeve_huis")})
        clients.setdefault(week, []).append(client)
    for k, (municipality, kind, week) in enumerate(drawn["units"]):
        site = {"site_id": f"S{k}"} if kind == "skaeve_huis" else {}
        units.setdefault(week, []).append(home(f"U{k:02d}", municipality=municipality, type=kind, **site))
    capacity = (
        ()
        if drawn["slots"] is None
        else (SupportCapacity(municipality_id="GM01", support_intensity="intensive", slots=drawn["slots"]),)
    )
    stream = stream_of(
        clients.get(0, []),
        units.get(0, []),
        weeks=5,
        cap=drawn["cap"],
        max_intake=drawn["intake"],
        capacity=capacity,
        arriving_clients={w: c for w, c in clients.items() if w},
        arriving_units={w: u for w, u in units.items() if w},
    )
    settings = {
        "agreements": {"period": drawn["period"], "intake": "base", "slots": "base"},
        "declines": {"client": drawn["declines"], "landlord": drawn["declines"] / 3},
        "window_weeks": 2,
        "vacancy_weeks": 3,
    }
    return stream, settings


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances)
def test_cap_violations_counted_independently_are_zero_for_both_policies(drawn):
    """Whatever arrives, neither policy ever breaks a cap, an intake ceiling, a slot row, or
    places anyone twice, counted from the placements alone; and no week leaves a home empty
    that a client could have taken within every limit."""
    stream, settings_ = random_stream(drawn)
    for allocation in ("optimiser", "greedy"):
        result = run(stream, allocation, **settings_)
        assert result.violations == dict.fromkeys(result.violations, 0), allocation
        assert sum(kpi(result, "empty_unit_weeks", "not_chosen")) == 0, allocation
        assert len(result.people) == sum(len(week) for week in stream.clients) + len(stream.base.clients)


def test_an_independent_check_would_catch_the_simulation_ignoring_a_cap(monkeypatch):
    """If the weekly runs did not see the agreements, the check counts the broken intake."""
    import matcher.stress.simulate as simulate_module

    clients = [person("C1"), person("C2")]
    units = [home("U1"), home("U2")]

    def no_ceiling(self):
        return {}

    monkeypatch.setattr(simulate_module.Ledger, "intake_left", no_ceiling)
    result = run(
        stream_of(clients, units), agreements={"period": "year", "intake": {"GM01": 1}, "slots": "none"}
    )
    assert result.violations["municipality_intake"] == 1


# --- paired differences ----------------------------------------------------------------------------------


def test_paired_interval_is_students_t():
    """Differences 1, 2, 3: mean 2, sd 1, 95 % interval 2 ± t(0.975, 2) / √3."""
    figures = paired_differences(np.array([11.0, 12.0, 13.0]), np.array([10.0, 10.0, 10.0]))
    half = stats.t.ppf(0.975, 2) / np.sqrt(3)
    assert figures["diff_mean"] == 2 and figures["diff_sd"] == 1
    assert (figures["ci_low"], figures["ci_high"]) == pytest.approx((2 - half, 2 + half))
    one = paired_differences(np.array([3.0]), np.array([1.0]))
    assert one["diff_mean"] == 2 and np.isnan(one["ci_low"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=12))
def test_paired_differences_of_a_policy_with_itself_are_zero(values):
    """The same figures on both sides give a difference of exactly 0 and an interval [0, 0]."""
    figures = paired_differences(np.array(values), np.array(values))
    assert figures["diff_mean"] == 0
    if len(values) > 1:
        assert figures["ci_low"] == 0 and figures["ci_high"] == 0


@pytest.mark.parametrize("seeds", [[1, 2], [5, 9, 11]])
def test_same_policy_under_two_names_differs_by_exactly_zero(monkeypatch, seeds):
    """When both policies allocate the same way, every paired difference over identical seeds is 0:
    common random numbers leave nothing else to differ."""
    import matcher.stress.simulate as simulate_module

    real = simulate_module.allocate
    monkeypatch.setattr(
        simulate_module,
        "allocate",
        lambda instance, allocation, seed, *rest: real(instance, "greedy", seed, *rest),
    )
    sweep = load_sweep(ROOT / "instances" / "scenarios" / "tiny.yaml").model_copy(
        update={"seeds": seeds, "horizon_weeks": 3}
    )
    result = run_sweep(sweep, serial=True, progress=False)
    figures = result.paired.dropna(subset=["diff_mean"])
    assert len(figures) and (figures["diff_mean"] == 0).all()
    assert (figures["ci_low"].fillna(0) == 0).all() and (figures["ci_high"].fillna(0) == 0).all()


def test_paired_table_pairs_by_seed(generated_runs):
    """paired.csv's mean difference is the mean of the per-seed differences of runs.csv."""
    sweep, runs = generated_runs
    paired = paired_table(runs, sweep)
    row = paired[(paired["metric"] == "placements") & (paired["scenario"] == 0)].iloc[0]
    mine = runs[(runs["scenario"] == 0) & (runs["allocation"] == "optimiser")].set_index("seed")["placements"]
    base = runs[(runs["scenario"] == 0) & (runs["allocation"] == "greedy")].set_index("seed")["placements"]
    assert row["diff_mean"] == pytest.approx((mine - base).mean())
    assert row["baseline"] == "greedy" and row["seeds"] == len(sweep.seeds)


@pytest.fixture(scope="module")
def generated_runs():
    sweep = load_sweep(ROOT / "instances" / "scenarios" / "tiny.yaml")
    results = []
    for seed in sweep.seeds:
        stream = build_stream(sweep, seed)
        for scenario in sweep.scenarios():
            for allocation in sweep.allocation:
                results.append(simulate(stream, sweep, scenario, allocation))
    return sweep, run_table(results, sweep)


def test_run_figures_add_up(generated_runs):
    """Per run: placed + still waiting = clients; let + returned + open = vacancies; the vacancy
    classes of the unlet add up; no cap violation."""
    _, runs = generated_runs
    assert (runs["placements"] + runs["waiting_end"] == runs["clients"]).all()
    unlet = runs["unlet_no_client"] + runs["unlet_limit"] + runs["unlet_other"]
    assert (runs["placements"] + unlet == runs["vacancies"]).all()
    assert (runs["cap_violations"] == 0).all()
    assert (runs["empty_not_chosen"] == 0).all()


def test_start_instance_is_agreed_then_changed_by_the_grid():
    """The grid scales the agreed yearly figures, not the base's weekly ones."""
    stream = stream_of([person("C1")], [home("U1")], max_intake=5)
    sweep = sweep_for(
        agreements={"period": "year", "intake": {"GM01": 10, "GM02": 4}, "slots": "none"},
        grid={"municipality_intake": [{"scale": 1.5}]},
    )
    start = start_instance(stream, sweep, sweep.scenarios()[0])
    assert [m.max_intake for m in start.municipalities] == [15, 6]


# --- the hindsight yardstick (issue 16, item 2) ---------------------------------------------------


def hindsight_of(stream: Stream, answers: str = "known", **settings):
    from matcher.stress.hindsight import hindsight

    sweep = sweep_for(horizon_weeks=len(stream.clients), **settings)
    return sweep, hindsight(stream, sweep, sweep.scenarios()[0], answers, seconds=60)


def schedule_frame(result, stream: Stream) -> pd.DataFrame:
    """The hindsight schedule as placement rows, for the independent check."""
    clients = {c.client_id: c for c in (*stream.base.clients, *(c for w in stream.clients for c in w))}
    units = {u.unit_id: u for u in (*stream.base.units, *(u for w in stream.units for u in w))}
    return placement_rows(
        *(
            (
                week,
                c,
                u,
                units[u].neighbourhood_id,
                units[u].municipality_id,
                units[u].type,
                clients[c].support_intensity,
            )
            for c, u, week in result.schedule
        )
    )


def test_hindsight_waits_for_the_acute_client_greedy_could_not_foresee():
    """One home open four weeks; a normal client waits from week 1, an acute one arrives in week 3.
    Greedy lets it in week 1 (w = 100 + 3 weeks waited); hindsight keeps it for the acute client
    (w = 200 on joining), at the price of 14 vacancy days."""
    acute = person("C2", urgency="acute", registered_on=START + timedelta(days=13))
    stream = stream_of([person("C1")], [home("U1")], weeks=4, arriving_clients={2: [acute]})
    _, optimum = hindsight_of(stream, vacancy_weeks=4)
    assert optimum.schedule == (("C2", "U1", 3),)
    assert (optimum.priority_placed, optimum.priority_proven, optimum.vacancy_days) == (200, True, 14)
    greedy = run(stream, vacancy_weeks=4)
    assert greedy.placements["weight"].tolist() == [103]


def test_hindsight_keeps_the_rolling_cap_and_the_yearly_intake():
    """Cap 1 with a two-week window: two placements in one wijk need three weeks between them;
    a yearly intake of 1 allows one placement however long the horizon."""
    clients = [person("C1"), person("C2")]
    units = [home("U1"), home("U2")]
    stream = stream_of(clients, units, weeks=5, cap=1)
    _, capped = hindsight_of(stream, window_weeks=2, vacancy_weeks=9)
    weeks = sorted(week for _, _, week in capped.schedule)
    assert len(weeks) == 2 and weeks[1] - weeks[0] >= 3
    _, ceiling = hindsight_of(
        stream_of(clients, units, weeks=5),
        vacancy_weeks=9,
        agreements={"period": "year", "intake": {"GM01": 1}, "slots": "none"},
    )
    assert ceiling.placements == 1


def test_hindsight_that_knows_the_answers_makes_no_refused_offer():
    """A pair the client would decline is never in the clairvoyant schedule; ignoring answers it is."""
    stream = stream_of([person("C1", origin="GM02")], [home("U1")])
    declines = {"client": {"elsewhere": 1}, "landlord": 0}
    _, known = hindsight_of(stream, "known", declines=declines)
    _, ignored = hindsight_of(stream, "ignored", declines=declines)
    assert known.placements == 0 and ignored.placements == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances)
def test_hindsight_bounds_every_policy_and_obeys_every_cap(drawn):
    """Ignoring the answers, the clairvoyant optimum is at least every policy's priority-weighted
    placements (each policy's schedule is one it could have chosen), and its own schedule passes
    the independent cap check."""
    stream, settings_ = random_stream(drawn)
    sweep, optimum = hindsight_of(stream, "ignored", **settings_)
    assert optimum.priority_proven
    start = start_instance(stream, sweep, sweep.scenarios()[0])
    counted = cap_violations(
        schedule_frame(optimum, stream), start, sweep.window_weeks, sweep.agreements.weeks
    )
    assert counted == dict.fromkeys(counted, 0)
    for allocation in ("optimiser", "greedy"):
        result = run(stream, allocation, **settings_)
        assert result.placements["weight"].sum() <= optimum.priority_placed + 1e-6, allocation


def test_sweep_reports_every_policy_as_a_share_of_hindsight(tmp_path):
    """`hindsight: true` adds hindsight.csv, the shares in runs.csv and a section of the report."""
    from matcher.stress import write_outputs

    tiny = load_sweep(ROOT / "instances" / "scenarios" / "tiny.yaml")
    data = tiny.model_dump(mode="json", exclude={"source_file"})
    sweep = parse_sweep(data | {"horizon_weeks": 3, "seeds": [1], "hindsight": {"seconds": 60}})
    result = run_sweep(sweep, serial=True, progress=False)
    assert len(result.hindsight) == sweep.scenario_count and result.hindsight["priority_proven"].all()
    shares = result.runs_table["priority_share_hindsight"]
    assert shares.notna().all() and (shares > 0).all()
    written = write_outputs(result, tmp_path / "out")
    assert "hindsight.csv" in written
    assert "Against hindsight" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("region", ["west-friesland", "zuid-kennemerland", "flevoland", "west-brabant-west"])
def test_committed_year_scenarios_load_with_the_documented_defaults(region):
    """The four year scenarios (the issue's measurement) load, start from the committed weekly
    instance, and spell out the default declines and agreements."""
    sweep = load_sweep(ROOT / "instances" / "scenarios" / f"year-{region}.yaml")
    assert sweep.base_path is not None and sweep.base_path.resolve() == (
        ROOT / "instances" / f"{region}-week"
    )
    assert sweep.declines == parse_sweep({**sweep_for().model_dump(mode="json"), "declines": {}}).declines
    assert (sweep.agreements.period, sweep.agreements.intake, sweep.agreements.slots) == (
        "year",
        "derived",
        "derived",
    )
    assert sweep.horizon_weeks == 52 and len(sweep.seeds) >= 5 and sweep.arrival_source == "resample"


def test_cli_hindsight_flag_writes_hindsight_csv(tmp_path):
    """`matcher stress --hindsight` solves the clairvoyant optimum as `hindsight: true` would."""
    from click.testing import CliRunner

    from matcher.cli.main import main

    file = tmp_path / "short.yaml"
    file.write_text(
        f"name: short\nbase: {{instance: {ROOT / 'instances' / 'tiny'}}}\nhorizon_weeks: 3\n"
        "arrivals: {clients_per_week: 1, units_per_week: 1}\nseeds: [1]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["stress", str(file), "--out", str(out), "--workers", "0", "--no-progress", "--hindsight"]
    )
    assert result.exit_code == 0, result.output
    assert "1 hindsight optima" in " ".join(result.output.split())
    frame = pd.read_csv(out / "hindsight.csv")
    assert len(frame) == 1 and bool(frame["priority_proven"].iloc[0])
