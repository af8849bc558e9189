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
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, [str(a) for a in args])  # no wrapped headings
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


def test_the_weekly_loop_in_dutch_and_in_english(tmp_path, dutch):
    """Dutch by default: the workbook's words are filled in, status and history read in Dutch;
    `--lang en` gives the same status in English. JSON keys and states stay the same."""
    ledger, proposal, books = tmp_path / "ledger.sqlite", tmp_path / "week1", tmp_path / "books"
    invoke("solve", TINY, "--out", proposal)
    out = invoke("review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)
    assert (
        "woonopmaat.xlsx: 3 koppeling(en), 3 nieuw, 0 eerder gestuurd, 0 eerder besloten (vergrendeld)" in out
    )
    book = load_workbook(books / "woonopmaat.xlsx")
    assert book.sheetnames[0] == "Beoordeling"
    sheet = book["Beoordeling"]
    for row in range(FIRST_ROW, sheet.max_row + 1):
        client = sheet[f"A{row}"].value
        if client == "C03":
            sheet[f"{DECISION}{row}"] = "accepteren"
        if client == "C04":
            sheet[f"{DECISION}{row}"], sheet[f"{REASON}{row}"] = "afwijzen", "neighbourhood_situation"
    book.save(books / "woonopmaat.xlsx")
    assert "woonopmaat.xlsx: 2 toegevoegd, 0 gecorrigeerd, 0 ongewijzigd, 0 tegenstrijdig" in invoke(
        "review", "import", books / "woonopmaat.xlsx", "--ledger", ledger
    )
    invoke("record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "accepteren")
    invoke(
        "record", "--ledger", ledger, "--client", "C02", "--unit", "U01", "--decision", "afwijzen",
        "--reason", "location",
    )  # fmt: skip

    table = invoke("status", "--ledger", ledger)
    assert "Register" not in table and "Beslissingenlogboek" in table
    assert "gehuisvest (1): geaccepteerd door zowel de cliënt als de corporatie" in table
    assert "afgewezen (2): afgewezen door de cliënt of de corporatie" in table
    assert "door de corporatie: de situatie in de straat" in table and "Werkmappen niet terug (1)" in table
    english = invoke("--lang", "en", "status", "--ledger", ledger)
    assert "housed (1): accepted by both the client and the landlord" in english
    assert "by the landlord: the situation in the street" in english
    data = json.loads(invoke("status", "--ledger", ledger, "--json"))  # keys and states stay English
    assert {m["state"] for m in data["matches"]} == {"offered", "housed", "declined"}
    c04 = next(m for m in data["matches"] if m["client_id"] == "C04")
    assert c04["detail"] == (
        "door de corporatie: de situatie in de straat of het complex laat deze plaatsing nu niet toe "
        "(neighbourhood_situation); sluit uit: elke woning van complex SKAEVE-VELSEN, tot 2027-02-21"
    )

    history = invoke("history", "--ledger", ledger)
    assert "Wekelijks verloop van" in history
    assert all(word in history for word in ("voorgesteld", "geaccepteerd of gehuisvest", "nog niet besloten"))
    assert "accepted or housed" in invoke("--lang", "en", "history", "--ledger", ledger)
    assert json.loads(invoke("history", "--ledger", ledger, "--format", "json"))[0]["placed"] == 1


def test_help_is_dutch_by_default_and_english_with_lang_en(tmp_path):
    """Help is read when a command's module is imported, after --lang: a fresh process each time."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "MATCHER_LANG"}

    def help_of(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "from matcher.cli import main; main()", *args, "--help"],
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "Waar elke koppeling staat" in help_of("status")
    assert "het beslissingenlogboek (SQLite-bestand" in help_of("status")
    assert "Where every match stands" in help_of("--lang", "en", "status")
    assert "Leg beslissingen van cliënten" in help_of("record")
    assert "Record client (or landlord) decisions" in help_of("--lang", "en", "record")
    assert "Lees de beslissingen in teruggestuurde werkmappen" in help_of("review", "import")
    assert "Per week: voorgesteld" in help_of("history")
