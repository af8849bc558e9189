"""Landlord review workbooks: written and read back with openpyxl, privacy, formatting, tampering."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import matcher
from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.ledger import LANDLORD_REASONS, workbook_key
from matcher.review.workbook import (
    FIRST_ROW,
    HEADER_ROW,
    KEYS,
    META_SHEET,
    REVIEW_SHEET,
    export_workbooks,
    move_in_from,
    proposal_record,
    read_proposal_folder,
    read_workbook,
    read_workbooks,
)
from models import InvalidInstance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}


@pytest.fixture(scope="module")
def proposal(tmp_path_factory) -> Path:
    """The engine's proposal for instances/tiny."""
    out = tmp_path_factory.mktemp("proposal") / "week"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def books(proposal, tmp_path) -> dict[str, Path]:
    """Fresh workbooks for every landlord in the tiny proposal, signed by a new ledger's key."""
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(proposal), "tiny")
    key = workbook_key(str(tmp_path / "ledger.sqlite"), create=True)
    return {path.stem: path for path in export_workbooks(instance, record, tmp_path / "books", key)}


def fill(path: Path, cells: dict[str, object]) -> None:
    """Edit cells of the Review sheet as a landlord would (openpyxl keeps the protection)."""
    book = load_workbook(path)
    for ref, value in cells.items():
        book[REVIEW_SHEET][ref] = value
    book.save(path)


def test_one_workbook_per_landlord(books):
    """Every landlord with matches gets one workbook named after it, with only its own units."""
    assert set(books) == {"elan-wonen", "pre-wonen", "woonopmaat"}
    sheet = load_workbook(books["woonopmaat"])[REVIEW_SHEET]
    units = [sheet[f"{COLUMN['unit_id']}{row}"].value for row in range(FIRST_ROW, sheet.max_row + 1)]
    assert units == ["U03", "U05", "U06"]


def test_no_health_or_safety_details_anywhere(books):
    """No cell in any sheet (hidden ones included) holds a client's source or exclusions."""
    instance = read_instance(TINY)
    forbidden = {
        "BW",
        "MO",
        "VO",
        "jeugd",
        "source",
        "excluded_municipalities",
        "excluded_neighbourhoods",
        "urgency",
    }
    for path in books.values():
        book = load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    assert value not in forbidden, (path.name, sheet.title, value)
    assert {c.source for c in instance.clients} <= forbidden


def test_title_block_names_instance_week_landlord_and_version(books):
    """The title block names the landlord, the week, the instance, the proposal and the engine version."""
    sheet = load_workbook(books["pre-wonen"])[REVIEW_SHEET]
    title, subtitle = sheet["A1"].value, sheet["A2"].value
    assert "Pré Wonen" in title
    assert "23 Nov 2026" in subtitle and "tiny" in subtitle and f"matcher {matcher.__version__}" in subtitle


def test_drop_downs_protection_and_layout(books):
    """Decision and reason columns have drop-downs; the sheet is protected, header frozen, columns sized."""
    sheet = load_workbook(books["woonopmaat"])[REVIEW_SHEET]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    last = sheet.max_row
    assert lists[f"{COLUMN['decision']}{FIRST_ROW}:{COLUMN['decision']}{last}"] == '"accept,decline"'
    assert (
        lists[f"{COLUMN['reason_code']}{FIRST_ROW}:{COLUMN['reason_code']}{last}"]
        == '"' + ",".join(LANDLORD_REASONS) + '"'
    )
    assert sheet.protection.sheet
    assert sheet.freeze_panes == f"B{FIRST_ROW}"
    header = sheet[f"A{HEADER_ROW}"]
    assert header.font.bold and header.protection.locked
    for key in ("decision", "reason_code", "note"):
        assert not sheet[f"{COLUMN[key]}{FIRST_ROW}"].protection.locked
    for key in ("client_id", "unit_id", "rent"):
        assert sheet[f"{COLUMN[key]}{FIRST_ROW}"].protection.locked
    assert all(sheet.column_dimensions[COLUMN[key]].width >= 10 for key in KEYS)
    assert sheet[f"{COLUMN['rent']}{FIRST_ROW}"].number_format.startswith('"€"')
    assert load_workbook(books["woonopmaat"])[META_SHEET].sheet_state == "veryHidden"


def test_move_in_from_is_latest_of_unit_client_and_period():
    """Move in from = max(unit available_from, client ready_from, period start)."""
    instance = read_instance(TINY)
    assert move_in_from(instance, "C06", "U06") == date(2026, 11, 29)  # unit later
    assert move_in_from(instance, "C05", "U04") == date(2026, 11, 25)  # client later
    assert move_in_from(instance, "C04", "U05") == date(2026, 11, 23)  # period start


def test_round_trip_reads_decisions(books):
    """Decisions typed into a workbook come back with week, proposal, row and reason."""
    path = books["woonopmaat"]
    fill(
        path,
        {
            f"{COLUMN['decision']}{FIRST_ROW}": "accept",
            f"{COLUMN['decision']}{FIRST_ROW + 1}": "decline",
            f"{COLUMN['reason_code']}{FIRST_ROW + 1}": "support_not_arranged",
            f"{COLUMN['note']}{FIRST_ROW + 1}": "provider starts in January",
        },
    )
    batch, problems = read_workbook(path)
    assert problems == []
    got = [
        (d.client_id, d.unit_id, d.party, d.decision, d.reason_code, d.source_row, d.period_start)
        for d in batch.decisions
    ]
    assert got == [
        ("C03", "U03", "landlord", "accept", None, FIRST_ROW, date(2026, 11, 23)),
        ("C04", "U05", "landlord", "decline", "support_not_arranged", FIRST_ROW + 1, date(2026, 11, 23)),
    ]
    assert batch.decisions[1].note == "provider starts in January"
    assert batch.signed is not None
    assert (batch.signed.landlord, batch.signed.sheet, batch.signed.client_column) == (
        "Woonopmaat",
        f"woonopmaat.xlsx [{REVIEW_SHEET}]",
        "A",
    )
    assert len(batch.signed.signature) == 64 and batch.proposals == []


def test_decisions_in_any_case_and_blank_rows(books):
    """'Accept' is read as accept; rows left blank are undecided, not errors."""
    path = books["woonopmaat"]
    fill(path, {f"{COLUMN['decision']}{FIRST_ROW + 2}": "Accept"})
    batch, problems = read_workbook(path)
    assert problems == [] and [(d.client_id, d.decision) for d in batch.decisions] == [("C06", "accept")]


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("rent", 600, "Rent (EUR / month) changed from '800' to '600'"),
        ("move_in_from", datetime(2026, 11, 24), "Move in from changed"),
        ("household_size", 2, "Household size changed"),
        ("support_intensity", "light", "Support intensity changed"),
    ],
)
def test_changed_locked_cell_is_rejected(books, key, value, message):
    """A changed locked cell is reported with the file, row and column."""
    path = books["woonopmaat"]
    fill(path, {f"{COLUMN[key]}{FIRST_ROW + 2}": value, f"{COLUMN['decision']}{FIRST_ROW + 2}": "accept"})
    _, problems = read_workbook(path)
    assert [(p.file, p.row, p.column) for p in problems] == [
        (f"woonopmaat.xlsx [{REVIEW_SHEET}]", FIRST_ROW + 2, COLUMN[key])
    ]
    assert message in problems[0].message


def test_changed_client_or_added_row_is_rejected(books):
    """A row whose client was changed, or a row added below, is not in the proposal sent."""
    path = books["pre-wonen"]
    fill(
        path,
        {
            f"{COLUMN['client_id']}{FIRST_ROW}": "C08",
            f"A{FIRST_ROW + 1}": "C05",
            f"{COLUMN['unit_id']}{FIRST_ROW + 1}": "U01",
            f"{COLUMN['decision']}{FIRST_ROW + 1}": "accept",
        },
    )
    _, problems = read_workbook(path)
    assert [(p.row, p.column) for p in problems] == [(FIRST_ROW, "A"), (FIRST_ROW + 1, "A")]
    assert all("was not in the proposal sent" in p.message for p in problems)


@pytest.mark.parametrize(
    "decision, reason, column, message",
    [
        ("maybe", None, "decision", "is not a decision"),
        ("decline", None, "reason_code", "a decline needs a reason code"),
        ("decline", "too_noisy", "reason_code", "unknown reason code"),
        (None, "other", "decision", "a reason code without a decision"),
    ],
)
def test_bad_decision_cells_are_rejected(books, decision, reason, column, message):
    """Values the drop-downs would not allow are reported on their own cell."""
    path = books["elan-wonen"]
    fill(path, {f"{COLUMN['decision']}{FIRST_ROW}": decision, f"{COLUMN['reason_code']}{FIRST_ROW}": reason})
    _, problems = read_workbook(path)
    assert [(p.row, p.column) for p in problems] == [(FIRST_ROW, COLUMN[column])]
    assert message in problems[0].message


def test_changed_header_is_rejected(books):
    """A renamed header cell means the workbook is not as sent."""
    path = books["elan-wonen"]
    fill(path, {f"{COLUMN['rent']}{HEADER_ROW}": "Huur"})
    _, problems = read_workbook(path)
    assert [(p.row, p.column) for p in problems] == [(HEADER_ROW, COLUMN["rent"])]


def test_damaged_hidden_record_is_rejected(books):
    """Editing the hidden record of what was sent breaks its checksum."""
    path = books["elan-wonen"]
    book = load_workbook(path)
    meta = book[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "C01":
            row[5].value = "1.0"  # the rent sent
    book.save(path)
    _, problems = read_workbook(path)
    assert len(problems) == 1 and "damaged" in problems[0].message


def test_not_a_review_workbook(tmp_path):
    """Any other file is refused with a plain message, and all files' problems come together."""
    other = tmp_path / "other.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    text = tmp_path / "notes.xlsx"
    text.write_text("not a zip")
    with pytest.raises(InvalidInstance) as raised:
        read_workbooks([other, text])
    messages = [str(p) for p in raised.value.problems]
    assert "not a review workbook" in messages[0] and "not a readable .xlsx" in messages[1]


def test_export_refuses_a_proposal_of_another_instance(proposal, tmp_path):
    """Exporting with an instance that lacks the proposal's clients is invalid input."""
    folder = tmp_path / "other"
    import shutil

    shutil.copytree(TINY, folder)
    lines = (folder / "clients.csv").read_text().splitlines()
    (folder / "clients.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("C01,")) + "\n"
    )
    with pytest.raises(InvalidInstance) as raised:
        proposal_record(read_instance(folder), read_proposal_folder(proposal), "other")
    assert [(p.file, p.column) for p in raised.value.problems] == [("proposals.csv", "client_id")]
