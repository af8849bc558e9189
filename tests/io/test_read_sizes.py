"""Input budgets (issue 12, finding 10): a workbook that unzips far beyond what it holds on disk,
and a file of 800,000 clients, are refused in about a second, before a row becomes an object.
The budgets are documented (docs/reliability.md, section 5) and can be raised.

Small inputs are in tests/data/readers/; the big ones are built in tmp_path."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from fuzzing import TINY, tiny_workbook

from matcher.io.read import read_instance
from matcher.solver.size_guard import DEFAULT_MAX_ROWS, InputLimits
from models import InvalidInstance, Problem

READERS = Path(__file__).resolve().parents[1] / "data" / "readers"
CLIENTS_SHEET = (
    "xl/worksheets/sheet4.xml"  # tiny_workbook(): municipalities, neighbourhoods, units, clients, …
)


def problems(path: Path, limits: InputLimits | None = None) -> list[Problem]:
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(path, limits)
    return invalid.value.problems


def workbook_copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "instance.xlsx"
    shutil.copy(READERS / name, target)
    return target


def test_a_zip_bomb_is_refused_from_its_zip_directory(tmp_path):
    """The clients sheet replaced by 300 MB of rows that zip to a few hundred kB (the finding:
    5.9 MB inflating to 1.36 GB): refused naming the sheet and the part, without unzipping it."""
    path = tmp_path / "instance.xlsx"
    row = b'<row><c t="inlineStr"><is><t>C-0001</t></is></c><c t="inlineStr"><is><t>MO</t></is></c></row>'
    block = row * (2**20 // len(row))
    with (
        zipfile.ZipFile(io.BytesIO(tiny_workbook())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            if info.filename != CLIENTS_SHEET:
                out.writestr(info.filename, source.read(info.filename))
                continue
            with out.open(CLIENTS_SHEET, "w", force_zip64=True) as part:
                part.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                for _ in range(300):
                    part.write(block)
                part.write(b"</sheetData></worksheet>")
    assert path.stat().st_size < 5_000_000
    began = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - began < 2
    assert {p.file for p in found} == {"instance.xlsx [clients]"}
    text = "\n".join(p.message for p in found)
    assert (
        f"part {CLIENTS_SHEET} unzips to 31" in text
        and "to 1; a workbook part is read up to 100 to 1" in text
    )
    assert "the workbook unzips to 31" in text and "(at most 200.0 MB are read)" in text


def test_a_part_compressed_beyond_the_ratio_is_refused_even_when_small(tmp_path):
    """2 MB of spaces zipped to 2 kB (1,000 to 1) in a part nobody reads: refused all the same,
    and no list of missing sheets after it."""
    (problem,) = problems(workbook_copy(tmp_path, "compression-ratio__instance.xlsx"))
    assert problem.file == "instance.xlsx"
    assert "part xl/worksheets/sheet99.xml unzips to 2.0 MB from 2.0 kB" in problem.message


def test_a_zip_directory_that_understates_a_part_is_refused_as_damaged(tmp_path):
    """The directory's sizes are binding: a part claiming 100 bytes is cut there and fails its
    checksum, so understating a size cannot slip a bomb past the budget."""
    (problem,) = problems(workbook_copy(tmp_path, "zip-directory-understates__instance.xlsx"))
    assert problem.file == "instance.xlsx"
    assert "not a readable .xlsx workbook (BadZipFile: Bad CRC-32" in problem.message


def test_807000_clients_are_refused_in_seconds_before_a_row_is_kept(tiny_copy):
    """The finding: 807,000 clients in 50 MB passed every check and the solve went past 7 GB.
    Now the reader counts the rows without keeping them and refuses at row 200,002."""
    header = (TINY / "clients.csv").read_text().splitlines()[0]
    rows = "".join(f"C-{k:07d},MO,GM0392,,light,1,,false,,,,,normal,2026-05-25,\n" for k in range(807_000))
    (tiny_copy / "clients.csv").write_text(header + "\n" + rows)
    assert 40_000_000 < (tiny_copy / "clients.csv").stat().st_size < InputLimits().max_file_bytes
    began = time.perf_counter()
    (problem,) = problems(tiny_copy)
    assert time.perf_counter() - began < 10  # about 1 s on an idle machine (docs/reliability.md)
    assert (problem.file, problem.row) == ("clients.csv", DEFAULT_MAX_ROWS + 2)
    assert "more than 200,000 rows" in problem.message and "MATCHER_MAX_ROWS" in problem.message


def test_the_row_budget_holds_for_every_file_and_sheet(tiny_copy, tmp_path):
    """Tiny has 8 clients and at most 6 rows in any other file: with a budget of 7 rows its
    clients file and sheet are refused at row 9, the first beyond the budget."""
    (problem,) = problems(tiny_copy, InputLimits(max_rows=7))
    assert (problem.file, problem.row) == ("clients.csv", 9)
    book = tmp_path / "instance.xlsx"
    book.write_bytes(tiny_workbook())
    found = problems(book, InputLimits(max_rows=7))
    assert [(p.file, p.row) for p in found] == [("instance.xlsx [clients]", 9)]
    assert read_instance(tiny_copy, InputLimits(max_rows=8)).clients


def test_the_budgets_can_be_raised_or_lowered_from_the_environment(tiny_copy, monkeypatch):
    """MATCHER_MAX_ROWS, MATCHER_MAX_FILE_MB and MATCHER_MAX_UNZIPPED_MB, for the command line."""
    monkeypatch.setenv("MATCHER_MAX_ROWS", "3")
    assert "more than 3 rows" in problems(tiny_copy)[0].message
    monkeypatch.setenv("MATCHER_MAX_ROWS", "500000")
    monkeypatch.setenv("MATCHER_MAX_FILE_MB", "512")
    monkeypatch.setenv("MATCHER_MAX_UNZIPPED_MB", "1000")
    assert InputLimits.from_environment() == InputLimits(
        max_rows=500_000, max_file_bytes=512 * 2**20, max_unzipped_bytes=1_000_000_000
    )
    assert read_instance(tiny_copy).clients
    monkeypatch.setenv("MATCHER_MAX_ROWS", "many")
    (problem,) = problems(tiny_copy)
    assert problem.file == "MATCHER_MAX_ROWS" and "'many' is not a whole number" in problem.message


def test_a_file_above_the_byte_budget_is_refused_before_it_is_read(tiny_copy):
    found = problems(tiny_copy, InputLimits(max_file_bytes=600))
    assert {p.file for p in found} >= {"clients.csv"}
    assert all("too large to read" in p.message and "MATCHER_MAX_FILE_MB" in p.message for p in found)


def test_the_unzipped_budget_names_the_largest_part(tmp_path):
    book = tmp_path / "instance.xlsx"
    book.write_bytes(tiny_workbook())
    (problem,) = problems(book, InputLimits(max_unzipped_bytes=5_000))
    assert "the workbook unzips to" in problem.message and "(at most 5.0 kB are read)" in problem.message
    assert "the largest part xl/theme/theme1.xml" in problem.message


def test_an_ordinary_workbook_is_far_within_every_budget(tmp_path):
    """What openpyxl and Excel write compresses about 3 to 15 to 1, far from 100 to 1."""
    book = tmp_path / "instance.xlsx"
    book.write_bytes(tiny_workbook())
    with zipfile.ZipFile(book) as archive:
        assert max(info.file_size / max(1, info.compress_size) for info in archive.infolist()) < 20
    assert read_instance(book).clients
