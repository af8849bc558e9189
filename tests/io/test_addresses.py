"""A unit's address and references in units.csv (issue 15): optional columns, checked by shape,
and the one place besides contacts.csv where what reads as personal data is accepted."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.proposal import solve
from models import InvalidInstance, Problem

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
ADDRESS = ["street", "house_number", "postcode", "place", "complex_name", "landlord_reference", "bag_id"]


def rows_of(folder: Path, table: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / f"{table}.csv").read_text(encoding="utf-8"))))


def write_rows(
    folder: Path, table: str, rows: list[dict[str, str]], columns: list[str] | None = None
) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns or list(rows[0]), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    (folder / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Row `row` as a spreadsheet numbers it (the header is row 1)."""
    rows = rows_of(folder, table)
    columns = list(rows[0]) + ([column] if column not in rows[0] else [])
    rows[row - 2][column] = value
    write_rows(folder, table, rows, columns)


def problems_of(folder: Path) -> list[Problem]:
    try:
        read_instance(folder)
    except InvalidInstance as invalid:
        return invalid.problems
    return []


def test_tiny_units_have_an_address_read_as_written():
    unit = {u.unit_id: u for u in read_instance(TINY).units}["U03"]
    assert (unit.street, unit.house_number, unit.postcode, unit.place) == (
        "Kanaalstraat",
        "20-1",
        "1971 TW",
        "IJmuiden",
    )
    assert (unit.complex_name, unit.landlord_reference, unit.bag_id) == (
        "Kanaalhof",
        "WOM-10308",
        "0453012000103466",
    )
    assert unit.address() == "Kanaalstraat 20-1, 1971 TW IJmuiden"


def test_without_the_address_columns_the_instance_reads_and_solves_the_same(tiny_copy):
    """The columns are optional: the tiny instance without them gives the very same proposal."""
    rows = rows_of(tiny_copy, "units")
    write_rows(tiny_copy, "units", rows, [c for c in rows[0] if c not in ADDRESS])
    bare = read_instance(tiny_copy)
    assert all(not u.has_address for u in bare.units)
    with_address, without = solve(read_instance(TINY)), solve(bare)
    assert (
        (with_address.priority, with_address.preference)
        == (without.priority, without.preference)
        == (751, 120)
    )
    columns = ["client_id", "unit_id", "priority_weight", "preference_score", "reason"]
    assert with_address.matches()[columns].equals(without.matches()[columns])
    assert "street" in with_address.matches().columns and "street" not in without.matches().columns


@pytest.mark.parametrize(
    ("written", "read"),
    [("1234ab", "1234 AB"), ("1234 AB", "1234 AB"), ("2011  dr", "2011 DR"), (" 1971Tw ", "1971 TW")],
)
def test_a_postcode_is_normalised(tiny_copy, written, read):
    set_cell(tiny_copy, "units", 2, "postcode", written)
    assert read_instance(tiny_copy).units[0].postcode == read


@pytest.mark.parametrize(
    "written", ["123 AB", "0123 AB", "12345", "1234 A", "1234 ABC", "AB 1234", "2011AB-12"]
)
def test_a_postcode_of_another_shape_is_refused_naming_file_row_and_column(tiny_copy, written):
    set_cell(tiny_copy, "units", 3, "postcode", written)
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("units.csv", 3, "postcode")
    assert problem.message.startswith("not a Dutch postcode: write four digits and two letters, e.g. 2011 AB")
    assert written.strip() not in problem.message


@pytest.mark.parametrize("written", ["12", "12A", "12-2", "12 bis", "105 hs", "3-II"])
def test_house_numbers_with_additions_are_read_as_text(tiny_copy, written):
    set_cell(tiny_copy, "units", 2, "house_number", written)
    assert read_instance(tiny_copy).units[0].house_number == written


@pytest.mark.parametrize("written", ["A12", "0", "twaalf", "12 ; 14"])
def test_a_house_number_that_is_not_one_is_refused(tiny_copy, written):
    set_cell(tiny_copy, "units", 2, "house_number", written)
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("units.csv", 2, "house_number")
    assert problem.message.startswith("not a house number")


def test_a_bag_id_is_sixteen_digits(tiny_copy):
    set_cell(tiny_copy, "units", 2, "bag_id", "0392010000123456")
    assert read_instance(tiny_copy).units[0].bag_id == "0392010000123456"


@pytest.mark.parametrize(
    ("written", "start"),
    [
        ("392010000123456", "a BAG id has 16 digits, this one 15: a spreadsheet drops leading zeros"),
        ("0392-0100-0012-3456", "not a BAG id: write the verblijfsobject's 16 digits"),
        ("03920100001234567", "not a BAG id"),
        ("BAG0392010000123", "not a BAG id"),
    ],
)
def test_a_bag_id_of_another_shape_is_refused(tiny_copy, written, start):
    set_cell(tiny_copy, "units", 4, "bag_id", written)
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("units.csv", 4, "bag_id")
    assert problem.message.startswith(start)


def test_an_address_is_read_in_units_street_and_refused_in_clients(tiny_copy):
    """The same text: a home's address in units.csv, personal data anywhere in clients.csv."""
    address = "Kleine Houtstraat 12, 2011 AB 12"  # with the postcode and house number as pasted
    set_cell(tiny_copy, "units", 2, "street", address)
    assert read_instance(tiny_copy).units[0].street == address

    set_cell(tiny_copy, "clients", 2, "client_id", address)
    found = problems_of(tiny_copy)
    assert [(p.file, p.row, p.column) for p in found] == [("clients.csv", 2, "client_id")]
    assert "looks like a postcode with a house number" in found[0].message
    assert "Houtstraat" not in found[0].message and "2011" not in found[0].message


@pytest.mark.parametrize(
    ("table", "row", "column"),
    [
        ("clients", 3, "current_municipality_id"),
        ("units", 2, "site_id"),
        ("units", 3, "landlord"),
        ("neighbourhoods", 2, "name"),
        ("municipalities", 2, "region"),
    ],
)
def test_a_postcode_with_house_number_or_an_email_is_refused_in_any_other_column(
    tiny_copy, table, row, column
):
    for value, kind in (
        ("2011 AB 12", "a postcode with a house number"),
        ("ilse@voorbeeld.nl", "an e-mail address"),
    ):
        folder = tiny_copy.parent / f"{column}-{kind[:5]}"
        shutil.copytree(tiny_copy, folder)
        set_cell(folder, table, row, column, value)
        found = [p for p in problems_of(folder) if (p.file, p.row, p.column) == (f"{table}.csv", row, column)]
        assert found, (table, column, value)
        assert found[0].message.startswith(f"looks like {kind} (not repeated here)")
        assert value not in str(found)


def test_a_complex_named_after_a_person_is_accepted(tiny_copy):
    """Two capitalised words read as a name to the privacy guard; in complex_name they are a complex."""
    set_cell(tiny_copy, "units", 2, "complex_name", "Hofje van Oorschot")
    assert read_instance(tiny_copy).units[0].complex_name == "Hofje van Oorschot"


def test_validate_names_the_bad_postcode_and_exits_2(tiny_copy):
    set_cell(tiny_copy, "units", 5, "postcode", "19811TW")
    result = CliRunner().invoke(main, ["--lang", "en", "validate", str(tiny_copy)])
    assert result.exit_code == 2, result.output
    assert "units.csv, row 5, column postcode: not a Dutch postcode" in result.output
    assert "Traceback" not in result.output and "19811TW" not in result.output


def test_the_zuid_kennemerland_week_units_have_addresses_in_their_municipality():
    instance = read_instance(ROOT / "instances" / "zuid-kennemerland-week")
    for unit in instance.units:
        assert unit.street and unit.house_number and unit.postcode and unit.place and unit.bag_id
        assert unit.bag_id.startswith(unit.municipality_id[2:] + "01"), unit
    haarlem = [u for u in instance.units if u.municipality_id == "GM0392"]
    assert haarlem and all(u.postcode.startswith("20") and u.place == "Haarlem" for u in haarlem)
