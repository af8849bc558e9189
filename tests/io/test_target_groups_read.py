"""Reading the target-group columns (issue 14, item 6): clients.csv `target_groups` in English or
Dutch, any case; `family` with a household of one and an unknown group refused by file, row and
column with what to do; units.csv `young_adults_only` as a boolean in either language."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matcher.i18n import set_language
from matcher.io.read import read_instance
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


def test_target_groups_read_codes_and_dutch_words_in_any_case(tiny_copy):
    """`Jongere`, `GEZIN`, `housing  First`, `Housing_First`, `jongeren;young_adult` (one group
    once); an empty cell is no group. C07 is a household of four, so `gezin` is accepted."""
    set_column(
        tiny_copy,
        "clients",
        "target_groups",
        {
            "C01": "Jongere",
            "C02": "Housing_First",
            "C03": "jongeren;young_adult",
            "C07": "GEZIN; housing  First",
        },
    )
    clients = {c.client_id: c for c in read_instance(tiny_copy).clients}
    assert clients["C01"].target_groups == ("young_adult",)
    assert clients["C02"].target_groups == ("housing_first",)
    assert clients["C03"].target_groups == ("young_adult",)
    assert clients["C07"].target_groups == ("family", "housing_first")
    assert clients["C08"].target_groups == ()
    assert (clients["C07"].family, clients["C07"].housing_first, clients["C07"].young_adult) == (
        True,
        True,
        False,
    )


def test_a_client_from_youth_care_is_a_young_adult(tiny_copy):
    """C05 comes from jeugd: a young adult without the mark (youth care ends by 23)."""
    clients = {c.client_id: c for c in read_instance(tiny_copy).clients}
    assert clients["C05"].target_groups == ()
    assert clients["C05"].young_adult and clients["C05"].in_group("young_adult")
    assert not clients["C08"].young_adult


def test_family_with_a_household_of_one_is_refused(tiny_copy):
    """C01 (row 2) is a household of one marked `gezin`: refused at clients.csv, row 2, column
    target_groups, saying to give the household size or remove family."""
    set_column(tiny_copy, "clients", "target_groups", {"C01": "gezin", "C07": "family"})
    found = problems_of(tiny_copy)
    assert [(p.file, p.row, p.column) for p in found] == [("clients.csv", 2, "target_groups")]
    assert "household_size" in found[0].message and "remove family" in found[0].message


def test_an_unknown_target_group_is_refused_with_the_groups_allowed(tiny_copy):
    """`jongere;oudere` at C02 (row 3): item 2 is no group; the message lists the groups in both
    languages and does not repeat the value."""
    set_column(tiny_copy, "clients", "target_groups", {"C02": "jongere;oudere"})
    found = problems_of(tiny_copy)
    assert [(p.file, p.row, p.column) for p in found] == [("clients.csv", 3, "target_groups")]
    message = found[0].message
    for word in ("item 2", "young_adult", "jongere", "family", "gezin", "housing_first"):
        assert word in message
    assert "oudere" not in message


@pytest.fixture
def dutch():
    set_language("nl")
    yield
    set_language(None)


def test_the_problems_are_in_dutch(tiny_copy, dutch):
    set_column(tiny_copy, "clients", "target_groups", {"C01": "gezin", "C02": "oudere"})
    messages = [p.message for p in problems_of(tiny_copy)]
    assert any("huishouden met minderjarige kinderen" in m for m in messages)
    assert any("is geen doelgroep" in m for m in messages)


def test_young_adults_only_reads_booleans_in_either_language(tiny_copy):
    set_column(
        tiny_copy, "units", "young_adults_only", {"U01": "ja", "U02": "WAAR", "U03": "true", "U04": "nee"}
    )
    units = {u.unit_id: u.young_adults_only for u in read_instance(tiny_copy).units}
    assert units == {"U01": True, "U02": True, "U03": True, "U04": False, "U05": False, "U06": False}


def test_an_unreadable_young_adults_only_is_refused(tiny_copy):
    set_column(tiny_copy, "units", "young_adults_only", {"U03": "jongeren"})
    found = problems_of(tiny_copy)
    assert [(p.file, p.row, p.column) for p in found] == [("units.csv", 4, "young_adults_only")]
