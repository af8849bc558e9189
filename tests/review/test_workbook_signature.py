"""Review workbooks are signed with the ledger's key (finding 7 of issue 12), on SQLite and PostgreSQL.

The hidden record of what was sent used to carry a plain sha256 that anyone can recompute, so a
landlord could rewrite it to record decisions on another landlord's matches. Now the record is
signed (HMAC-SHA256) with a secret kept beside the ledger, and the import checks the signature
and every decided match against the proposal the ledger recorded for that landlord.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_backends import dump, fresh_ledger, tables
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.io.files import sha256_bytes
from matcher.io.read import read_instance
from matcher.review.ledger import SigningKey, key_file, workbook_key
from matcher.review.workbook import (
    FIRST_ROW,
    KEYS,
    META_COLUMNS,
    META_SHEET,
    REVIEW_SHEET,
    TABLE_MARK,
    _signed_content,
    landlord_rows,
    proposal_record,
    read_proposal_folder,
    read_workbook,
    workbook_bytes,
)

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}


def invoke(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def week(ledger, tmp_path) -> dict:
    """The tiny proposal exported with the ledger: three signed workbooks, the proposal recorded."""
    proposal, books = tmp_path / "week", tmp_path / "books"
    invoke("solve", TINY, "--out", proposal)
    invoke("review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)
    return {"ledger": ledger, "proposal": proposal, "books": books, "tmp": tmp_path}


def meta_lines(path: Path) -> tuple[dict[str, str], list[list[str]]]:
    """The hidden record as text: its header and its table of rows sent."""
    sheet = load_workbook(path)[META_SHEET]
    lines = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    mark = [line[0] for line in lines].index(TABLE_MARK)
    header = {line[0]: line[1] for line in lines[:mark]}
    return header, [line[: len(META_COLUMNS)] for line in lines[mark + 2 :] if any(line)]


def forge(path: Path, donor: Path, row: int, landlord: str, digest: bool = True) -> None:
    """What a landlord could do with a plain checksum: claim the match in row `row` of another
    landlord's workbook `donor` as their own row FIRST_ROW, set the record's landlord, recompute
    the checksum, and decline it."""
    _, donor_table = meta_lines(donor)
    donor_review = load_workbook(donor)[REVIEW_SHEET]
    book = load_workbook(path)
    meta, review = book[META_SHEET], book[REVIEW_SHEET]
    header, table = meta_lines(path)
    header["landlord"] = landlord
    table[0] = donor_table[row - FIRST_ROW]
    if digest:
        header["digest"] = sha256_bytes(_signed_content(header, table))
    for line in meta.iter_rows():
        if line[0].value in header:
            line[1].value = header[line[0].value]
    mark = next(
        number for number, line in enumerate(meta.iter_rows(), start=1) if line[0].value == TABLE_MARK
    )
    for column, value in enumerate(table[0], start=1):
        meta.cell(row=mark + 2, column=column, value=value)
    for column in range(1, len(KEYS) + 1):
        review.cell(row=FIRST_ROW, column=column, value=donor_review.cell(row=row, column=column).value)
    review[f"{COLUMN['decision']}{FIRST_ROW}"] = "decline"
    review[f"{COLUMN['reason_code']}{FIRST_ROW}"] = "previous_tenancy"
    book.save(path)


def test_a_forged_record_with_a_recomputed_checksum_is_refused(week):
    """Elan Wonen rewrites its workbook to decline Woonopmaat's C03 -> U03: the signature fails."""
    books, ledger = week["books"], week["ledger"]
    forge(books / "elan-wonen.xlsx", books / "woonopmaat.xlsx", FIRST_ROW, "Woonopmaat")
    batch, problems = read_workbook(books / "elan-wonen.xlsx")
    assert problems == [], "the plain checksum alone lets the forgery through"
    assert [(d.client_id, d.unit_id, d.decision) for d in batch.decisions] == [("C03", "U03", "decline")]
    before = dump(ledger)
    result = invoke("review", "import", books / "elan-wonen.xlsx", "--ledger", ledger, code=2)
    assert f"elan-wonen.xlsx [{META_SHEET}]: the record of what was sent does not match its signature" in (
        result.output
    )
    assert dump(ledger) == before


def test_a_workbook_signed_with_another_key_is_refused(week, tmp_path):
    """A record signed with a key of the forger's own (another ledger's) names both keys."""
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(week["proposal"]), "tiny")
    own = SigningKey(b"\x01" * 32, "forger")
    path = tmp_path / "forged.xlsx"
    path.write_bytes(workbook_bytes(record, "Woonopmaat", landlord_rows(instance, record, "Woonopmaat"), own))
    result = invoke("review", "import", path, "--ledger", week["ledger"], code=2)
    assert f"signed with another ledger's key ({own.key_id}; this ledger's is" in result.output


def test_an_unsigned_workbook_is_refused(week, tmp_path):
    """A workbook without a signature (an older matcher's, or made without a key) is refused."""
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(week["proposal"]), "tiny")
    path = tmp_path / "unsigned.xlsx"
    path.write_bytes(workbook_bytes(record, "Woonopmaat", landlord_rows(instance, record, "Woonopmaat")))
    result = invoke("review", "import", path, "--ledger", week["ledger"], code=2)
    assert "unsigned.xlsx: this workbook is not signed" in result.output


def test_a_pair_not_proposed_to_the_landlord_is_refused_by_file_sheet_row_and_column(week, tmp_path):
    """Even with a valid signature (a leaked key), a match the ledger did not propose to the
    workbook's landlord is refused, naming file, sheet, row and column; nothing is recorded."""
    ledger = week["ledger"]
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(week["proposal"]), "tiny")
    rows = landlord_rows(instance, record, "Woonopmaat")  # C03 -> U03, C04 -> U05, C06 -> U06
    for row in rows:
        row["landlord"] = "Elan Wonen"
    path = tmp_path / "leaked.xlsx"
    path.write_bytes(workbook_bytes(record, "Elan Wonen", rows, workbook_key(ledger)))
    book = load_workbook(path)
    for row in (FIRST_ROW, FIRST_ROW + 2):
        book[REVIEW_SHEET][f"{COLUMN['decision']}{row}"] = "accept"
    book.save(path)
    before = dump(ledger)
    result = invoke("review", "import", path, "--ledger", ledger, code=2)
    for row, pair in ((FIRST_ROW, "C03 -> U03"), (FIRST_ROW + 2, "C06 -> U06")):
        assert (
            f"leaked.xlsx [{REVIEW_SHEET}], row {row}, column {COLUMN['client_id']}: {pair} was not proposed "
            "to Elan Wonen" in result.output
        )
    assert dump(ledger) == before


def test_a_workbook_of_a_proposal_the_ledger_never_recorded_is_refused(week, tmp_path):
    """A signed workbook whose proposal the ledger does not know is refused, saying what to do."""
    ledger = week["ledger"]
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(week["proposal"]), "tiny")
    other = type(record)(**{**record.__dict__, "proposal_id": "feedfeedfeedfeed"})
    path = tmp_path / "other-week.xlsx"
    rows = landlord_rows(instance, other, "Woonopmaat")
    path.write_bytes(workbook_bytes(other, "Woonopmaat", rows, workbook_key(ledger)))
    result = invoke("review", "import", path, "--ledger", ledger, code=2)
    assert "its proposal feedfeedfeedfeed is not recorded in this ledger" in result.output


def test_genuine_workbooks_import_and_the_key_never_leaves_the_ledger(week):
    """The exported workbooks import; the secret is in none of them, only beside the ledger."""
    books, ledger = week["books"], week["ledger"]
    book = load_workbook(books / "woonopmaat.xlsx")
    book[REVIEW_SHEET][f"{COLUMN['decision']}{FIRST_ROW}"] = "accept"
    book.save(books / "woonopmaat.xlsx")
    result = invoke("review", "import", *sorted(books.glob("*.xlsx")), "--ledger", ledger)
    assert "woonopmaat.xlsx: 1 added" in result.output
    secret = workbook_key(ledger).secret.hex()
    for path in books.glob("*.xlsx"):
        assert secret.encode() not in b"".join(_unzipped(path))
    if key_file(ledger) is not None:
        assert key_file(ledger).stat().st_mode & 0o777 == 0o600


def _unzipped(path: Path) -> list[bytes]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return [archive.read(name) for name in archive.namelist()]


def test_workbooks_of_one_ledger_are_refused_by_another(week, backend, tmp_path):
    """A workbook exported with one ledger cannot be imported into another (it has its own key)."""
    with fresh_ledger(backend, tmp_path, "other.sqlite") as other:
        invoke(
            "record",
            "--ledger",
            other,
            "--client",
            "X",
            "--unit",
            "Y",
            "--decision",
            "accept",
            "--week",
            "2026-11-23",
        )
        result = invoke("review", "import", week["books"] / "pre-wonen.xlsx", "--ledger", other, code=2)
    assert "signed with another ledger's key" in result.output


def test_import_into_a_ledger_that_does_not_exist_makes_nothing(week, backend, tmp_path):
    """`review import` needs the ledger the workbooks were exported with; it never makes one."""
    with fresh_ledger(backend, tmp_path, "typo.sqlite") as missing:
        result = invoke("review", "import", week["books"] / "pre-wonen.xlsx", "--ledger", missing, code=2)
        assert "no ledger here" in result.output
        if key_file(missing) is not None:
            assert not Path(missing).exists() and not key_file(missing).exists()
        else:
            assert tables(missing) == set()


def test_export_without_a_ledger_writes_nothing(tmp_path):
    """Without --ledger there is no key to sign with: export refuses and writes nothing (exit 2)."""
    invoke("solve", TINY, "--out", tmp_path / "week")
    result = invoke(
        "review", "export", TINY, "--proposal", tmp_path / "week", "--out", tmp_path / "books", code=2
    )
    assert "give --ledger LEDGER" in result.output and "nothing was written" in result.output
    assert not (tmp_path / "books").exists()
