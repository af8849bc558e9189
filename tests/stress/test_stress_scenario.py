"""Scenario files: loading, every error path with file and key, the grid and its policy changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matcher.stress.scenario import ScenarioError, check_against, load_sweep, parse_sweep
from models import Instance, Municipality, Neighbourhood, Policy, SupportCapacity

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = {
    "name": "t",
    "base": {"region": "west-friesland", "clients": 10, "units": 2},
    "horizon_weeks": 3,
    "arrivals": {"clients_per_week": 1, "units_per_week": 1},
    "seeds": [1],
}


def problems(data, file: str = "s.yaml") -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(data, file)
    return dict(caught.value.problems)


def base_instance() -> Instance:
    return Instance(
        municipalities=(
            Municipality(municipality_id="GM01", name="Een", region="R", population=10, max_intake=3),
            Municipality(municipality_id="GM02", name="Twee", region="R", population=10),
        ),
        neighbourhoods=(
            Neighbourhood(neighbourhood_id="WK01", municipality_id="GM01", name="A", dwellings=1000, cap=4),
            Neighbourhood(neighbourhood_id="WK02", municipality_id="GM02", name="B", dwellings=1000),
        ),
        units=(),
        clients=(),
        support_capacity=(SupportCapacity(municipality_id="GM01", support_intensity="intensive", slots=3),),
        policy=Policy(period={"start": date(2026, 11, 23)}),
    )


def test_committed_example_files_load():
    """The committed example sweeps load, with the cap grid and both allocation policies."""
    sweep = load_sweep(ROOT / "instances" / "scenarios" / "spreading-caps.yaml")
    assert sweep.base.region == "west-friesland" and sweep.horizon_weeks == 26
    assert sweep.allocation == ["optimiser", "greedy"]
    assert [s.label for s in sweep.scenarios()] == [
        "cap/1000=2",
        "cap/1000=3",
        "cap/1000=5",
        "cap/1000=8",
        "cap/1000=12",
    ]
    assert load_sweep(ROOT / "instances" / "scenarios" / "tiny.yaml").horizon_weeks == 4


def test_missing_key_is_named():
    """A missing required key is reported by name."""
    data = dict(MINIMAL)
    del data["horizon_weeks"]
    assert problems(data) == {"horizon_weeks": "required: add this key"}


def test_unknown_key_is_named_with_its_path():
    """A misspelt key is reported with its full path."""
    data = {**MINIMAL, "grid": {"max_load_per_1000_dwelling": [3]}}
    assert "grid.max_load_per_1000_dwelling" in problems(data)


def test_every_problem_reported_at_once():
    """Several problems come back together, each with its key."""
    data = {
        **MINIMAL,
        "seeds": [1, 1],
        "declines": {"client": 1.5},
        "grid": {"max_load_per_1000_dwellings": [3, -1], "origin_rule": ["sometimes"]},
    }
    found = problems(data)
    assert {"seeds", "declines.client", "grid.max_load_per_1000_dwellings", "grid.origin_rule[0]"} <= set(
        found
    )


def test_base_needs_exactly_one_source():
    """A base with both a region and an instance folder is refused."""
    data = {**MINIMAL, "base": {"region": "west-friesland", "clients": 3, "units": 1, "instance": "x"}}
    assert "base" in problems(data)


def test_unknown_region_is_refused():
    """An unknown generator region names the regions that exist."""
    found = problems({**MINIMAL, "base": {"region": "atlantis", "clients": 3, "units": 1}})
    assert "west-friesland" in found["base"]


def test_generator_arrivals_need_a_region():
    """Arrivals from the generator cannot be drawn for an instance folder."""
    data = {
        **MINIMAL,
        "base": {"instance": str(ROOT / "instances" / "tiny")},
        "arrivals": {"clients_per_week": 1, "units_per_week": 1, "source": "generator"},
    }
    assert any("resample" in message for message in problems(data).values())


def test_missing_instance_folder_is_named():
    """A base instance folder that does not exist is reported under base.instance."""
    data = {**MINIMAL, "base": {"instance": "no/such/folder"}}
    assert "base.instance" in problems(data)


def test_bad_yaml_names_the_line(tmp_path):
    """A YAML syntax error names the file and the line."""
    file = tmp_path / "bad.yaml"
    file.write_text("name: x\nbase: {region: west-friesland\nseeds: [1]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_sweep(file)
    assert caught.value.file == str(file)
    assert caught.value.problems[0][0].startswith("line ")


def test_missing_file_is_reported(tmp_path):
    """A scenario file that does not exist is a ScenarioError, not a crash."""
    with pytest.raises(ScenarioError, match="file not found"):
        load_sweep(tmp_path / "nothing.yaml")


def test_grid_is_every_combination_in_file_order():
    """Two grid keys with 2 and 3 values give 6 scenarios, the last key varying fastest."""
    sweep = parse_sweep(
        {
            **MINIMAL,
            "grid": {"max_load_per_1000_dwellings": [3, 5], "origin_rule": ["prefer", "region", "strict"]},
        }
    )
    labels = [s.label for s in sweep.scenarios()]
    assert len(labels) == 6
    assert labels[:2] == ["cap/1000=3, origin=prefer", "cap/1000=3, origin=region"]
    assert [s.index for s in sweep.scenarios()] == list(range(6))


def test_no_grid_is_one_base_scenario():
    """Without a grid there is one scenario, the base policy."""
    scenarios = parse_sweep(MINIMAL).scenarios()
    assert [(s.index, s.label) for s in scenarios] == [(0, "base")]


def test_policy_changes_are_applied():
    """Cap per 1,000, origin rule, urgency weights, waiting points and refusal rule reach the policy."""
    sweep = parse_sweep(
        {
            **MINIMAL,
            "grid": {
                "max_load_per_1000_dwellings": [8],
                "origin_rule": ["strict"],
                "urgency_weights": [{"acute": 300}],
                "per_week_waiting": [2],
                "refusals": [{"max_refusals": 3, "lapse_to": "high"}],
            },
        }
    )
    policy = sweep.scenarios()[0].apply(base_instance()).policy
    assert policy.spreading.max_load_per_1000_dwellings == 8
    assert policy.origin_rule == "strict"
    assert policy.priority.urgency_base == {"normal": 100, "high": 150, "acute": 300}
    assert policy.priority.per_week_waiting == 2
    assert (policy.refusals.max_refusals, policy.refusals.lapse_to) == (3, "high")


def test_intake_overrides():
    """Intake: base keeps, none drops, scale multiplies (rounded), a mapping sets named municipalities."""
    sweep = parse_sweep(
        {**MINIMAL, "grid": {"municipality_intake": ["base", "none", {"scale": 1.5}, {"GM02": 2}]}}
    )
    intakes = [
        tuple(m.max_intake for m in s.apply(base_instance()).municipalities) for s in sweep.scenarios()
    ]
    assert intakes == [(3, None), (None, None), (5, None), (3, 2)]


def test_slot_overrides():
    """Slots: none drops every row, scale multiplies, a mapping sets municipality/intensity rows."""
    sweep = parse_sweep(
        {
            **MINIMAL,
            "grid": {
                "support_slots": [
                    "none",
                    {"scale": 0.5},
                    {"GM02": {"protected": 1}, "GM01": {"intensive": None}},
                ]
            },
        }
    )
    rows = [
        [(r.municipality_id, r.support_intensity, r.slots) for r in s.apply(base_instance()).support_capacity]
        for s in sweep.scenarios()
    ]
    assert rows == [[], [("GM01", "intensive", 2)], [("GM02", "protected", 1)]]


def test_neighbourhood_cap_overrides():
    """Neighbourhood caps: none falls back to the per-1,000 rule, a mapping sets named wijken."""
    sweep = parse_sweep({**MINIMAL, "grid": {"neighbourhood_caps": ["none", {"WK02": 1}]}})
    caps = [tuple(n.cap for n in s.apply(base_instance()).neighbourhoods) for s in sweep.scenarios()]
    assert caps == [(None, None), (4, 1)]


def test_bad_override_value_is_named():
    """A grid value that is not base/none/scale/mapping is refused with its key."""
    found = problems({**MINIMAL, "grid": {"municipality_intake": ["base", "sometimes"]}})
    assert "base" in found["grid.municipality_intake[1]"] and "scale" in found["grid.municipality_intake[1]"]


def test_unknown_ids_in_the_grid_are_named():
    """A grid value naming a municipality the base does not have is reported with key and position."""
    sweep = parse_sweep({**MINIMAL, "grid": {"municipality_intake": ["base", {"GM99": 1}]}}, "s.yaml")
    with pytest.raises(ScenarioError) as caught:
        check_against(sweep, base_instance())
    key, message = caught.value.problems[0]
    assert key == "grid.municipality_intake[1]" and "GM99" in message
