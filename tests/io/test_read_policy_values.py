"""A policy value is read as written or refused (issue 12, finding 11): no YAML 1.1 base-60,
octal or yes/no numbers, no bool taken for an int, no key whose last copy silently wins.

Each input is a small file in tests/data/readers/, named `<what>__<file it replaces>`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fuzzing import TINY, tiny_workbook

from matcher.io.read import DuplicateKey, load_policy_text, read_instance
from models import InvalidInstance, Policy, Problem

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


@pytest.mark.parametrize(
    ("name", "line", "says"),
    [
        (
            "days-sexagesimal__policy.yaml",
            2,
            "'1:30' is not a whole number: YAML 1.1 reads it as the base-60 number 90",
        ),
        ("days-octal__policy.yaml", 2, "'010' has a leading zero (YAML 1.1 reads it as the octal number 8)"),
        (
            "days-boolean__policy.yaml",
            2,
            "'true' is a yes/no word, not a whole number (YAML 1.1 reads it as 1)",
        ),
    ],
)
def test_yaml11_numbers_in_period_days_are_refused_naming_line_and_key(name, line, says, tmp_path):
    """`days: 1:30` was 90, `days: 010` 8 and `days: true` 1: now each is refused, with the line,
    the key, what YAML 1.1 would have made of it and what to write."""
    (problem,) = refused(name, tmp_path)
    assert (problem.file, problem.row, problem.column) == ("policy.yaml", line, "period.days")
    assert says in problem.message and "write" in problem.message


def test_yes_as_a_load_weight_is_refused(tmp_path):
    """`load_weight: {light: yes}` was a weight of 1."""
    (problem,) = refused("load-weight-yes__policy.yaml", tmp_path)
    assert (problem.row, problem.column) == (3, "spreading.load_weight.light")
    assert "'yes' is a yes/no word" in problem.message


@pytest.mark.parametrize(
    ("name", "key", "lines"),
    [
        ("duplicate-period__policy.yaml", "period", (1, 3)),
        ("duplicate-origin-rule__policy.yaml", "origin_rule", (2, 4)),
    ],
)
def test_a_key_given_twice_is_refused_naming_both_lines(name, key, lines, tmp_path):
    """YAML keeps the last of two equal keys without a word; the reader refuses both."""
    (problem,) = refused(name, tmp_path)
    assert (problem.file, problem.row, problem.column) == ("policy.yaml", lines[1], key)
    assert (
        f"given twice (lines {lines[0]} and {lines[1]})" in problem.message and "keep one" in problem.message
    )


def test_a_setting_given_twice_in_a_policy_sheet_is_refused_naming_both_rows(tmp_path):
    """In a workbook's policy sheet: `origin_rule` in rows 4 and 6, and `period` in row 5 beside
    `period.start` in row 2; both refused naming workbook, sheet, rows and key."""
    found = {
        (p.file, p.row, p.column): p.message
        for p in refused("policy-sheet-duplicates__instance.xlsx", tmp_path)
    }
    assert set(found) == {
        ("instance.xlsx [policy]", 5, "period"),
        ("instance.xlsx [policy]", 6, "origin_rule"),
    }
    assert "row 4 (origin_rule) sets it too" in found["instance.xlsx [policy]", 6, "origin_rule"]
    assert "row 2 (period.start) sets it too" in found["instance.xlsx [policy]", 5, "period"]


def test_yaml11_values_in_a_policy_sheet_are_refused_naming_sheet_row_and_key(tmp_path):
    """A policy sheet's cells are YAML too: `1:30`, `yes` and `010` are refused there as well."""
    found = {
        (p.row, p.column): p.message for p in refused("policy-sheet-yaml11-values__instance.xlsx", tmp_path)
    }
    assert set(found) == {
        (3, "period.days"),
        (4, "spreading.load_weight.light"),
        (5, "refusals.max_refusals"),
    }
    assert "base-60 number 90" in found[3, "period.days"]
    assert "yes/no word" in found[4, "spreading.load_weight.light"]
    assert "octal number 8" in found[5, "refusals.max_refusals"]


def test_plain_numbers_still_read_as_written():
    """Decimal numbers, signs, points and exponents read as before; so do dates (as text),
    lists, .inf (refused later as not finite) and null."""
    data = load_policy_text(
        "period: {start: 2026-11-23, days: 14}\nspreading: {max_load_per_1000_dwellings: 2.5}\n"
        "preference: {preferred: [20, 0, +5]}\nx: [1e3, .5, -0, .inf, ~]\n"
    )
    assert data["period"] == {"start": "2026-11-23", "days": 14}
    assert data["spreading"]["max_load_per_1000_dwellings"] == 2.5
    assert data["preference"]["preferred"] == [20, 0, 5]
    assert data["x"][:3] == [1000.0, 0.5, 0] and data["x"][3] == float("inf") and data["x"][4] is None


@pytest.mark.parametrize(
    "text", ["1:30", "010", "0x1F", "0b101", "1_000", "yes", "no", "on", "off", "true", "False", "2026-11-23"]
)
def test_yaml11_only_forms_stay_text(text):
    """What YAML 1.1 would turn into another number, a boolean or a date stays the text written."""
    assert load_policy_text(f"value: {text}\n") == {"value": text}


def test_an_explicit_int_tag_does_not_bring_octal_back():
    with pytest.raises(Exception, match="not a plain whole number"):
        load_policy_text("days: !!int 010\n")


def test_load_policy_text_raises_for_a_duplicate_key():
    """The library function (used by redact) refuses a duplicate too, rather than keep the last."""
    with pytest.raises(DuplicateKey, match=r"'period\.days' appears twice"):
        load_policy_text("period:\n  start: 2026-11-23\n  days: 7\n  days: 14\n")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (True, "not yes/no"),
        (7.0, "not 7.0: write it without a decimal point"),
        ("7", "must be a whole number (e.g. 7), not '7'"),
    ],
)
def test_the_policy_model_takes_no_bool_text_or_float_for_a_whole_number(value, says, tmp_path):
    """Strict numbers in the model itself: pydantic no longer makes True into 1, '7' into 7 or 7.0
    into 7 (models/fields.py `Whole`)."""
    with pytest.raises(Exception, match="int"):
        Policy.model_validate({"period": {"start": "2026-11-23", "days": value}})
    folder = tmp_path / "instance"
    shutil.copytree(TINY, folder)
    (folder / "policy.yaml").write_text(
        "period: {start: 2026-11-23, days: " + ("true" if value is True else repr(value)) + "}\n"
    )
    if value is True:
        says = "yes/no word"
    (problem,) = refused_folder(folder)
    assert problem.column == "period.days" and says in problem.message, problem


def refused_folder(folder: Path) -> list[Problem]:
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(folder)
    return invalid.value.problems


def test_a_number_is_still_a_number_where_a_float_is_expected():
    """A whole number where a decimal is allowed is fine (5 for max_load_per_1000_dwellings)."""
    policy = Policy.model_validate(
        {"period": {"start": "2026-11-23"}, "spreading": {"max_load_per_1000_dwellings": 5}}
    )
    assert policy.spreading.max_load_per_1000_dwellings == 5.0
    with pytest.raises(Exception, match="float"):
        Policy.model_validate(
            {"period": {"start": "2026-11-23"}, "spreading": {"max_load_per_1000_dwellings": True}}
        )


def test_an_unknown_key_lists_the_keys_there(tmp_path):
    folder = tmp_path / "instance"
    shutil.copytree(TINY, folder)
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23, dayz: 7}\n")
    (problem,) = refused_folder(folder)
    assert (problem.row, problem.column) == (1, "period.dayz")
    assert "unknown key" in problem.message and "start, days" in problem.message


def test_the_tiny_workbook_still_reads():
    """A policy sheet of plain values (a date cell, a whole number) is unchanged."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "instance.xlsx"
        path.write_bytes(tiny_workbook())
        assert read_instance(path).policy.period.days == 7
