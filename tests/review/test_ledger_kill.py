"""kill -9 at random moments of `record` and `review import`, on SQLite and PostgreSQL.

Each trial forks a process that runs the command in-process (the engine is imported before the
start, so the kill lands in the command's own work), kills it with SIGKILL after a random delay
within the command's measured duration, and checks that the ledger holds everything or nothing of
it. `record --file` runs into a ledger that does not exist yet, so kills also land while its
tables and its signing key are made; after each kill the same command, run again, must succeed
(no half-made schema, no lock left behind). tests/review/test_ledger.py kills an import at a
chosen moment, mid-transaction.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner
from ledger_backends import decisions, fresh_ledger, tables
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from test_ledger import big_instance

from matcher.cli.main import main
from matcher.review.ledger import key_file, ledger_url, workbook_key
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET

TRIALS = 10  # per command and backend
DECISIONS = 150
CONTEXT = multiprocessing.get_context("fork")


def _child(args: list[str], start) -> None:
    descriptor = os.open(os.devnull, os.O_WRONLY)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    start.wait(60)
    try:
        main(args, prog_name="matcher")
    except SystemExit as stop:
        os._exit(stop.code if isinstance(stop.code, int) else 1)
    except BaseException:
        os._exit(71)
    os._exit(0)


def run(args: list[str], kill_after: float | None = None) -> tuple[int | None, float]:
    """Run `matcher ARGS` in a forked process; kill it after `kill_after` s. (exit code, seconds)."""
    start = CONTEXT.Event()
    child = CONTEXT.Process(target=_child, args=(args, start))
    child.start()
    began = time.perf_counter()
    start.set()
    if kill_after is not None:
        time.sleep(kill_after)
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
    child.join(120)
    return child.exitcode, time.perf_counter() - began


def intact(ledger: str) -> None:
    if key_file(ledger) is not None and Path(ledger).exists():
        with sqlite3.connect(ledger) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_record_killed_into_a_new_ledger_records_all_or_nothing(backend, tmp_path):
    """Killed while making the ledger or recording 150 decisions: none or all of them, never a part."""
    file = tmp_path / "decisions.csv"
    file.write_text(
        "client_id,unit_id,decision,reason_code,period_start\n"
        + "".join(f"C{k:04d},U{k:04d},decline,location,2026-11-23\n" for k in range(DECISIONS))
    )
    rng = random.Random(12)
    with fresh_ledger(backend, tmp_path, "measure.sqlite") as ledger:
        code, span = run(["record", "--ledger", ledger, "--file", str(file)])
        assert code == 0
    killed = 0
    for trial in range(TRIALS):
        with fresh_ledger(backend, tmp_path, f"trial-{trial}.sqlite") as ledger:
            args = ["record", "--ledger", ledger, "--file", str(file)]
            code, _ = run(args, kill_after=rng.uniform(0, span))
            killed += code == -signal.SIGKILL
            intact(ledger)
            made = tables(ledger) if key_file(ledger) is None or Path(ledger).exists() else set()
            count = len(decisions(ledger)) if "decisions" in made else 0
            assert count in (0, DECISIONS), f"trial {trial}: {count} of {DECISIONS} recorded"
            code, _ = run(args)  # the same command again: no half-made ledger, no lock left
            assert code == 0, f"trial {trial}: the ledger could not be used after the kill"
            assert len(decisions(ledger)) == DECISIONS
            workbook_key(ledger)  # and it has its one signing key
    print(f"{backend}: record into a new ledger, {killed} of {TRIALS} runs killed before they finished")
    assert killed >= TRIALS // 2, f"only {killed} of {TRIALS} runs were killed in time"


def test_import_killed_imports_all_or_nothing(ledger, backend, tmp_path):
    """`review import` of 120 landlord decisions killed at random moments: none or all of them."""
    instance = big_instance(tmp_path / "big", clients=120)
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(instance), "--out", str(tmp_path / "week")]).exit_code == 0
    export = ["review", "export", str(instance), "--proposal", str(tmp_path / "week")]
    result = runner.invoke(main, [*export, "--out", str(tmp_path / "books"), "--ledger", ledger])
    assert result.exit_code == 0, result.output
    book_path = tmp_path / "books" / "elan-wonen.xlsx"
    book = load_workbook(book_path)
    sheet = book[REVIEW_SHEET]
    column = chr(ord("A") + KEYS.index("decision"))
    for row in range(FIRST_ROW, sheet.max_row + 1):
        sheet[f"{column}{row}"] = "accept"
    book.save(book_path)
    rows = sheet.max_row - FIRST_ROW + 1

    def reset() -> None:
        engine = create_engine(ledger_url(ledger), poolclass=NullPool)
        with engine.begin() as connection:
            for statement in (
                "DELETE FROM decision_log",
                "DELETE FROM conflicts",
                "DELETE FROM decisions",
                "DELETE FROM imports WHERE kind = 'workbook'",
            ):
                connection.execute(text(statement))
        engine.dispose()

    args = ["review", "import", str(book_path), "--ledger", ledger]
    code, span = run(args)
    assert code == 0 and len(decisions(ledger)) == rows
    rng = random.Random(13)
    killed = 0
    for trial in range(TRIALS):
        reset()
        code, _ = run(args, kill_after=rng.uniform(0, span))
        killed += code == -signal.SIGKILL
        intact(ledger)
        count = len(decisions(ledger))
        assert count in (0, rows), f"trial {trial}: {count} of {rows} imported"
    reset()
    assert run(args)[0] == 0 and len(decisions(ledger)) == rows, "the ledger is usable after the kills"
    print(f"{backend}: review import, {killed} of {TRIALS} runs killed before they finished")
    assert killed >= TRIALS // 2, f"only {killed} of {TRIALS} runs were killed in time"
