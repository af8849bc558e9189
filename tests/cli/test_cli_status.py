"""`matcher status` through the whole weekly loop on the tiny instance: solve, export, a landlord's
workbook imported, a client's decision recorded; and its exit codes without tracebacks."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
DECISION = chr(ord("A") + KEYS.index("decision"))
REASON = chr(ord("A") + KEYS.index("reason_code"))


def invoke(*args: object, code: int = 0) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


def decide_in_workbook(path: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    for row in range(FIRST_ROW, sheet.max_row + 1):
        client = sheet[f"A{row}"].value
        if client in decisions:
            sheet[f"{DECISION}{row}"], sheet[f"{REASON}{row}"] = decisions[client]
    book.save(path)


def test_status_follows_the_weekly_loop(tmp_path):
    ledger, proposal, books = tmp_path / "ledger.sqlite", tmp_path / "week1", tmp_path / "books"
    invoke("solve", TINY, "--out", proposal)
    invoke("review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)

    sent = json.loads(invoke("status", "--ledger", ledger, "--json"))
    assert sent["counts"]["offered"] == 5 and {m["state"] for m in sent["matches"]} == {"offered"}
    assert sent["as_of"] == "2026-11-23" and sent["latest_proposal"]["matches"] == 5
    assert {b["landlord"] for b in sent["workbooks_not_back"]} == {"Elan Wonen", "Pré Wonen", "Woonopmaat"}

    decide_in_workbook(
        books / "woonopmaat.xlsx", {"C03": ("accept", None), "C04": ("decline", "neighbourhood_situation")}
    )
    invoke("review", "import", books / "woonopmaat.xlsx", "--ledger", ledger)
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

    data = json.loads(invoke("status", "--ledger", ledger, "--json"))
    states = {(m["client_id"], m["unit_id"]): m["state"] for m in data["matches"]}
    assert states == {
        ("C01", "U02"): "offered",
        ("C06", "U06"): "offered",
        ("C03", "U03"): "housed",
        ("C04", "U05"): "declined",
        ("C02", "U01"): "declined",
    }
    c04 = next(m for m in data["matches"] if m["client_id"] == "C04")
    assert c04["declines"][0]["party"] == "landlord"
    assert c04["declines"][0]["rules_out"] == "every unit of site SKAEVE-VELSEN, until 2027-02-21"
    # Woonopmaat's workbook came back; Pré Wonen's only match was declined by its client
    due = data["latest_proposal"]["return_by"]
    assert [(b["landlord"], b["status"], b["return_by"]) for b in data["workbooks_not_back"]] == [
        ("Elan Wonen", "due" if due else "no date", due)
    ]
    assert data["conflicts"] == [] and data["needs_attention"] is False
    if due:  # `review export` gives a return-by date: the day after it, Elan Wonen's is late (exit 1)
        after = (date.fromisoformat(due) + timedelta(days=1)).isoformat()
        late = json.loads(invoke("status", "--ledger", ledger, "--week", after, "--json", code=1))
        assert [(b["landlord"], b["status"], b["days_late"]) for b in late["workbooks_not_back"]] == [
            ("Elan Wonen", "late", 1)
        ]

    table = invoke("status", "--ledger", ledger)
    assert "housed (1): accepted by both the client and the landlord" in table
    assert "C03 → U03" in table.split("housed (1)")[1].split("declined (2)")[0]

    history = json.loads(invoke("history", "--ledger", ledger, "--format", "json"))
    assert history[0]["placed"] == data["counts"]["housed"] == 1, "history's `placed` key counts housed"


def test_bad_input_is_exit_2_without_traceback(tmp_path):
    assert "no ledger here" in invoke("status", "--ledger", tmp_path / "none.sqlite", code=2)
    assert "Missing option '--ledger'" in invoke("status", code=2)
    not_a_ledger = tmp_path / "notes.txt"
    not_a_ledger.write_text("not a database")
    assert "cannot read the ledger" in invoke("status", "--ledger", not_a_ledger, code=2)
    assert "--max-refusals" in invoke("status", "--ledger", not_a_ledger, "--max-refusals", "0", code=2)
