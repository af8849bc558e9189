"""No reader message repeats a value that looks like personal data (issue 12, leftover).

Problems are printed, logged and pasted into e-mails. A citizen service number (BSN), an e-mail
address, a phone number, a date of birth or a name typed into the wrong column must be named by
row, column and the kind of data it looks like, never repeated. Every column of every table gets
each kind of value; the policy's numbers, words and lists too."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzing import TINY, tiny_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.cli.main import main
from matcher.io.read import TABLES, read_instance
from models import InvalidInstance, Problem
from models.privacy import personal_data

# (value, the kind `models.privacy` calls it); each stands for data about a real person
PERSONAL = [
    ("123456782", "bsn"),
    ("111.222.333", "bsn"),
    ("123.456.782", "bsn"),
    ("1112 22 333", "bsn"),
    ("ilse.zwanenburg@gmail.com", "email"),
    ("06-12345678", "phone"),
    ("+31 6 12345678", "phone"),
    ("0612345678", "phone"),
    ("12-03-1984", "date"),
    ("1984-03-12", "date"),
    ("12/03/1984", "date"),
    ("12 mrt 1984", "date"),
    ("19840312", "date"),
    ("2011AB-12", "address"),
    ("Ilse Zwanenburg", "name"),
    ("I. Zwanenburg", "name"),
    ("van Dijk", "name"),
    ("Jansen", "name"),
    ("Zwanenburg-1984", "name"),
    ("IlseZwanenburg", "name"),
]
KIND_WORDS = {
    "bsn": "citizen service number",
    "email": "e-mail address",
    "phone": "phone number",
    "date": "date",
    "address": "postcode with a house number",
    "name": "name",
}


def test_the_values_are_what_they_stand_for():
    for value, kind in PERSONAL:
        assert personal_data(value) == kind, value


def traces(value: str) -> list[str]:
    """The value and the parts a message could give it away by: its digits, its long words."""
    found = [value, value.lower()]
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 6:
        found.append(digits)
    found += [word.lower() for word in re.findall(r"[^\W\d_]{4,}", value) if word.lower() not in {"gmail"}]
    return found


def assert_not_echoed(problems: list[Problem], value: str) -> None:
    for problem in problems:
        for text in (problem.message.lower(), (problem.column or "").lower(), str(problem).lower()):
            for trace in traces(value):
                assert trace.lower() not in text, f"{value!r} echoed as {trace!r}: {problem}"


def with_cell(folder: Path, table: str, column: str, value: str, row: int = 2) -> None:
    rows = read_rows(folder, table)
    if column not in rows[0]:  # an optional column the tiny instance leaves out
        rows = [[*cells, column if k == 0 else ""] for k, cells in enumerate(rows)]
    while len(rows) < row:
        # a whole row, so only the cell tested is wrong
        rows.append(["C01", "U02", "client"] if table == "declined" else [""] * 3)
        rows[-1] += [""] * (len(rows[0]) - len(rows[-1]))
    rows[row - 1][rows[0].index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (folder / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def read_rows(folder: Path, table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / f"{table}.csv").read_text(encoding="utf-8"))))


def problems_of(path: Path) -> list[Problem]:
    try:
        read_instance(path)
    except InvalidInstance as invalid:
        return invalid.problems
    return []


CELLS = [(spec.name, column) for spec in TABLES for column in spec.columns]


@pytest.mark.parametrize(("table", "column"), CELLS, ids=[f"{t}.{c}" for t, c in CELLS])
def test_no_message_repeats_personal_data_typed_into_any_column(tmp_path, table, column):
    """Each value of PERSONAL in row 2 of each column: whatever is said, the value is not."""
    spec = next(spec for spec in TABLES if spec.name == table)
    kind = spec.kind(column)
    for number, (value, personal) in enumerate(PERSONAL):
        folder = tmp_path / f"v{number}"
        shutil.copytree(TINY, folder)
        with_cell(folder, table, column, value)
        found = problems_of(folder)
        assert_not_echoed(found, value)
        cell = [p for p in found if (p.file, p.row, p.column) == (f"{table}.csv", 2, column)]
        if kind in ("int", "number", "bool") and not value.isdigit():
            assert cell, f"{value!r} in {table}.{column} was not refused"
        if cell and personal in ("bsn", "email", "phone", "address") and kind is not None:
            # a typed column refusing it says what the value looks like instead of repeating it
            assert any(KIND_WORDS[personal] in p.message for p in cell), cell


def test_a_grouped_bsn_in_a_whole_number_column_says_what_it_looks_like(tiny_copy):
    """`111.222.333` in household_size used to come back as "'111.222.333' is ambiguous"."""
    with_cell(tiny_copy, "clients", "household_size", "111.222.333")
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("clients.csv", 2, "household_size")
    assert problem.message.startswith("looks like a citizen service number (BSN), not a whole number")
    assert "111" not in problem.message


def test_an_ordinary_ambiguous_number_is_still_quoted(tiny_copy):
    with_cell(tiny_copy, "clients", "household_size", "1.000")
    (problem,) = problems_of(tiny_copy)
    assert problem.message.startswith("'1.000' is ambiguous")


def test_a_dutch_date_of_birth_is_not_rewritten_a_recent_date_is(tiny_copy):
    """The ISO rewrite of `23-11-2026` helps; that of `12-03-1984` would repeat a birth date."""
    with_cell(tiny_copy, "clients", "registered_on", "12-03-1984")
    with_cell(tiny_copy, "clients", "ready_from", "23-11-2026", row=3)
    found = {p.column: p.message for p in problems_of(tiny_copy)}
    assert "1984" not in found["registered_on"] and "write it as YYYY-MM-DD" in found["registered_on"]
    assert "write it as 2026-11-23" in found["ready_from"]


def test_a_duplicate_id_that_looks_like_personal_data_is_masked(tiny_copy):
    for row in (2, 3):
        with_cell(tiny_copy, "units", "unit_id", "Ilse Zwanenburg", row=row)
    found = problems_of(tiny_copy)
    duplicate = [p for p in found if p.message.startswith("duplicate id")]
    assert duplicate and duplicate[0].column == "unit_id"
    assert_not_echoed(found, "Ilse Zwanenburg")


def test_a_missing_header_row_does_not_list_the_first_client_as_column_names(tiny_copy):
    """Without its header row the first client's cells became "unknown column" names."""
    rows = tiny_rows("clients.csv")[1:]
    rows[0][0] = "ilse.zwanenburg@gmail.com"
    rows[0][1] = "Ilse Zwanenburg"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (tiny_copy / "clients.csv").write_text(buffer.getvalue(), encoding="utf-8")
    found = problems_of(tiny_copy)
    header = [p for p in found if p.file == "clients.csv"]
    assert len(header) == 1 and header[0].row == 1
    assert "names none of the columns (is the header row missing?)" in header[0].message
    assert_not_echoed(found, "ilse.zwanenburg@gmail.com")
    assert_not_echoed(found, "Ilse Zwanenburg")


def test_a_header_cell_holding_personal_data_is_named_by_position(tiny_copy):
    text = (tiny_copy / "units.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",06-12345678"
    (tiny_copy / "units.csv").write_text(
        "\n".join(line + ("," if k else "") for k, line in enumerate(text)) + "\n"
    )
    found = problems_of(tiny_copy)
    (problem,) = [p for p in found if p.file == "units.csv"]
    assert problem.column == f"#{len(tiny_rows('units.csv')[0]) + 1}"
    assert "looks like a phone number" in problem.message
    assert_not_echoed(found, "06-12345678")


# --- the policy ---------------------------------------------------------------------------------

POLICY_SETTINGS = [
    "period: {{start: 2026-11-23, days: {v}}}",
    "period: {{start: {v}}}",
    "origin_rule: {v}",
    "spreading: {{max_load_per_1000_dwellings: {v}}}",
    "spreading: {{load_weight: {{light: {v}}}}}",
    "spreading: {{exempt_types: [{v}]}}",
    "priority: {{urgency_base: {{normal: {v}}}}}",
    "preference: {{preferred: [20, {v}]}}",
    "compatibility: {{light: [room, {v}]}}",
    "compatibility: {{{v}: [room]}}",
]


@pytest.mark.parametrize("setting", POLICY_SETTINGS)
def test_no_policy_message_repeats_personal_data(tiny_copy, setting):
    for value, _ in PERSONAL:
        for written in (value, f"'{value}'"):
            text = setting.format(v=written)
            if not text.startswith("period"):
                text = "period: {start: 2026-11-23}\n" + text
            (tiny_copy / "policy.yaml").write_text(text + "\n", encoding="utf-8")
            assert_not_echoed(problems_of(tiny_copy), value)


def test_a_phone_number_as_period_days_is_refused_without_repeating_it(tiny_copy):
    (tiny_copy / "policy.yaml").write_text("period: {start: 2026-11-23, days: 0612345678}\n")
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.column) == ("policy.yaml", "period.days")
    assert "looks like a phone number" in problem.message and "612345678" not in problem.message


def test_a_policy_word_is_still_quoted(tiny_copy):
    """`week` is a word, not a name: it is repeated, as issue 12's tests expect."""
    (tiny_copy / "policy.yaml").write_text("period: {start: 2026-11-23, days: week}\n")
    (problem,) = problems_of(tiny_copy)
    assert "not 'week'" in problem.message


# --- any value, through the command a coordinator runs --------------------------------------------

_PERSONAL_VALUES = st.one_of(
    st.sampled_from([value for value, _ in PERSONAL]),
    st.from_regex(r"[1-9][0-9]{2}\.[0-9]{3}\.[0-9]{3}", fullmatch=True).filter(
        lambda v: personal_data(v) == "bsn"
    ),
    st.from_regex(r"06-[1-9][0-9]{7}", fullmatch=True),
    st.from_regex(r"[a-z]{3,8}\.[a-z]{4,10}@[a-z]{4,8}\.nl", fullmatch=True),
    st.builds(
        lambda d, m, y: f"{d:02d}-{m:02d}-{y}",
        st.integers(1, 28),
        st.integers(1, 12),
        st.integers(1940, 2010),
    ),
)
_TYPED = [
    (spec.name, column)
    for spec in TABLES
    for column in spec.columns
    if spec.kind(column) is not None
    or column.endswith("_id")
    or column in ("source", "support_intensity", "urgency", "type", "declined_by", "scope", "eligible_types")
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_PERSONAL_VALUES, cell=st.sampled_from(_TYPED))
def test_matcher_validate_never_prints_personal_data(tmp_path_factory, value, cell):
    """Whatever `matcher validate` prints for a personal value in a typed, enum or id column
    (exit 0 or 2, never another code), the value is not in it."""
    folder = tmp_path_factory.mktemp("instance") / "tiny"
    shutil.copytree(TINY, folder)
    with_cell(folder, *cell, value)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code in (0, 2), result.output
    output = " ".join(result.output.split()).lower()
    # the value, its digits, an e-mail address's name part (not its words: `must` could be one)
    digits = re.sub(r"\D", "", value)
    for trace in {value.lower(), value.split("@")[0].lower(), digits if len(digits) >= 6 else value.lower()}:
        assert trace not in output, f"{value!r} in {cell} echoed as {trace!r}: {result.output}"
