"""`review export` loses nothing (finding 8 of issue 12).

- A re-export into a folder that holds a landlord's returned workbook refuses to overwrite it,
  naming it and saying what to do, and writes nothing at all.
- The workbooks are made in a staging folder and moved in only when all were written; the
  proposal is recorded in the ledger only after that. A failure midway leaves the folder and the
  ledger as they were.
- File names are safe on Windows: no reserved device name, no forbidden character, no trailing
  dot or space, at most 100 characters, unique ignoring case.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_backends import dump
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.review import workbook
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET, STAGING, landlord_file_name

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}
RESERVED = (
    ["con", "prn", "aux", "nul"] + [f"com{k}" for k in range(1, 10)] + [f"lpt{k}" for k in range(1, 10)]
)
LONG = "Stichting Woonzorg " + "Kennemerland " * 22  # about 300 characters


def invoke(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def windows_safe(name: str) -> bool:
    stem = name.split(".")[0].lower()
    return (
        len(name) <= 100
        and not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
        and not name.endswith((".", " "))
        and stem not in RESERVED
        and name.endswith(".xlsx")
    )


@pytest.fixture
def exported(ledger, tmp_path) -> dict:
    proposal, books = tmp_path / "week", tmp_path / "books"
    invoke("solve", TINY, "--out", proposal)
    invoke("review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)
    return {"ledger": ledger, "proposal": proposal, "books": books}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())} if folder.exists() else {}


def test_reexport_refuses_to_overwrite_a_returned_workbook(exported):
    """A workbook holding a landlord's decisions is named, and nothing in the folder changes."""
    books, ledger = exported["books"], exported["ledger"]
    book = load_workbook(books / "woonopmaat.xlsx")
    book[REVIEW_SHEET][f"{COLUMN['decision']}{FIRST_ROW + 1}"] = "accept"
    book.save(books / "woonopmaat.xlsx")
    before, ledger_before = snapshot(books), dump(ledger)
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        exported["proposal"],
        "--out",
        books,
        "--ledger",
        ledger,
        code=2,
    )
    assert f"{books / 'woonopmaat.xlsx'}: holds a landlord's decisions or notes" in result.output
    assert f"row(s) {FIRST_ROW + 1}" in result.output and "import it first" in result.output
    assert "nothing was written" in result.output
    assert snapshot(books) == before and dump(ledger) == ledger_before


@pytest.mark.parametrize("cell", ["note", "reason_code"])
def test_a_note_alone_counts_as_the_landlords_work(exported, cell):
    """A note (or a reason) without a decision is not overwritten either."""
    books = exported["books"]
    book = load_workbook(books / "elan-wonen.xlsx")
    book[REVIEW_SHEET][f"{COLUMN[cell]}{FIRST_ROW}"] = "other"
    book.save(books / "elan-wonen.xlsx")
    before = snapshot(books)
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        exported["proposal"],
        "--out",
        books,
        "--ledger",
        exported["ledger"],
        code=2,
    )
    assert "elan-wonen.xlsx: holds a landlord's decisions or notes" in result.output
    assert snapshot(books) == before


def test_another_file_of_the_same_name_is_not_overwritten(exported):
    """A file that is not a review workbook as exported (or was changed) is refused by name."""
    books = exported["books"]
    (books / "pre-wonen.xlsx").write_bytes(b"the coordinator's own notes")
    book = load_workbook(books / "elan-wonen.xlsx")
    book[REVIEW_SHEET][f"{COLUMN['rent']}{FIRST_ROW}"] = 1.0
    book.save(books / "elan-wonen.xlsx")
    before = snapshot(books)
    result = invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        exported["proposal"],
        "--out",
        books,
        "--ledger",
        exported["ledger"],
        code=2,
    )
    assert "pre-wonen.xlsx: is not a review workbook as exported" in result.output
    assert "elan-wonen.xlsx: differs from the workbook that was exported" in result.output
    assert snapshot(books) == before


def test_unfilled_workbooks_are_replaced_and_other_files_kept(exported):
    """Workbooks nobody filled in are replaced; a coordinator's own files stay as they are."""
    books = exported["books"]
    (books / "notes.txt").write_text("keep me")
    invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        exported["proposal"],
        "--out",
        books,
        "--ledger",
        exported["ledger"],
    )
    assert sorted(p.name for p in books.iterdir()) == [
        "elan-wonen.xlsx",
        "notes.txt",
        "pre-wonen.xlsx",
        "woonopmaat.xlsx",
    ]
    assert (books / "notes.txt").read_text() == "keep me"
    assert not [p for p in books.parent.iterdir() if p.name.startswith(".books.export-")], "no staging left"


def five_landlords(tiny_copy: Path) -> Path:
    """The tiny instance with its six units spread over five landlords, one named in 300 characters."""
    lines = (tiny_copy / "units.csv").read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("landlord")
    names = ["Pré Wonen", "Elan Wonen", LONG, "Woonopmaat", "Ymere", "Eigen Haard"]
    rows = []
    for line, name in zip(lines[1:], names):
        cells = line.split(",")
        cells[at] = name
        rows.append(",".join(cells))
    (tiny_copy / "units.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    return tiny_copy


def test_a_300_character_landlord_gets_a_workbook(ledger, tiny_copy, tmp_path):
    """The landlord named in 300 characters gets a workbook with a name of at most 100 characters."""
    instance = five_landlords(tiny_copy)
    invoke("solve", instance, "--out", tmp_path / "week")
    books = tmp_path / "books"
    invoke("review", "export", instance, "--proposal", tmp_path / "week", "--out", books, "--ledger", ledger)
    names = sorted(p.name for p in books.iterdir())
    assert len(names) == 5
    assert all(windows_safe(name) for name in names) and any(
        name.startswith("stichting-woonzorg") for name in names
    )


def test_a_failure_midway_writes_no_workbook_and_records_no_proposal(
    ledger, tiny_copy, tmp_path, monkeypatch
):
    """The 4th of 5 workbooks fails: the folder stays as it was and the ledger has no proposal."""
    instance = five_landlords(tiny_copy)
    invoke("solve", instance, "--out", tmp_path / "week")
    made = []
    real = workbook.workbook_bytes

    def failing(record, landlord, rows, key=None, contacts=()):
        made.append(landlord)
        if len(made) == 4:
            raise OSError(28, "No space left on device")
        return real(record, landlord, rows, key, contacts)

    monkeypatch.setattr(workbook, "workbook_bytes", failing)
    for books in (tmp_path / "new-folder", tmp_path / "folder-with-notes"):
        made.clear()
        if books.name == "folder-with-notes":
            books.mkdir()
            (books / "notes.txt").write_text("keep me")
        before = snapshot(books)
        invoke(
            "review",
            "export",
            instance,
            "--proposal",
            tmp_path / "week",
            "--out",
            books,
            "--ledger",
            ledger,
            code=1,
        )
        assert len(made) == 4 and snapshot(books) == before
        assert dump(ledger)["proposals"] == [], (
            "the proposal is recorded only after every workbook is in place"
        )
        assert not [p for p in tmp_path.iterdir() if ".export-" in p.name], "the staging folder is removed"
    monkeypatch.setattr(workbook, "workbook_bytes", real)
    invoke(
        "review",
        "export",
        instance,
        "--proposal",
        tmp_path / "week",
        "--out",
        tmp_path / "books",
        "--ledger",
        ledger,
    )
    assert len(dump(ledger)["proposals"]) == 1


def test_a_killed_exports_staging_folder_is_removed_by_the_next(exported, tmp_path):
    """A staging folder left by a killed export (its process gone) is removed by the next export."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(finished.stdout)
    left = tmp_path / (STAGING.format(name="books", pid=dead) + "x1y2")
    left.mkdir()
    (left / "woonopmaat.xlsx").write_bytes(b"half a workbook")
    alive = tmp_path / (STAGING.format(name="books", pid=os.getpid()) + "x1y2")
    alive.mkdir()
    invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        exported["proposal"],
        "--out",
        exported["books"],
        "--ledger",
        exported["ledger"],
    )
    assert not left.exists() and alive.exists(), "only a staging folder whose process is gone is removed"


@pytest.mark.parametrize(
    "name", RESERVED + [n.upper() for n in RESERVED] + ["Con.", " aux ", "NUL!", "com1."]
)
def test_reserved_windows_names_are_avoided(name):
    """con, prn, aux, nul, com1–9 and lpt1–9 (any case, with trailing dots or spaces) get a prefix."""
    made = landlord_file_name(name, set())
    assert windows_safe(made) and made == f"landlord-{name.strip(' .!').lower()}.xlsx"


def test_forbidden_characters_trailing_dots_and_length():
    """Forbidden characters become hyphens, trailing dots and spaces go, names stay within 100 characters."""
    assert landlord_file_name('Wonen <Noord>: "A/B\\C|D?*" . ', set()) == "wonen-noord-a-b-c-d.xlsx"
    assert landlord_file_name("Wonen...  ", set()) == "wonen.xlsx"
    taken: set[str] = set()
    first, second = landlord_file_name(LONG, taken), landlord_file_name(LONG + " Zuid", taken)
    assert len(first) <= 100 and len(second) <= 100 and first != second
    assert second.endswith("-2.xlsx")
    assert landlord_file_name("PRE WONEN", {"Pre-Wonen.xlsx"}) == "pre-wonen-2.xlsx", "unique ignoring case"
    assert landlord_file_name("住宅公社", set()) == "landlord.xlsx"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=400), min_size=1, max_size=12))
def test_any_landlord_names_give_safe_and_distinct_file_names(landlords):
    """Whatever the names, every file name is Windows-safe and no two are equal ignoring case."""
    taken: set[str] = set()
    names = [landlord_file_name(landlord, taken) for landlord in landlords]
    assert all(windows_safe(name) for name in names), names
    assert len({name.lower() for name in names}) == len(names)
