"""`matcher explain` on a run folder written by `matcher solve` (issue 13 items 4 and 5, issue 17):
the run's solved instance (so a week solved with a ledger needs no --ledger), the run's proposal as
the baseline of the smallest-change search (nothing solved first), the lapse of urgency after
refusals, and ids printed exactly as in the input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import independent_checker as checker
import pytest
from builders import client, instance, unit
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.explain import explain_client, render_client

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def invoke(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def pairs_of(folder: Path) -> list[tuple[str, str]]:
    return [tuple(line.split(",")[:2]) for line in (folder / "proposals.csv").read_text().splitlines()[1:]]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("explain-run") / "week"
    invoke("solve", TINY, "--out", out)
    return out


@pytest.fixture(scope="module")
def lapsed(tmp_path_factory) -> dict[str, Path]:
    """A week solved with a ledger in which acute C01 refused two suitable offers the week before:
    the refusal rule lapsed C01's urgency to normal."""
    root = tmp_path_factory.mktemp("lapsed")
    ledger, out = root / "ledger.sqlite", root / "week"
    for offered in ("U01", "U02"):
        invoke(
            "record",
            "--ledger",
            ledger,
            "--client",
            "C01",
            "--unit",
            offered,
            "--decision",
            "decline",
            "--reason",
            "location",
            "--week",
            "2026-11-16",
        )
    invoke("solve", TINY, "--ledger", ledger, "--out", out)
    return {"ledger": ledger, "week": out, "root": root}


@pytest.fixture
def no_solve(monkeypatch):
    """The engine's full solve fails the test: the run's own proposal is the baseline."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("solved afresh although the run folder holds the proven optimum")

    monkeypatch.setattr("matcher.proposal.solve", refuse)
    return monkeypatch


def test_week_solved_with_a_ledger_needs_no_instance_nor_ledger(lapsed):
    """explain --proposal RUN uses the instance the run solved: C01's urgency lapsed (w 126, not
    226), and explain says why, from the run's summary."""
    result = json.loads(invoke("explain", "--proposal", lapsed["week"], "--client", "C01", "--json").output)
    assert (result["urgency"], result["priority_weight"]) == ("normal", 126)
    assert result["urgency_lapsed"] == {"from": "acute", "to": "normal", "refusals": 2}
    assert result["notes"] == []
    text = invoke("explain", "--proposal", lapsed["week"], "--client", "C01").output
    assert text.startswith("Client C01: normal urgency, waited 26 weeks, priority w 126")
    assert "Urgency lapsed from acute to normal after 2 refusals of suitable offers" in text
    # without the run folder, INSTANCE alone explains another instance: C01 still acute (w 226)
    plain = lapsed["root"] / "plain"
    plain.mkdir(exist_ok=True)
    shutil.copy(lapsed["week"] / "proposals.csv", plain / "proposals.csv")
    old = json.loads(invoke("explain", TINY, "--proposal", plain, "--client", "C01", "--json").output)
    assert (old["urgency"], old["priority_weight"]) == ("acute", 226)


def test_run_folder_and_instance_with_ledger_explain_alike(lapsed):
    """The run folder gives what INSTANCE --ledger gave before (while the ledger has not moved on)."""
    plain = lapsed["root"] / "plain2"
    plain.mkdir(exist_ok=True)
    shutil.copy(lapsed["week"] / "proposals.csv", plain / "proposals.csv")
    for who in ("C01", "C05", "C08"):
        run = json.loads(invoke("explain", "--proposal", lapsed["week"], "--client", who, "--json").output)
        old = json.loads(
            invoke(
                "explain", TINY, "--proposal", plain, "--client", who, "--ledger", lapsed["ledger"], "--json"
            ).output
        )
        for key in ("matched", "urgency", "priority_weight", "units_eligible", "excluded_by_rule", "unit"):
            assert run.get(key) == old.get(key), (who, key)
        assert run.get("urgency_lapsed") == old.get("urgency_lapsed")
        smallest = [r.get("counterfactual", {}).get("smallest", {}).get("change") for r in (run, old)]
        assert smallest[0] == smallest[1], who


def test_unmatched_client_searched_from_the_run_without_solving_first(week, no_solve, tmp_path):
    """With the run's proven proposal as baseline nothing is solved before the first change; the
    smallest change found is the one a fresh solve of the changed files confirms."""
    result = json.loads(invoke("explain", "--proposal", week, "--client", "C05", "--json").output)
    smallest = result["counterfactual"]["smallest"]
    assert smallest["change"] == "cap of WK045301 (Wijk 01 IJmuiden-Noord) one higher (22 → 23)"
    assert smallest["verified_by"] == "re-solving W and P" and smallest["W_before"] == 751
    no_solve.undo()
    folder = tmp_path / "raised"
    shutil.copytree(TINY, folder)
    text = (folder / "neighbourhoods.csv").read_text()
    old = "WK045301,GM0453,Wijk 01 IJmuiden-Noord,4574,20,"
    assert old in text
    (folder / "neighbourhoods.csv").write_text(text.replace(old, old + "23"))
    fresh = solve(read_instance(folder))
    assert dict(fresh.pairs_chosen()).get("C05") == smallest["unit_id"]
    assert fresh.priority == smallest["W_after"]
    assert sorted(set(dict(pairs_of(week))) - set(dict(fresh.pairs_chosen()))) == smallest["displaced"]
    assert checker.violations(folder, fresh.pairs_chosen()) == []


def test_notes_for_another_instance_and_a_ledger(week, tmp_path):
    """INSTANCE that differs from the run's is named; --ledger is noted as not applied; the
    explanation is of the run's solved instance either way."""
    other = tmp_path / "other"
    shutil.copytree(TINY, other)
    (other / "clients.csv").write_text((other / "clients.csv").read_text().replace(",high,", ",acute,"))
    result = json.loads(
        invoke(
            "explain",
            other,
            "--proposal",
            week,
            "--client",
            "C02",
            "--ledger",
            tmp_path / "none.sqlite",
            "--json",
        ).output
    )
    assert result["urgency"] == "high"  # the run's instance, not the edited one
    assert result["notes"] == [
        f"{other} is not the instance this run read (clients.csv differs); explained against the "
        "instance the run solved (week/solved-instance), which is what was solved",
        "--ledger is not applied: the run folder keeps the instance it solved (week/solved-instance), "
        "and the run was made without a ledger",
    ]
    text = invoke("explain", other, "--proposal", week, "--client", "C02").output
    assert text.startswith(f"Note: {other} is not the instance this run read (clients.csv differs)")


def test_unit_view_of_a_run_folder(week):
    """--unit works on a run folder without INSTANCE too."""
    result = json.loads(invoke("explain", "--proposal", week, "--unit", "U01", "--json").output)
    assert result["client"]["client_id"] == "C02" and result["notes"] == []


def test_a_plain_folder_still_needs_the_instance(week, tmp_path):
    """A folder with only proposals.csv is no run folder: INSTANCE is asked for (exit 2)."""
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(week / "proposals.csv", plain / "proposals.csv")
    result = invoke("explain", "--proposal", plain, "--client", "C01", code=2)
    assert (
        "is not a folder written by `matcher solve`" in result.output
        and "give the instance too" in result.output
    )
    assert invoke("explain", TINY, "--proposal", plain, "--client", "C01").output.startswith("Client C01")


def test_a_tampered_run_folder_is_refused(week, tmp_path):
    """A run folder whose solved instance was edited is refused, saying what to do."""
    folder = tmp_path / "tampered"
    shutil.copytree(week, folder, ignore=shutil.ignore_patterns(".matcher-runs"))
    path = folder / "solved-instance" / "units.csv"
    path.write_text(path.read_text().replace("650", "600"))
    result = invoke("explain", "--proposal", folder, "--client", "C01", code=2)
    assert (
        "solved-instance/units.csv changed" in result.output
        and "solve the week again" in result.output.lower()
    )


def test_kept_run_searches_with_its_kept_matches(week, tmp_path):
    """A run that kept communicated matches: the search keeps them too, and what it reports is what
    the engine does with the change applied (solved with the same kept matches)."""
    variant = tmp_path / "variant"
    shutil.copytree(TINY, variant)
    with open(variant / "clients.csv", "a", encoding="utf-8") as clients:
        clients.write("C09,MO,GM0392,,light,1,,false,,,,,high,2026-06-01,\n")
    kept_run = tmp_path / "kept"
    invoke("solve", variant, "--keep-proposal", week, "--out", kept_run)
    summary = json.loads((kept_run / "summary.json").read_text())
    assert "continuity" in summary
    unmatched = [line.split(",")[0] for line in (kept_run / "unmatched.csv").read_text().splitlines()[1:]]
    assert unmatched
    for who in unmatched:
        result = json.loads(invoke("explain", "--proposal", kept_run, "--client", who, "--json").output)
        for found in result["counterfactual"]["found"]:
            assert found["W_before"] == summary["objective"]["W"]
            assert found["W_after"] >= found["W_before"]
        assert result["counterfactual"]["resolves"] <= 12


def test_ids_are_printed_exactly_as_in_the_input():
    """Bug report: explain printed "c-zk-0011 in u-zk-0024" for C-ZK-0011 and U-ZK-0024. A note that
    starts a sentence keeps every id as written."""
    week = instance(
        clients=[client(client_id="C-ZK-0011")],
        units=[unit(unit_id="U-ZK-0024")],
    )
    result = explain_client(week, [], "C-ZK-0011")  # a hand edit left the client out
    assert result["counterfactual"]["fresh_solve_places_client"] == "U-ZK-0024"
    text = render_client(result)
    assert (
        "No change needed: solving this instance afresh places C-ZK-0011 in U-ZK-0024 "
        "(the proposal differs from a fresh solve)." in text
    )
    assert "c-zk-0011" not in text and "u-zk-0024" not in text


def test_landlord_view_shows_what_the_workbook_shows(week):
    """The landlord's view keeps its own copy of the workbook's provider rule and moving date (so it
    does not load the workbook module): they must stay the workbook's."""
    from matcher.review import explain as ex
    from matcher.review import workbook

    assert ex.PROVIDER_NOT_NEEDED == workbook.PROVIDER_NOT_NEEDED
    solved = read_instance(week / "solved-instance")
    for client_id, unit_id in pairs_of(week):
        shown = ex.explain_unit(solved, pairs_of(week), unit_id)["client"]
        assert shown["client_id"] == client_id
        assert shown["move_in_from"] == workbook.move_in_from(solved, client_id, unit_id).isoformat()
        intensity = next(c.support_intensity for c in solved.clients if c.client_id == client_id)
        assert shown["provider_needed"] == ("no" if intensity in workbook.PROVIDER_NOT_NEEDED else "yes")
