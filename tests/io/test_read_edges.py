"""Edges of the reader (issue 12, findings 13 and 4): a CSV row that would shift or swallow cells
is refused naming its line and the cause; every problem from a workbook names workbook and
sheet; control characters and line breaks in cells are refused naming the cell; hidden sheets
beside a visible one of the same name are refused naming both.

Each input is a small file in tests/data/readers/, named `<what>__<file it replaces>`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fuzzing import TINY

from matcher.io.read import read_instance
from models import InvalidInstance, Problem

READERS = Path(__file__).resolve().parents[1] / "data" / "readers"


def refused(name: str, tmp_path: Path) -> list[Problem]:
    """The problems of the tiny instance with `name` from tests/data/readers put in its place."""
    target = name.split("__")[1]
    folder = tmp_path / "instance"
    shutil.copytree(TINY, folder)
    shutil.copy(READERS / name, folder / target)
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(folder / target if target.endswith(".xlsx") else folder)
    return invalid.value.problems


def no_noise(problems: list[Problem]) -> None:
    """The real cause alone: no "required: fill in this cell" for the cells a broken row lost."""
    assert not any("required" in p.message or "missing" in p.message for p in problems), problems


# --- CSV rows that would shift or swallow cells -------------------------------------------------


def test_a_row_with_another_separator_is_refused_naming_row_and_separators(tmp_path):
    """A Dutch Excel file (;) with row 4 pasted from a comma file: read with `;` it is one cell,
    which used to give only "required: fill in this cell" for 13 columns."""
    found = refused("mixed-separators__clients.csv", tmp_path)
    (problem,) = found
    assert (problem.file, problem.row) == ("clients.csv", 4)
    assert "commas (,) where the header row uses semicolons (;)" in problem.message
    assert "save it again as CSV" in problem.message
    no_noise(found)


def test_a_header_with_two_separators_is_refused(tmp_path):
    (problem,) = refused("mixed-separator-header__clients.csv", tmp_path)
    assert (problem.file, problem.row) == ("clients.csv", 1)
    assert "the header row mixes separators (11 commas (,) and 3 semicolons (;))" in problem.message


def test_a_quote_never_closed_is_refused_naming_its_row(tmp_path):
    """Row 3 starts with a quote that is never closed: csv would read the rest of the file as one
    cell. Refused at row 3, and no "unknown client" for the clients after it."""
    found = refused("unbalanced-quote__clients.csv", tmp_path)
    (problem,) = found
    assert (problem.file, problem.row) == ("clients.csv", 3)
    assert 'a quote (") opens a cell in this row and is never closed' in problem.message
    no_noise(found)


def test_a_quote_that_swallows_rows_is_refused_naming_the_lines(tmp_path):
    """A quote opened in row 2 and closed in line 4 makes lines 2-4 one cell: refused naming the
    lines and the quote, not as a client id with a line break (or three missing rows)."""
    found = refused("quote-swallows-rows__clients.csv", tmp_path)
    (problem,) = found
    assert (problem.row, problem.column) == (2, "client_id")
    assert 'a quote (") left open on line 2 runs this cell on to line 4' in problem.message
    no_noise(found)


def test_a_quoted_line_break_in_an_id_is_refused_naming_the_cell(tmp_path):
    (problem,) = refused("quoted-newline-id__clients.csv", tmp_path)
    assert (problem.file, problem.row, problem.column) == ("clients.csv", 2, "client_id")
    assert "holds a line break (character 3)" in problem.message and "lines 2 to 3" in problem.message


def test_a_control_character_in_an_id_is_refused_naming_the_cell(tmp_path):
    """A vertical tab (U+000B) is invisible in a spreadsheet: `C0<VT>1` would look like `C01`."""
    (problem,) = refused("control-character-id__clients.csv", tmp_path)
    assert (problem.file, problem.row, problem.column) == ("clients.csv", 2, "client_id")
    assert "control character U+000B (character 3)" in problem.message


def test_a_tab_in_a_text_column_that_is_not_an_id_is_refused(tiny_copy):
    """current_municipality_id is plain text in the model; the reader still refuses a tab in it."""
    path = tiny_copy / "clients.csv"
    path.write_text(path.read_text().replace("GM0453,GM0392,", "GM0453,GM03\t92,", 1))
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(tiny_copy)
    (problem,) = invalid.value.problems
    assert (problem.row, problem.column) == (3, "current_municipality_id")
    assert "holds a tab (character 5)" in problem.message


def test_a_quote_in_the_middle_of_a_quoted_cell_is_refused(tiny_copy):
    """`"C0"1` was read as `C01`, the quotes silently dropped."""
    path = tiny_copy / "clients.csv"
    path.write_text(path.read_text().replace("\nC01,", '\n"C0"1,', 1))
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(tiny_copy)
    (problem,) = invalid.value.problems
    assert problem.row == 2 and "closes a cell in the middle of its text" in problem.message


# --- workbooks: every problem names workbook and sheet ------------------------------------------


def test_every_workbook_problem_names_workbook_and_sheet(tmp_path):
    """A missing sheet, a bad policy value and an unknown reference were reported against
    units.csv, policy.yaml and clients.csv; now each names instance.xlsx and its sheet."""
    found = refused("problems-name-sheets__instance.xlsx", tmp_path)
    assert {p.file for p in found} == {
        "instance.xlsx [units]",
        "instance.xlsx [policy]",
        "instance.xlsx [clients]",
    }
    by_sheet = {p.file: p for p in found}
    assert "needs a sheet named units" in by_sheet["instance.xlsx [units]"].message
    policy = by_sheet["instance.xlsx [policy]"]
    assert (policy.row, policy.column) == (3, "period.days") and "'week'" in policy.message
    clients = by_sheet["instance.xlsx [clients]"]
    assert (clients.row, clients.column) == (3, "origin_municipality_id")
    assert "add it to sheet municipalities" in clients.message
    assert not any(".csv" in str(p) or "policy.yaml" in str(p) for p in found)


def test_a_line_break_in_a_workbook_id_is_refused_naming_the_cell(tmp_path):
    """Alt+Enter in an Excel cell."""
    (problem,) = refused("alt-enter-id__instance.xlsx", tmp_path)
    assert (problem.file, problem.row, problem.column) == ("instance.xlsx [clients]", 2, "client_id")
    assert "line break" in problem.message and "Alt+Enter" in problem.message


# --- hidden sheets (finding 4) ------------------------------------------------------------------


def test_a_hidden_clients_sheet_beside_a_visible_one_is_refused_naming_both(tmp_path):
    """A hidden `clients ` (trailing space) beside a visible `Clients`: both count as clients."""
    (problem,) = refused("hidden-clients-beside-Clients__instance.xlsx", tmp_path)
    assert problem.file == "instance.xlsx [clients ]"
    assert "sheet 'clients ' is hidden beside sheet 'Clients'" in problem.message
    assert "both count as sheet clients" in problem.message


def test_a_very_hidden_policy_sheet_beside_a_visible_one_is_refused_naming_both(tmp_path):
    """A very hidden `policy ` (another period start) beside a visible `policy`."""
    (problem,) = refused("very-hidden-policy-beside-policy__instance.xlsx", tmp_path)
    assert problem.file == "instance.xlsx [policy ]"
    assert "sheet 'policy ' is hidden (very hidden" in problem.message
    assert "beside sheet 'policy'" in problem.message and "both count as sheet policy" in problem.message
