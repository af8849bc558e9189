"""The reader accepts what coordinators really send, and refuses the rest with a precise message."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from fuzzing import TINY, tiny_rows

from matcher.io.read import read_instance
from matcher.proposal import solve
from models import Instance, InvalidInstance


def as_dutch_excel(folder: Path, name: str, encoding: str = "cp1252", change=None) -> None:
    """Rewrite one CSV file as Dutch Excel saves it: `;`, CRLF, decimal commas, the given encoding."""
    rows = tiny_rows(name)
    if change:
        change(rows)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    (folder / name).write_bytes(text.encode(encoding))


def problems(folder_or_file: Path) -> list[str]:
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(folder_or_file)
    return [str(problem) for problem in invalid.value.problems]


def solved(instance: Instance) -> tuple[int, int]:
    proposal = solve(instance)
    return proposal.priority, proposal.preference


TINY_RESULT = solved(read_instance(TINY))


def set_cell(rows: list[list[str]], row: int, column: str, value: str) -> None:
    rows[row][rows[0].index(column)] = value


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_every_file_as_dutch_excel_csv_gives_the_same_proposal(tiny_copy, encoding):
    """All files with `;`, CRLF and Windows-1252 or UTF-8 (with or without BOM) read as the original."""
    for name in (
        "municipalities.csv",
        "neighbourhoods.csv",
        "units.csv",
        "clients.csv",
        "support_capacity.csv",
        "declined.csv",
    ):
        as_dutch_excel(tiny_copy, name, encoding)
    instance = read_instance(tiny_copy)
    assert instance.units[0].landlord == "Pré Wonen"
    assert solved(instance) == TINY_RESULT


def test_decimal_commas_and_thousands_separators_in_number_columns(tiny_copy):
    """650,50 and 1.234,56 are read as 650.5 and 1234.56 in rent, max_rent, recent_load and cap."""

    def change(rows):
        set_cell(rows, 1, "rent", "650,50")
        set_cell(rows, 2, "rent", "1.234,56")

    as_dutch_excel(tiny_copy, "units.csv", change=change)
    as_dutch_excel(
        tiny_copy, "neighbourhoods.csv", change=lambda rows: set_cell(rows, 1, "recent_load", "42,0")
    )
    instance = read_instance(tiny_copy)
    assert [unit.rent for unit in instance.units[:2]] == [650.5, 1234.56]
    assert instance.neighbourhoods[0].recent_load == 42.0


def test_trailing_spaces_header_case_and_mixed_case_booleans(tiny_copy):
    """`Unit_ID `, ` TRUE`, `No ` and `yes` are what a coordinator means."""

    def change(rows):
        rows[0] = [f" {column.upper()}  " if k % 2 else column.title() for k, column in enumerate(rows[0])]
        for k, value in enumerate(["TRUE ", " No", "yes", "FALSE", "Yes", "0"], start=1):
            rows[k][rows[0].index(" ACCESSIBLE  ") if " ACCESSIBLE  " in rows[0] else 8] = value
            rows[k][0] = f"  {rows[k][0]}  "

    as_dutch_excel(tiny_copy, "units.csv", change=change)
    instance = read_instance(tiny_copy)
    assert [unit.accessible for unit in instance.units] == [True, False, True, False, True, False]
    assert instance.units[0].unit_id == "U01"


def test_blank_rows_and_columns_are_ignored(tiny_copy):
    """Blank rows above, between and below the data and empty unnamed columns change nothing."""

    def change(rows):
        blank = [""] * len(rows[0])
        rows[:] = (
            [blank, blank]
            + [row + ["", ""] for row in rows[:3]]
            + [blank]
            + [row + ["", ""] for row in rows[3:]]
            + [blank, blank]
        )

    as_dutch_excel(tiny_copy, "clients.csv", change=change)
    assert solved(read_instance(tiny_copy)) == TINY_RESULT


def test_rows_are_numbered_as_the_spreadsheet_shows_them(tiny_copy):
    """With two blank rows above the header, a problem in the first client is on row 4."""

    def change(rows):
        set_cell(rows, 1, "household_size", "two")
        rows[:0] = [[""] * len(rows[0])] * 2

    as_dutch_excel(tiny_copy, "clients.csv", change=change)
    assert (
        "clients.csv, row 4, column household_size: must be a whole number (no thousands separators)"
        in problems(tiny_copy)
    )


def test_excel_unicode_text_utf16_with_tabs(tiny_copy):
    """Excel's "Unicode text" (UTF-16 with BOM, tab-separated) reads as the original."""
    rows = tiny_rows("units.csv")
    (tiny_copy / "units.csv").write_bytes("\r\n".join("\t".join(row) for row in rows).encode("utf-16"))
    assert solved(read_instance(tiny_copy)) == TINY_RESULT


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("registered_on", "23-11-2026", "looks like a Dutch date: write it as 2026-11-23"),
        ("registered_on", "11/23/2026", "ambiguous date with slashes"),
        ("registered_on", "2026-02-30", "not a real calendar date"),
        ("household_size", "#N/A", "a formula error (#N/A) in this cell"),
        ("max_rent", "inf", "must be a number, not infinity or NaN"),
        ("max_rent", "1e12", "implausibly large"),
        ("max_rent", "zeshonderd", "must be a number (e.g. 650 or 650,50)"),
        ("household_size", "1.000", "'1.000' is ambiguous: a thousands separator or a decimal point?"),
        ("max_rent", "1.250", "'1.250' is ambiguous"),
    ],
)
def test_what_is_refused_is_named_precisely(tiny_copy, column, value, message):
    """A cell Excel or a person wrote in another form gets a message saying how to write it."""
    as_dutch_excel(tiny_copy, "clients.csv", change=lambda rows: set_cell(rows, 1, column, value))
    found = problems(tiny_copy)
    assert any(f"clients.csv, row 2, column {column}: {message}" in problem for problem in found), found


@pytest.mark.parametrize(
    "word, meaning",
    [
        ("WAAR", True),
        ("waar", True),
        ("Ja", True),
        ("ja", True),
        ("ONWAAR", False),
        ("nee", False),
        ("Nee", False),
    ],
)
def test_dutch_booleans_are_read_as_english_ones(tiny_copy, word, meaning):
    """ja/nee and Excel's Dutch WAAR/ONWAAR mean yes/no (issue 15): the instance reads as if the
    cell said true or false, in a client's and in a unit's yes/no column."""
    as_dutch_excel(tiny_copy, "clients.csv", change=lambda rows: set_cell(rows, 1, "needs_accessible", word))
    as_dutch_excel(tiny_copy, "units.csv", change=lambda rows: set_cell(rows, 1, "accessible", word))
    instance = read_instance(tiny_copy)
    assert instance.clients[0].needs_accessible is meaning
    assert instance.units[0].accessible is meaning


def test_a_word_that_is_no_boolean_in_either_language_is_refused_naming_both(tiny_copy):
    as_dutch_excel(
        tiny_copy, "clients.csv", change=lambda rows: set_cell(rows, 1, "needs_accessible", "misschien")
    )
    found = problems(tiny_copy)
    assert any(
        "clients.csv, row 2, column needs_accessible: use ja/nee, waar/onwaar, true/false, yes/no or 1/0" in p
        for p in found
    ), found


@pytest.mark.parametrize(
    "data, message",
    [
        (b"client_id,source\x00\x01", "this is not a text file: save it as CSV UTF-8"),
        (b"client_id\x81\x8d", "neither UTF-8 nor Windows-1252"),
        (b"\xff\xfe\x00\xd8", "broken UTF-16 text"),
        (b"", "the file is empty"),
        (b"\r\n;;;\r\n", "the file is empty"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(tiny_copy, data, message):
    """Binary, undecodable and empty files are named with what to do."""
    (tiny_copy / "clients.csv").write_bytes(data)
    assert any(problem.startswith("clients.csv") and message in problem for problem in problems(tiny_copy))


def test_unnamed_column_with_data_and_data_right_of_the_header(tiny_copy):
    """Data under no column name is refused rather than silently dropped."""

    def change(rows):
        rows[0].insert(2, "")
        for row in rows[1:]:
            row.insert(2, "x")
        rows[1].append("stray")

    as_dutch_excel(tiny_copy, "units.csv", change=change)
    found = problems(tiny_copy)
    assert "units.csv, row 1, column #3: a column without a name holds data: name it or remove it" in found
    assert any("data to the right of the last named column" in problem for problem in found)


def test_thousands_of_problems_are_summarised(tiny_copy):
    """A column wrong throughout gives the first 100 problems and a count of the rest."""
    rows = tiny_rows("clients.csv")
    template = rows[1]
    rows[1:] = [[f"C{k:05d}"] + template[1:] for k in range(500)]
    for row in rows[1:]:
        set_cell(rows, rows.index(row), "registered_on", "1-1-2026")
    as_dutch_excel(tiny_copy, "clients.csv", change=lambda r: r.__setitem__(slice(None), rows))
    found = [problem for problem in problems(tiny_copy) if problem.startswith("clients.csv")]
    assert len(found) == 101 and "400 more problem(s) in this file not shown" in found[-1]


# --- .xlsx workbooks ---------------------------------------------------------------------------


def workbook(path: Path, layout) -> Path:
    """The tiny instance as a workbook, each sheet passed through `layout(sheet_name, rows)`."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in ("municipalities", "neighbourhoods", "units", "clients", "support_capacity", "declined"):
        sheet = book.create_sheet(name)
        for row in layout(name, [list(r) for r in tiny_rows(f"{name}.csv")]):
            sheet.append(row)
    policy = book.create_sheet("Policy ")
    policy.append(["key", "value"])
    policy.append(["period.start", datetime(2026, 11, 23)])
    policy.append(["period.days", 7.0])
    book.save(path)
    return path


def typed(name: str, rows: list[list]) -> list[list]:
    """Cells as Excel stores them: real numbers, booleans and dates; blank rows and columns added."""
    header = rows[0]
    out = [[], [None] * 3, [f"  {c.upper()} " for c in header] + [None, None]]
    for row in rows[1:]:
        cells: list = []
        for column, value in zip(header, row):
            if value == "":
                cells.append(None)
            elif column in (
                "population",
                "dwellings",
                "max_household",
                "household_size",
                "slots",
                "max_intake",
            ):
                cells.append(int(value))
            elif column in ("rent", "max_rent", "recent_load", "cap"):
                cells.append(float(value))
            elif column in ("accessible", "needs_accessible"):
                cells.append(value.lower() == "true")
            elif column in ("available_from", "registered_on", "ready_from"):
                cells.append(datetime.combine(date.fromisoformat(value), datetime.min.time()))
            else:
                cells.append(value + "  ")
        out.append(cells + [None, None])
        out.append([None] * len(cells))
    return out


def test_workbook_with_typed_cells_blank_rows_and_columns(tmp_path):
    """Real dates, numbers and booleans, blank rows and columns and odd sheet-name case read fine."""
    book = workbook(tmp_path / "week.xlsx", typed)
    assert solved(read_instance(book)) == TINY_RESULT


def test_workbook_problems_name_sheet_row_and_column(tmp_path):
    """A problem in a workbook names the sheet and the row Excel shows."""

    def layout(name, rows):
        rows = typed(name, rows)
        if name == "units":
            rows[3][6] = "goedkoop"
        return rows

    found = problems(workbook(tmp_path / "week.xlsx", layout))
    assert "week.xlsx [units], row 4, column rent: must be a number (e.g. 650 or 650,50)" in found


def test_damaged_workbook_is_refused_with_a_message(tmp_path):
    """A truncated .xlsx is refused as unreadable, not with a traceback."""
    book = workbook(tmp_path / "week.xlsx", typed)
    book.write_bytes(book.read_bytes()[:2000])
    assert any("not a readable .xlsx workbook" in problem for problem in problems(book))


def test_dutch_words_for_the_spec_codes_are_read_as_the_codes(tiny_copy):
    """kamer, acuut, beschermd (issue 15): a Dutch word that means one code reads as that code;
    the instance then equals the one written with the codes."""
    original = read_instance(tiny_copy)
    as_dutch_excel(
        tiny_copy,
        "clients.csv",
        change=lambda rows: (
            set_cell(rows, 1, "urgency", "Acuut"),
            set_cell(rows, 1, "support_intensity", "intensief"),
            set_cell(rows, 2, "eligible_types", "kamer; sociale huur"),
        ),
    )
    as_dutch_excel(tiny_copy, "units.csv", change=lambda rows: set_cell(rows, 1, "type", "sociale huur"))
    dutch = read_instance(tiny_copy)
    assert (dutch.clients[0].urgency, dutch.clients[0].support_intensity) == ("acute", "intensive")
    assert dutch.clients[1].eligible_types == ("room", "social_rental")
    assert dutch.units[0].type == "social_rental"
    assert dutch.clients[2:] == original.clients[2:] and dutch.units[1:] == original.units[1:]


def test_a_dutch_word_that_is_no_code_is_still_refused(tiny_copy):
    as_dutch_excel(tiny_copy, "units.csv", change=lambda rows: set_cell(rows, 1, "type", "woning"))
    assert any("units.csv, row 2, column type: must be one of:" in p for p in problems(tiny_copy))
