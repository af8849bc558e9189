"""kill -9 at random moments of `solve`, `record`, `review import` and `review export`: whatever
the moment, what is on disk is the state before the command or the state after it, never a mix.

Each trial forks a child that runs the command in-process (the engine is already imported, so
the kill lands in the command's own work, not in Python's start-up), kills it with SIGKILL after
a random delay within the command's measured duration, and checks the invariant. The number of
trials per command is in docs/reliability.md (section 9): 30 + 25 + 25 + 25 = 105.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from catalogue import ROOT, TINY

from matcher.io.files import sha256_file

TRIALS = {"solve": 30, "record": 25, "import": 25, "export": 25}
WEEK = ROOT / "instances" / "zuid-kennemerland-year"  # big enough that a write takes a while


def _run(args: list[str]) -> None:
    """The child: run one matcher command in-process and exit with its code."""
    from matcher.cli import main

    try:
        main(args, standalone_mode=False)
    except SystemExit as stop:
        os._exit(int(stop.code or 0))
    except Exception:
        os._exit(70)
    os._exit(0)


def _duration(args: list[str]) -> float:
    began = time.perf_counter()
    child = multiprocessing.get_context("fork").Process(target=_run, args=(args,))
    child.start()
    child.join(120)
    assert child.exitcode == 0, f"{args[0]} must succeed when not killed"
    return time.perf_counter() - began


def _kill_trials(
    args: list[str], trials: int, check: Callable[[], None], reset: Callable[[], None], seed: int
) -> int:
    """Run `trials` killed runs of `args`; return how many were killed before they finished."""
    reset()
    span = _duration(args)
    rng = random.Random(seed)
    killed = 0
    for _ in range(trials):
        reset()
        child = multiprocessing.get_context("fork").Process(target=_run, args=(args,))
        child.start()
        time.sleep(rng.uniform(0, span))
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.join(60)
        check()
    print(f"{args[0]}: {killed} of {trials} runs killed before they finished (run length {span:.2f} s)")
    return killed


def _complete_set(out: Path) -> dict | None:
    """The summary of the output set in `out`, checked against every file it records."""
    if not (out / "summary.json").exists():
        assert not (out / "proposals.csv").exists(), "proposals.csv without its summary"
        return None
    summary = json.loads((out / "summary.json").read_text())
    for name, digest in summary["outputs"].items():
        assert sha256_file(out / name) == digest, f"{name} does not belong to its summary"
    return summary


def test_solve_killed_leaves_the_previous_or_the_new_proposal(tmp_path):
    out = tmp_path / "out"
    _run_ok(["solve", str(TINY), "--out", str(out)])
    seen: set[str] = set()

    def check() -> None:
        summary = _complete_set(out)
        assert summary is not None, "the previous proposal was lost"
        seen.add(summary["instance"])

    killed = _kill_trials(["solve", str(WEEK), "--out", str(out)], TRIALS["solve"], check, lambda: None, 1)
    assert killed >= TRIALS["solve"] // 2, f"only {killed} of {TRIALS['solve']} runs were killed in time"
    assert seen <= {"tiny", WEEK.name}


def _run_ok(args: list[str]) -> None:
    from click.testing import CliRunner

    from matcher.cli import main

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def _decisions(ledger: Path) -> list[tuple]:
    if not ledger.exists():
        return []
    with sqlite3.connect(ledger) as connection:
        return sorted(
            connection.execute("SELECT client_id, unit_id, party, decision FROM decisions").fetchall()
        )


def _decisions_csv(path: Path, count: int) -> Path:
    lines = ["client_id,unit_id,decision,reason_code,by,period_start"]
    lines += [f"C{k:04d},U{k:04d},decline,other,client,2026-11-23" for k in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_record_killed_records_all_or_nothing(tmp_path):
    ledger, file = tmp_path / "ledger.sqlite", _decisions_csv(tmp_path / "decisions.csv", 400)
    _run_ok(
        [
            "record",
            "--ledger",
            str(ledger),
            "--client",
            "X1",
            "--unit",
            "Y1",
            "--decision",
            "accept",
            "--week",
            "2026-11-23",
        ]
    )
    before = _decisions(ledger)
    backup = tmp_path / "before.sqlite"
    shutil.copyfile(ledger, backup)

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ledger}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, ledger)

    def check() -> None:
        after = _decisions(ledger)
        assert after == before or len(after) == len(before) + 400, (
            f"{len(after) - len(before)} of 400 recorded"
        )

    killed = _kill_trials(
        ["record", "--ledger", str(ledger), "--file", str(file)], TRIALS["record"], check, reset, 2
    )
    assert killed >= TRIALS["record"] // 2


@pytest.fixture
def exported(tmp_path):
    """The Zuid-Kennemerland year solved and exported, one workbook per landlord, with a ledger."""
    week, books, ledger = tmp_path / "week", tmp_path / "books", tmp_path / "ledger.sqlite"
    _run_ok(["solve", str(WEEK), "--out", str(week)])
    _run_ok(
        ["review", "export", str(WEEK), "--proposal", str(week), "--out", str(books), "--ledger", str(ledger)]
    )
    return week, books, ledger


def test_import_killed_imports_all_or_nothing(exported, tmp_path):
    from openpyxl import load_workbook

    from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET

    _, books, ledger = exported
    book_path = sorted(books.glob("*.xlsx"))[0]
    book = load_workbook(book_path)
    sheet = book[REVIEW_SHEET]
    column = chr(ord("A") + KEYS.index("decision"))
    rows = range(FIRST_ROW, sheet.max_row + 1)
    for row in rows:
        sheet[f"{column}{row}"] = "accept"
    book.save(book_path)
    backup = tmp_path / "before.sqlite"
    shutil.copyfile(ledger, backup)
    before = _decisions(ledger)

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ledger}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, ledger)

    def check() -> None:
        after = _decisions(ledger)
        assert after == before or len(after) == len(before) + len(rows), (
            f"{len(after) - len(before)} imported"
        )

    killed = _kill_trials(
        ["review", "import", str(book_path), "--ledger", str(ledger)], TRIALS["import"], check, reset, 3
    )
    assert killed >= TRIALS["import"] // 2


def test_export_killed_writes_every_workbook_or_none(exported, tmp_path):
    from openpyxl import load_workbook

    week, books, ledger = exported
    expected = sorted(p.name for p in books.glob("*.xlsx"))
    target = tmp_path / "again"

    def reset() -> None:
        shutil.rmtree(target, ignore_errors=True)

    def check() -> None:
        present = sorted(p.name for p in target.glob("*.xlsx")) if target.exists() else []
        assert present in ([], expected), f"{len(present)} of {len(expected)} workbooks"
        for name in present:
            load_workbook(target / name)  # a complete workbook, not a torn one

    args = [
        "review",
        "export",
        str(WEEK),
        "--proposal",
        str(week),
        "--out",
        str(target),
        "--ledger",
        str(ledger),
    ]
    killed = _kill_trials(args, TRIALS["export"], check, reset, 4)
    assert killed >= TRIALS["export"] // 2
