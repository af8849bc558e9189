"""Shared by the fuzz tests and the atheris driver: put bytes where a reader looks, read, judge.

The one property every reader must keep: any input ends in a valid instance (which the engine
then solves without error) or in an `InvalidInstance` listing precise problems, within a time
bound. Any other exception, or running past the bound, is a finding.
"""

from __future__ import annotations

import csv
import io
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from matcher.io.read import TABLES, read_instance
from models import Instance, InvalidInstance

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
CORPUS = Path(__file__).resolve().parents[1] / "fuzz_corpus"
CSV_FILES = [spec.file for spec in TABLES]
FILES = [*CSV_FILES, "policy.yaml"]
WORKBOOK = "instance.xlsx"
SECONDS_PER_INPUT = 20


class Hang(Exception):
    """A reader ran past its time bound."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the main thread when the block runs longer than `seconds`."""

    def expire(_signal: int, _frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(path: Path, solve: bool = False) -> Instance | InvalidInstance:
    """Read `path`: return the instance or the `InvalidInstance`; let anything else escape."""
    with time_bound(SECONDS_PER_INPUT):
        try:
            instance = read_instance(path)
        except InvalidInstance as invalid:
            assert invalid.problems, "an InvalidInstance must list at least one problem"
            for problem in invalid.problems:
                assert problem.message.strip(), "every problem needs a message"
                assert "Traceback" not in problem.message
            return invalid
        if solve:
            from matcher.proposal import solve as solve_instance

            solve_instance(instance)
        return instance


@contextmanager
def tiny_copy() -> Iterator[Path]:
    """A fresh copy of the tiny instance in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "instance"
        shutil.copytree(TINY, target)
        yield target


def with_file(name: str, data: bytes, solve: bool = False) -> Instance | InvalidInstance:
    """Judge the tiny instance with file `name` replaced by `data` (an .xlsx name: the workbook)."""
    with tiny_copy() as folder:
        if name.endswith(".xlsx"):
            (folder / name).write_bytes(data)
            return judge(folder / name, solve)
        (folder / name).write_bytes(data)
        return judge(folder, solve)


def tiny_rows(name: str) -> list[list[str]]:
    """The cells of one of the tiny instance's CSV files, header first."""
    return list(csv.reader(io.StringIO((TINY / name).read_text(encoding="utf-8"))))


def tiny_workbook() -> bytes:
    """The tiny instance as one .xlsx workbook with a `policy` sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in TABLES:
        if not (TINY / spec.file).is_file():  # an optional table tiny does not have
            continue
        sheet = workbook.create_sheet(spec.name)
        for row in tiny_rows(spec.file):
            sheet.append(row)
    policy = workbook.create_sheet("policy")
    policy.append(["key", "value"])
    policy.append(["period.start", "2026-11-23"])
    policy.append(["period.days", 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
