"""Reading other_placements.csv (issue 14): every problem names file, row and column and says what
to do, in Dutch by default; `group` and `reference` are refused when they read as personal data,
the value never repeated; the file is a hashed input, written back into a run's solved instance,
read from a workbook sheet, and its references are emptied in a redacted copy."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from matcher.io.read import instance_files, read_instance
from matcher.io.write_instance import instance_files_bytes
from models import InvalidInstance, Problem
from models.other_placement import OtherPlacement

HEADER = "neighbourhood_id,placed_on,load,group,reference\n"
FILE = "other_placements.csv"


def placements(folder: Path, *lines: str) -> Path:
    (folder / FILE).write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[Problem]:
    try:
        read_instance(folder)
    except InvalidInstance as invalid:
        return invalid.problems
    return []


def only_problem(folder: Path) -> Problem:
    (problem,) = problems_of(folder)
    assert problem.file == FILE
    return problem


def test_rows_are_read_with_their_defaults(tiny_copy):
    placements(tiny_copy, "WK039202,2026-10-01,3,statushouders,SH-2026-014", "WK045302,2026-11-02,,,")
    assert read_instance(tiny_copy).other_placements == (
        OtherPlacement(
            neighbourhood_id="WK039202",
            placed_on=date(2026, 10, 1),
            load=3,
            group="statushouders",
            reference="SH-2026-014",
        ),
        OtherPlacement(neighbourhood_id="WK045302", placed_on=date(2026, 11, 2)),
    )
    assert read_instance(tiny_copy).other_placements[1].load == 1


def test_without_the_file_there_are_none(tiny_copy):
    (tiny_copy / FILE).unlink()
    assert read_instance(tiny_copy).other_placements == ()


def test_tiny_lists_two_that_do_not_count(tiny):
    """instances/tiny/README.md: one row before the window, one after the week."""
    from matcher.rules.load import recent_loads, report

    instance = read_instance(tiny)
    assert len(instance.other_placements) == 2
    assert recent_loads(instance) == [n.recent_load for n in instance.neighbourhoods]
    assert report(instance)["counted"] == 0 and report(instance)["load_added"] == {}


def test_only_the_two_required_columns_are_needed(tiny_copy):
    (tiny_copy / FILE).write_text("neighbourhood_id,placed_on\nWK039202,2026-10-01\n", encoding="utf-8")
    assert read_instance(tiny_copy).other_placements[0].load == 1


def test_an_unknown_neighbourhood(tiny_copy):
    problem = only_problem(placements(tiny_copy, "WK000000,2026-10-01,1,,"))
    assert (problem.row, problem.column) == (2, "neighbourhood_id")
    assert (
        problem.message == "unknown neighbourhood 'WK000000': add it to neighbourhoods.csv or correct the id"
    )


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("1-10-2026", "write it as 2026-10-01"),
        ("2026-02-30", "not a real calendar date; use YYYY-MM-DD"),
        ("oktober", "use an ISO date YYYY-MM-DD"),
        ("", "required: fill in this cell"),
    ],
)
def test_a_bad_date(tiny_copy, cell, says):
    problem = only_problem(placements(tiny_copy, f"WK039202,{cell},1,,"))
    assert (problem.row, problem.column) == (2, "placed_on")
    assert says in problem.message


@pytest.mark.parametrize("cell", ["0", "-2", "0,0"])
def test_a_load_of_zero_or_less(tiny_copy, cell):
    problem = only_problem(placements(tiny_copy, f'WK039202,2026-10-01,"{cell}",,'))
    assert (problem.row, problem.column) == (2, "load")
    assert problem.message.startswith("must be more than 0") and "remove the row" in problem.message


def test_a_load_with_a_decimal_comma(tiny_copy):
    placements(tiny_copy, 'WK039202,2026-10-01,"0,5",,')
    assert read_instance(tiny_copy).other_placements[0].load == 0.5


def test_a_date_more_than_a_year_ahead_is_a_typo(tiny_copy):
    """period.start is 2026-11-23: 2027-11-23 is accepted (a placement to come), a day later not."""
    placements(tiny_copy, "WK039202,2027-11-23,1,,")
    assert read_instance(tiny_copy).other_placements[0].placed_on == date(2027, 11, 23)
    problem = only_problem(placements(tiny_copy, "WK039202,2027-11-24,1,,"))
    assert (problem.row, problem.column) == (2, "placed_on")
    assert problem.message == (
        "more than a year after the period's start (period.start in policy.yaml): correct the year, "
        "or remove the row until the placement is near"
    )


def test_the_messages_in_dutch(tiny_copy, dutch):
    placements(tiny_copy, "WK000000,2026-10-01,1,,", "WK039202,2026-10-01,0,,", "WK039202,2030-01-01,1,,")
    messages = [str(problem) for problem in problems_of(tiny_copy)]
    assert "bestand other_placements.csv, rij 3, kolom load: moet meer dan 0 zijn" in messages[0]
    assert any(
        m.startswith("bestand other_placements.csv, rij 2, kolom neighbourhood_id: onbekende wijk")
        for m in messages
    )
    assert any("meer dan een jaar na het begin van de periode" in m for m in messages)


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("group", "Ilse Zwanenburg", "a person's name"),
        ("group", "06-12345678", "a phone number"),
        ("group", "111.222.333", "a citizen service number (BSN)"),
        ("reference", "Jansen", "a person's name"),
        ("reference", "Zwanenburg-1984", "a person's name"),
        ("reference", "2011AB-12", "a postcode with a house number"),
        ("reference", "ilse@example.org", "an e-mail address"),
        ("reference", "12-03-1984", "a date (of birth)"),
    ],
)
def test_personal_data_in_group_or_reference_is_refused_unrepeated(tiny_copy, column, value, kind):
    cells = {"group": "", "reference": "", column: value}
    problem = only_problem(
        placements(tiny_copy, f"WK039202,2026-10-01,1,{cells['group']},{cells['reference']}")
    )
    assert (problem.row, problem.column) == (2, column)
    assert f"looks like {kind}" in problem.message and value not in problem.message


@pytest.mark.parametrize(
    ("group", "reference"),
    [
        ("statushouders", "SH-2026-014"),
        ("jongeren", "COA 2026 0012"),
        ("arbeidsmigranten", "JZ-2026-3"),
        ("GGZ", ""),
    ],
)
def test_groups_and_codes_are_accepted(tiny_copy, group, reference):
    placements(tiny_copy, f"WK039202,2026-10-01,1,{group},{reference}")
    (row,) = read_instance(tiny_copy).other_placements
    assert (row.group, row.reference) == (group, reference or None)


def test_a_formula_is_refused(tiny_copy):
    problem = only_problem(placements(tiny_copy, "WK039202,2026-10-01,1,=HYPERLINK(1),"))
    assert (problem.row, problem.column) == (2, "group") and "formula" in problem.message


def test_the_file_is_a_hashed_input_and_written_back_equal(tiny_copy):
    placements(tiny_copy, "WK039202,2026-10-01,2.5,statushouders,SH-2026-014", "WK045302,2026-11-02,,,")
    assert FILE in [f.name for f in instance_files(tiny_copy)]
    instance = read_instance(tiny_copy)
    files = instance_files_bytes(instance)
    assert files[FILE].decode("utf-8").splitlines()[0] == "neighbourhood_id,placed_on,load,group,reference"
    again = tiny_copy.parent / "again"
    again.mkdir()
    for name, data in files.items():
        (again / name).write_bytes(data)
    assert read_instance(again) == instance
    assert FILE not in instance_files_bytes(instance.model_copy(update={"other_placements": ()}))


def test_a_copy_beside_it_is_refused(tiny_copy):
    placements(tiny_copy, "WK039202,2026-10-01,1,,")
    (tiny_copy / "other_placements (1).csv").write_text((tiny_copy / FILE).read_text(encoding="utf-8"))
    (problem,) = problems_of(tiny_copy)
    assert problem.file == "other_placements (1).csv" and FILE in problem.message


def test_a_workbook_sheet(tmp_path):
    from fuzzing import tiny_workbook
    from openpyxl import load_workbook

    path = tmp_path / "week.xlsx"
    path.write_bytes(tiny_workbook())
    book = load_workbook(path)
    assert len(read_instance(path).other_placements) == 2  # tiny's own rows, as a sheet
    book.remove(book["other_placements"])
    sheet = book.create_sheet("other_placements")
    for row in csv.reader(io.StringIO(HEADER + "WK039202,2026-10-01,2,statushouders,SH-1\n")):
        sheet.append(row)
    book.save(path)
    (row,) = read_instance(path).other_placements
    assert (row.neighbourhood_id, row.load, row.group) == ("WK039202", 2, "statushouders")


def test_a_redacted_copy_empties_the_references(tiny_copy, tmp_path):
    from matcher.audit.redact import redact_instance

    placements(tiny_copy, "WK039202,2026-10-01,2,statushouders,SH-2026-014")
    redact_instance(tiny_copy, tmp_path / "shared", key="k")
    (row,) = read_instance(tmp_path / "shared").other_placements
    assert (row.neighbourhood_id, row.placed_on, row.load, row.group, row.reference) == (
        "WK039202",
        date(2026, 10, 1),
        2,
        "statushouders",
        None,
    )
