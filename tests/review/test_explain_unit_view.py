"""`matcher explain --unit` is the landlord's view (issue 12, finding 13): it shows what the
landlord workbook shows and nothing it omits.

Before, the unit view printed the proposed client's urgency and priority weight, every other
candidate's weight, preference scores and reasons ("origin municipality"), and how many clients
each safety exclusion or earlier decline kept out — all of which the landlord workbooks
deliberately leave out (matcher/review/workbook.py COLUMNS). The coordinator's `--client` view
keeps them.
"""

from __future__ import annotations

import json
from pathlib import Path

import builders
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.explain import UNIT_RULES, explain_client, explain_unit, render_unit
from matcher.review.workbook import KEYS as WORKBOOK_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"

# What the landlord workbook omits, as JSON keys and as words in the text.
FORBIDDEN_KEYS = {
    "urgency",
    "priority_weight",
    "weeks_waited",
    "registered_on",
    "source",
    "preference_score",
    "why",
    "why_score",
    "origin_municipality_id",
    "current_municipality_id",
    "preferred_municipalities",
    "excluded_municipalities",
    "excluded_neighbourhoods",
    "needs_accessible",
    "max_rent",
    "declined",
    "never_relaxed",
}
FORBIDDEN_RULES = {"safety", "access", "origin_rule", "history"}
FORBIDDEN_WORDS = (
    "urgency",
    "acute",
    "priority w",
    "(w ",
    "w ",
    "(p ",
    "p ",
    "preference",
    "origin",
    "safety",
    "excluded municipality",
    "declined",
    "step-free home",
    "waited",
    "MO",
    "BW",
    "VO",
    "jeugd",
)


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in all_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in all_keys(item)}
    return set()


def assert_landlord_view(result: dict) -> None:
    """Neither the JSON nor the text holds anything the landlord workbook omits."""
    assert not all_keys(result) & FORBIDDEN_KEYS, all_keys(result) & FORBIDDEN_KEYS
    assert not set(result["excluded_by_rule"]) - set(UNIT_RULES)
    if result["matched"]:
        assert set(result["client"]) <= set(WORKBOOK_COLUMNS)
    for candidate in result["other_candidates"]:
        assert set(candidate) == {"client_id", "status", "why_not"}
        assert candidate["status"] in ("placed_elsewhere", "limit_full", "not_chosen")
    text = render_unit(result)
    blob = json.dumps(result, ensure_ascii=False)
    for words in FORBIDDEN_WORDS:
        padded = f" {text} ".replace("\n", " ")
        assert f" {words}" not in padded and f"({words}" not in padded, (words, text)
    for rule in FORBIDDEN_RULES:
        assert f'"{rule}"' not in blob and f"by {rule}" not in text


@pytest.fixture(scope="module")
def tiny_matches() -> list[tuple[str, str]]:
    return solve(read_instance(TINY)).pairs_chosen()


@pytest.mark.parametrize("unit_id", ["U01", "U02", "U03", "U04", "U05", "U06"])
def test_every_unit_of_tiny_shows_only_what_the_workbook_shows(tiny_matches, unit_id):
    result = explain_unit(read_instance(TINY), tiny_matches, unit_id)
    assert_landlord_view(result)


def test_the_proposed_client_is_shown_as_in_the_workbook(tiny_matches):
    """Pseudonym, household size, support intensity, provider needed and moving date: the
    workbook's own columns and values."""
    result = explain_unit(read_instance(TINY), tiny_matches, "U03")
    assert result["client"] == {
        "client_id": "C03",
        "household_size": 1,
        "support_intensity": "protected",
        "provider_needed": "yes",
        "move_in_from": "2026-11-23",
    }
    text = render_unit(result)
    assert "PROPOSED for C03: household of 1, protected support, support provider needed: yes" in text


def test_exclusions_are_one_count_of_own_circumstances(tiny_matches):
    """Clients kept out by safety exclusions, origin, access needs or earlier declines are counted
    together, without naming the rule."""
    result = explain_unit(read_instance(TINY), tiny_matches, "U03")
    assert result["excluded_by_circumstances"] == 2
    assert "2 more clients excluded by their own circumstances" in render_unit(result)


def test_a_unit_nobody_may_have_for_safety_reasons_does_not_say_so():
    """Every client excludes the unit's municipality (safety): the reason names no rule."""
    instance = builders.instance(
        clients=[builders.client(client_id=f"C{k}", excluded_municipalities=["GM0392"]) for k in range(3)],
        units=[builders.unit()],
    )
    result = explain_unit(instance, [], "U1")
    assert_landlord_view(result)
    assert result["excluded_by_circumstances"] == 3
    assert result["unmatched_reason"] == (
        "no client passes every rule for this unit: all 3 are excluded by their own circumstances, "
        "which only the coordinator can discuss"
    )


def test_a_full_support_slot_limit_does_not_reveal_the_clients_support():
    """A candidate stopped by their municipality's slots for intensive support: the landlord reads
    that a support-slot limit is full, not which support the client needs."""
    instance = builders.instance(
        clients=[builders.client(client_id="C1", support_intensity="intensive")],
        units=[builders.unit()],
        support_capacity=[{"municipality_id": "GM0392", "support_intensity": "intensive", "slots": 0}],
    )
    result = explain_unit(instance, [], "U1")
    assert_landlord_view(result)
    assert "a support-slot limit of the municipality is full" in result["unmatched_reason"]
    assert "intensive" not in json.dumps(result) and "intensive" not in render_unit(result)


def test_the_coordinators_client_view_keeps_urgency_and_weight(tiny_matches):
    """`--client` is the coordinator's view: urgency, priority weight and exclusions stay."""
    result = explain_client(read_instance(TINY), tiny_matches, "C03", counterfactual=False)
    assert {"urgency", "priority_weight", "weeks_waited", "excluded_by_rule"} <= set(result)


def test_cli_unit_view_text_and_json(tmp_path):
    """Through the command, in text and JSON, for a proposed and an unproposed unit."""
    week = tmp_path / "week"
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(TINY), "--out", str(week)]).exit_code == 0
    for unit_id in ("U01", "U04"):
        args = ["explain", str(TINY), "--proposal", str(week), "--unit", unit_id]
        data = runner.invoke(main, [*args, "--json"])
        assert data.exit_code == 0, data.output
        assert_landlord_view(json.loads(data.output))
        text = runner.invoke(main, args)
        assert text.exit_code == 0 and "urgency" not in text.output and "priority w" not in text.output
    client = runner.invoke(main, ["explain", str(TINY), "--proposal", str(week), "--client", "C02", "--json"])
    assert {"urgency", "priority_weight"} <= set(json.loads(client.output))
