"""Concurrent `matcher` processes on one ledger, on SQLite and PostgreSQL (finding 6 of issue 12).

Two first imports into a ledger that did not exist yet used to collide while making its tables:
in 5 of 12 rounds one exited 70 with "UNIQUE constraint failed: ledger_meta.key" and its
decisions were lost. Here every round starts from a ledger that does not exist, releases 2–4
processes at the same instant (a barrier; the engine is imported before it, so they really
overlap), and checks that every process exits 0 and every decision is recorded exactly once:

1. the first writers: `review export --ledger` (makes the ledger and its key and records the
   proposal; in odd rounds two exports race, into two folders) and `record` processes;
2. then, into that ledger: `review import` of the landlords' workbooks together with a `record`.

On SQLite a `record` racing the first `review export` once stalled past the busy timeout under
load: a fresh file converted to WAL while another process wrote to it. A new SQLite ledger is now
built whole under a private name and linked into place (`_make_sqlite_ledger`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from pathlib import Path

from ledger_backends import decisions, dump, fresh_ledger
from openpyxl import load_workbook

from matcher.review.ledger import workbook_key
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET, read_workbook

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
ROUNDS = 12  # per backend
WEEK = "2026-11-23"
DECISION = chr(ord("A") + KEYS.index("decision"))
CONTEXT = multiprocessing.get_context("fork")


def _child(args: list[str], barrier, log: str) -> None:
    """Run one `matcher` command in this forked process once every process is ready."""
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    from matcher.cli.main import main

    barrier.wait(60)
    try:
        main(args, prog_name="matcher")
    except SystemExit as stop:
        os._exit(stop.code if isinstance(stop.code, int) else 1)
    except BaseException:
        os._exit(71)
    os._exit(0)


def run_together(commands: list[list[str]], folder: Path) -> list[tuple[int, str]]:
    """Start every command in its own process, release them at once; (exit code, output) each."""
    barrier = CONTEXT.Barrier(len(commands))
    logs = [str(folder / f"process-{k}.log") for k in range(len(commands))]
    processes = [
        CONTEXT.Process(target=_child, args=(args, barrier, log)) for args, log in zip(commands, logs)
    ]
    gc.freeze()  # the children never copy the test process's objects just to collect them
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()
    for process in processes:
        process.join(120)
        if process.is_alive():
            process.kill()
            process.join()
    return [(process.exitcode or 0, Path(log).read_text()) for process, log in zip(processes, logs)]


def _record(ledger: str, client: str, unit: str, week: str | None = WEEK) -> list[str]:
    args = ["record", "--ledger", ledger, "--client", client, "--unit", unit, "--decision", "accept"]
    return args + (["--week", week] if week else [])


def _export(ledger: str, proposal: Path, out: Path) -> list[str]:
    return ["review", "export", str(TINY), "--proposal", str(proposal), "--out", str(out), "--ledger", ledger]


def _accept_every_row(path: Path) -> list[tuple[str, str]]:
    book = load_workbook(path)
    sheet = book[REVIEW_SHEET]
    pairs = []
    for row in range(FIRST_ROW, sheet.max_row + 1):
        sheet[f"{DECISION}{row}"] = "accept"
        pairs.append((sheet[f"A{row}"].value, sheet[f"{chr(ord('A') + KEYS.index('unit_id'))}{row}"].value))
    book.save(path)
    return pairs


def test_concurrent_first_writers_and_imports_record_every_decision_once(backend, tmp_path):
    """ROUNDS rounds of 2–4 processes into a fresh ledger: no exit 70, every decision exactly once."""
    from click.testing import CliRunner

    from matcher.cli.main import main

    proposal = tmp_path / "week"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(proposal)]).exit_code == 0
    failures = []
    for number in range(ROUNDS):
        folder = tmp_path / f"round-{number}"
        folder.mkdir()
        width = 2 + number % 3  # 2, 3 or 4 processes
        with fresh_ledger(backend, folder) as ledger:
            # 1. the first writers into a ledger that does not exist yet
            books = [folder / "books-a"] + ([folder / "books-b"] if number % 2 else [])
            records = [(f"Z{number}-{k}", f"Y{k}") for k in range(width - len(books))]
            commands = [_export(ledger, proposal, out) for out in books]
            commands += [_record(ledger, client, unit) for client, unit in records]
            outcomes = run_together(commands, folder)
            failures += [(number, 1, code, text) for code, text in outcomes if code != 0]
            expected = {(client, unit, "client", "accept") for client, unit in records}
            assert set(decisions(ledger)) == expected and len(decisions(ledger)) == len(expected), number
            state = dump(ledger)
            assert len(state["proposals"]) == 1 and len(state["proposed"]) == 5, number
            assert [row[0] for row in state["ledger_meta"]].count("schema_version") == 1
            key = workbook_key(ledger)
            for out in books:  # two racing exports signed with the one key the ledger kept
                for path in out.glob("*.xlsx"):
                    assert read_workbook(path)[0].signed.key_id == key.key_id, (number, path)

            # 2. landlords' workbooks imported together with a client decision
            names = ["woonopmaat.xlsx", "elan-wonen.xlsx", "pre-wonen.xlsx"][: width - 1]
            paths = [books[k % len(books)] / name for k, name in enumerate(names)]
            landlord_pairs = [pair for path in paths for pair in _accept_every_row(path)]
            commands = [["review", "import", str(path), "--ledger", ledger] for path in paths]
            commands.append(_record(ledger, "C03", "U03", week=None))
            outcomes = run_together(commands, folder)
            failures += [(number, 2, code, text) for code, text in outcomes if code != 0]
            expected |= {(client, unit, "landlord", "accept") for client, unit in landlord_pairs}
            expected.add(("C03", "U03", "client", "accept"))
            assert decisions(ledger) == sorted(expected), number
            assert len(dump(ledger)["decision_log"]) == len(expected), "each decision was added once"
    assert failures == [], failures
    print(f"{backend}: {ROUNDS} rounds of 2-4 concurrent processes, every decision recorded once")
