"""Re-exported review workbooks show earlier decisions, locked, and mark what is new (issue 13, item 2).

Week 1 is exported and a landlord's decisions are imported. A re-export (the same week after a
decline, or next week with matches carried over) then shows, per row, a Status: `new` (in no
earlier export to this landlord), `sent before` (exported before, still undecided) or
`decided on YYYY-MM-DD`, with the landlord's decision, reason code and note filled in and locked.
A decided row that comes back unchanged is not read again; a changed one is refused naming file,
sheet, row and column. Every workbook says by when to return it; the ledger keeps that date.
On SQLite and, with MATCHER_TEST_POSTGRES, PostgreSQL.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_backends import dump, tables
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.io.files import sha256_bytes
from matcher.review.ledger import LANDLORD_REASONS, key_file, read_ledger, workbook_key
from matcher.review.reasons import BOOK
from matcher.review.workbook import (
    CODES_SHEET,
    FIRST_ROW,
    KEYS,
    META_COLUMNS_V2,
    META_SHEET,
    REVIEW_SHEET,
    TABLE_MARK,
    _signed_content,
    read_workbook,
)

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}
EDITABLE = ("decision", "reason_code", "note")
# tiny's contacts.csv names the coordinator, so the return line names them (issue 15)
COORDINATOR = ": Coördinator Zuid-Kennemerland, coordinator@voorbeeld.nl, 023 555 0100."
NOTE = "=1+1 roof repairs until March"  # formula-like: must stay text in every workbook
WEEK1 = [("C01", "U02"), ("C02", "U01"), ("C03", "U03"), ("C04", "U05"), ("C06", "U06")]


def invoke(*args: object, code: int = 0):
    """Run `matcher ARGS`; check the exit code and that no traceback is shown."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def proposal(folder: Path, pairs: list[tuple[str, str]]) -> Path:
    """A proposal folder as the coordinator may hand-edit one: proposals.csv only."""
    folder.mkdir(parents=True)
    lines = ["client_id,unit_id", *(f"{client},{unit}" for client, unit in pairs)]
    (folder / "proposals.csv").write_text("\n".join(lines) + "\n")
    return folder


def rows(path: Path) -> dict[str, dict[str, object]]:
    """The Review sheet by client: every column's value, and the row number."""
    sheet = load_workbook(path)[REVIEW_SHEET]
    found = {}
    for number in range(FIRST_ROW, sheet.max_row + 1):
        values: dict[str, object] = {key: sheet[f"{COLUMN[key]}{number}"].value for key in KEYS}
        values["row"] = number
        found[str(values["client_id"])] = values
    return found


def fill(path: Path, by_client: dict[str, dict[str, object]]) -> None:
    """Fill cells by client as a landlord would (openpyxl keeps the protection)."""
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    numbers = {sheet[f"A{n}"].value: n for n in range(FIRST_ROW, sheet.max_row + 1)}
    for client, cells in by_client.items():
        for key, value in cells.items():
            cell = sheet[f"{COLUMN[key]}{numbers[client]}"]
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # typed as text ('=...), as Excel keeps it; not a formula
    book.save(path)


def landlord_decisions(ledger: str) -> dict[tuple[str, str], dict]:
    return {
        (r["client_id"], r["unit_id"]): r for r in read_ledger(ledger).decisions if r["party"] == "landlord"
    }


@pytest.fixture(scope="module")
def week1_proposal(tmp_path_factory) -> Path:
    """The engine's week 1 proposal for instances/tiny (five matches, three landlords)."""
    out = tmp_path_factory.mktemp("week1") / "week1"
    invoke("solve", TINY, "--out", out)
    lines = (out / "proposals.csv").read_text().splitlines()[1:]
    assert sorted(tuple(line.split(",")[:2]) for line in lines) == WEEK1
    return out


@pytest.fixture
def decided(ledger, week1_proposal, tmp_path) -> dict:
    """Week 1 exported; Woonopmaat accepted C03 -> U03 and declined C06 -> U06 with a note; imported."""
    books = tmp_path / "week1-books"
    invoke("review", "export", TINY, "--proposal", week1_proposal, "--out", books, "--ledger", ledger)
    fill(
        books / "woonopmaat.xlsx",
        {
            "C03": {"decision": "accept"},
            "C06": {"decision": "decline", "reason_code": "unit_not_available", "note": NOTE},
        },
    )
    assert (
        "woonopmaat.xlsx: 2 added"
        in invoke("review", "import", *books.glob("*.xlsx"), "--ledger", ledger).output
    )
    days = {pair: row["recorded_at"].date() for pair, row in landlord_decisions(ledger).items()}
    return {"ledger": ledger, "week1": week1_proposal, "books": books, "tmp": tmp_path, "days": days}


@pytest.fixture
def reexported(decided) -> dict:
    """The same week again after the decline: C06 -> U06 gone, C05 -> U04 new (a hand-edited proposal)."""
    pairs = [pair for pair in WEEK1 if pair != ("C06", "U06")] + [("C05", "U04")]
    week1b = proposal(decided["tmp"] / "week1b", pairs)
    books = decided["tmp"] / "week1b-books"
    result = invoke(
        "review", "export", TINY, "--proposal", week1b, "--out", books, "--ledger", decided["ledger"]
    )
    return {**decided, "week1b": week1b, "books2": books, "output": result.output}


def test_reexport_fills_in_earlier_decisions_locks_them_and_marks_new_rows(reexported):
    """Woonopmaat's re-exported workbook: C03 decided (filled in, locked), C05 new, C04 sent before."""
    path = reexported["books2"] / "woonopmaat.xlsx"
    day = reexported["days"][("C03", "U03")]
    got = rows(path)
    assert {client: row["status"] for client, row in got.items()} == {
        "C03": f"decided on {day.isoformat()}",
        "C05": "new",
        "C04": "sent before",
    }
    assert [got["C03"][key] for key in EDITABLE] == ["accept", None, None]
    assert [got[client][key] for client in ("C04", "C05") for key in EDITABLE] == [None] * 6
    sheet = load_workbook(path)[REVIEW_SHEET]
    assert sheet.protection.sheet
    for client, locked in (("C03", True), ("C05", False), ("C04", False)):
        for key in EDITABLE:
            assert sheet[f"{COLUMN[key]}{got[client]['row']}"].protection.locked is locked, (client, key)
        assert sheet[f"{COLUMN['status']}{got[client]['row']}"].protection.locked
    assert "1 match(es), 0 new, 1 sent before, 0 decided earlier" in reexported["output"]  # Elan: C01 -> U02
    assert (
        "woonopmaat.xlsx: 3 match(es), 1 new, 1 sent before, 1 decided earlier (locked)"
        in reexported["output"]
    )
    title = sheet["A2"].value
    assert "3 matches: 1 new, 1 sent before, 1 decided" in title
    # week 1's workbooks were all new
    assert {row["status"] for row in rows(reexported["books"] / "woonopmaat.xlsx").values()} == {"new"}


def test_reexport_of_the_same_proposal_shows_a_decline_with_its_reason_and_note_as_text(decided):
    """Exporting week 1 again: the decline shows its reason and the landlord's note, as text, locked;
    the untouched rows were sent before; the proposal is not recorded twice."""
    books = decided["tmp"] / "again"
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        decided["week1"],
        "--out",
        books,
        "--ledger",
        decided["ledger"],
    )
    assert "proposal already recorded there" in result.output
    got = rows(books / "woonopmaat.xlsx")
    day = decided["days"][("C06", "U06")]
    assert [got["C06"][key] for key in ("status", *EDITABLE)] == [
        f"decided on {day.isoformat()}",
        "decline",
        "unit_not_available",
        NOTE,
    ]
    assert got["C04"]["status"] == "sent before"
    assert {row["status"] for row in rows(books / "elan-wonen.xlsx").values()} == {"sent before"}
    sheet = load_workbook(books / "woonopmaat.xlsx")[REVIEW_SHEET]
    note = sheet[f"{COLUMN['note']}{got['C06']['row']}"]
    assert note.data_type == "s" and note.protection.locked
    with zipfile.ZipFile(books / "woonopmaat.xlsx") as archive:
        assert not [name for name in archive.namelist() if b"<f>" in archive.read(name)], (
            "no formula anywhere"
        )
    assert len(dump(decided["ledger"])["proposals"]) == 1


def test_import_of_the_reexported_workbook_records_exactly_the_new_rows(reexported):
    """The landlord fills only the new row: one decision added; the decided row is not read again."""
    ledger, path = reexported["ledger"], reexported["books2"] / "woonopmaat.xlsx"
    before = dump(ledger)
    fill(path, {"C05": {"decision": "accept", "note": "viewing on Monday"}})
    result = invoke("review", "import", *reexported["books2"].glob("*.xlsx"), "--ledger", ledger)
    assert (
        "woonopmaat.xlsx: 1 row(s) decided earlier came back unchanged (locked); not read again"
        in result.output
    )
    assert "woonopmaat.xlsx: 1 added, 0 corrected, 0 unchanged, 0 conflicting" in result.output
    after = dump(ledger)
    assert set(after["decisions"]) > set(before["decisions"])
    new = set(after["decisions"]) - set(before["decisions"])
    assert [(row[1], row[2], row[3], row[4]) for row in new] == [("C05", "U04", "landlord", "accept")]
    assert len(after["decision_log"]) == len(before["decision_log"]) + 1
    assert after["conflicts"] == before["conflicts"] == []
    decisions = landlord_decisions(ledger)
    assert decisions[("C05", "U04")]["note"] == "viewing on Monday"
    assert (
        decisions[("C05", "U04")]["proposal_id"]
        == sha256_bytes((reexported["week1b"] / "proposals.csv").read_bytes())[:16]
    )
    assert set(decisions) == {("C03", "U03"), ("C06", "U06"), ("C05", "U04")}, "C04 -> U05 stays undecided"


@pytest.mark.parametrize(
    "key, value, shown",
    [
        ("decision", "decline", "Decision changed from 'accept' to 'decline'"),
        ("decision", None, "Decision changed from 'accept' to ''"),
        ("reason_code", "other", "Reason code (if declined) changed from '' to 'other'"),
        ("note", "actually no", "Note changed from '' to 'actually no'"),
        ("status", "new", "Status changed from 'decided on"),
    ],
)
def test_a_changed_decided_cell_is_refused_naming_file_sheet_row_and_column(reexported, key, value, shown):
    """A landlord who unprotects the sheet and changes a decided row is refused (exit 2), ledger unchanged."""
    ledger, path = reexported["ledger"], reexported["books2"] / "woonopmaat.xlsx"
    row = rows(path)["C03"]["row"]
    fill(path, {"C03": {key: value}, "C05": {"decision": "accept"}})
    before = dump(ledger)
    result = invoke("review", "import", path, "--ledger", ledger, code=2)
    assert f"woonopmaat.xlsx [{REVIEW_SHEET}], row {row}, column {COLUMN[key]}: {shown}" in result.output
    assert "nothing was changed" in result.output
    if key != "status":
        assert "is locked" in result.output and "matcher record --correct" in result.output
    assert dump(ledger) == before


def test_a_correction_made_after_the_reexport_is_not_undone(reexported):
    """The coordinator corrects the accepted match after the re-export went out; the landlord's
    workbook comes back with that row as it was sent: no conflict, the correction stands."""
    ledger, path = reexported["ledger"], reexported["books2"] / "woonopmaat.xlsx"
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C03",
        "--unit",
        "U03",
        "--decision",
        "decline",
        "--reason",
        "household_does_not_fit",
        "--by",
        "landlord",
        "--correct",
    )
    fill(path, {"C05": {"decision": "decline", "reason_code": "rent_not_affordable"}})
    result = invoke("review", "import", path, "--ledger", ledger)
    assert "1 added" in result.output and "conflicting decision" not in result.output
    decisions = landlord_decisions(ledger)
    assert decisions[("C03", "U03")]["decision"] == "decline"
    assert decisions[("C05", "U04")]["reason_code"] == "rent_not_affordable"


def test_next_week_carries_decisions_over(decided, tiny_copy):
    """Next week (a new period) with matches carried over: decided, sent before and new rows, and
    a return-by date of the new week."""
    policy = tiny_copy / "policy.yaml"
    policy.write_text(policy.read_text().replace("start: 2026-11-23", "start: 2026-11-30"))
    week2 = proposal(decided["tmp"] / "week2", [("C03", "U03"), ("C04", "U05"), ("C05", "U04")])
    books = decided["tmp"] / "week2-books"
    result = invoke(
        "review", "export", tiny_copy, "--proposal", week2, "--out", books, "--ledger", decided["ledger"]
    )
    assert "to be returned by 2026-12-04" in result.output
    got = rows(books / "woonopmaat.xlsx")
    assert [got[client]["status"] for client in ("C03", "C04", "C05")] == [
        f"decided on {decided['days'][('C03', 'U03')].isoformat()}",
        "sent before",
        "new",
    ]
    sheet = load_workbook(books / "woonopmaat.xlsx")[REVIEW_SHEET]
    assert sheet["A3"].value == "Return this file by Friday 04 December 2026 to the coordinator" + COORDINATOR
    assert {(p["period_start"], p["return_by"]) for p in read_ledger(decided["ledger"]).proposals} == {
        (date(2026, 11, 23), date(2026, 11, 27)),
        (date(2026, 11, 30), date(2026, 12, 4)),
    }


def test_a_client_decision_is_never_shown_to_the_landlord(reexported):
    """A client's decline (its reason is the client's business) leaves the landlord's row 'sent before'."""
    ledger = reexported["ledger"]
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C04",
        "--unit",
        "U05",
        "--decision",
        "decline",
        "--reason",
        "safety",
    )
    books = reexported["tmp"] / "again"
    invoke("review", "export", TINY, "--proposal", reexported["week1b"], "--out", books, "--ledger", ledger)
    book = load_workbook(books / "woonopmaat.xlsx")
    assert rows(books / "woonopmaat.xlsx")["C04"]["status"] == "sent before"
    texts = {str(v) for sheet in book.worksheets for line in sheet.iter_rows(values_only=True) for v in line}
    assert "safety" not in texts and not texts & {"BW", "MO", "VO", "jeugd", "acute", "high", "urgency"}


def test_return_by_default_is_in_the_title_the_record_and_the_ledger(decided):
    """Without --return-by: the period start + 4 days (Friday 27 November for the week of Monday 23)."""
    path = decided["books"] / "pre-wonen.xlsx"
    assert load_workbook(path)[REVIEW_SHEET]["A3"].value == (
        "Return this file by Friday 27 November 2026 to the coordinator" + COORDINATOR
    )
    meta = {
        line[0]: line[1] for line in load_workbook(path)[META_SHEET].iter_rows(values_only=True) if line[0]
    }
    assert meta["return_by"] == "2026-11-27" and meta["format_version"] == "4"
    assert [p["return_by"] for p in read_ledger(decided["ledger"]).proposals] == [date(2026, 11, 27)]


def test_return_by_option(decided):
    """--return-by is shown and recorded; a proposal exported before keeps its date; bad dates exit 2."""
    ledger, tmp = decided["ledger"], decided["tmp"]
    week1b = proposal(tmp / "week1b", WEEK1 + [("C05", "U04")])
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        week1b,
        "--out",
        tmp / "b1",
        "--ledger",
        ledger,
        "--return-by",
        "2026-12-01",
    )
    assert "to be returned by 2026-12-01" in result.output
    sheet = load_workbook(tmp / "b1" / "woonopmaat.xlsx")[REVIEW_SHEET]
    assert (
        sheet["A3"].value == "Return this file by Tuesday 01 December 2026 to the coordinator" + COORDINATOR
    )
    by_id = {p["proposal_id"]: p["return_by"] for p in read_ledger(ledger).proposals}
    assert sorted(by_id.values()) == [date(2026, 11, 27), date(2026, 12, 1)]

    # exported again without --return-by: the date recorded with it, not the default
    result = invoke("review", "export", TINY, "--proposal", week1b, "--out", tmp / "b2", "--ledger", ledger)
    assert "to be returned by 2026-12-01" in result.output
    assert "01 December 2026" in load_workbook(tmp / "b2" / "pre-wonen.xlsx")[REVIEW_SHEET]["A3"].value

    before = dump(ledger)
    for given, message in (
        ("2026-12-02", "was exported before, due back by 2026-12-01, and the ledger keeps that date"),
        ("2026-11-20", "2026-11-20 is before the week it is for: give a date from 2026-11-23"),
        (
            "2027-11-27",
            "2027-11-27 is too late: give a date from 2026-11-23 (the period start) to 2027-01-18",
        ),
        ("27-11-2026", "'27-11-2026' does not match the format '%Y-%m-%d'"),
    ):
        out = tmp / f"refused-{given}"
        result = invoke(
            "review",
            "export",
            TINY,
            "--proposal",
            week1b,
            "--out",
            out,
            "--ledger",
            ledger,
            "--return-by",
            given,
            code=2,
        )
        assert message in result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert not out.exists()
    assert dump(ledger) == before


def test_a_bad_return_by_makes_no_ledger(ledger, week1_proposal, tmp_path):
    """A --return-by out of range is refused before the ledger (and its key) would be made."""
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        week1_proposal,
        "--out",
        tmp_path / "books",
        "--ledger",
        ledger,
        "--return-by",
        "2025-11-27",
        code=2,
    )
    assert "--return-by: 2025-11-27 is before the week it is for" in result.output
    if key_file(ledger) is not None:  # SQLite: neither the file nor its key
        assert not Path(ledger).exists() and not key_file(ledger).exists()
    assert tables(ledger) == set() and not (tmp_path / "books").exists()


def test_reason_codes_sheet_says_what_a_decline_rules_out_and_for_how_long(decided):
    """Each code: its words and its default effect (Reason.lasts); the drop-down stays the codes."""
    book = load_workbook(decided["books"] / "woonopmaat.xlsx")
    lines = list(book[CODES_SHEET].iter_rows(values_only=True))
    assert lines[0] == (
        "Reason code",
        "In words",
        "Use it when",
        "A decline with it rules out, for this client",
    )
    reasons = BOOK["landlord"]
    assert lines[1 : 1 + len(LANDLORD_REASONS)] == [
        (code, reasons[code].label, reasons[code].words, reasons[code].lasts) for code in LANDLORD_REASONS
    ]
    assert (
        "neighbourhood_situation",
        "Situation in the neighbourhood",
        reasons["neighbourhood_situation"].words,
        "every unit of the same site, for 13 weeks",
    ) in lines
    review = book[REVIEW_SHEET]
    lists = {v.formula1 for v in review.data_validations.dataValidation}
    assert '"' + ",".join(LANDLORD_REASONS) + '"' in lists
    assert book[CODES_SHEET].protection.sheet


def test_a_reexported_workbook_nobody_filled_in_is_replaced_one_filled_in_is_not(reexported):
    """Its decided rows were filled in by the export, not by the landlord: a re-export may replace
    the workbook; once the landlord fills a row in, it is refused by name and row."""
    ledger, books = reexported["ledger"], reexported["books2"]
    args = ("review", "export", TINY, "--proposal", reexported["week1b"], "--out", books, "--ledger", ledger)
    invoke(*args)
    row = rows(books / "woonopmaat.xlsx")["C05"]["row"]
    fill(books / "woonopmaat.xlsx", {"C05": {"decision": "accept"}})
    result = invoke(*args, code=2)
    assert f"woonopmaat.xlsx: holds a landlord's decisions or notes (sheet {REVIEW_SHEET}, row(s) {row})" in (
        result.output
    )


def as_version_2(path: Path, ledger: str) -> None:
    """Turn a workbook into one as matcher wrote them before version 3 (no Status column, no
    address columns, no return-by, the twelve-column record), signed with the ledger's key: those
    are still out there."""
    key = workbook_key(ledger)
    book = load_workbook(path)
    book[REVIEW_SHEET].delete_cols(KEYS.index("status") + 1)
    book[REVIEW_SHEET].delete_cols(KEYS.index("address") + 1, 2)  # and no address (version 4)
    lines = [
        ["" if v is None else str(v) for v in line] for line in book[META_SHEET].iter_rows(values_only=True)
    ]
    mark = [line[0] for line in lines].index(TABLE_MARK)
    header = {line[0]: line[1] for line in lines[:mark]}
    header["format_version"] = "2"
    del header["return_by"]
    table = [line[: len(META_COLUMNS_V2)] for line in lines[mark + 2 :] if any(line)]
    content = _signed_content(header, table)
    header.update(digest=sha256_bytes(content), key_id=key.key_id, signature=key.sign(content))
    del book[META_SHEET]
    meta = book.create_sheet(META_SHEET)
    for name, value in header.items():
        meta.append([name, value])
    meta.append([TABLE_MARK])
    meta.append(list(META_COLUMNS_V2))
    for line in table:
        meta.append(line)
    meta.sheet_state = "veryHidden"
    book.save(path)


def test_a_version_2_workbook_still_imports(ledger, week1_proposal, tmp_path):
    """A workbook exported before version 3 (out with a landlord now) imports as before."""
    books = tmp_path / "books"
    invoke("review", "export", TINY, "--proposal", week1_proposal, "--out", books, "--ledger", ledger)
    path = books / "woonopmaat.xlsx"
    as_version_2(path, ledger)
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    assert [sheet.cell(row=6, column=c).value for c in (8, 9)] == ["Decision", "Reason code (if declined)"]
    sheet.cell(row=FIRST_ROW, column=8, value="accept")  # Decision is column H in version 2
    book.save(path)
    batch, problems = read_workbook(path)
    assert problems == [] and [(d.client_id, d.decision) for d in batch.decisions] == [("C03", "accept")]
    result = invoke("review", "import", path, "--ledger", ledger)
    assert "woonopmaat.xlsx: 1 added" in result.output
    assert set(landlord_decisions(ledger)) == {("C03", "U03")}


def test_a_downgraded_record_is_refused(decided):
    """Relabelling a version 3 record as version 2 (to drop the locked rows) breaks its signature."""
    path = decided["tmp"] / "again" / "woonopmaat.xlsx"
    invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        decided["week1"],
        "--out",
        path.parent,
        "--ledger",
        decided["ledger"],
    )
    book = load_workbook(path)
    for line in book[META_SHEET].iter_rows():
        if line[0].value == "format_version":
            line[1].value = "2"
    book.save(path)
    result = invoke("review", "import", path, "--ledger", decided["ledger"], code=2)
    assert re.search(r"hidden record of what was sent is damaged|does not match its signature", result.output)
