"""Three weeks of the regional scheme, as a coordinator and two corporations run it (issue 13).

Zuid-Kennemerland, weeks starting 23 November, 30 November and 7 December 2026, one SQLite ledger:

week 1  solve → export (Pré Wonen and Elan Wonen among the workbooks) →
        Pré Wonen accepts its first match and declines its second for `previous_tenancy` (rules out
        every Pré Wonen unit for that client, for good); Elan Wonen accepts all of its matches;
        one Elan client accepts too (housed), another refuses for `safety` (rules out the whole
        neighbourhood); a phone call records a landlord decline of a match Pré Wonen accepted in
        its workbook: a conflict.
week 2  solve --ledger: the housed pair leaves the pool, every match one side accepted is held,
        the scoped declines hold; status lists the conflict (exit 1); the re-export shows Pré
        Wonen's decisions locked; the coordinator keeps the recorded decision.
week 3  solve --ledger again: no conflict left, still every rule and decline respected.

Every proposal is checked by the independent checker against the instance the week solved.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import independent_checker as checker
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.io.headers import internal_columns
from matcher.io.read import read_instance
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "instances" / "zuid-kennemerland-week"
COLUMN = {key: chr(ord("A") + k) for k, key in enumerate(KEYS)}
WEEKS = ("2026-11-23", "2026-11-30", "2026-12-07")


def run(*args: object, code: int = 0) -> str:
    """The command in English (the module's fixture runs before the per-test language fixture)."""
    result = CliRunner().invoke(main, ["--lang", "en", *(str(a) for a in args)])
    assert result.exit_code == code, result.output
    return result.output


def week_instance(tmp: Path, start: str) -> Path:
    """The region's week with another period start (the same clients and units wait on)."""
    folder = tmp / f"instance-{start}"
    shutil.copytree(REGION, folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("start: 2026-11-23", f"start: {start}"))
    return folder


def proposed(out: Path) -> list[tuple[str, str]]:
    frame = internal_columns(pd.read_csv(out / "proposals.csv", dtype=str, keep_default_na=False))
    return list(zip(frame["client_id"], frame["unit_id"]))


def checked(out: Path) -> list[tuple[str, str]]:
    """The proposal, after the independent checker found no broken rule in it."""
    pairs = proposed(out)
    assert checker.violations(out / "solved-instance", pairs) == [], out
    return pairs


def review_rows(path: Path) -> dict[str, dict[str, object]]:
    sheet = load_workbook(path)[REVIEW_SHEET]
    return {
        str(sheet[f"A{n}"].value): {key: sheet[f"{COLUMN[key]}{n}"].value for key in KEYS} | {"row": n}
        for n in range(FIRST_ROW, sheet.max_row + 1)
    }


def fill(path: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    for row in review_rows(path).values():
        if row["client_id"] in decisions:
            decision, reason = decisions[str(row["client_id"])]
            sheet[f"{COLUMN['decision']}{row['row']}"] = decision
            sheet[f"{COLUMN['reason_code']}{row['row']}"] = reason
    book.save(path)


@pytest.fixture(scope="module")
def three_weeks(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("three-weeks")
    ledger = str(tmp / "ledger.sqlite")
    facts: dict = {"tmp": tmp, "ledger": ledger}

    # --- week 1 ---------------------------------------------------------------------------
    week1 = week_instance(tmp, WEEKS[0])
    run("solve", week1, "--out", tmp / "w1")
    facts["w1"] = checked(tmp / "w1")
    run("review", "export", week1, "--proposal", tmp / "w1", "--out", tmp / "books1", "--ledger", ledger)
    pre = review_rows(tmp / "books1" / "pre-wonen.xlsx")
    elan = review_rows(tmp / "books1" / "elan-wonen.xlsx")
    assert len(pre) >= 2 and len(elan) >= 2, "the week has matches at both corporations"
    (pre_accept, pre_decline, *_) = sorted(pre)
    fill(
        tmp / "books1" / "pre-wonen.xlsx",
        {pre_accept: ("accept", None), pre_decline: ("decline", "previous_tenancy")},
    )
    fill(tmp / "books1" / "elan-wonen.xlsx", dict.fromkeys(elan, ("accept", None)))
    run(
        "review",
        "import",
        tmp / "books1" / "pre-wonen.xlsx",
        tmp / "books1" / "elan-wonen.xlsx",
        "--ledger",
        ledger,
    )
    (elan_housed, elan_safety, *_) = sorted(elan)
    run(
        "record",
        "--ledger",
        ledger,
        "--client",
        elan_housed,
        "--unit",
        elan[elan_housed]["unit_id"],
        "--decision",
        "accept",
    )
    run(
        "record",
        "--ledger",
        ledger,
        "--client",
        elan_safety,
        "--unit",
        elan[elan_safety]["unit_id"],
        "--decision",
        "decline",
        "--reason",
        "safety",
    )
    # a phone call contradicts Pré Wonen's workbook: kept as a conflict, exit 1
    run(
        "record",
        "--ledger",
        ledger,
        "--by",
        "landlord",
        "--client",
        pre_accept,
        "--unit",
        pre[pre_accept]["unit_id"],
        "--decision",
        "decline",
        "--reason",
        "other",
        code=1,
    )
    facts.update(pre=pre, elan=elan, pre_accept=pre_accept, pre_decline=pre_decline)
    facts.update(elan_housed=elan_housed, elan_safety=elan_safety)

    # --- week 2 ---------------------------------------------------------------------------
    week2 = week_instance(tmp, WEEKS[1])
    facts["w2_output"] = run("solve", week2, "--ledger", ledger, "--out", tmp / "w2")
    facts["w2"] = checked(tmp / "w2")
    facts["w2_summary"] = json.loads((tmp / "w2" / "summary.json").read_text())
    facts["status2"] = json.loads(run("status", "--ledger", ledger, "--json", code=1))
    run("review", "export", week2, "--proposal", tmp / "w2", "--out", tmp / "books2", "--ledger", ledger)
    facts["pre2"] = review_rows(tmp / "books2" / "pre-wonen.xlsx")
    [conflict] = facts["status2"]["conflicts"]
    run(*shlex.split(conflict["to_keep_recorded"])[1:])

    # --- week 3 ---------------------------------------------------------------------------
    week3 = week_instance(tmp, WEEKS[2])
    run("solve", week3, "--ledger", ledger, "--out", tmp / "w3")
    facts["w3"] = checked(tmp / "w3")
    facts["w3_summary"] = json.loads((tmp / "w3" / "summary.json").read_text())
    facts["status3"] = json.loads(run("status", "--ledger", ledger, "--json", "--week", WEEKS[2], code=1))
    return facts


def test_the_housed_match_leaves_the_pool(three_weeks):
    f = three_weeks
    unit = f["elan"][f["elan_housed"]]["unit_id"]
    for week in ("w2", "w3"):
        solved = read_instance(f["tmp"] / week / "solved-instance")
        assert f["elan_housed"] not in {c.client_id for c in solved.clients}
        assert unit not in {u.unit_id for u in solved.units}
    assert {"client_id": f["elan_housed"], "unit_id": unit, "period_start": WEEKS[0]} in f["w2_summary"][
        "ledger"
    ]["accepted_fixed"]


def test_every_match_one_side_accepted_is_held_next_week(three_weeks):
    f = three_weeks
    held = {
        (c, row["unit_id"]) for c, row in f["elan"].items() if c not in (f["elan_housed"], f["elan_safety"])
    }
    held.add((f["pre_accept"], f["pre"][f["pre_accept"]]["unit_id"]))
    assert held <= set(f["w2"]), "landlord-accepted matches stay proposed"
    assert f["w2_summary"]["continuity"]["released"] == []
    assert "held (accepted by one side, kept)" in f["w2_output"]


def test_a_previous_tenancy_decline_rules_out_the_whole_corporation(three_weeks):
    f = three_weeks
    client = f["pre_decline"]
    declined = f["pre"][client]["unit_id"]
    without_ledger = set(checker.eligible_pairs(f["tmp"] / f"instance-{WEEKS[1]}"))
    others = {u.unit_id for u in read_instance(REGION).units if u.landlord == "Pré Wonen"} - {declined}
    assert {(client, u) for u in others} & without_ledger, "the decline bites: other Pré Wonen units fit"
    for week in ("w2", "w3"):
        solved = read_instance(f["tmp"] / week / "solved-instance")
        pre_units = {u.unit_id for u in solved.units if u.landlord == "Pré Wonen"}
        assert not {u for c, u in f[week] if c == client} & pre_units
        assert any(
            d.client_id == client and d.scope == "landlord" and d.scope_id == "Pré Wonen" and d.until is None
            for d in solved.declined
        )


def test_a_safety_refusal_rules_out_the_neighbourhood(three_weeks):
    f = three_weeks
    client = f["elan_safety"]
    unit = f["elan"][client]["unit_id"]
    neighbourhood = next(u.neighbourhood_id for u in read_instance(REGION).units if u.unit_id == unit)
    without_ledger = set(checker.eligible_pairs(f["tmp"] / f"instance-{WEEKS[1]}"))
    wijk = {u.unit_id for u in read_instance(REGION).units if u.neighbourhood_id == neighbourhood}
    assert {(client, u) for u in wijk - {unit}} & without_ledger, "the decline bites: other units there fit"
    for week in ("w2", "w3"):
        solved = read_instance(f["tmp"] / week / "solved-instance")
        in_wijk = {u.unit_id for u in solved.units if u.neighbourhood_id == neighbourhood}
        assert not {u for c, u in f[week] if c == client} & in_wijk
        eligible = set(checker.eligible_pairs(f["tmp"] / week / "solved-instance"))
        assert not {(client, u) for u in in_wijk} & eligible, "the independent checker agrees"


def test_the_conflict_is_listed_then_settled(three_weeks):
    f = three_weeks
    [conflict] = f["status2"]["conflicts"]
    assert (conflict["client_id"], conflict["recorded"]["decision"], conflict["new"]["decision"]) == (
        f["pre_accept"],
        "accept",
        "decline",
    )
    assert f["w2_summary"]["ledger"]["open_conflicts"] == 1
    assert f["w3_summary"]["ledger"]["open_conflicts"] == 0 and f["status3"]["conflicts"] == []


def test_the_re_export_shows_earlier_decisions_locked(three_weeks):
    f = three_weeks
    row = f["pre2"][f["pre_accept"]]
    assert row["decision"] == "accept" and str(row["status"]).startswith("decided on")
    new = [r for r in f["pre2"].values() if r["status"] == "new"]
    assert all(r["decision"] is None for r in new)


def test_the_status_uses_one_vocabulary(three_weeks):
    states = {m["state"] for m in three_weeks["status3"]["matches"]}
    assert states <= {"offered", "accepted", "housed", "declined", "withdrawn"}
    assert {"housed", "declined", "accepted"} <= states
