"""The weekly review loop through the `matcher` command: export, import, record, solve --ledger,
--keep-proposal, history, and clear exit codes without tracebacks."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.review.ledger import TABLES
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
DECISION = chr(ord("A") + KEYS.index("decision"))
REASON = chr(ord("A") + KEYS.index("reason_code"))


def invoke(*args: str, code: int = 0):
    """Run `matcher ARGS` and check its exit code; never a traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def dump(path: Path) -> dict:
    with sqlite3.connect(path) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        }


def pairs_of(folder: Path) -> list[tuple[str, str]]:
    return [tuple(line.split(",")[:2]) for line in (folder / "proposals.csv").read_text().splitlines()[1:]]


def decide_in_workbook(path: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    """Fill decisions into a landlord workbook by client id, as the landlord would."""
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    for row in range(FIRST_ROW, sheet.max_row + 1):
        client = sheet[f"A{row}"].value
        if client in decisions:
            sheet[f"{DECISION}{row}"], sheet[f"{REASON}{row}"] = decisions[client]
    book.save(path)


@pytest.fixture
def week1(tmp_path) -> dict[str, Path]:
    """Week 1: proposal made, workbooks exported and the proposal recorded in a new ledger."""
    ledger, proposal, books = tmp_path / "ledger.sqlite", tmp_path / "week1", tmp_path / "books"
    invoke("solve", TINY, "--out", proposal)
    result = invoke("review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)
    assert "3 workbook(s) for the week of 2026-11-23" in result.output
    return {"ledger": ledger, "proposal": proposal, "books": books, "tmp": tmp_path}


def test_weekly_cycle(week1):
    """Landlord and client decisions flow through the ledger into next run, history and summary."""
    ledger, books = week1["ledger"], week1["books"]
    decide_in_workbook(
        books / "woonopmaat.xlsx", {"C03": ("accept", None), "C04": ("decline", "neighbourhood_situation")}
    )
    decide_in_workbook(books / "elan-wonen.xlsx", {"C01": ("accept", None)})
    result = invoke("review", "import", *sorted(books.glob("*.xlsx")), "--ledger", ledger)
    assert (
        "woonopmaat.xlsx: 2 added" in result.output
        and "pre-wonen.xlsx: no decisions filled in" in result.output
    )
    invoke("record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "accept")
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C02",
        "--unit",
        "U01",
        "--decision",
        "decline",
        "--reason",
        "location",
    )

    out = week1["tmp"] / "week1b"
    invoke("solve", TINY, "--ledger", ledger, "--out", out)
    pairs = pairs_of(out)
    assert ("C04", "U05") not in pairs and ("C02", "U01") not in pairs, (
        "declined pairs are never proposed again"
    )
    assert "C03" not in dict(pairs) and "U03" not in dict(pairs).values(), "the placed match is fixed"
    assert checker.violations(TINY, pairs + [("C03", "U03")]) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ledger"]["accepted_fixed"] == [
        {"client_id": "C03", "unit_id": "U03", "period_start": "2026-11-23"}
    ]
    assert summary["ledger"]["refusals"] == {"C02": 1} and summary["ledger"]["urgency_lapsed"] == []

    history = json.loads(invoke("history", "--ledger", ledger, "--format", "json").output)
    assert history == [
        {
            "week": "2026-11-23",
            "proposed": 5,
            "accepted": 2,
            "declined": 2,
            "placed": 1,
            "open": 1,
            "waiting": 7,
            "refusals": 1,
        }
    ]
    table = invoke("history", "--ledger", ledger).output
    assert "2026-11-23" in table and "waiting" in table
    assert invoke("history", "--ledger", ledger, "--format", "csv").output.startswith(
        "week,proposed,accepted,declined,placed,open,waiting,refusals\n2026-11-23,5,2,2,1,1,7,1"
    )


def test_reimporting_the_same_files_changes_nothing(week1):
    """Importing the same workbooks twice leaves the ledger byte-for-byte equal in content."""
    ledger, books = week1["ledger"], week1["books"]
    decide_in_workbook(books / "woonopmaat.xlsx", {"C03": ("accept", None), "C06": ("accept", None)})
    invoke("review", "import", *sorted(books.glob("*.xlsx")), "--ledger", ledger)
    before = dump(ledger)
    again = invoke("review", "import", *sorted(books.glob("*.xlsx")), "--ledger", ledger)
    assert "skipped, already imported" in again.output
    assert dump(ledger) == before


def test_conflicting_decision_exits_1_and_keeps_the_first(week1):
    """A landlord decision that contradicts one already recorded is listed, not applied (exit 1)."""
    ledger, books = week1["ledger"], week1["books"]
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C01",
        "--unit",
        "U02",
        "--decision",
        "accept",
        "--by",
        "landlord",
    )
    decide_in_workbook(books / "elan-wonen.xlsx", {"C01": ("decline", "unit_not_available")})
    result = invoke("review", "import", books / "elan-wonen.xlsx", "--ledger", ledger, code=1)
    assert "1 conflicting decision(s) were NOT recorded" in result.output and "row 7" in result.output
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("SELECT decision FROM decisions").fetchall() == [("accept",)]
        assert connection.execute("SELECT COUNT(*) FROM conflicts").fetchone() == (1,)
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C01",
        "--unit",
        "U02",
        "--decision",
        "decline",
        "--reason",
        "unit_not_available",
        "--by",
        "landlord",
        "--correct",
    )
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("SELECT decision FROM decisions").fetchall() == [("decline",)]


def test_keep_proposal_after_a_late_decline(week1):
    """After a late decline, every open communicated match stays: a match moves only to place a
    client of higher priority (decision 53). Moving C01 (acute) from U02 to U06 would let C06
    (normal) take U02 and raise W by 112, but C06 does not come before C01, so C01 keeps U02."""
    ledger = week1["ledger"]
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C06",
        "--unit",
        "U06",
        "--decision",
        "decline",
        "--by",
        "landlord",
        "--reason",
        "unit_not_available",
    )
    out = week1["tmp"] / "week1b"
    invoke("solve", TINY, "--ledger", ledger, "--keep-proposal", week1["proposal"], "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    continuity = summary["continuity"]
    assert continuity["declined"] == ["C06->U06"] and continuity["withdrawn"] == []
    assert continuity["new"] == [] and continuity["kept"] == 4
    assert {("C01", "U02"), ("C02", "U01"), ("C03", "U03"), ("C04", "U05")} == set(pairs_of(out))
    before = json.loads((week1["proposal"] / "summary.json").read_text())["objective"]["W"]
    assert summary["objective"]["W"] == before - 112, "C06 (normal, 112) waits rather than move C01"
    assert [level["name"] for level in summary["levels"]][:2] == ["continuity", "priority"]
    assert checker.violations(TINY, pairs_of(out)) == []


def test_record_from_a_file(week1):
    """A decisions CSV is recorded in one go, with weeks taken from the proposals in the ledger."""
    file = week1["tmp"] / "decisions.csv"
    file.write_text(
        "client_id,unit_id,decision,reason_code,decided_by\nC01,U02,accept,,client\n"
        "C04,U05,decline,safety,client\n"
    )
    result = invoke("record", "--ledger", week1["ledger"], "--file", file)
    assert "2 added" in result.output
    with sqlite3.connect(week1["ledger"]) as connection:
        weeks = connection.execute("SELECT DISTINCT period_start FROM decisions").fetchall()
    assert weeks == [("2026-11-23",)]
    assert "skipped" in invoke("record", "--ledger", week1["ledger"], "--file", file).output


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["record", "--ledger", "{ledger}", "--client", "C01", "--unit", "U09", "--decision", "accept"],
            "never proposed",
        ),
        (
            ["record", "--ledger", "{ledger}", "--client", "C01", "--unit", "U02", "--decision", "decline"],
            "a decline needs a reason code",
        ),
        (["record", "--ledger", "{ledger}", "--client", "C01"], "missing --unit, --decision"),
        (["review", "import", "{tmp}/week1/proposals.csv", "--ledger", "{ledger}"], "not a readable .xlsx"),
        (["history", "--ledger", "{tmp}/nothing.sqlite"], "no ledger here"),
        (["solve", str(TINY), "--ledger", "{tmp}/nothing.sqlite", "--out", "{tmp}/x"], "no ledger here"),
        (["check", str(TINY), "{tmp}/week1/summary.json"], "client_id"),
    ],
)
def test_bad_input_exits_2_with_a_message(week1, args, message):
    """Bad input gives exit 2 and a plain message naming the problem, and changes nothing."""
    before = dump(week1["ledger"])
    filled = [a.format(ledger=week1["ledger"], tmp=week1["tmp"]) for a in args]
    result = CliRunner().invoke(main, filled)
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in result.output
    assert dump(week1["ledger"]) == before


def test_two_refusals_lapse_urgency_in_the_summary(tmp_path):
    """Two refused suitable offers lapse an acute client's urgency, flagged in summary.json."""
    ledger = tmp_path / "ledger.sqlite"
    for unit in ("U01", "U02"):
        invoke(
            "record",
            "--ledger",
            ledger,
            "--client",
            "C01",
            "--unit",
            unit,
            "--decision",
            "decline",
            "--reason",
            "location",
            "--week",
            "2026-11-16",
        )
    out = tmp_path / "week"
    invoke("solve", TINY, "--ledger", ledger, "--out", out)
    summary = json.loads((out / "summary.json").read_text())["ledger"]
    assert summary["urgency_lapsed"] == ["C01"]
    assert any(
        "C01: urgency lapsed from acute to normal after 2 refusals" in f
        for f in summary["flagged_for_coordinator"]
    )
    weights = {
        line.split(",")[0]: int(line.split(",")[5])
        for line in (out / "proposals.csv").read_text().splitlines()[1:]
    }
    assert weights.get("C01", 126) == 126  # 100 + 26 weeks instead of 200 + 26


def test_export_without_matches_writes_nothing(tmp_path):
    """A proposal without matches writes no workbooks and says so."""
    folder = tmp_path / "empty"
    shutil.copytree(TINY, folder)
    (folder / "clients.csv").write_text((folder / "clients.csv").read_text().splitlines()[0] + "\n")
    invoke("solve", folder, "--out", tmp_path / "week")
    result = invoke("review", "export", folder, "--proposal", tmp_path / "week", "--out", tmp_path / "books")
    assert "no workbooks written" in result.output and not (tmp_path / "books").exists()
