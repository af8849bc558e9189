"""Reading the tenancy and omklappen columns (issue 14): units.csv `tenancy` in English or
Dutch, clients.csv `current_unit_id`, a unit two clients call home refused with a clear
message, and proposals.csv's `match_kind` column in Dutch and English."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.headers import match_kind_code, shown_columns, shown_match_reasons
from matcher.io.read import read_instance
from matcher.proposal import solve
from models import InvalidInstance, Problem


def set_column(folder: Path, table: str, column: str, values: dict[str, str]) -> None:
    """Add or fill `column` of `table`: `values` by the row's id (first column); others empty."""
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) + ([column] if column not in rows[0] else [])
    key = columns[0]
    for row in rows:
        row[column] = values.get(row[key], "")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def problems_of(folder: Path) -> list[Problem]:
    try:
        read_instance(folder)
    except InvalidInstance as invalid:
        return invalid.problems
    return []


def test_tenancy_reads_english_and_dutch_words(tiny_copy):
    """`permanent`/`vast` and `trajectory`/`traject`/`tijdelijk`, any case; empty is permanent."""
    words = {"U01": "Vast", "U02": "tijdelijk", "U03": "TRAJECT", "U04": "Permanent", "U05": "trajectory"}
    set_column(tiny_copy, "units", "tenancy", words)
    units = {u.unit_id: u for u in read_instance(tiny_copy).units}
    assert {u: units[u].permanent for u in units} == {
        "U01": True,
        "U02": False,
        "U03": False,
        "U04": True,
        "U05": False,
        "U06": True,
    }
    assert (units["U02"].tenancy, units["U06"].tenancy) == ("trajectory", None)


def test_an_unknown_tenancy_is_refused_by_file_row_and_column(tiny_copy):
    """`huur` is no tenancy: the problem names units.csv, row 3 (U02), column tenancy."""
    set_column(tiny_copy, "units", "tenancy", {"U02": "huur"})
    found = [p for p in problems_of(tiny_copy) if p.column == "tenancy"]
    assert [(p.file, p.row) for p in found] == [("units.csv", 3)]
    assert "permanent" in found[0].message and "trajectory" in found[0].message


def test_a_current_unit_shared_by_two_clients_is_refused(tiny_copy):
    """C02 (row 3) and C05 (row 6) both name U04: refused at C05's row, pointing at row 3."""
    set_column(tiny_copy, "clients", "current_unit_id", {"C02": "U04", "C05": "U04"})
    found = problems_of(tiny_copy)
    assert [(p.file, p.row, p.column) for p in found] == [("clients.csv", 6, "current_unit_id")]
    assert found[0].message == (
        "unit 'U04' is already the current unit of another client (row 3): a unit is home to one "
        "client; correct the current_unit_id of one of them"
    )


def test_validate_exits_2_on_a_shared_current_unit_in_dutch(tiny_copy, dutch):
    """The CLI says it in Dutch with exit code 2 and no traceback."""
    set_column(tiny_copy, "clients", "current_unit_id", {"C02": "U04", "C05": "U04"})
    result = CliRunner().invoke(main, ["validate", str(tiny_copy)])
    assert result.exit_code == 2, result.output
    assert "rij 6" in result.output and "al de huidige woning van een andere cliënt (rij 3)" in result.output
    assert "Traceback" not in result.output


def test_a_current_unit_not_in_units_is_accepted(tiny_copy):
    """A unit not offered this week: read without a problem, and the unit ids stay as they were."""
    set_column(tiny_copy, "clients", "current_unit_id", {"C02": "U99"})
    instance = read_instance(tiny_copy)
    assert {c.client_id: c.current_unit_id for c in instance.clients}["C02"] == "U99"


@pytest.fixture
def c05_lives_in_u04(tiny_copy: Path) -> Path:
    """Tiny with C05 (light, max rent 500) living in U04 (room, GM0453, rent 450) under a trajectory contract."""
    set_column(tiny_copy, "units", "tenancy", {"U04": "trajectory"})
    set_column(tiny_copy, "clients", "current_unit_id", {"C05": "U04"})
    return tiny_copy


def test_proposals_mark_omklappen_in_english(c05_lives_in_u04):
    """C05 stays in U04: `match_kind` is `omklappen` for that match, empty for the others."""
    frame = shown_columns(shown_match_reasons(solve(read_instance(c05_lives_in_u04)).matches()))
    kinds = dict(zip(frame["client_id"], frame["match_kind"]))
    assert kinds.pop("C05") == "omklappen"
    assert set(kinds.values()) == {""}
    # after the engine's columns and the facts a coordinator reads a match by (docs/allocation-rules.md)
    assert list(frame.columns).index("match_kind") == list(frame.columns).index("support_intensity") + 1


def test_proposals_mark_omklappen_in_dutch(c05_lives_in_u04, dutch):
    """The Dutch header is `soort koppeling`; the word stays `omklappen`, and reads back as the code."""
    frame = shown_columns(shown_match_reasons(solve(read_instance(c05_lives_in_u04)).matches()))
    assert "soort koppeling" in frame.columns
    assert dict(zip(frame["cliënt"], frame["soort koppeling"]))["C05"] == "omklappen"
    assert match_kind_code(" Omklappen ") == "omklappen" and match_kind_code("") == ""
