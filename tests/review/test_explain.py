"""`matcher explain`: per-rule counts, why this unit and not others, and counterfactuals that a
fresh `matcher solve` on the changed instance files confirms."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.proposal import solve as solve_instance
from matcher.review.explain import explain_client, explain_unit, render_client, render_unit
from matcher.rules.eligibility import RULES
from models import InvalidInstance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def copy_tiny(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(TINY, folder)
    return folder


def edit(folder: Path, file: str, old: str, new: str) -> None:
    """Replace one line fragment in an instance file (the fragment must be there)."""
    text = (folder / file).read_text()
    assert old in text, (file, old)
    (folder / file).write_text(text.replace(old, new))


def solve(folder: Path, out: Path) -> list[tuple[str, str]]:
    """Run `matcher solve` on the folder and return its matches."""
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return [tuple(line.split(",")[:2]) for line in (out / "proposals.csv").read_text().splitlines()[1:]]


@pytest.fixture(scope="module")
def tiny_matches(tmp_path_factory) -> list[tuple[str, str]]:
    return solve(TINY, tmp_path_factory.mktemp("tiny") / "week")


def test_rule_counts_match_the_engine(tiny_matches):
    """For every client the per-rule exclusion counts and the eligible count are the engine's."""
    instance = read_instance(TINY)
    proposal = solve_instance(instance)
    for client in instance.clients:
        result = explain_client(instance, tiny_matches, client.client_id, counterfactual=False)
        expected = proposal.pairs.excluded[list(proposal.arrays.client_ids).index(client.client_id)]
        assert result["excluded_by_rule"] == {rule: int(n) for rule, n in zip(RULES, expected) if n}
        assert result["units_eligible"] == int(
            (proposal.arrays.client_ids[proposal.pairs.client] == client.client_id).sum()
        )


def test_matched_client_gets_why_and_alternatives(tmp_path):
    """A matched client hears why this unit, and for each alternative who took it or which limit was full."""
    folder = copy_tiny(tmp_path, "alternatives")
    with open(folder / "units.csv", "a") as units:
        units.write("U07,social_rental,Woonopmaat,GM0453,WK045301,,500,1,false,2026-11-01\n")
    matches = solve(folder, tmp_path / "week")
    result = explain_client(read_instance(folder), matches, "C06")
    assert (
        result["matched"]
        and result["unit"]["unit_id"] == "U06"
        and result["unit"]["why"] == "municipality of origin"
    )
    why = {alt["unit_id"]: (alt["status"], alt["why_not"]) for alt in result["alternatives"]}
    assert why["U03"][0] == "taken" and "C03" in why["U03"][1]
    assert why["U02"][0] == "taken" and "C01 (w 226, acute)" in why["U02"][1]
    assert why["U07"] == ("limit_full", "cap of WK045301 full (2 of 2 load added this period)")
    text = render_client(result)
    assert "MATCHED to U06" in text and "taken by C01" in text


def test_capacity_counterfactual_is_confirmed_by_a_fresh_solve(tiny_matches, tmp_path):
    """C05's smallest change (WK045301's cap one higher) places C05 when applied to the files and solved."""
    result = explain_client(read_instance(TINY), tiny_matches, "C05")
    assert not result["matched"] and result["unmatched_reason"].startswith("capacity full")
    smallest = result["counterfactual"]["smallest"]
    assert (
        smallest["rule"] == "neighbourhood_cap"
        and "cap of WK045301" in smallest["change"]
        and "one higher" in smallest["change"]
    )
    folder = copy_tiny(tmp_path, "raised")
    edit(
        folder,
        "neighbourhoods.csv",
        "WK045301,GM0453,Wijk 01 IJmuiden-Noord,4574,20,",
        "WK045301,GM0453,Wijk 01 IJmuiden-Noord,4574,20,23",
    )
    matches = solve(folder, tmp_path / "out")
    assert ("C05", smallest["unit_id"]) in matches
    assert checker.violations(folder, matches) == []


def test_slot_counterfactual_names_intensity_and_municipality(tmp_path):
    """With no intensive slots in Velsen, the smallest change is one more such slot, and it works."""
    folder = copy_tiny(tmp_path, "slots")
    with open(folder / "support_capacity.csv", "a") as file:
        file.write("GM0453,intensive,0\n")
    matches = solve(folder, tmp_path / "before")
    assert "C06" not in dict(matches)
    result = explain_client(read_instance(folder), matches, "C06")
    smallest = result["counterfactual"]["smallest"]
    assert smallest["change"] == "one more slot of intensive support in Velsen (0 → 1)"
    edit(folder, "support_capacity.csv", "GM0453,intensive,0", "GM0453,intensive,1")
    after = solve(folder, tmp_path / "after")
    assert ("C06", smallest["unit_id"]) in after and checker.violations(folder, after) == []


def test_intake_counterfactual(tmp_path):
    """When Velsen's intake is full, raising it by one places the client left out, as a fresh solve shows."""
    folder = copy_tiny(tmp_path, "intake")
    edit(folder, "municipalities.csv", "69241,", "69241,2")
    matches = solve(folder, tmp_path / "before")
    left_out = [c for c in ("C03", "C04", "C06") if c not in dict(matches)]
    assert len(left_out) == 1
    result = explain_client(read_instance(folder), matches, left_out[0])
    smallest = result["counterfactual"]["smallest"]
    assert (
        smallest["rule"] == "municipality_intake"
        and smallest["change"] == "intake of Velsen (GM0453) one higher (2 → 3)"
    )
    edit(folder, "municipalities.csv", "69241,2", "69241,3")
    after = solve(folder, tmp_path / "after")
    assert left_out[0] in dict(after) and checker.violations(folder, after) == []


def test_outranked_client_gets_a_unit_change_that_works(tiny_matches, tmp_path):
    """C08 (outranked, needs step-free) is placed when U03 is made step-free, and the displaced are named."""
    result = explain_client(read_instance(TINY), tiny_matches, "C08")
    assert result["unmatched_reason"].startswith("outranked")
    smallest = result["counterfactual"]["smallest"]
    assert smallest["change"] == "U03 made step-free (accessible)" and smallest["displaced"] == ["C03"]
    folder = copy_tiny(tmp_path, "access")
    edit(folder, "units.csv", "IJM-CLUSTER-1,600,1,false", "IJM-CLUSTER-1,600,1,true")
    after = solve(folder, tmp_path / "after")
    assert ("C08", "U03") in after and "C03" not in dict(after)


def test_safety_and_history_are_never_relaxed(tiny_matches):
    """No suggested change touches a safety exclusion or an earlier decline."""
    result = explain_client(read_instance(TINY), tiny_matches, "C07")
    cf = result["counterfactual"]
    assert result["unmatched_reason"].startswith("no eligible unit") and "size" in result["unmatched_reason"]
    assert {
        rule: cf["never_relaxed"][rule] for rule in ("safety", "history", "open_neighbourhood", "occupied")
    } == {
        "safety": 4,
        "history": 0,
        "open_neighbourhood": 0,
        "occupied": 0,
    }
    # U04 is a jongerenwoning and C07 no young adult (rule 11); C07 is not in Housing First (rule 12)
    assert (cf["never_relaxed"]["young_adults_home"], cf["never_relaxed"]["housing_first"]) == (1, 0)
    assert all(found["rule"] not in ("safety", "history") for found in cf["found"])
    assert "Never relaxed: safety (4 units)" in render_client(result)


def test_hand_edited_proposal_needs_no_change(tiny_matches):
    """When a fresh solve would place the client, explain says so instead of inventing a change."""
    edited = [pair for pair in tiny_matches if pair[0] != "C02"]
    result = explain_client(read_instance(TINY), edited, "C02")
    assert result["counterfactual"]["fresh_solve_places_client"] == "U01"
    assert "U01" in result["eligible_units"][0]["unit_id"] and result["eligible_units"][0]["status"] == "free"


def test_unit_view_for_the_landlord(tiny_matches):
    """--unit names who got the unit and why the other eligible clients did not, without health details."""
    held = explain_unit(read_instance(TINY), tiny_matches, "U03")
    assert held["client"]["client_id"] == "C03" and held["clients_eligible"] == 3
    assert {c["client_id"]: c["status"] for c in held["other_candidates"]} == {
        "C01": "placed_elsewhere",
        "C06": "placed_elsewhere",
    }
    free = explain_unit(read_instance(TINY), tiny_matches, "U04")
    assert not free["matched"] and "cap of WK045301 full" in free["unmatched_reason"]
    for text in (render_unit(held), render_unit(free), json.dumps(held)):
        assert not any(word in text.split() for word in ("BW", "MO", "VO", "jeugd"))
        assert "source" not in text


def test_cli_text_json_and_errors(tmp_path):
    """The CLI prints the explanation, JSON on request, and exit 2 for an unknown id or bad options."""
    runner = CliRunner()
    week = tmp_path / "week"
    solve(TINY, week)
    text = runner.invoke(main, ["explain", str(TINY), "--proposal", str(week), "--client", "C05"])
    assert text.exit_code == 0 and "verified by re-solving" in text.output
    data = runner.invoke(main, ["explain", str(TINY), "--proposal", str(week), "--unit", "U01", "--json"])
    assert data.exit_code == 0 and json.loads(data.output)["client"]["client_id"] == "C02"
    assert (
        runner.invoke(main, ["explain", str(TINY), "--proposal", str(week), "--client", "C99"]).exit_code == 2
    )
    both = runner.invoke(
        main, ["explain", str(TINY), "--proposal", str(week), "--client", "C01", "--unit", "U01"]
    )
    assert both.exit_code == 2 and "exactly one" in both.output


def test_proposal_from_another_instance_is_invalid(tiny_matches):
    """A proposal naming clients the instance lacks is refused."""
    with pytest.raises(InvalidInstance):
        explain_client(read_instance(TINY), tiny_matches + [("C42", "U01")], "C01")
