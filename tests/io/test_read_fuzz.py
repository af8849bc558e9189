"""Fuzz every reader and the policy file: any input is a valid instance or a clear report.

Raw bytes go into each CSV file, policy.yaml and the .xlsx workbook; structured fuzz mutates one
cell (or one detail of the file's form) of a valid instance. Valid results are solved too, so a
reader cannot pass on a value the engine chokes on. Inputs that once broke something live in
tests/fuzz_corpus/ and are replayed here. The long runs are marked `slow` and run only with
MATCHER_SLOW_TESTS=1.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fuzzing import (
    CORPUS,
    CSV_FILES,
    ROOT,
    TINY,
    WORKBOOK,
    judge,
    tiny_copy,
    tiny_rows,
    tiny_workbook,
    with_file,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Instance, InvalidInstance

RUN_SLOW = os.environ.get("MATCHER_SLOW_TESTS") == "1"

FAST = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))

# --- strategies --------------------------------------------------------------------------------

CSV_ALPHABET = st.sampled_from(list(",;\t\"\r\n '\\#=-+.:/0123456789aeEnNxX") + ["é", "\ufeff", "\x00", "€"])


def csv_bytes(name: str) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, CSV-like text after the real header, and the real file spliced."""
    header = ",".join(tiny_rows(name)[0]).encode()
    real = (TINY / name).read_bytes()
    csvish = st.text(CSV_ALPHABET, max_size=300)
    return st.one_of(
        st.binary(max_size=400),
        csvish.map(lambda text: text.encode("utf-8")),
        csvish.map(lambda text: header + b"\n" + text.encode("utf-8")),
        st.tuples(st.integers(0, len(real)), st.binary(max_size=12), st.integers(0, 20)).map(
            lambda cut: real[: cut[0]] + cut[1] + real[cut[0] + cut[2] :]
        ),
    )


YAML_ALPHABET = st.sampled_from(
    list("{}[],:-?&*!|>'\"#%@` \n\t0123456789.eE+")
    + [
        "period",
        "start",
        "days",
        "2026-11-23",
        "spreading",
        "priority",
        "!!timestamp",
        "!!binary",
        "!!python/object",
        ".inf",
        ".nan",
        "~",
    ]
)


def policy_bytes() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, YAML-like token soup, and mutations of a valid policy."""
    valid = b"period: {start: 2026-11-23, days: 7}\norigin_rule: prefer\n"
    return st.one_of(
        st.binary(max_size=300),
        st.lists(YAML_ALPHABET, max_size=60).map(lambda tokens: "".join(tokens).encode()),
        st.lists(YAML_ALPHABET, max_size=30).map(lambda tokens: valid + "".join(tokens).encode()),
        st.tuples(st.integers(0, len(valid)), st.binary(max_size=8)).map(
            lambda cut: valid[: cut[0]] + cut[1] + valid[cut[0] + len(cut[1]) :]
        ),
    )


ODD_CELLS = st.sampled_from(
    [
        "",
        " ",
        "inf",
        "-inf",
        "nan",
        "NaN",
        "1e400",
        "-1",
        "0",
        "-0",
        "9" * 30,
        "9" * 5000,
        "1e308",
        "1,5",
        "1.234,56",
        "650,",
        ",5",
        "1_000",
        "0x10",
        "TRUE",
        " yes ",
        "Ja",
        "WAAR",
        "2",
        "9999-12-31",
        "0001-01-01",
        "2026-02-30",
        "23-11-2026",
        "11/23/2026",
        "2026-11-23T10:00",
        "#N/A",
        "#REF!",
        "GM0392",
        "GM0453;GM0392",
        "GM0392;GM0392",
        "WK045309",
        "U01",
        "C01",
        "skaeve_huis",
        "cluster;room",
        "protected",
        "acute",
        "landlord",
        "Jan Jansen",
        "123456782",
        "\ufeff",
        "\x00",
        "é",
        "a\nb",
        '"',
        "x;",
        ";",
        "=1+1",
    ]
)
CELLS = st.one_of(
    ODD_CELLS,
    st.text(max_size=25),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(-1e6, 1e6).map(lambda number: f"{number:.2f}".replace(".", ",")),
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat),
)
FORMS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])


def write_csv(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    """Rows as CSV bytes in the given form (unencodable text falls back to UTF-8)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


@st.composite
def mutated_file(draw) -> tuple[str, bytes]:
    """One tiny CSV file with one cell replaced and, sometimes, one change of form."""
    name = draw(st.sampled_from(CSV_FILES))
    rows = tiny_rows(name)
    if len(rows) == 1:
        rows.append(["" for _ in rows[0]])
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.integers(0, len(rows[0]) - 1))
    rows[row][column] = draw(CELLS)
    change = draw(
        st.sampled_from(
            [
                "none",
                "none",
                "drop_column",
                "blank_rows",
                "blank_column",
                "upper_header",
                "duplicate_row",
                "truncate",
            ]
        )
    )
    if change == "drop_column":
        rows = [cells[:column] + cells[column + 1 :] for cells in rows]
    elif change == "blank_rows":
        rows = [[""] * len(rows[0])] + rows + [[]]
    elif change == "blank_column":
        rows = [cells + [""] for cells in rows]
    elif change == "upper_header":
        rows[0] = [cell.upper() + "  " for cell in rows[0]]
    elif change == "duplicate_row" and len(rows) > 1:
        rows.append(list(rows[-1]))
    data = write_csv(rows, draw(st.sampled_from([",", ";", "\t"])), draw(FORMS))
    if change == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return name, data


# --- the properties ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CSV_FILES)
@FAST
@given(data=st.data())
def test_any_bytes_in_a_csv_file(name, data):
    """Any bytes in place of a CSV file give a valid instance or a list of problems."""
    with_file(name, data.draw(csv_bytes(name)))


@FAST
@given(policy_bytes())
def test_any_bytes_as_policy(data):
    """Any bytes in place of policy.yaml give a valid instance or a list of problems."""
    with_file("policy.yaml", data, solve=True)


WORKBOOK_BYTES = tiny_workbook()
MEMBERS = zipfile.ZipFile(io.BytesIO(WORKBOOK_BYTES)).namelist()


def _rezip(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(WORKBOOK_BYTES)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, content if name == member else source.read(name))
    return buffer.getvalue()


@st.composite
def workbook_bytes(draw) -> bytes:
    """Raw bytes, the workbook with bytes overwritten, or one zipped XML part spliced."""
    kind = draw(st.sampled_from(["raw", "overwrite", "member", "member"]))
    if kind == "raw":
        return draw(st.binary(max_size=400))
    if kind == "overwrite":
        position = draw(st.integers(0, len(WORKBOOK_BYTES)))
        patch = draw(st.binary(min_size=1, max_size=16))
        return WORKBOOK_BYTES[:position] + patch + WORKBOOK_BYTES[position + len(patch) :]
    member = draw(st.sampled_from(MEMBERS))
    content = zipfile.ZipFile(io.BytesIO(WORKBOOK_BYTES)).read(member)
    position = draw(st.integers(0, len(content)))
    insert = draw(
        st.one_of(
            st.binary(max_size=16),
            st.sampled_from(
                [
                    b"<",
                    b">",
                    b"&",
                    b'<c r="ZZZ9999999"><v>1e999</v></c>',
                    b't="n"',
                    b'<row r="1048576"/>',
                    b"<v>nan</v>",
                    b't="d"',
                    b"\x00",
                ]
            ),
        )
    )
    return _rezip(member, content[:position] + insert + content[position + draw(st.integers(0, 24)) :])


@FAST
@given(workbook_bytes())
def test_any_bytes_as_workbook(data):
    """Any bytes in place of an .xlsx workbook give a valid instance or a list of problems."""
    with_file(WORKBOOK, data)


@FAST
@given(mutated_file())
def test_valid_instance_with_one_cell_mutated(mutation):
    """A valid instance with one cell or one detail of form changed reads cleanly and solves."""
    name, data = mutation
    with_file(name, data, solve=True)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_instance_with_one_cell_mutated(data):
    """A random valid instance with one random cell changed reads cleanly and, if valid, solves."""
    from strategies import instances, write_instance

    tables = data.draw(instances(max_clients=8, max_units=6))
    name = data.draw(st.sampled_from([key for key in tables if key != "policy"]))
    frame = tables[name]
    if len(frame):
        row = data.draw(st.integers(0, len(frame) - 1))
        column = data.draw(st.sampled_from(list(frame.columns)))
        frame.iloc[row, frame.columns.get_loc(column)] = data.draw(CELLS)
    with tiny_copy() as folder:
        for file in folder.iterdir():
            file.unlink()
        write_instance(tables, folder)
        judge(folder, solve=True)


def test_tiny_workbook_is_valid():
    """The fuzzed workbook starts valid, so mutations test more than the zip layer."""
    assert isinstance(with_file(WORKBOOK, WORKBOOK_BYTES, solve=True), Instance)


# --- regression corpus -------------------------------------------------------------------------

CORPUS_FILES = sorted(path for path in CORPUS.iterdir() if "__" in path.name)
# What each corpus input must now produce: a problem containing this text, or a valid instance.
EXPECTED = {
    "cap-infinite": "not infinity or NaN",
    "dwellings-30-digits": "implausibly large",
    "household-huge": "implausibly large",
    "max-household-30-digits": "implausibly large",
    "max-intake-30-digits": "implausibly large",
    "policy-5000-digit-number": "cannot be read",
    "policy-alias-bomb": "aliases",
    "policy-deep-nesting": "nested more than",
    "policy-feb-30": "not a real calendar date",
    "policy-huge-preference": "implausibly large",
    "policy-huge-urgency-base": "implausibly large",
    "policy-infinite-load-per-1000": "finite",
    "policy-period-end-year-10000": "before the year 10000",
    "policy-undecodable-bytes": "neither UTF-8 nor Windows-1252",
    "population-huge": "implausibly large",
    "recent-load-inf": "not infinity or NaN",
    "rent-infinite": "not infinity or NaN",
    "slots-huge": "implausibly large",
    "utf16-unicode-text": None,
}


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_input_no_longer_breaks_anything(path):
    """An input that once crashed, hung or was misread now gives its expected, clear answer."""
    slug, target = path.name.split("__")
    result = with_file(target, path.read_bytes(), solve=True)
    expected = EXPECTED.get(slug, "")
    if expected is None:
        assert isinstance(result, Instance)
    elif expected:
        assert isinstance(result, InvalidInstance)
        assert any(expected in problem.message for problem in result.problems), result.problems


def test_every_corpus_input_has_an_expectation():
    """Each corpus file states what it must now produce, so none is replayed blindly."""
    assert {path.name.split("__")[0] for path in CORPUS_FILES} == set(EXPECTED)


# --- long runs and atheris ---------------------------------------------------------------------

HAS_ATHERIS = importlib.util.find_spec("atheris") is not None


def _csv_target(named: tuple[str, bytes]) -> None:
    with_file(*named)


def _policy_target(data: bytes) -> None:
    with_file("policy.yaml", data, solve=True)


def _workbook_target(data: bytes) -> None:
    with_file(WORKBOOK, data)


def _mutation_target(mutation: tuple[str, bytes]) -> None:
    with_file(*mutation, solve=True)


LONG_TARGETS = {
    "csv": (
        st.sampled_from(CSV_FILES).flatmap(lambda name: csv_bytes(name).map(lambda data: (name, data))),
        _csv_target,
    ),
    "policy": (policy_bytes(), _policy_target),
    "workbook": (workbook_bytes(), _workbook_target),
    "mutation": (mutated_file(), _mutation_target),
}


@pytest.mark.parametrize("target", sorted(LONG_TARGETS))
@pytest.mark.slow
@pytest.mark.skipif(not RUN_SLOW, reason="long fuzz run: set MATCHER_SLOW_TESTS=1")
def test_long_fuzz_run(target):
    """A long run of the same properties (5000 inputs per target) searches deeper."""
    strategy, check = LONG_TARGETS[target]
    LONG(given(strategy)(check))()


def _atheris_run(runs: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "support" / "fuzz_atheris.py"),
            f"-atheris_runs={runs}",
            "-max_len=2048",
            "-seed=1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.skipif(not HAS_ATHERIS, reason="atheris is optional and not installed")
def test_atheris_short_run():
    """A short coverage-guided atheris run over every reader finds no crash or hang."""
    result = _atheris_run(600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.skipif(not HAS_ATHERIS, reason="atheris is optional and not installed")
@pytest.mark.slow
@pytest.mark.skipif(not RUN_SLOW, reason="long fuzz run: set MATCHER_SLOW_TESTS=1")
def test_atheris_long_run():
    """A long coverage-guided atheris run (50,000 inputs) finds no crash or hang."""
    result = _atheris_run(50_000)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
