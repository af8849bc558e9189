"""`matcher status` and `ledger_status`: the ledger in sight before the weekly table (issue 13, item 3).

One ledger of two weeks is built through the ledger's own import (as `review export`, `review
import` and `record` write it), on SQLite and, with MATCHER_TEST_POSTGRES, on PostgreSQL:

week 1 (2026-11-23, proposal p1, workbooks due back 2026-11-26)
    C01 → U01 Alpha    landlord accepts (by phone, before p2); in p2 again  → accepted (landlord)
    C02 → U02 Alpha    undecided; p2 offers C02 U06 instead               → withdrawn
    C03 → U03 Beta     both accept                                          → housed
    C04 → U04 Gamma    client accepts, landlord declines (site S4)          → declined
    C05 → U05 Delta    client declines (location, neighbourhood N05)        → declined
    C11 → U11 Theta    client accepts, Theta never answers                  → accepted (client)
    C12 → U12 Iota     undecided; neither is in p2                          → withdrawn
week 2 (2026-11-30, proposal p2, workbooks due back 2026-12-03)
    C01 → U01 Alpha, C02 → U06 Alpha (offered), C07 → U07 Epsilon (offered),
    C08 → U08 Zeta (landlord accepts), C09 → U09 Eta (client accepts)
decided, never proposed
    C05 → U15 no_response (C05's second refusal), C03 → U13 and U14 (refusals of a housed
    client), C10 → U10 unsuitable, this unit until 2026-11-29 (ended by week 2)
a conflict: Zeta's landlord first accepts C08 → U08, then a decline comes in.
"""

from __future__ import annotations

import json
import re
import shlex
from datetime import date, timedelta

from click.testing import CliRunner

from matcher.cli.main import main
from matcher.review.history import HEADINGS, weekly_history
from matcher.review.ledger import (
    Batch,
    Decision,
    ProposalRecord,
    ProposedPair,
    import_batches,
    open_conflicts,
    read_ledger,
)
from matcher.review.status import STATES, ledger_status

WEEK1, WEEK2 = date(2026, 11, 23), date(2026, 11, 30)
DUE1, DUE2 = date(2026, 11, 26), date(2026, 12, 3)

EXPECTED = {
    "offered": {("C02", "U06"), ("C07", "U07")},
    "accepted": {("C01", "U01"), ("C08", "U08"), ("C09", "U09"), ("C11", "U11")},
    "housed": {("C03", "U03")},
    "declined": {
        ("C04", "U04"),
        ("C05", "U05"),
        ("C05", "U15"),
        ("C03", "U13"),
        ("C03", "U14"),
        ("C10", "U10"),
    },
    "withdrawn": {("C02", "U02"), ("C12", "U12")},
}


def pair(client: str, unit: str, landlord: str, site: str | None = None) -> ProposedPair:
    number = unit[1:]
    return ProposedPair(
        client, unit, landlord, f"GM{number}", f"N{number}", "social_rental", "light", 1, site
    )


def proposal(proposal_id: str, week: date, return_by: date | None, *pairs: ProposedPair) -> Batch:
    record = ProposalRecord(
        proposal_id, week, week + timedelta(days=6), "test", 20, 20, None, None, pairs, return_by
    )
    return Batch("proposal", f"{proposal_id}/proposals.csv", proposals=[record])


def decide(client: str, unit: str, party: str, decision: str, reason: str | None = None, **more) -> Decision:
    return Decision(client, unit, party, decision, reason, **more)


def record(ledger: str, source: str, *decisions: Decision) -> None:
    import_batches(ledger, [Batch("record", source, decisions=list(decisions))])


def build(ledger: str) -> None:
    """The two weeks of the module docstring, in the order they would happen."""
    import_batches(
        ledger,
        [
            proposal(
                "p1",
                WEEK1,
                DUE1,
                pair("C01", "U01", "Alpha"),
                pair("C02", "U02", "Alpha"),
                pair("C03", "U03", "Beta"),
                pair("C04", "U04", "Gamma", site="S4"),
                pair("C05", "U05", "Delta"),
                pair("C11", "U11", "Theta"),
                pair("C12", "U12", "Iota"),
            )
        ],
    )
    record(
        ledger,
        "week 1",
        decide("C01", "U01", "landlord", "accept"),
        decide("C03", "U03", "client", "accept"),
        decide("C03", "U03", "landlord", "accept"),
        decide("C04", "U04", "client", "accept"),
        decide("C04", "U04", "landlord", "decline", "neighbourhood_situation", note="renovation"),
        decide("C05", "U05", "client", "decline", "location"),
        decide("C11", "U11", "client", "accept"),
        decide("C05", "U15", "client", "decline", "no_response", period_start=date(2026, 11, 16)),
        decide("C03", "U13", "client", "decline", "location", period_start=date(2026, 11, 16)),
        decide("C03", "U14", "client", "decline", "other", period_start=date(2026, 11, 16)),
        decide(
            "C10",
            "U10",
            "client",
            "decline",
            "unsuitable",
            period_start=WEEK1,
            scope="unit",
            until=date(2026, 11, 29),
        ),
    )
    import_batches(
        ledger,
        [
            proposal(
                "p2",
                WEEK2,
                DUE2,
                pair("C01", "U01", "Alpha"),
                pair("C02", "U06", "Alpha"),
                pair("C07", "U07", "Epsilon"),
                pair("C08", "U08", "Zeta"),
                pair("C09", "U09", "Eta"),
            )
        ],
    )
    record(ledger, "zeta.xlsx", decide("C08", "U08", "landlord", "accept"))
    record(ledger, "week 2", decide("C09", "U09", "client", "accept"))
    record(ledger, "zeta-again.xlsx", decide("C08", "U08", "landlord", "decline", "other"))


def status_of(ledger: str, week: date | None = None):
    return ledger_status(read_ledger(ledger), open_conflicts(ledger), week=week, ledger="L.sqlite")


# --- the pure function -------------------------------------------------------------------------


def test_each_match_is_in_exactly_the_state_it_should_be(ledger):
    build(ledger)
    status = status_of(ledger)
    found = {state: {(m.client_id, m.unit_id) for m in status.of(state)} for state in STATES}
    assert found == EXPECTED
    assert len(status.matches) == sum(len(pairs) for pairs in EXPECTED.values()), "each match once"
    assert status.counts == {
        "offered": 2,
        "accepted": 4,
        "housed": 1,
        "declined": 6,
        "withdrawn": 2,
        "workbooks_late": 1,
        "workbooks_due": 3,
        "workbooks_without_date": 0,
        "open_conflicts": 1,
        "at_refusal_limit": 1,
    }


def test_each_state_says_what_a_coordinator_needs(ledger):
    build(ledger)
    status = status_of(ledger)
    match = {(m.client_id, m.unit_id): m for m in status.matches}

    # accepted: which side accepted and whom it waits for; its latest proposal
    assert (match["C01", "U01"].accepted_by, match["C01", "U01"].waiting_for) == (("landlord",), ("client",))
    assert match["C01", "U01"].proposal_id == "p2" and match["C01", "U01"].week == WEEK2
    assert (match["C11", "U11"].accepted_by, match["C11", "U11"].waiting_for) == (("client",), ("landlord",))
    assert match["C11", "U11"].released, "p2 no longer holds it"
    assert match["C11", "U11"].detail == (
        "accepted by the client; waiting for the landlord; not in the latest proposal, so "
        "`solve --ledger` no longer holds it: tell them, or offer it again"
    )
    assert not match["C01", "U01"].released
    assert match["C02", "U06"].waiting_for == ("client", "landlord")

    # declined: by whom, the reason's words, the note, and what it rules out until when
    (gamma,) = match["C04", "U04"].declines
    assert (gamma.party, gamma.reason_code, gamma.note) == (
        "landlord",
        "neighbourhood_situation",
        "renovation",
    )
    assert gamma.reason == "the situation in the street or complex cannot take this placement now"
    assert (gamma.scope, gamma.scope_id, gamma.until) == ("site", "S4", WEEK1 + timedelta(weeks=13, days=-1))
    assert gamma.holds and gamma.rules_out == "every unit of site S4, until 2027-02-21"
    assert match["C04", "U04"].accepted_by == ("client",), "the client had accepted"
    (delta,) = match["C05", "U05"].declines
    assert delta.rules_out == "every unit in neighbourhood N05, until 2027-05-23"
    (ended,) = match["C10", "U10"].declines
    assert (ended.scope, ended.until, ended.holds) == ("unit", date(2026, 11, 29), False)
    assert ended.rules_out == "this unit, until 2026-11-29 (ended)"
    assert match["C10", "U10"].proposal_id is None and match["C10", "U10"].landlord is None, "never proposed"
    (good,) = match["C05", "U15"].declines
    assert good.rules_out == "this unit, for good"

    # withdrawn: what the latest proposal offers its client or unit instead
    assert match["C02", "U02"].instead == (("C02", "U06"),)
    assert match["C02", "U02"].detail == "not in the latest proposal; it offers C02 → U06"
    assert match["C12", "U12"].instead == () and match["C12", "U12"].week == WEEK1


def test_late_workbooks_are_listed_returned_ones_are_not(ledger):
    build(ledger)
    status = status_of(ledger)
    assert status.as_of == WEEK2 and status.as_of_from == "the latest proposal's period start"
    books = {
        (b.proposal_id, b.landlord): (b.status, b.return_by, b.days_late, b.waiting) for b in status.workbooks
    }
    assert books == {
        ("p1", "Theta"): ("late", DUE1, 4, 1),  # the client accepted, the landlord never answered
        ("p2", "Alpha"): ("due", DUE2, 0, 1),  # C02 → U06 waits; Alpha's phone accept was before p2
        ("p2", "Epsilon"): ("due", DUE2, 0, 1),
        ("p2", "Eta"): ("due", DUE2, 0, 1),
    }
    # not listed: Zeta and Gamma came back (a landlord decision), Beta's match is housed, Delta's
    # was declined by its client and Iota's withdrawn (nothing waits for those landlords), and
    # Alpha's week-1 workbook came back (the accept of C01 → U01)
    assert [b.landlord for b in status.workbooks] == ["Theta", "Alpha", "Epsilon", "Eta"], "late first"
    assert status.needs_attention


def test_the_day_decides_late_or_due(ledger):
    build(ledger)
    on_the_day = {b.landlord: b.status for b in status_of(ledger, DUE2).workbooks}
    assert on_the_day == {"Theta": "late", "Alpha": "due", "Epsilon": "due", "Eta": "due"}
    after = status_of(ledger, DUE2 + timedelta(days=1))
    assert {b.landlord: (b.status, b.days_late) for b in after.workbooks} == {
        "Theta": ("late", 8),
        "Alpha": ("late", 1),
        "Epsilon": ("late", 1),
        "Eta": ("late", 1),
    }
    assert status_of(ledger, DUE1).counts["workbooks_late"] == 0, "Theta's is not late on its own day"
    declines = {
        (m.client_id, m.unit_id): m.declines[0].holds for m in status_of(ledger, WEEK1).of("declined")
    }
    assert declines["C10", "U10"], "the decline that ended by week 2 still held in week 1"


def test_a_workbook_without_a_return_date_is_listed_as_such(ledger):
    import_batches(ledger, [proposal("p1", WEEK1, None, pair("C01", "U01", "Alpha"))])
    status = status_of(ledger, date(2027, 1, 1))
    assert [(b.landlord, b.status, b.return_by) for b in status.workbooks] == [("Alpha", "no date", None)]
    assert not status.needs_attention, "no date given: never late"


def test_conflicts_are_listed_with_the_command_that_settles_them(ledger):
    build(ledger)
    (conflict,) = status_of(ledger).conflicts
    assert (conflict.client_id, conflict.unit_id, conflict.party) == ("C08", "U08", "landlord")
    assert (conflict.recorded, conflict.new, conflict.new_reason) == ("accept", "decline", "other")
    assert conflict.source == "zeta-again.xlsx" and conflict.week == WEEK2
    assert conflict.take_new == (
        "matcher record --ledger L.sqlite --client C08 --unit U08 --by landlord --decision decline "
        "--reason other --week 2026-11-30 --correct"
    )


def test_clients_at_the_refusal_limit(ledger):
    build(ledger)
    status = status_of(ledger)
    assert [(c.client_id, c.refusals) for c in status.refusals] == [("C05", 2)]
    assert status.refusals[0].refused == (
        ("U05", "location", WEEK1),
        ("U15", "no_response", date(2026, 11, 16)),
    )
    # C03 refused twice too but is housed; C10's decline (unsuitable) is not a refusal
    three = ledger_status(read_ledger(ledger), week=WEEK2, max_refusals=3)
    assert three.refusals == ()


def test_an_empty_ledger(ledger):
    record(ledger, "first", decide("C01", "U01", "client", "accept", period_start=WEEK1))
    status = status_of(ledger)
    assert status.latest_proposal is None and status.as_of == WEEK1
    assert [(m.client_id, m.state) for m in status.matches] == [("C01", "accepted")]
    assert status.workbooks == () and not status.needs_attention


def test_history_and_status_count_with_the_same_words(ledger):
    """One week: history's keys, under their headings, equal status's states."""
    import_batches(
        ledger,
        [
            proposal(
                "p1",
                WEEK1,
                DUE1,
                pair("C01", "U01", "Alpha"),
                pair("C02", "U02", "Alpha"),
                pair("C03", "U03", "Beta"),
                pair("C04", "U04", "Beta"),
            )
        ],
    )
    record(
        ledger,
        "week 1",
        decide("C01", "U01", "client", "accept"),
        decide("C01", "U01", "landlord", "accept"),
        decide("C02", "U02", "landlord", "accept"),
        decide("C03", "U03", "client", "decline", "location"),
    )
    counts = status_of(ledger).counts
    (week,) = weekly_history(ledger).to_dict("records")
    assert {key: HEADINGS[key] for key in ("accepted", "placed", "open")} == {
        "accepted": "accepted or housed",
        "placed": "housed",
        "open": "undecided",
    }
    assert week["placed"] == counts["housed"] == 1
    assert week["accepted"] == counts["accepted"] + counts["housed"] == 2
    assert week["declined"] == counts["declined"] == 1
    assert week["open"] == counts["offered"] + counts["withdrawn"] == 1


# --- the command -------------------------------------------------------------------------------


def invoke(*args: object, code: int):
    result = CliRunner().invoke(main, ["status", *[str(a) for a in args]])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


HEADINGS_RE = re.compile(
    r"^(Counts|Matches by state|(?:offered|accepted|housed|declined|withdrawn) \(\d+\):.*"
    r"|Workbooks not back \(\d+\)|Conflicts waiting for you \(\d+\)|Clients at the refusal limit.*)$"
)


def sections(output: str) -> dict[str, str]:
    """The printed status by section heading (a state's heading is its state)."""
    found: dict[str, list[str]] = {"header": []}
    current = "header"
    for line in output.splitlines():
        if HEADINGS_RE.match(line):
            current = line.split(" (")[0]
            found[current] = []
        else:
            found[current].append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


def test_json_holds_what_the_tables_show(ledger):
    build(ledger)
    table = sections(invoke("--ledger", ledger, code=1))
    data = json.loads(invoke("--ledger", ledger, "--json", code=1))
    assert data["counts"] == status_of(ledger).counts and data["needs_attention"] is True
    assert data["as_of"] == "2026-11-30"

    shown_counts = {
        name.strip(): int(count)
        for name, count in re.findall(r"^([a-z ]+?)\s+│\s+(\d+)\s+│", table["Counts"], re.MULTILINE)
    }
    assert shown_counts == {
        "offered": 2,
        "accepted": 4,
        "housed": 1,
        "declined": 6,
        "withdrawn": 2,
        "workbooks late": 1,
        "workbooks due": 3,
        "workbooks without date": 0,
        "open conflicts": 1,
        "at the refusal limit": 1,
    }

    # every match is shown in its state's table, and in no other
    by_state = {
        state: {(m["client_id"], m["unit_id"]) for m in data["matches"] if m["state"] == state}
        for state in STATES
    }
    assert by_state == EXPECTED
    for match in data["matches"]:
        name = f"{match['client_id']} → {match['unit_id']}"
        holding = [state for state in STATES if re.search(rf"^{name} ", table.get(state, ""), re.MULTILINE)]
        assert holding == [match["state"]], name
    assert (
        "renovation" in table["declined"] and "every unit of site S4, until 2027-02-21" in table["declined"]
    )

    books = table["Workbooks not back"]
    assert [(b["landlord"], b["status"]) for b in data["workbooks_not_back"]] == [
        ("Theta", "late"),
        ("Alpha", "due"),
        ("Epsilon", "due"),
        ("Eta", "due"),
    ]
    assert re.search(r"^Theta\s+│ 2026-11-23 │ p1\s+│ 2026-11-26 │ late, 4 day\(s\)", books, re.MULTILINE)
    for landlord in ("Alpha", "Epsilon", "Eta"):
        assert re.search(rf"^{landlord}\s+│ 2026-11-30 │ p2\s+│ 2026-12-03 │ due", books, re.MULTILINE)
    assert not re.search(r"Zeta|Gamma|Beta|Delta|Iota", books)

    (conflict,) = data["conflicts"]
    assert conflict["to_take_new"] in table["Conflicts waiting for you"].replace("\n", " ")
    assert conflict["to_take_new"].startswith(f"matcher record --ledger {shlex.quote(ledger)} --client C08")
    (client,) = data["refusal_limit"]["clients"]
    assert client["client_id"] == "C05" and re.search(
        r"^C05\s+│ 2 ", table["Clients at the refusal limit"], re.MULTILINE
    )


def test_settling_the_conflict_changes_the_status(ledger):
    build(ledger)
    command = json.loads(invoke("--ledger", ledger, "--json", code=1))["conflicts"][0]["to_take_new"]
    args = shlex.split(command)[1:]
    assert args[args.index("--ledger") + 1] == ledger
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(invoke("--ledger", ledger, "--json", "--week", "2026-11-26", code=0))
    assert data["conflicts"] == [] and data["counts"]["workbooks_late"] == 0
    c08 = next(m for m in data["matches"] if m["client_id"] == "C08")
    assert c08["state"] == "declined" and c08["declines"][0]["party"] == "landlord"


def test_exit_codes(ledger, tmp_path):
    build(ledger)
    invoke("--ledger", ledger, code=1)  # a late workbook and a conflict
    invoke("--ledger", ledger, "--week", "2026-11-26", code=1)  # the conflict alone
    invoke("--ledger", ledger, "--week", "2026-11-20", "--json", code=1)
    assert "Invalid value for '--week'" in invoke("--ledger", ledger, "--week", "30-11-2026", code=2)
    assert "no ledger here" in invoke("--ledger", tmp_path / "nothing.sqlite", code=2)


def test_exit_0_when_nothing_waits_for_the_coordinator(ledger):
    import_batches(
        ledger, [proposal("p1", WEEK1, DUE1, pair("C01", "U01", "Alpha"), pair("C02", "U02", "Beta"))]
    )
    record(ledger, "alpha.xlsx", decide("C01", "U01", "landlord", "accept"))
    output = invoke("--ledger", ledger, code=0)
    assert "due back: 2026-11-26" in output
    assert re.search(r"^Beta\s+│ 2026-11-23 │ p1\s+│ 2026-11-26 │ due", output, re.MULTILINE)
    late = invoke("--ledger", ledger, "--week", "2026-11-27", code=1)
    books = sections(late)["Workbooks not back"]
    assert re.search(r"^Beta .* late, 1 day\(s\)", books, re.MULTILINE) and "Alpha" not in books


def test_a_note_cannot_steer_the_terminal(ledger):
    """Notes come from landlords' workbooks: no markup and no control characters reach the terminal."""
    import_batches(ledger, [proposal("p1", WEEK1, DUE1, pair("C01", "U01", "Alpha"))])
    record(ledger, "alpha.xlsx", decide("C01", "U01", "landlord", "decline", "other", note="[red]x\x1b[2J"))
    output = invoke("--ledger", ledger, code=0)
    assert "\x1b" not in output and "[red]x\\x1b[2J" in output


def test_keeping_the_recorded_decision_also_settles_the_conflict(ledger):
    """`record --correct` with the decision already recorded keeps it and settles the conflict."""
    build(ledger)
    before = json.loads(invoke("--ledger", ledger, "--json", code=1))["conflicts"][0]
    args = shlex.split(before["to_keep_recorded"])[1:]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 kept as recorded (conflict settled)" in result.output
    data = json.loads(invoke("--ledger", ledger, "--json", "--week", "2026-11-26", code=0))
    assert data["conflicts"] == []
    c08 = next(m for m in data["matches"] if m["client_id"] == "C08")
    assert before["recorded"]["decision"] == "accept" and c08["state"] != "declined"
