"""Redact an instance for sharing with a developer: the same structure, scrambled identities.

Client, unit, site and landlord ids are replaced by keyed pseudonyms (HMAC-SHA256), the same
id always by the same pseudonym in every file, declined.csv included. Everything the solve
reads is kept as it is (a unit's address columns are emptied: they identify the home) — municipality and neighbourhood codes and names (public CBS data),
types, rents, dates, urgencies, household sizes, policy — so the redacted instance gives the
same W and P. What is dropped: comments in policy.yaml, sheets that are not part of the
instance, and a workbook's author, comments, document properties and formulas (a formula cell
keeps its saved result, which is what the reader reads).

Every CSV file and workbook is written through `matcher.io.safe_text`, so no cell of the copy is
a live formula: a text cell that begins with `= + - @` gets a leading `'` in CSV (values the
reader accepts never do), a number keeps its sign, and a workbook's text cells stay text.

The same key gives the same pseudonyms, so two redactions made with one key can be compared;
without a key a random one is used and thrown away. The key is never written anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from matcher.io.read import (
    TABLES,
    _decode,
    _delimiter,
    instance_files,
    load_policy_text,
    read_instance,
)
from matcher.io.safe_text import csv_rows_text, text_cells
from models import InvalidInstance, Problem

# (table, column) -> kind of identity it holds
SCRAMBLED = {
    ("clients", "client_id"): "client",
    ("units", "unit_id"): "unit",
    ("units", "site_id"): "site",
    ("units", "landlord"): "landlord",
    ("clients", "current_unit_id"): "unit",  # the home a client lives in (omklappen, issue 14)
    ("clients", "shares_home_with"): "client",  # the other client of a shared home (issue 14)
    ("declined", "client_id"): "client",
    ("declined", "unit_id"): "unit",
    # the care provider (issue 14, item 5): an organisation, scrambled like a landlord, the same
    # pseudonym in clients.csv and provider_capacity.csv so rule 6 and the solve stay the same
    ("clients", "provider"): "provider",
    ("provider_capacity", "provider"): "provider",
}
# the optional address columns of a unit (issue 15) identify a home as well as its id: emptied
BLANKED = {
    ("units", name)
    for name in (
        "street",
        "house_number",
        "postcode",
        "place",
        "complex_name",
        "landlord_reference",
        "bag_id",
    )
} | {("other_placements", "reference")}  # the sender's reference traces a household: emptied
PREFIX = {"client": "C", "unit": "U", "site": "S", "landlord": "L", "provider": "Z"}
# letters only: a pseudonym can never contain a BSN, and no word of it is a name
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 12


class Scrambler:
    """Keyed pseudonyms per kind of identity: consistent, distinct, not reversible without the key."""

    def __init__(self, key: bytes):
        self._key = key
        self.mapping: dict[str, dict[str, str]] = {kind: {} for kind in PREFIX}
        self._taken: set[str] = set()

    def __call__(self, kind: str, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        known = self.mapping[kind].get(value)
        if known is not None:
            return known
        for attempt in range(1000):
            digest = hmac.new(self._key, f"{kind}\0{value}\0{attempt}".encode(), hashlib.sha256).digest()
            number = int.from_bytes(digest, "big")
            letters = []
            for _ in range(LENGTH):
                number, index = divmod(number, len(ALPHABET))
                letters.append(ALPHABET[index])
            pseudonym = f"{PREFIX[kind]}-{''.join(letters)}"
            if pseudonym not in self._taken:
                break
        self._taken.add(pseudonym)
        self.mapping[kind][value] = pseudonym
        return pseudonym


@dataclass
class Redaction:
    """What a redaction did: files written and how many distinct ids of each kind it replaced."""

    source: Path
    target: Path
    files: list[str] = field(default_factory=list)
    scrambled: dict[str, int] = field(default_factory=dict)
    source_problems: int = 0  # problems of the source instance, which the copy keeps


def redact_instance(src: str | Path, dst: str | Path, key: str | bytes | None = None) -> Redaction:
    """Write a redacted copy of the instance `src` (folder or .xlsx) into the new folder `dst`.

    Raises `FileExistsError` when `dst` exists and is not empty. An invalid source is redacted
    too (a developer may need it to reproduce a reader problem); the result says how many
    problems it has.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise FileExistsError(f"{dst} exists and is not empty: choose a new folder for the redacted copy")
    if not (src.is_dir() or (src.is_file() and src.suffix.lower() == ".xlsx")):
        raise InvalidInstance(
            [
                Problem(
                    file=str(src),
                    message=(
                        "not an instance: give a folder of CSV files with policy.yaml, or an .xlsx workbook"
                    ),
                )
            ]
        )
    key_bytes = key.encode("utf-8") if isinstance(key, str) else (key or secrets.token_bytes(32))
    scramble = Scrambler(key_bytes)
    redaction = Redaction(src, dst)
    try:
        read_instance(src)
    except InvalidInstance as invalid:
        redaction.source_problems = len(invalid.problems)

    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent))
    try:
        for file in instance_files(src):
            if file.suffix.lower() == ".xlsx":
                _redact_workbook(file, staging / file.name, scramble)
            elif file.name == "policy.yaml":
                _redact_policy(file, staging / file.name)
            else:
                _redact_csv(file, staging / file.name, file.stem, scramble)
            redaction.files.append(file.name)
        os.chmod(staging, 0o700)
        if dst.exists():
            dst.rmdir()
        os.rename(staging, dst)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    redaction.scrambled = {kind: len(ids) for kind, ids in scramble.mapping.items()}
    return redaction


def _scrambled_positions(table: str, header: list[str]) -> dict[int, str]:
    names = [cell.strip().lower() for cell in header]
    return {
        position: SCRAMBLED[(table, name)]
        for position, name in enumerate(names)
        if (table, name) in SCRAMBLED
    }


def _redact_rows(table: str, rows: list[list], scramble: Scrambler) -> None:
    """Scramble the id columns of `rows` in place; the header is the first non-blank row."""
    header_at = next((k for k, row in enumerate(rows) if any(str(cell or "").strip() for cell in row)), None)
    if header_at is None:
        return
    header = [str(cell or "") for cell in rows[header_at]]
    positions = _scrambled_positions(table, header)
    blanked = [k for k, name in enumerate(header) if (table, name.strip().lower()) in BLANKED]
    for row in rows[header_at + 1 :]:
        for position in blanked:
            if position < len(row):
                row[position] = ""
        for position, kind in positions.items():
            if position < len(row) and row[position] is not None and str(row[position]).strip():
                row[position] = scramble(kind, str(row[position]))
        if table == "agreements":
            _redact_agreement(header, row, scramble)


# agreements.csv `party`: a municipality id (kept, as in every file) or a landlord (scrambled with
# the same pseudonym as in units.csv, so the agreement still counts that landlord's units)
_LANDLORD_KINDS = {"landlord", "corporatie", "woningcorporatie"}


def _redact_agreement(header: list[str], row: list, scramble: Scrambler) -> None:
    names = [cell.strip().lower() for cell in header]
    if "kind" not in names or "party" not in names:
        return
    kind, party = names.index("kind"), names.index("party")
    landlord = kind < len(row) and str(row[kind] or "").strip().lower() in _LANDLORD_KINDS
    if landlord and party < len(row) and str(row[party] or "").strip():
        row[party] = scramble("landlord", str(row[party]))


def _redact_csv(source: Path, target: Path, table: str, scramble: Scrambler) -> None:
    problems: list[Problem] = []
    text = _decode(source.read_bytes(), source.name, problems)
    if text is None:
        raise InvalidInstance(problems)
    text = text.removeprefix("\ufeff")
    header_line = next((line for line in io.StringIO(text) if line.strip(" \t,;\r\n")), "")
    delimiter = _delimiter(header_line)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    _redact_rows(table, rows, scramble)
    # The reader trims every cell, so a leading tab or carriage return is dropped rather than
    # quoted: the value read back stays the same. Numbers keep their sign (`-0`, `+5`).
    rows = [[cell.lstrip() if cell.startswith(("\t", "\r")) else cell for cell in row] for row in rows]
    text = csv_rows_text(rows, delimiter, number_columns=_number_positions(table, rows))
    target.write_text(text, encoding="utf-8", newline="")


def _number_positions(table: str, rows: list[list[str]]) -> set[int]:
    """Positions of the columns the reader reads as numbers, by the header (the first non-blank row)."""
    spec = next((spec for spec in TABLES if spec.name == table), None)
    header = next((row for row in rows if any(cell.strip() for cell in row)), None)
    if spec is None or header is None:
        return set()
    names = [cell.strip().lower() for cell in header]
    return {
        position
        for position, name in enumerate(names)
        if name in spec.columns and spec.kind(name) in ("int", "number")
    }


def _redact_policy(source: Path, target: Path) -> None:
    """The policy as data: comments (which may name people) are dropped, values kept."""
    problems: list[Problem] = []
    text = _decode(source.read_bytes(), "policy.yaml", problems)
    if text is None:
        raise InvalidInstance(problems)
    try:
        data = load_policy_text(text)
    except (yaml.YAMLError, ValueError):
        raise InvalidInstance(
            [
                Problem(
                    file="policy.yaml",
                    message=(
                        "not valid YAML: it cannot be redacted safely (comments could hold names); fix it first"
                    ),
                )
            ]
        ) from None
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _redact_workbook(source: Path, target: Path, scramble: Scrambler) -> None:
    from openpyxl import load_workbook
    from openpyxl.packaging.core import DocumentProperties

    workbook = load_workbook(source)
    results = load_workbook(source, data_only=True)  # what each formula last evaluated to
    tables = {spec.name for spec in TABLES}
    for sheet in list(workbook.worksheets):
        name = sheet.title.strip().lower()
        if name not in tables and name != "policy":
            workbook.remove(sheet)  # notes, pivots, lookups: may hold anything
            continue
        for row in sheet.iter_rows():
            for cell in row:
                cell.comment = None
                if cell.data_type == "f":
                    # the saved result, which is what the reader reads; never the formula, which
                    # may name people in its text or run when the copy is opened
                    cell.value = _formula_result(cell.value, results[sheet.title][cell.coordinate].value)
        if name in tables:
            cells = [list(row) for row in sheet.iter_rows()]
            values = [[cell.value for cell in row] for row in cells]
            _redact_rows(name, values, scramble)
            for row, new in zip(cells, values):
                for cell, value in zip(row, new):
                    if cell.value != value:
                        cell.value = value
    workbook.properties = DocumentProperties(creator="matcher redact")
    text_cells(workbook)  # a text that begins with `=` stays text
    workbook.save(target)


def _formula_result(formula: object, result: object) -> object:
    """A formula cell's saved result; without one, the formula as text (refused by the reader,
    like the formula without a result was)."""
    if result is not None:
        return result
    return formula if isinstance(formula, str) else str(getattr(formula, "text", formula))
