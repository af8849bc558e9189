"""Read an instance from a folder of CSV files plus `policy.yaml`, or from one .xlsx workbook.

Every problem is collected, named by file, row and column, and raised together as
`InvalidInstance`, so a coordinator fixes a spreadsheet in one pass. Rows are numbered as a
spreadsheet shows them: the header is row 1 (or the first non-blank row), data rows follow.

What coordinators really send is accepted: CSV saved by Dutch Excel (`;` separator, decimal
comma, UTF-8 with or without BOM, Windows-1252, UTF-16 "Unicode text" with tabs), workbooks with
blank rows or columns, trailing spaces, header names in any case, booleans in any case. Anything
else ends in a precise problem, never in another exception: docs/reliability.md lists both, and
tests/io/test_read_fuzz.py holds the reader to it.

Nothing is read as something else: policy values are YAML 1.2-like (no base-60 `1:30`, octal
`010` or `yes` as a number), duplicate keys are refused, and a CSV row that would shift or swallow
cells (mixed separators, an unclosed quote) is refused naming its line. Sizes are budgeted before
a row becomes an object (`matcher.solver.size_guard.InputLimits`): rows per file, bytes per file,
and a workbook's unzipped size and compression ratio, read from its zip directory.

Nothing is skipped silently either (issue 13, item 7): a file in the folder, or a sheet in the
workbook, whose name is close to one the engine reads but not it (`declined (1).csv`,
`support-capacity.csv`, `Clients.CSV`, a sheet `Declined pairs`) is refused naming it and the name
it should have, and so is a second version of a file beside it; `_near_name` says what is close.

No message repeats a value that looks like personal data (`models.privacy.personal_data`): it names
the row and column and the kind of data the value looks like instead (`_echo`).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import types
import typing
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from matcher.i18n import N_, _
from matcher.solver.size_guard import MAX_ZIP_PARTS, RATIO_FROM_BYTES, InputLimits
from models import (
    Agreement,
    Client,
    Contact,
    DeclinedPair,
    Instance,
    InvalidInstance,
    Municipality,
    Neighbourhood,
    Policy,
    Problem,
    ProviderCapacity,
    SupportCapacity,
    Unit,
)
from models.client import shared_home_problems, sharing_problems
from models.fields import INTENSITIES, URGENCIES
from models.instance import contact_problems, cross_file_problems, unknown_prefix
from models.other_placement import OtherPlacement, too_far_ahead
from models.privacy import (
    KINDS,
    NAME_PREDICATES,
    has_date,
    has_postcode_with_house_number,
    is_bare_word,
    is_email_address,
    is_phone_number,
    personal_data,
    scrub,
)
from models.unit import HOME_COLUMNS as UNIT_HOME_COLUMNS

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class TableSpec:
    """One file of the instance: its domain model and whether it must be present."""

    name: str
    model: type[BaseModel]
    required: bool

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return list(self.model.model_fields)

    @property
    def required_columns(self) -> list[str]:
        return [name for name, field in self.model.model_fields.items() if field.is_required()]

    def kind(self, column: str) -> str | None:
        """'int', 'number', 'bool' or 'date' for typed columns, else None."""
        return _kind(self.model.model_fields[column].annotation)


TABLES = (
    TableSpec("municipalities", Municipality, True),
    TableSpec("neighbourhoods", Neighbourhood, True),
    TableSpec("units", Unit, True),
    TableSpec("clients", Client, True),
    TableSpec("support_capacity", SupportCapacity, False),
    TableSpec("declined", DeclinedPair, False),
    TableSpec("other_placements", OtherPlacement, False),  # other groups' placements (issue 14)
    TableSpec("agreements", Agreement, False),
    TableSpec("provider_capacity", ProviderCapacity, False),
)
# Staff contacts (issue 15): read and written with the instance, but no input of the solve: not
# among `instance_files` (a run's hashed inputs, and what `matcher.audit.redact` copies) nor
# among TABLES (the sheets a redacted workbook keeps), as it names staff.
CONTACTS = TableSpec("contacts", Contact, False)
ALL_TABLES = (*TABLES, CONTACTS)
# Columns where what reads as personal data belongs (issue 15): a unit's address is about a home,
# not a person; contacts.csv holds staff names, e-mail addresses and phone numbers. An e-mail
# address or a postcode with a house number in any other text column is refused (`_misplaced`).
HOME_COLUMNS = {"units": frozenset(UNIT_HOME_COLUMNS)}
CONTACT_COLUMNS = {"contacts": frozenset({"role", "landlord", "name", "email", "phone"})}
PERSONAL_ALLOWED: dict[str, frozenset[str]] = {**HOME_COLUMNS, **CONTACT_COLUMNS}
NUMBER_COLUMNS = {"rent", "max_rent", "recent_load", "cap", "target_share", "load"}
MONEY_COLUMNS = {"rent", "max_rent"}

# Limits that keep every accepted number inside what the engine computes exactly (int64 arrays,
# float64 objectives): far above anything real, far below any overflow. The budgets for file
# sizes and row counts are `InputLimits` (matcher/solver/size_guard.py).
MAX_CELL_NUMBER = 1_000_000_000
MAX_POLICY_NUMBER = 1_000_000
MAX_POLICY_DIGITS = 100  # a longer policy number is refused before Python turns it into an int
MAX_PROBLEMS_PER_FILE = 100
MAX_POLICY_DEPTH = 20
SEPARATORS = (",", ";", "\t")

_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_DUTCH_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+,\d+$")
_AMBIGUOUS_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+$")
_DUTCH_DATE = re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")
_SLASH_DATE = re.compile(r"^\d{1,4}/\d{1,2}/\d{1,4}$")
_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
_DUTCH_BOOLEANS = {"waar": "true", "onwaar": "false", "ja": "yes", "nee": "no"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEPARATOR_NAMES = {",": N_("commas (,)"), ";": N_("semicolons (;)"), "\t": N_("tabs")}


def _kind(annotation: Any) -> str | None:
    """The cell kind of a model field's annotation, looking through Optional and Annotated."""
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "number"
    if annotation is date:
        return "date"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        arguments = typing.get_args(annotation)
        candidates = arguments[:1] if origin is typing.Annotated else arguments
        for argument in candidates:
            if argument is not type(None):
                found = _kind(argument)
                if found:
                    return found
    return None


@dataclass
class RawTable:
    """A table as read: header, and each non-blank data row with its spreadsheet row number."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_row: int = 1
    # rows of a CSV file whose cells run over several lines of the file: row -> (first, last line)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    broken: set[int] = field(default_factory=set)  # rows already refused as a whole: not parsed
    complete: bool = True  # False when reading stopped early: ids in the lost rows are unknown


@dataclass
class PolicySource:
    """The policy as read, where it came from, and the line (or sheet row) of every key."""

    data: Any
    where: str  # "policy.yaml" or "week.xlsx [policy]"
    rows: dict[tuple[str | int, ...], int] = field(default_factory=dict)

    @property
    def in_sheet(self) -> bool:
        return self.where != "policy.yaml"

    def row(self, location: tuple[str | int, ...]) -> int | None:
        """The line or row of the deepest key of `location` that was written down."""
        for end in range(len(location), 0, -1):
            if location[:end] in self.rows:
                return self.rows[location[:end]]
        return None


def read_instance(path: str | Path, limits: InputLimits | None = None) -> Instance:
    """Read and check an instance; raise `InvalidInstance` listing every problem found.

    `limits` are the input budgets (rows, bytes, a workbook's unzipped size); by default
    `InputLimits.from_environment()`, the documented defaults unless MATCHER_MAX_ROWS,
    MATCHER_MAX_FILE_MB or MATCHER_MAX_UNZIPPED_MB raise them.
    """
    path = Path(path)
    limits = limits or InputLimits.from_environment()
    problems: list[Problem] = []
    try:
        instance = _read(path, problems, limits)
    except RecursionError:  # a last guard: nesting deeper than any check foresaw
        problems.append(Problem(file=path.name, message=_("the input is nested too deeply to read")))
        instance = None
    if problems or instance is None:
        raise InvalidInstance(_reportable(problems))
    return instance


def _read(path: Path, problems: list[Problem], limits: InputLimits) -> Instance | None:
    book: str | None = None
    # tables (and `policy`) for which a file or sheet of a near name was refused: that problem
    # says what to rename, so "missing" is not said as well
    explained: set[str] = set()
    if path.is_dir():
        raw_tables, policy_source = _read_folder(path, problems, limits, explained)
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        book = path.name
        tables = _read_workbook(path, problems, limits, explained)
        if tables is None:  # refused as a whole: the problem says why, a sheet-by-sheet list would not
            return None
        raw_tables, policy_source = tables
    else:
        problems.append(
            Problem(
                file=str(path),
                message=_(
                    "not an instance: give a folder of CSV files with policy.yaml, or an .xlsx workbook"
                ),
            )
        )
        return None

    parsed: dict[str, list[BaseModel]] = {}
    rows: dict[str, list[int | None]] = {}
    for spec in ALL_TABLES:
        raw = raw_tables.get(spec.name)
        if raw is None:
            where = spec.file if book is None else f"{book} [{spec.name}]"
            if spec.required and spec.name not in explained and not any(p.file == where for p in problems):
                problems.append(
                    Problem(
                        file=where,
                        message=(
                            _("missing: the instance needs {file}", file=spec.file)
                            if book is None
                            else _(
                                "missing: the workbook needs a sheet named {name}, its first row naming the columns",
                                name=spec.name,
                            )
                        ),
                    )
                )
            parsed[spec.name], rows[spec.file] = [], []
            continue
        parsed[spec.name], rows[spec.file] = _parse_table(spec, raw, problems)

    policy = _parse_policy(policy_source, problems)
    unparsed = _unparsed_ids(raw_tables, parsed)
    instance = Instance.model_construct(
        municipalities=_typed_rows(Municipality, parsed["municipalities"]),
        neighbourhoods=_typed_rows(Neighbourhood, parsed["neighbourhoods"]),
        units=_typed_rows(Unit, parsed["units"]),
        clients=_typed_rows(Client, parsed["clients"]),
        support_capacity=_typed_rows(SupportCapacity, parsed["support_capacity"]),
        declined=_typed_rows(DeclinedPair, parsed["declined"]),
        agreements=_typed_rows(Agreement, parsed["agreements"]),
        provider_capacity=_typed_rows(ProviderCapacity, parsed["provider_capacity"]),
        contacts=_typed_rows(Contact, parsed["contacts"]),
        other_placements=_typed_rows(OtherPlacement, parsed["other_placements"]),
        # model_construct does not validate: without a valid policy (already a problem) the
        # tables are still checked across files, which never reads the policy, and the
        # instance is then dropped
        policy=cast(Policy, policy),
    )
    across = cross_file_problems(instance, rows, unparsed)
    across += shared_home_problems(instance.clients, rows.get("clients.csv"))
    across += sharing_problems(instance.clients, rows.get("clients.csv"))
    across += target_share_problems(instance.municipalities)
    if policy is not None:  # a placement dated more than a year ahead: a year typed wrong
        across += too_far_ahead(
            instance.other_placements, policy.period.start, rows.get("other_placements.csv", [])
        )
    if "units" in raw_tables and raw_tables["units"].complete and not unparsed.get("unit"):
        # only against every unit: a landlord is unknown only when no row of units.csv names it
        across += contact_problems(instance, rows.get("contacts.csv"))
    across = _without_lost_references(across, raw_tables)
    problems += across if book is None else [_in_workbook(problem, book) for problem in across]
    return instance if policy is not None else None


_KIND_TABLES = {
    "municipality": "municipalities",
    "neighbourhood": "neighbourhoods",
    "unit": "units",
    "client": "clients",
}


def _without_lost_references(problems: list[Problem], raw_tables: dict[str, RawTable]) -> list[Problem]:
    """Drop "unknown client 'C9'" and the like when the clients file could not be read to its end
    (or at all): that problem is already reported, and the id may well be in the rows lost."""
    lost = {
        kind
        for kind, table in _KIND_TABLES.items()
        if table not in raw_tables or not raw_tables[table].complete
    }
    return [
        problem
        for problem in problems
        if not any(problem.message.startswith(unknown_prefix(kind)) for kind in lost)
    ]


def target_share_problems(municipalities: Iterable[Municipality]) -> list[Problem]:
    """The agreed target shares may add up to at most 1 (the rest is shared by population)."""
    given = [m.target_share for m in municipalities if m.target_share is not None]
    if math.fsum(given) <= 1 + 1e-9:
        return []
    return [
        Problem(
            file="municipalities.csv",
            column="target_share",
            message=_(
                "the target shares add up to {total}, more than 1: lower them so they add up to at most 1 (leave a cell empty to give that municipality its population share of the rest)",
                total=f"{math.fsum(given):.4g}",
            ),
        )
    ]


def _in_workbook(problem: Problem, book: str) -> Problem:
    """A cross-file problem as the workbook shows it: sheet `clients`, not clients.csv."""
    file, message = problem.file, problem.message
    for spec in ALL_TABLES:
        if file == spec.file:
            file = f"{book} [{spec.name}]"
        message = message.replace(spec.file, _("sheet {name}", name=spec.name))
    return problem.model_copy(update={"file": file, "message": message})


def _typed_rows(model: type[_M], parsed: list[BaseModel]) -> tuple[_M, ...]:
    """One table's parsed rows, typed as the `model` that `_parse_table` validated each with."""
    return cast(tuple[_M, ...], tuple(parsed))


_ID_COLUMNS = {
    "municipalities": ("municipality", "municipality_id"),
    "neighbourhoods": ("neighbourhood", "neighbourhood_id"),
    "units": ("unit", "unit_id"),
    "clients": ("client", "client_id"),
}


def _unparsed_ids(raw_tables: dict[str, RawTable], parsed: dict[str, list[BaseModel]]) -> dict[str, set[str]]:
    """Ids of rows that failed on their own, so references to them are not reported twice."""
    unparsed: dict[str, set[str]] = {}
    for table, (kind, column) in _ID_COLUMNS.items():
        raw = raw_tables.get(table)
        if raw is None or column not in raw.header:
            continue
        position = raw.header.index(column)
        seen = {getattr(model, column) for model in parsed.get(table, [])}
        unparsed[kind] = {
            cells[position].strip()
            for _, cells in raw.rows
            if position < len(cells) and cells[position].strip()
        } - seen
    return unparsed


def _reportable(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS_PER_FILE problems per file, and no BSN in any message (they are logged)."""
    shown: list[Problem] = []
    per_file: Counter[str] = Counter()
    for problem in problems:
        per_file[problem.file] += 1
        if per_file[problem.file] <= MAX_PROBLEMS_PER_FILE:
            column = scrub(problem.column) if problem.column else problem.column
            shown.append(problem.model_copy(update={"message": scrub(problem.message), "column": column}))
    for file, count in per_file.items():
        if count > MAX_PROBLEMS_PER_FILE:
            shown.append(
                Problem(
                    file=file,
                    message=(
                        _(
                            "{count} more problem(s) in this file not shown: fix the ones above (often one column is wrong throughout) and validate again",
                            count=count - MAX_PROBLEMS_PER_FILE,
                        )
                    ),
                )
            )
    return shown


def instance_files(path: str | Path) -> list[Path]:
    """The files an instance consists of, for hashing and auditing.

    Not contacts.csv (`CONTACTS`): the solve never reads it (a run's `inputs` are what it solved
    from), and it names staff, so a redacted copy (`matcher.audit.redact`, which copies these
    files) leaves it out. A run folder keeps it in solved-instance/ among its outputs."""
    path = Path(path)
    if path.is_dir():
        names = [spec.file for spec in TABLES] + ["policy.yaml"]
        return sorted(path / name for name in names if (path / name).is_file())
    files = [path]
    if (path.parent / "policy.yaml").is_file():
        files.append(path.parent / "policy.yaml")
    return files


# --- names of files and sheets -----------------------------------------------------------------

# A file or sheet the engine does not read is skipped, unless its name is close to one it reads:
# then it is refused, naming it and the name it should have, since skipping `declined (1).csv`
# would bring its declined pairs back (issue 13, item 7). Close means the same name once case,
# spaces, hyphens and underscores, a copy or version mark (` (1)`, ` - kopie`, `Copy of `, `_old`,
# ` 2026-05-25`), a plural `s` and the extension are set aside. docs/decisions.md lists the choices.
POLICY_FILE = "policy.yaml"
_TABLE_EXTENSIONS = frozenset({"csv", "txt", "tsv"})  # text a table is saved as ("Unicode text": .txt)
_POLICY_EXTENSIONS = frozenset({"yaml", "yml", "txt"})
_WORKBOOK_EXTENSIONS = frozenset({"xlsx", "xlsm", "xls", "ods"})
_EXTENSIONS = _TABLE_EXTENSIONS | _POLICY_EXTENSIONS | _WORKBOOK_EXTENSIONS
_OTHER_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")  # notes.docx, declined.csv.bak
# what Windows, Excel, OneDrive and people add to a copy or another version of a file
_COPY_WORDS = frozenset({"copy", "kopie", "kopia"})
_OF_WORDS = frozenset({"of", "van"})
_VERSION_WORDS = _COPY_WORDS | frozenset(
    """
    old oud oude new nieuw nieuwe backup bak final definitief def versie version v week wk
    concept draft update updated bijgewerkt export latest laatste test temp tmp
    jan januari january feb februari february mrt maart mar march apr april mei may jun juni june
    jul juli july aug augustus august sep sept september okt oktober oct october nov november
    dec december
    """.split()  # noqa: SIM905 - a list of words reads best as words
)
# a name, as words without case, separators and plural `s`, joined -> the table (or `policy`)
_NAME_KEYS = {
    "municipality": "municipalities",
    "neighbourhood": "neighbourhoods",
    "neighborhood": "neighbourhoods",
    "unit": "units",
    "client": "clients",
    "supportcapacity": "support_capacity",
    "declined": "declined",
    "decline": "declined",
    "declinedpair": "declined",
    "contact": "contacts",
    "otherplacement": "other_placements",
    "agreement": "agreements",
    "afspraak": "agreements",
    "afspraken": "agreements",
    "prestatieafspraak": "agreements",
    "prestatieafspraken": "agreements",
    "providercapacity": "provider_capacity",
    "zorgaanbiedercapaciteit": "provider_capacity",
    "policy": "policy",
}
_NAME_WORD = re.compile(r"[^\W\d_]+|\d+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _name_words(text: str) -> list[str]:
    """`Copy of Declined-Pairs (2)` -> copy, of, declined, pairs, 2: words and numbers, lower case."""
    text = _CAMEL_BOUNDARY.sub(" ", unicodedata.normalize("NFKC", text))
    return [word.casefold() for word in _NAME_WORD.findall(text)]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # municipalities, capacities, policies
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _without_marks(words: list[str]) -> list[str]:
    """The words without copy and version marks before and after: `kopie van declined 2` -> declined."""
    start, end, copied = 0, len(words), False
    while start < end:
        word = words[start]
        if word.isdigit() or word in _VERSION_WORDS:
            copied = copied or word in _COPY_WORDS
        elif not (copied and word in _OF_WORDS):
            break
        start += 1
    while end > start and (words[end - 1].isdigit() or words[end - 1] in _VERSION_WORDS):
        end -= 1
    return words[start:end]


def _near_name(name: str) -> tuple[str, str] | None:
    """The table (or `policy`) a file or sheet name is close to, and whether the file is "text"
    (a table's CSV or the policy) or a "workbook"; None when the name is unrelated."""
    stem, extensions = name, list[str]()
    while True:
        base, dot, extension = stem.rpartition(".")
        if not (dot and base.strip() and extension.lower() in _EXTENSIONS):
            break
        extensions.insert(0, extension.lower())
        stem = base
    if not extensions and _OTHER_EXTENSION.search(stem):
        return None  # a file of another kind: notes.docx, declined.csv.bak
    words = [_singular(word) for word in _without_marks(_name_words(stem))]
    target = _NAME_KEYS.get("".join(words))
    if target is None:
        return None
    last = extensions[-1] if extensions else None
    if target == "policy":
        return (target, "text") if last is None or last in _POLICY_EXTENSIONS else None
    if last is None or last in _TABLE_EXTENSIONS:
        return target, "text"
    if last in _WORKBOOK_EXTENSIONS:
        return target, "workbook"
    return None


def _expected_file(target: str) -> str:
    return POLICY_FILE if target == "policy" else f"{target}.csv"


def _file_names(folder: Path) -> set[str] | None:
    """The names of the files in the folder as spelled on disk, or None if it cannot be listed.

    Hidden files and the lock files of Office (`~$clients.csv`, while Excel has it open) and
    LibreOffice (`.~lock.clients.csv#`) are left out: they are not the coordinator's files."""
    try:
        with os.scandir(folder) as entries:
            return {
                entry.name for entry in entries if not entry.name.startswith((".", "~")) and entry.is_file()
            }
    except OSError:
        return None


def _stray_files(names: set[str], explained: set[str], only: str | None = None) -> list[Problem]:
    """A problem for each file whose name is close to a file the engine reads but is not it.

    A workbook named like a table (`declined.xlsx`) beside that table's CSV is its source and is
    skipped; without the CSV it is refused, as its rows would be lost. `explained` gets the
    tables (or `policy`) that a problem was added for; `only` limits the check to one of them."""
    exact = {spec.file for spec in ALL_TABLES} | {POLICY_FILE}
    found = []
    for name in sorted(names - exact):
        near = _near_name(name)
        if near is None or (only is not None and near[0] != only):
            continue
        target, kind = near
        expected = _expected_file(target)
        if kind == "workbook":
            if expected in names:
                continue
            message = _(
                "not a file the engine reads, and there is no `{expected}`: the engine reads the CSV file `{expected}`, not a workbook; in Excel save this data as CSV UTF-8 named `{expected}` (File > Save As), or remove the workbook, and run again",
                expected=expected,
            )
        elif expected in names:
            message = _(
                "not a file the engine reads, and `{expected}` is here too: two versions of {expected}? Keep the one to use, named `{expected}`, move the other out of the instance folder, and run again",
                expected=expected,
            )
        else:
            message = _(
                "not a file the engine reads; did you mean `{expected}`? Rename it (or remove it) and run again",
                expected=expected,
            )
        found.append(Problem(file=name, message=message))
        explained.add(target)
    return found


# --- folders of CSV files ----------------------------------------------------------------------


def _read_folder(
    folder: Path, problems: list[Problem], limits: InputLimits, explained: set[str]
) -> tuple[dict[str, RawTable], PolicySource | None]:
    listed = _file_names(folder)
    if listed is not None:
        problems += _stray_files(listed, explained)

    def present(name: str) -> bool:
        # by the listing, so `Declined.csv` is not read as declined.csv where the file system
        # ignores case (Windows) and skipped where it does not: refused everywhere instead
        return (folder / name).is_file() if listed is None else name in listed

    tables = {}
    for spec in ALL_TABLES:
        if present(spec.file):
            table = _read_csv(folder / spec.file, spec.file, problems, limits)
            if table is not None:
                tables[spec.name] = table
    if not present(POLICY_FILE):
        if "policy" not in explained:
            problems.append(
                Problem(
                    file=POLICY_FILE,
                    message=_(
                        "missing: the instance needs policy.yaml with at least `period: {start: YYYY-MM-DD}`"
                    ),
                )
            )
        return tables, None
    return tables, _read_yaml(folder / POLICY_FILE, problems, limits)


def _read_bytes(file: Path, name: str, problems: list[Problem], limits: InputLimits) -> bytes | None:
    try:
        size = file.stat().st_size
        if size > limits.max_file_bytes:
            problems.append(
                Problem(
                    file=name,
                    message=(
                        _(
                            "too large to read ({size:,.1f} MiB, at most {max_file_bytes:,.0f} MiB): split the instance by region (or, on a machine with the memory, raise the budget with the environment variable MATCHER_MAX_FILE_MB)",
                            size=size / 2**20,
                            max_file_bytes=limits.max_file_bytes / 2**20,
                        )
                    ),
                )
            )
            return None
        return file.read_bytes()
    except OSError as error:
        problems.append(
            Problem(file=name, message=_("cannot read this file ({value})", value=error.strerror or error))
        )
        return None


def _decode(data: bytes, name: str, problems: list[Problem]) -> str | None:
    """Text from UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            problems.append(Problem(file=name, message=_("broken UTF-16 text: save it again as CSV UTF-8")))
            return None
    if b"\x00" in data:
        problems.append(Problem(file=name, message=_("this is not a text file: save it as CSV UTF-8")))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D mean nothing in cp1252
        problems.append(
            Problem(
                file=name,
                message=(_("the text is neither UTF-8 nor Windows-1252: save it again as CSV UTF-8")),
            )
        )
        return None


def _delimiter(header_line: str) -> str:
    """The separator the header row uses: `;` (Dutch Excel), `,` or a tab (Unicode text)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


_SAVE_AS_CSV = N_("open the file in Excel and save it again as CSV (Excel quotes every cell that needs it)")


class _CsvRecords:
    """The records of a CSV text with the lines each spans; a broken record ends the reading with
    a problem that names the line and what is wrong, instead of a shifted or swallowed row."""

    def __init__(self, text: str, delimiter: str, name: str, problems: list[Problem]):
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        self.name, self.problems = name, problems
        self.spans: dict[int, tuple[int, int]] = {}
        self.complete = True

    def __iter__(self) -> Iterator[list[str]]:
        row = 0
        while True:
            first = self.reader.line_num + 1
            row += 1
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error as error:
                self.complete = False
                self.problems.append(
                    Problem(file=self.name, row=row, message=_csv_error(str(error), first, row))
                )
                return
            if self.reader.line_num > first:
                self.spans[row] = (first, self.reader.line_num)
            yield cells


def _csv_error(error: str, line: int, row: int) -> str:
    """What a csv.Error means for the person who saved the file, and what to do."""
    where = "" if line == row else _(" (line {line} of the file)", line=line)
    if "unexpected end of data" in error:
        return _(
            'a quote (") opens a cell in this row{where} and is never closed, so the rest of the file would be read as one cell: remove the stray quote or close it, or {save_as_csv}',
            where=where,
            save_as_csv=_(_SAVE_AS_CSV),
        )
    if "expected after" in error:
        return _(
            'a quote (") closes a cell in the middle of its text in this row{where}, so the text after it would be lost: write a quote inside a cell as two quotes (""), or {save_as_csv}',
            where=where,
            save_as_csv=_(_SAVE_AS_CSV),
        )
    if "field larger than field limit" in error:
        return _(
            'a cell starting in this row{where} runs on for more than {field_size_limit:,} characters: usually a quote (") that is never closed; remove it, or {save_as_csv}',
            where=where,
            field_size_limit=csv.field_size_limit(),
            save_as_csv=_(_SAVE_AS_CSV),
        )
    return _(
        "not a readable CSV row{where} ({error}): {save_as_csv}",
        where=where,
        error=error,
        save_as_csv=_(_SAVE_AS_CSV),
    )


def _first_line(text: str) -> str:
    """The first line holding more than separators and spaces, or ""; without copying the text."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        if text[start:end].strip(" \t,;\r\n"):
            return text[start:end]
        start = end
    return ""


def _read_csv(file: Path, name: str, problems: list[Problem], limits: InputLimits) -> RawTable | None:
    data = _read_bytes(file, name, problems, limits)
    if data is None:
        return None
    text = _decode(data, name, problems)
    if text is None:
        return None
    text = text.removeprefix("\ufeff")
    header_line = _first_line(text)
    if not header_line:
        problems.append(
            Problem(file=name, row=1, message=_("the file is empty: the first row must name the columns"))
        )
        return None
    delimiter = _delimiter(header_line)
    if text.count("\n") > limits.max_rows and _too_many_rows(
        text, delimiter, name, problems, limits.max_rows
    ):
        return None
    records = _CsvRecords(text, delimiter, name, problems)
    table = _raw_table(name, records, problems, limits.max_rows)
    if table is None:
        return None
    table.spans, table.complete = records.spans, table.complete and records.complete
    if _mixed_header(table, delimiter, problems):
        return None
    _mixed_rows(table, delimiter, problems)
    return table


def _too_many_rows(text: str, delimiter: str, name: str, problems: list[Problem], max_rows: int) -> bool:
    """Count the non-blank records, holding none, and refuse at the first beyond `max_rows` (plus
    the header): an 800,000-row file is refused in about a second, before a row is kept."""
    seen = 0
    for number, cells in enumerate(_CsvRecords(text, delimiter, name, []), start=1):
        if "".join(cells).strip():
            seen += 1
            if seen > max_rows + 1:
                problems.append(_too_many(name, number, max_rows))
                return True
    return False  # within the budget, or broken: the full reading reports what is wrong


def _too_many(name: str, row: int, max_rows: int) -> Problem:
    return Problem(
        file=name,
        row=row,
        message=(
            _(
                "more than {max_rows:,} rows: too large to read and solve safely; split the instance by region (or, on a machine with the memory, raise the budget with the environment variable MATCHER_MAX_ROWS)",
                max_rows=max_rows,
            )
        ),
    )


def _mixed_header(table: RawTable, delimiter: str, problems: list[Problem]) -> bool:
    """A header row that uses two separators: no column could be trusted, so refuse the file."""
    line = delimiter.join(table.header)
    others = [sep for sep in SEPARATORS if sep != delimiter and sep in line]
    if not others:
        return False
    counts = _(" and ").join(f"{line.count(sep)} {_(_SEPARATOR_NAMES[sep])}" for sep in (delimiter, *others))
    problems.append(
        Problem(
            file=table.file,
            row=table.header_row,
            message=(
                _(
                    "the header row mixes separators ({counts}), so the columns cannot be told apart: use one separator throughout, or {save_as_csv}",
                    counts=counts,
                    save_as_csv=_(_SAVE_AS_CSV),
                )
            ),
        )
    )
    return True


def _mixed_rows(table: RawTable, delimiter: str, problems: list[Problem]) -> None:
    """Rows written with another separator than the header's (pasted from another file): read with
    the header's separator they would be one or two cells and every other column empty."""
    width = len(table.header)
    if width < 4:
        return
    for number, cells in table.rows:
        used = max((k + 1 for k, cell in enumerate(cells) if cell.strip()), default=0)
        if used * 2 > width:
            continue
        line = delimiter.join(cells[:used])
        for other in SEPARATORS:
            if other != delimiter and line.count(other) + 1 >= max(3, 0.75 * width):
                table.broken.add(number)
                problems.append(
                    Problem(
                        file=table.file,
                        row=number,
                        message=(
                            _(
                                "this row separates its cells with {other} where the header row uses {delimiter}: the file mixes separators (rows pasted from another file?); put the row's values in the right columns, or {save_as_csv}",
                                other=_(_SEPARATOR_NAMES[other]),
                                delimiter=_(_SEPARATOR_NAMES[delimiter]),
                                save_as_csv=_(_SAVE_AS_CSV),
                            )
                        ),
                    )
                )
                break


def _raw_table(
    name: str, lines: Iterable[list[str]], problems: list[Problem], max_rows: int
) -> RawTable | None:
    """Header (the first non-blank row) and the non-blank rows after it, with row numbers.

    Stops, with a problem, at the first row beyond `max_rows`: a file that large is refused
    before its rows become objects."""
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    reported = len(problems)  # a CSV record the reader could not read is reported while iterating
    for number, cells in enumerate(lines, start=1):
        if not "".join(cells).strip():
            continue
        if header is None:
            header, header_row = [cell.strip().lower() for cell in cells], number
        elif len(rows) >= max_rows:
            problems.append(_too_many(name, number, max_rows))
            return None
        else:
            rows.append((number, cells))
    if header is None:
        if len(problems) == reported:
            problems.append(
                Problem(file=name, row=1, message=_("the file is empty: the first row must name the columns"))
            )
        return None
    return RawTable(name, header, rows, header_row)


# Plain scalars a policy reads as numbers: decimal digits, without YAML 1.1's base-60 (`1:30`),
# octal (`010`), hexadecimal, binary or underscores, which would turn what was written into another
# number. Those, and YAML 1.1's `yes`/`no`/`on`/`off`, stay text, which a number field refuses.
_YAML_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_YAML_FLOAT = re.compile(
    r"^[-+]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+|\.(?:inf|Inf|INF))$"
    r"|^\.(?:nan|NaN|NAN)$"
)
_YAML11_ONLY = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
}
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_YAML11_TRUE = {"yes", "true", "on", "y"}
_YAML11_FALSE = {"no", "false", "off", "n"}


class _TooLong(str):
    """A policy number of more than MAX_POLICY_DIGITS digits, kept as text so its key can be named."""


class DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping: YAML would silently keep the last."""

    def __init__(self, path: tuple[str, ...], first: int, line: int, mark: Any):
        self.path, self.first, self.line = path, first, line
        key = ".".join(_safe_key(part) for part in path)
        super().__init__(
            None,
            None,
            _("{key!r} appears twice (lines {first} and {line})", key=key, first=first, line=line),
            mark,
        )


class _PolicyLoader(yaml.SafeLoader):
    """YAML for policy files: dates stay text (checked by the models), numbers only in decimal,
    no YAML 1.1 booleans, no merge keys, no aliases, bounded depth."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, _("anchors and aliases (*name) are not supported in a policy"), event.start_mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_POLICY_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    _("nested more than {depth} levels deep", depth=MAX_POLICY_DEPTH),
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_policy_int(self, node: Any) -> int | str:
        """A decimal whole number (also for an explicit `!!int`); too many digits stay text."""
        text = str(self.construct_scalar(node)).strip()
        if not _YAML_INT.match(text):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                _("{value} is not a plain whole number (digits only)", value=_echo(text)),
                node.start_mark,
            )
        if len(text.lstrip("+-")) > MAX_POLICY_DIGITS:
            return _TooLong(text)
        return int(text)

    def construct_policy_float(self, node: Any) -> float:
        """A decimal number with a point or exponent (also for an explicit `!!float`)."""
        text = str(self.construct_scalar(node)).strip()
        if not _YAML_FLOAT.match(text):
            raise yaml.constructor.ConstructorError(
                None, None, _("{value} is not a plain number (e.g. 2.5)", value=_echo(text)), node.start_mark
            )
        return float(self.construct_yaml_float(node))


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyLoader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML_INT, list("-+0123456789"))
_PolicyLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789."))
# types-PyYAML wants a constructor whose first parameter is a Loader; construct_yaml_str is
# defined on SafeConstructor, which every SafeLoader is, so the call is right and the stub too strict
_PolicyLoader.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str
)
_PolicyLoader.add_constructor("tag:yaml.org,2002:int", _PolicyLoader.construct_policy_int)
_PolicyLoader.add_constructor("tag:yaml.org,2002:float", _PolicyLoader.construct_policy_float)

KeyRows = dict[tuple[str | int, ...], int]


def _key_rows(node: Any, path: tuple[str | int, ...], rows: KeyRows, twice: list[DuplicateKey]) -> None:
    """The line of every key and list item under `node`, and every key given twice in a mapping."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as key: the models refuse it by its location
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                twice.append(DuplicateKey((*map(str, path), key), seen[key], line, key_node.start_mark))
                continue
            seen[key] = line
            rows[(*path, key)] = line
            _key_rows(value_node, (*path, key), rows, twice)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            rows[(*path, index)] = item.start_mark.line + 1
            _key_rows(item, (*path, index), rows, twice)


def _policy_document(text: str) -> tuple[Any, KeyRows, list[DuplicateKey]]:
    """The policy's data, the line of each key, and the keys given twice (then no data)."""
    loader = _PolicyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        rows: KeyRows = {}
        twice: list[DuplicateKey] = []
        _key_rows(node, (), rows, twice)
        if twice:
            return None, rows, twice
        return loader.construct_document(node), rows, []
    finally:
        loader.dispose()


def load_policy_text(text: str) -> Any:
    """Parse policy YAML; raise `yaml.YAMLError` (a `DuplicateKey` for a key given twice) or
    `ValueError` with what is wrong."""
    try:
        data, _, twice = _policy_document(text)
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # constructors raise these for values Python cannot hold; report them as YAML problems
        raise ValueError(str(error).split(";")[0]) from None
    if twice:
        raise twice[0]
    return data


def _read_yaml(file: Path, problems: list[Problem], limits: InputLimits) -> PolicySource | None:
    data = _read_bytes(file, "policy.yaml", problems, limits)
    text = _decode(data, "policy.yaml", problems) if data is not None else None
    if text is None:
        return None
    try:
        document, rows, twice = _policy_document(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(
            Problem(
                file="policy.yaml",
                row=mark.line + 1 if mark else None,
                message=(
                    _(
                        "not valid YAML ({quoted_hidden}); check indentation and colons",
                        quoted_hidden=_quoted_hidden(str(getattr(error, "problem", None) or error)),
                    )
                ),
            )
        )
        return None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        problems.append(
            Problem(
                file="policy.yaml",
                message=_(
                    "a value cannot be read ({quoted_hidden})",
                    quoted_hidden=_quoted_hidden(str(error).split(";")[0]),
                ),
            )
        )
        return None
    for duplicate in twice:
        problems.append(
            Problem(
                file="policy.yaml",
                row=duplicate.line,
                column=_dotted(duplicate.path),
                message=(
                    _(
                        "this key is given twice (lines {first} and {line}): keep one; YAML would silently use the last",
                        first=duplicate.first,
                        line=duplicate.line,
                    )
                ),
            )
        )
    return None if twice else PolicySource(document, "policy.yaml", rows)


# --- .xlsx workbooks ---------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_workbook(
    file: Path, problems: list[Problem], limits: InputLimits, explained: set[str]
) -> tuple[dict[str, RawTable], PolicySource | None] | None:
    """The workbook's tables and policy, or None when the workbook is refused as a whole."""
    if _read_bytes(file, file.name, problems, limits) is None:
        return None
    try:
        if not _zip_within_budget(file, problems, limits):
            return None
        with warnings.catch_warnings():  # openpyxl warns about odd but harmless workbook parts
            warnings.simplefilter("ignore")
            return _workbook_tables(file, problems, limits, explained)
    except Exception as error:
        damaged = f": {error}" if isinstance(error, zipfile.BadZipFile) and str(error) else ""
        problems.append(
            Problem(
                file=file.name,
                message=(
                    _(
                        "not a readable .xlsx workbook ({name}{damaged}); save it again from Excel",
                        name=error.__class__.__name__,
                        damaged=damaged,
                    )
                ),
            )
        )
        return None


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""([\w:]+)\s*=\s*["']([^"']*)["']""")
_SMALL_PART = 2**20  # workbook.xml and its relations are read to name sheets only below this size


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip part -> sheet title, read from xl/workbook.xml and its relations (small parts only)."""

    def small(name: str) -> bytes:
        info = archive.getinfo(name)
        return archive.read(name) if info.file_size <= _SMALL_PART else b""

    try:
        relations = {
            dict(_ATTRIBUTE.findall(tag)).get(b"Id", b""): dict(_ATTRIBUTE.findall(tag)).get(b"Target", b"")
            for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", small("xl/_rels/workbook.xml.rels"))
        }
        parts = {}
        for tag in _SHEET_TAG.findall(small("xl/workbook.xml")):
            attributes = dict(_ATTRIBUTE.findall(tag))
            target = next((relations.get(v, b"") for k, v in attributes.items() if k.endswith(b":id")), b"")
            if target:
                path = target.decode().lstrip("/")
                parts[path if path.startswith("xl/") else f"xl/{path}"] = attributes.get(
                    b"name", b""
                ).decode()
        return parts
    except (KeyError, ValueError, zipfile.BadZipFile):
        return {}


def _size(count: int) -> str:
    return f"{count / 1e6:,.1f} MB" if count >= 100_000 else f"{count / 1e3:,.1f} kB"


def _zip_within_budget(file: Path, problems: list[Problem], limits: InputLimits) -> bool:
    """Refuse a workbook whose parts, by the sizes in its zip directory, unzip beyond the budget
    or at a compression ratio no spreadsheet reaches (a "zip bomb"), before anything is unzipped.

    The directory's sizes are binding: Python's zipfile stops a part at its recorded size and
    checks its CRC, so a part that claims less than it holds is refused as damaged."""
    with zipfile.ZipFile(file) as archive:
        parts = archive.infolist()
        if len(parts) > MAX_ZIP_PARTS:
            problems.append(
                Problem(
                    file=file.name,
                    message=(
                        _(
                            "the workbook holds {len_parts:,} zipped parts (a spreadsheet has a few dozen, at most {max_zip_parts:,} are read): save the data again from Excel in a new workbook",
                            len_parts=len(parts),
                            max_zip_parts=MAX_ZIP_PARTS,
                        )
                    ),
                )
            )
            return False
        titles = _sheet_parts(archive)
        ok = True

        def where(part: str) -> str:
            return f"{file.name} [{titles[part]}]" if part in titles else file.name

        for part in parts:
            ratio = part.file_size / max(1, part.compress_size)
            if part.file_size > RATIO_FROM_BYTES and ratio > limits.max_compression_ratio:
                ok = False
                problems.append(
                    Problem(
                        file=where(part.filename),
                        message=(
                            _(
                                "part {filename} unzips to {size} from {size2} ({ratio:,.0f} to 1; a workbook part is read up to {max_compression_ratio} to 1): spreadsheets do not compress like that, so it is not read; copy the data into a new workbook, or remove that sheet",
                                filename=part.filename,
                                size=_size(part.file_size),
                                size2=_size(part.compress_size),
                                ratio=ratio,
                                max_compression_ratio=limits.max_compression_ratio,
                            )
                        ),
                    )
                )
        total = sum(part.file_size for part in parts)
        if total > limits.max_unzipped_bytes:
            ok = False
            largest = max(parts, key=lambda part: part.file_size)
            problems.append(
                Problem(
                    file=where(largest.filename),
                    message=(
                        _(
                            "the workbook unzips to {size} (at most {size2} are read), the largest part {filename} {size3}: split the instance by region, or remove sheets that are not part of the instance (or, on a machine with the memory, raise the budget with the environment variable MATCHER_MAX_UNZIPPED_MB)",
                            size=_size(total),
                            size2=_size(limits.max_unzipped_bytes),
                            filename=largest.filename,
                            size3=_size(largest.file_size),
                        )
                    ),
                )
            )
        return ok


def _workbook_tables(
    file: Path, problems: list[Problem], limits: InputLimits, explained: set[str]
) -> tuple[dict[str, RawTable], PolicySource | None]:
    from openpyxl import load_workbook

    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        # refusals below are added to the problems; reading goes on so every problem is listed
        sheets = _instance_sheets(workbook, file.name, problems, explained)
        _sheets_are_plain(file, workbook, sheets, problems)
        tables = {}
        for spec in ALL_TABLES:
            if spec.name not in sheets:
                continue
            sheet = workbook[sheets[spec.name]]
            sheet.reset_dimensions()  # a workbook's recorded size is often wrong: read what is there
            lines = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            table = _raw_table(f"{file.name} [{spec.name}]", lines, problems, limits.max_rows)
            if table is not None:
                tables[spec.name] = table
        policy: PolicySource | None = None
        if "policy" in sheets:
            sheet = workbook[sheets["policy"]]
            sheet.reset_dimensions()
            policy = _policy_from_sheet(sheet, file.name, problems)
        elif "policy" not in explained:  # else a sheet of a near name was refused, saying what to rename
            policy = _policy_beside(file, problems, limits, explained)
    finally:
        workbook.close()
    return tables, policy


def _policy_beside(
    file: Path, problems: list[Problem], limits: InputLimits, explained: set[str]
) -> PolicySource | None:
    """The policy.yaml beside a workbook without a policy sheet; a file of a near name beside it
    (`policy (1).yaml`, `policy.yml`) is refused, as in a folder."""
    beside = _file_names(file.parent)
    strays = _stray_files(beside or set(), explained, only="policy")
    if (file.parent / POLICY_FILE).is_file() if beside is None else POLICY_FILE in beside:
        problems += strays
        return _read_yaml(file.parent / POLICY_FILE, problems, limits)
    if strays:
        problems += [
            problem.model_copy(
                update={
                    "message": _(
                        "beside a workbook without a sheet `policy` the engine reads `policy.yaml`: "
                    )
                    + problem.message
                }
            )
            for problem in strays
        ]
    else:
        problems.append(
            Problem(
                file=f"{file.name} [policy]",
                message=_(
                    "no policy: add a sheet `policy` with columns key, value (e.g. period.start | 2026-11-23), or policy.yaml beside the workbook"
                ),
            )
        )
    return None


_WANTED = {spec.name for spec in ALL_TABLES} | {"policy"}
_UNHIDE = {
    "hidden": (N_("hidden"), N_("unhide it (right-click a sheet tab > Unhide)")),
    "veryHidden": (
        N_("hidden (very hidden: the Unhide menu does not show it)"),
        N_("make it visible in Excel's VBA editor (Alt+F11, the sheet's Visible property)"),
    ),
}


def _instance_sheets(
    workbook: Any, file_name: str, problems: list[Problem], explained: set[str]
) -> dict[str, str]:
    """Map table names to sheet titles; refuse hidden or doubled sheets rather than pick one, and
    sheets whose name is close to a table's but not it (`Declined pairs`, `clients (2)`).

    A sheet's name counts in any case and without surrounding spaces (`Clients `, as before).
    A refused name still maps to its first visible sheet (if any), only so the other problems
    can be listed too: with a problem added the instance is never used."""
    found: dict[str, list[Any]] = {}
    near: list[tuple[Any, str]] = []
    for sheet in workbook.worksheets:
        key = sheet.title.strip().casefold()
        if key in _WANTED:
            found.setdefault(key, []).append(sheet)
        elif (close := _near_name(sheet.title)) is not None:
            near.append((sheet, close[0]))
    for sheet, target in near:
        problems.append(
            Problem(file=f"{file_name} [{sheet.title}]", message=_near_sheet(sheet, target, found))
        )
        explained.add(target)
    sheets = {}
    for key, group in found.items():
        visible = [sheet for sheet in group if sheet.sheet_state == "visible"]
        for sheet in group:
            if sheet.sheet_state != "visible":
                state, unhide = _UNHIDE.get(sheet.sheet_state, _UNHIDE["hidden"])
                others = [repr(other.title) for other in group if other is not sheet]
                if others:
                    beside = (
                        _(" beside sheets {sheets}") if len(others) > 1 else _(" beside sheet {sheets}")
                    ).format(sheets=", ".join(others))
                    fix = _(
                        "; both count as sheet {key}: {unhide} and delete or rename one of them, so that "
                        "one visible sheet {key} remains",
                        key=key,
                        unhide=_(unhide),
                    )
                else:
                    beside, fix = (
                        "",
                        _(": {unhide}, so that the data read is the data shown", unhide=_(unhide)),
                    )
                problems.append(
                    Problem(
                        file=f"{file_name} [{sheet.title}]",
                        message=_(
                            "sheet {title!r} is {state}{beside}{fix}",
                            title=sheet.title,
                            state=_(state),
                            beside=beside,
                            fix=fix,
                        ),
                    )
                )
        if len(visible) > 1 and len(visible) == len(group):
            titles = ", ".join(repr(sheet.title) for sheet in group)
            problems.append(
                Problem(
                    file=f"{file_name} [{key}]",
                    message=(
                        _(
                            "sheets {titles} both count as sheet {key}: delete or rename all but one",
                            titles=titles,
                            key=key,
                        )
                    ),
                )
            )
        if visible:
            sheets[key] = visible[0].title
    return sheets


def _near_sheet(sheet: Any, target: str, found: dict[str, list[Any]]) -> str:
    """Why a sheet named close to `target` is refused, and what to do."""
    hidden = ""
    if sheet.sheet_state != "visible":
        state, unhide = _UNHIDE.get(sheet.sheet_state, _UNHIDE["hidden"])
        hidden = _(" It is {state}: {unhide} first.", state=_(state), unhide=_(unhide))
    if target in found:
        others = ", ".join(repr(other.title) for other in found[target])
        return _(
            "sheet {title!r} is not a sheet the engine reads, and sheet {others} is there too: two versions of {target}?{hidden} Keep the one to use, named `{target}`, delete the other (or move it to another workbook), and run again",
            title=sheet.title,
            others=others,
            target=target,
            hidden=hidden,
        )
    return _(
        "sheet {title!r} is not a sheet the engine reads; did you mean `{target}`?{hidden} Rename the sheet (right-click its tab > Rename) or delete it, and run again",
        title=sheet.title,
        target=target,
        hidden=hidden,
    )


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=[\"']([A-Za-z0-9:$]+)[\"']")


def _merged_ranges(xml: typing.BinaryIO) -> typing.Iterator[str]:
    """The `ref` of each <mergeCell> in a sheet's XML, read in pieces to keep memory small."""
    tail = b""
    while chunk := xml.read(1 << 20):
        text = tail + chunk
        end = 0
        for match in _MERGE_CELL.finditer(text):
            yield match.group(1).decode()
            end = match.end()
        tail = text[max(end, len(text) - 512) :]


def _sheets_are_plain(file: Path, workbook: Any, sheets: dict[str, str], problems: list[Problem]) -> bool:
    """No merged cells and no formula without a saved result in the sheets read: either would lose a value."""
    from openpyxl import load_workbook

    ok = True
    for title in sheets.values():
        sheet = workbook[title]
        with workbook._archive.open(sheet._worksheet_path) as xml:  # read_only hides merged cells
            for cells in _merged_ranges(xml):
                ok = False
                problems.append(
                    Problem(
                        file=f"{file.name} [{title}]",
                        message=(
                            _(
                                "sheet {strip}, cells {cells}: merged cells; unmerge them (Home > Merge & Center) and fill in the value in every cell",
                                strip=title.strip(),
                                cells=cells,
                            )
                        ),
                    )
                )
    formulas = load_workbook(file, read_only=True, data_only=False)
    try:
        for title in sheets.values():
            cached = workbook[title]
            cached.reset_dimensions()
            written = formulas[title]
            written.reset_dimensions()
            for values, texts in zip(cached.iter_rows(), written.iter_rows()):
                for value, text in zip(values, texts):
                    if getattr(text, "data_type", None) == "f" and getattr(value, "value", None) is None:
                        ok = False
                        cell = _cell_name(text.row, text.column)
                        problems.append(
                            Problem(
                                file=f"{file.name} [{title}]",
                                message=(
                                    _(
                                        "sheet {strip}, cell {cell}: a formula without a saved result; open the workbook in Excel and save it, or type the value instead of the formula",
                                        strip=title.strip(),
                                        cell=cell,
                                    )
                                ),
                            )
                        )
    finally:
        formulas.close()
    return ok


def _leaf_paths(value: Any) -> Iterator[tuple[str, ...]]:
    """The key paths a value sets: a mapping sets each of its keys, anything else itself."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            for path in _leaf_paths(item):
                yield (str(key), *path)
    else:
        yield ()


def _merge(target: dict, path: tuple[str, ...], value: Any) -> None:
    """Set `value` at `path`, merging mappings (the paths set never overlap: clashes are refused)."""
    for part in path[:-1]:
        target = target.setdefault(part, {})
    if isinstance(value, dict) and isinstance(target.get(path[-1]), dict):
        for key, item in value.items():
            _merge(target[path[-1]], (key,), item)
    else:
        target[path[-1]] = value


def _policy_from_sheet(sheet: Any, file_name: str, problems: list[Problem]) -> PolicySource:
    """A `policy` sheet holds rows `key, value`; keys are dotted paths, values YAML.

    A setting given twice (the same key, or `period` beside `period.days`) is refused naming both
    rows: a workbook must not depend on which row happens to come last."""
    policy: dict = {}
    where = f"{file_name} [policy]"
    rows: KeyRows = {}
    set_by: dict[tuple[str, ...], tuple[int, str]] = {}  # every key path set: (row, key as written)
    beneath: dict[tuple[str, ...], tuple[int, str]] = {}  # every proper prefix of one
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v).strip() for v in row[:2]] + ["", ""]
        key, value = cells[0], cells[1]
        if (number == 1 and key.lower() == "key") or not key:
            continue
        parts = tuple(key.split("."))
        try:
            parsed, inner, twice = _policy_document(value) if value else (None, {}, [])
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as error:
            reason = _quoted_hidden(str(getattr(error, "problem", None) or str(error).split(";")[0]))
            problems.append(
                Problem(
                    file=where,
                    row=number,
                    column=_dotted(parts),
                    message=(
                        _(
                            "not a valid value ({reason}): write a number, a date YYYY-MM-DD, a word, or a list like [20, 15, 10]",
                            reason=reason,
                        )
                    ),
                )
            )
            continue
        if twice:
            for duplicate in twice:
                problems.append(
                    Problem(
                        file=where,
                        row=number,
                        column=_dotted((*parts, *duplicate.path)),
                        message=_("this key is given twice in the cell's value: keep one"),
                    )
                )
            continue
        leaves = [(*parts, *path) for path in _leaf_paths(parsed)]
        clash = next(
            (
                earlier
                for leaf in leaves
                for earlier in (
                    beneath.get(leaf),  # `period` after `period.days`
                    *(set_by.get(leaf[:end]) for end in range(1, len(leaf) + 1)),  # the same, or below
                )
                if earlier is not None
            ),
            None,
        )
        if clash is not None:
            first_row, first_key = clash
            problems.append(
                Problem(
                    file=where,
                    row=number,
                    column=_dotted(parts),
                    message=(
                        _(
                            "this setting is given twice: row {first_row} ({first_key}) sets it too; keep one row per setting (otherwise the last row would silently win)",
                            first_row=first_row,
                            first_key=first_key,
                        )
                    ),
                )
            )
            continue
        _merge(policy, parts, parsed)
        for leaf in leaves:
            set_by[leaf] = (number, key)
            for end in range(1, len(leaf)):
                beneath.setdefault(leaf[:end], (number, key))
        rows[parts] = number
        rows.update({(*parts, *path): number for path in inner})
    return PolicySource(policy, where, rows)


# --- rows into domain models -------------------------------------------------------------------


def _parse_table(
    spec: TableSpec, raw: RawTable, problems: list[Problem]
) -> tuple[list[BaseModel], list[int | None]]:
    keep: list[int] = []
    used = {position for _, cells in raw.rows for position, cell in enumerate(cells) if cell.strip()}
    if any(raw.header) and not any(column in spec.columns for column in raw.header):
        # no column named: most likely the header row is missing and the first row holds a
        # client's data, which is not repeated cell by cell as unknown column names
        problems.append(
            Problem(
                file=raw.file,
                row=raw.header_row,
                message=(
                    _(
                        "this row names none of the columns (is the header row missing?): make the first row name the columns, {join}; its cells are not repeated here",
                        join=", ".join(spec.columns),
                    )
                ),
            )
        )
        return [], []
    for position, column in enumerate(raw.header):
        if not column:
            if position in used:
                problems.append(
                    Problem(
                        file=raw.file,
                        row=raw.header_row,
                        column=f"#{position + 1}",
                        message=_("a column without a name holds data: name it or remove it"),
                    )
                )
            continue
        if column not in spec.columns:
            kind = _personal(column)
            problems.append(
                Problem(
                    file=raw.file,
                    row=raw.header_row,
                    column=column if kind not in _OUT_OF_PLACE else f"#{position + 1}",
                    message=(
                        _(
                            "unknown column; {file} has columns {join}",
                            file=spec.file,
                            join=", ".join(spec.columns),
                        )
                        if kind not in _OUT_OF_PLACE
                        else _(
                            "this header cell looks like {kind} (not repeated here), not the name of a column: name the column ({join}) or remove it",
                            kind=_(KINDS[kind]),
                            join=", ".join(spec.columns),
                        )
                    ),
                )
            )
            continue
        if column in {raw.header[p] for p in keep}:
            problems.append(
                Problem(
                    file=raw.file,
                    row=raw.header_row,
                    column=column,
                    message=_("this column appears twice: keep one"),
                )
            )
            continue
        keep.append(position)
    beyond = sorted(position for position in used if position >= len(raw.header))
    if beyond:
        problems.append(
            Problem(
                file=raw.file,
                row=raw.header_row,
                column=f"#{beyond[0] + 1}",
                message=_("data to the right of the last named column: name the column or remove the data"),
            )
        )
    named = [raw.header[p] for p in keep]
    missing = [c for c in spec.required_columns if c not in named]
    for column in missing:
        problems.append(
            Problem(
                file=raw.file,
                row=raw.header_row,
                column=column,
                message=_("missing required column: add it to the header row"),
            )
        )
    if missing:
        return [], []

    kinds = {position: spec.kind(raw.header[position]) for position in keep}
    models: list[BaseModel] = []
    rows: list[int | None] = []
    for number, cells in raw.rows:
        if number in raw.broken:
            continue  # refused as a whole row: its cells would only repeat the problem
        record = {}
        typed: dict[str, str] = {}  # each cell as typed, to keep personal data out of the messages
        cell_problems = []
        for position in keep:
            # NFC: "Pré" typed with é or with e + a combining accent is one landlord, one id (the
            # text looks the same; decision 80)
            value = unicodedata.normalize("NFC", cells[position].strip()) if position < len(cells) else ""
            if value == "":
                continue
            column = raw.header[position]
            typed[column] = value
            message = _control_message(value, raw.spans.get(number))
            if message is None:
                value, message = _normalise(column, kinds[position], value)
            if message is None and kinds[position] is None:
                message = _misplaced(spec, column, value)
            if message:
                cell_problems.append(Problem(file=raw.file, row=number, column=column, message=message))
            else:
                record[column] = value
        problems += [_private(problem, typed, spec) for problem in cell_problems]
        try:
            model = spec.model.model_validate(record)
        except ValidationError as error:
            for detail in error.errors():
                where = str(detail["loc"][0]) if detail["loc"] else None
                if not any(p.column == where for p in cell_problems):
                    problem = Problem(file=raw.file, row=number, column=where, message=_plain(detail))
                    problems.append(_private(problem, typed, spec))
            continue
        if not cell_problems:
            models.append(model)
            rows.append(number)
    return models, rows


def _misplaced(spec: TableSpec, column: str, value: str) -> str | None:
    """Why an e-mail address or a postcode with a house number in this text column is refused, if
    it is there: they belong only in a unit's address columns and in contacts.csv
    (`PERSONAL_ALLOWED`). The value is not repeated."""
    if column in PERSONAL_ALLOWED.get(spec.name, frozenset()) or (spec.name, column) == (
        "clients",
        "client_id",
    ):
        return None  # a client id's own refusal (models.instance) says to use a pseudonym
    # `personal_data(value)` in ("email", "address"), without its name test (the costly part, run on
    # every text cell): the kinds before "address" in `models.privacy.CHECKS` decide first
    text = value.strip()
    if is_email_address(text):
        kind = "email"
    elif not has_postcode_with_house_number(text) or is_phone_number(text) or has_date(text):
        return None  # the cheap test first: hardly any cell holds a postcode
    else:
        kind = "address"
    return _(
        "looks like {kind} (not repeated here): personal data does not belong in this column; "
        "a unit's address goes in units.csv's address columns (street, house_number, postcode, place), "
        "a staff contact in contacts.csv",
        kind=_(KINDS[kind]),
    )


def _control_message(value: str, span: tuple[int, int] | None) -> str | None:
    """What is wrong with a cell holding a line break, tab or other control character, if it does.

    Spreadsheets hide these characters, so an id holding one would look like another id; in a
    CSV file a line break inside a cell is mostly a quote left open that swallowed lines."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    char, at = found.group(), _("(character {position})", position=found.start() + 1)
    if char in "\r\n":
        if span is None:
            return _(
                "holds a line break {at} (Alt+Enter in Excel): remove it so the value is on one line", at=at
            )
        if any(separator in value for separator in SEPARATORS):
            return _(
                'a quote (") left open on line {span} runs this cell on to line {span2}, swallowing what look like further rows: remove the stray quote (or close it where the cell should end), or {save_as_csv}',
                span=span[0],
                span2=span[1],
                save_as_csv=_(_SAVE_AS_CSV),
            )
        return _(
            "holds a line break {at}, a quoted cell running over lines {span} to {span2} of the file: remove the line break so the value is on one line",
            at=at,
            span=span[0],
            span2=span[1],
        )
    if char == "\t":
        return _("holds a tab {at}: remove it so the value is plain text", at=at)
    return _(
        "holds the control character U+{ord:04X} {at}, which spreadsheets do not show: remove it so the value is plain text",
        ord=ord(char),
        at=at,
    )


# Dutch words a coordinator may type for the spec's codes, per column (issue 15): only words that
# mean one code and no other. The codes themselves stay what the spec says.
_DUTCH_CODES: dict[str, dict[str, str]] = {
    "type": {
        "sociale huur": "social_rental",
        "sociale_huur": "social_rental",
        "sociale huurwoning": "social_rental",
        "kamer": "room",
        "skaeve huse": "skaeve_huis",
        "skaeve_huse": "skaeve_huis",
    },
    "urgency": {"normaal": "normal", "hoog": "high", "acuut": "acute"},
    "support_intensity": {"licht": "light", "intensief": "intensive", "beschermd": "protected"},
    # issue 14: a vaste huur is a permanent home; a tijdelijk contract or a trajectwoning lasts
    # the trajectory (`permanent` is the Dutch word too)
    "tenancy": {"vast": "permanent", "tijdelijk": "trajectory", "traject": "trajectory"},
    # agreements.csv (issue 14): a gemeente or a corporatie; a target group in Dutch
    "kind": {"gemeente": "municipality", "corporatie": "landlord", "woningcorporatie": "landlord"},
    "target_group": {
        "jongere": "young_adult",
        "jongeren": "young_adult",
        "gezin": "family",
        "gezinnen": "family",
        "housing first": "housing_first",
    },
}
_DUTCH_CODES["eligible_types"] = _DUTCH_CODES["type"]


def _dutch_code(column: str, value: str) -> str:
    """The spec's code for a Dutch word in a coded column (`kamer` → `room`), else the value."""
    words = _DUTCH_CODES[column]
    if column == "eligible_types":  # a list: `kamer; sociale huur`
        return ";".join(words.get(item.strip().lower(), item) for item in value.split(";"))
    return words.get(value.lower(), value)


def _normalise(column: str, kind: str | None, value: str) -> tuple[str, str | None]:
    """The cell as the models expect it, or a message saying what is wrong with it."""
    if column in _DUTCH_CODES:
        value = _dutch_code(column, value)
    if value in _EXCEL_ERRORS:
        return value, _(
            "a formula error ({value}) in this cell: fix the formula or type the value", value=value
        )
    if kind in ("int", "number"):
        # whole numbers and euros never have three decimals: 1.250 is Dutch for 1250
        if (kind == "int" or column in MONEY_COLUMNS) and _AMBIGUOUS_THOUSANDS.match(value):
            personal = _personal(value)
            if personal is not None:  # `111.222.333`: a citizen service number as BSNs are written
                want = _("a whole number") if kind == "int" else _("an amount")
                return value, (
                    _(
                        "looks like {personal}, not {want}: personal data does not belong in this column (the value is not repeated here); type {want}",
                        personal=_(KINDS[personal]),
                        want=want,
                    )
                )
            return value, (
                _(
                    "{value!r} is ambiguous: a thousands separator or a decimal point? Write whole numbers without separators and decimals with a comma or point",
                    value=value,
                )
            )
        if column in NUMBER_COLUMNS and (_DECIMAL_COMMA.match(value) or _DUTCH_THOUSANDS.match(value)):
            value = value.replace(".", "").replace(",", ".")
        try:
            number = float(value)
        except ValueError:
            return value, None  # the model says what a number must look like
        if math.isnan(number) or (math.isinf(number) and value.strip("+-").isalpha()):
            return value, _("must be a number, not infinity or NaN")
        if abs(number) > MAX_CELL_NUMBER:
            return value, _(
                "implausibly large (more than {max_cell_number:,}): check the cell",
                max_cell_number=MAX_CELL_NUMBER,
            )
    elif kind == "bool" and value.lower() in _DUTCH_BOOLEANS:
        # Dutch is the product's language: ja/nee and Excel's WAAR/ONWAAR are yes/no (issue 15)
        return _DUTCH_BOOLEANS[value.lower()], None
    elif kind == "date":
        if _DUTCH_DATE.match(value):
            day, month, year = value.split("-")
            # the date in ISO form, unless it could be a date of birth: clients are adults or
            # nearly, so a date more than ECHO_DATE_YEARS from today is not repeated
            iso = (
                f"{year}-{int(month):02d}-{int(day):02d}"
                if abs(int(year) - date.today().year) <= ECHO_DATE_YEARS
                else _("YYYY-MM-DD, year first")
            )
            return value, (
                _(
                    "looks like a Dutch date: write it as {iso} (ISO YYYY-MM-DD; in Excel format the column as jjjj-mm-dd before saving)",
                    iso=iso,
                )
            )
        if _SLASH_DATE.match(value):
            return value, _("ambiguous date with slashes: write it as ISO YYYY-MM-DD, e.g. 2026-11-23")
    return value, None


# The kinds of personal data (`models.privacy.KINDS`) a cell is called out for when it is refused
# anyway. Not "name": to the detector any word is a name, and an enum typo is not one.
_OUT_OF_PLACE = frozenset({"email", "phone", "date", "address", "bsn"})
ECHO_DATE_YEARS = 10


def _personal(value: str) -> str | None:
    """The kind of personal data a typed value looks like (a key of `models.privacy.KINDS`), or
    None. The detector takes any word of three letters or more for a name, as an id should never
    be one; in a cell or a policy value a single word is mostly a word (`week`, `light`), so only
    what reads as a name otherwise counts: two words, initials, a particle, a birth year, or a
    common Dutch first name or surname (`Jansen`). The reader's own vocabulary (Dutch booleans,
    Excel errors, YAML 1.1 yes/no words) is never personal data."""
    text = value.strip()
    word = text.lower()
    if word in _DUTCH_BOOLEANS or text in _EXCEL_ERRORS or word in _YAML11_TRUE or word in _YAML11_FALSE:
        return None
    kind = personal_data(text)
    if kind == "name" and not any(looks(text) for looks in NAME_PREDICATES if looks is not is_bare_word):
        return None  # one word (`week`, `light`) is a word; a common first name or surname is a name
    return kind


def _echo(value: str) -> str:
    """A typed value as a message may repeat it: quoted, or, when it looks like personal data,
    only the kind of data it looks like."""
    kind = _personal(value)
    return (
        repr(value)
        if kind is None
        else _("the value (it looks like {kind}; not repeated here)", kind=_(KINDS[kind]))
    )


def _private(problem: Problem, typed: dict[str, str], spec: TableSpec) -> Problem:
    """The problem of a cell, its value kept out of the message if it looks like personal data,
    and, when the value looks like a BSN, an e-mail address, a phone number, an address or a date
    (where no date belongs), that said, without the value: a column shifted, or pasted data."""
    value = typed.get(problem.column or "")
    kind = _personal(value) if value else None
    if value is None or kind is None:
        return problem
    message = problem.message
    if value in message:
        message = message.replace(repr(value), value).replace(
            value, _("the value (it looks like {kind})", kind=_(KINDS[kind]))
        )
    column_kind = spec.kind(problem.column) if problem.column in spec.columns else None
    if (
        kind in _OUT_OF_PLACE
        and not (kind == "date" and column_kind == "date")
        and problem.column not in PERSONAL_ALLOWED.get(spec.name, frozenset())
        and _("looks like") not in message
    ):
        message += _(
            "; the value looks like {kind} (not repeated here): personal data does not belong in this column",
            kind=_(KINDS[kind]),
        )
    return problem.model_copy(update={"message": message})


def _plain(detail: Any) -> str:
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] == "missing":
        return _("required: fill in this cell")
    if detail["type"] in ("int_parsing", "int_from_float", "int_parsing_size"):
        return _("must be a whole number (no thousands separators)")
    if detail["type"] == "float_parsing":
        return _("must be a number (e.g. 650 or 650,50)")
    if detail["type"] == "literal_error":
        expected = str(detail.get("ctx", {}).get("expected", "")) or message.replace("Input should be ", "")
        return _("must be one of: {expected}", expected=expected.replace(" or ", _(" or ")))
    return message


def _parse_policy(source: PolicySource | None, problems: list[Problem]) -> Policy | None:
    """The policy, or None with every problem found (a missing or unreadable one is already one)."""
    if source is None:
        return None
    where, data = source.where, source.data
    if not isinstance(data, dict):
        problems.append(
            Problem(
                file=where,
                message=_("must be a YAML mapping with at least `period: {start: YYYY-MM-DD}`"),
            )
        )
        return None
    hidden = _personal_strings(data)
    found = [
        Problem(
            file=where,
            row=source.row(location),
            column=_dotted(location),
            message=(
                _(
                    "a value cannot be read: a number of {len_lstrip:,} digits is implausibly large (at most {max_policy_number:,})",
                    len_lstrip=len(text.lstrip("+-")),
                    max_policy_number=MAX_POLICY_NUMBER,
                )
            ),
        )
        for location, text in _too_long(data, ())
    ]
    unreadable = [location for location, _ in _too_long(data, ())]
    try:
        policy = Policy.model_validate(_stringify_dates(data))
    except ValidationError as error:
        for detail in error.errors():
            location = tuple(detail["loc"])
            if any(location[: len(long)] == long for long in unreadable):
                continue
            found.append(
                Problem(
                    file=where,
                    row=source.row(location),
                    column=_dotted(location),
                    message=_policy_message(detail, source),
                )
            )
        problems += [_without_strings(problem, hidden) for problem in found]
        return None
    found += _policy_number_problems(policy.model_dump(mode="python"), (), source)
    try:
        policy.period.end  # noqa: B018 - the engine needs the period's last day to exist
    except OverflowError:
        found.append(
            Problem(
                file=where,
                row=source.row(("period", "start")),
                column="period.start",
                message=_("the period must end before the year 10000"),
            )
        )
    problems += [_without_strings(problem, hidden) for problem in found]
    return None if found else policy


def _dotted(location: tuple[Any, ...]) -> str | None:
    return ".".join(_safe_key(str(part)) for part in location) or None


def _safe_key(key: str) -> str:
    """A key or column name as typed, for a problem to name it, unless it looks like a BSN, an
    e-mail address, a phone number, an address or a date, which no key is (a value typed where a
    key belongs): then only the kind of data."""
    kind = _personal(key)
    return key if kind not in _OUT_OF_PLACE else _("<{kind}, not shown>", kind=_(KINDS[kind]))


def _policy_vocabulary() -> frozenset[str]:
    """Every key and word a policy may hold (`origin_rule`, `social_rental`, `light`): words the
    name detector would take for names, which messages name freely."""
    words: set[str] = set()

    def walk(annotation: Any) -> None:
        if isinstance(annotation, str):
            words.add(annotation)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                words.add(name)
                walk(info.annotation)
        else:
            for argument in typing.get_args(annotation):
                walk(argument)

    walk(Policy)
    return frozenset(words | set(INTENSITIES) | set(URGENCIES))


POLICY_VOCABULARY = _policy_vocabulary()


def _personal_strings(data: Any) -> set[str]:
    """Every key and text in the policy that looks like personal data (a BSN, an e-mail address,
    a phone number, an address, a name, a date other than an ISO date within ECHO_DATE_YEARS of
    today, such as period.start), so no message repeats it."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found |= _personal_strings(key) | _personal_strings(value)
    elif isinstance(data, list):
        for value in data:
            found |= _personal_strings(value)
    elif isinstance(data, (str, int, float)) and not isinstance(data, bool):
        text = str(data)
        recent = _POLICY_DATE.match(text) and abs(int(text[:4]) - date.today().year) <= ECHO_DATE_YEARS
        if _personal(text) is not None and text not in POLICY_VOCABULARY and not recent:
            found.add(text)
    return found


_POLICY_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # period.start; a recent one is no date of birth
_QUOTED = re.compile(r"'([^'\n]*)'")


def _quoted_hidden(text: str) -> str:
    """An error text from a library, each quoted part that looks like personal data hidden."""

    def hide(match: re.Match[str]) -> str:
        kind = _personal(match.group(1))
        return match.group(0) if kind not in _OUT_OF_PLACE else _("<{kind}, not shown>", kind=_(KINDS[kind]))

    return _QUOTED.sub(hide, text)


def _without_strings(problem: Problem, hidden: set[str]) -> Problem:
    message = problem.message
    for text in sorted(hidden, key=len, reverse=True):
        message = message.replace(text, _("<{kind}, not shown>", kind=_(KINDS[_personal(text) or "bsn"])))
    return problem if message == problem.message else problem.model_copy(update={"message": message})


def _too_long(data: Any, location: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every number too long to read, with its location."""
    if isinstance(data, _TooLong):
        yield location, str(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _too_long(value, (*location, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _too_long(value, (*location, index))


def _keys_at(location: tuple[Any, ...]) -> list[str] | None:
    """The keys the policy has where `location` points (None below a mapping of free keys)."""
    model: type[BaseModel] = Policy
    for part in location[:-1]:
        info = model.model_fields.get(str(part))
        annotation = info.annotation if info else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return list(model.model_fields)


def _yaml11_reading(text: str, want: str) -> str | None:
    """Why `text` is refused where a number is wanted, when YAML 1.1 (the YAML many tools and
    older versions of this reader speak) would have read it as a number: say what it would be."""
    text = text.strip()
    bare = text.replace("_", "")
    sign = -1 if bare.startswith("-") else 1
    digits = bare.lstrip("+-")
    if _personal(text) is not None:  # `0612345678`: say what is wrong without repeating it
        if _SEXAGESIMAL.match(text) or _LEADING_ZERO.match(text):
            return _(
                "{echo} is not {want}: write the number itself, digits only, without a leading zero",
                echo=_echo(text),
                want=want,
            )
        return None
    if _SEXAGESIMAL.match(text):
        value = 0.0
        for part in digits.split(":"):
            value = value * 60 + float(part)
        return _(
            "{text!r} is not {want}: YAML 1.1 reads it as the base-60 number {sign:g}, so it is refused; write the number itself",
            text=text,
            want=want,
            sign=sign * value,
        )
    if _LEADING_ZERO.match(text):
        octal = (
            _(" (YAML 1.1 reads it as the octal number {number})", number=sign * int(digits, 8))
            if set(digits) <= set("01234567")
            else ""
        )
        return _(
            "{text!r} has a leading zero{octal}: write {sign} without it",
            text=text,
            octal=octal,
            sign=sign * int(digits),
        )
    word = text.lower()
    if word in _YAML11_TRUE or word in _YAML11_FALSE:
        return _(
            "{text!r} is a yes/no word, not {want} (YAML 1.1 reads it as {value}): write the number itself",
            text=text,
            want=want,
            value=int(word in _YAML11_TRUE),
        )
    return None


def _policy_message(detail: Any, source: PolicySource) -> str:
    """A policy problem in words: what was written, how it could be misread, what to write."""
    kind, value, location = detail["type"], detail.get("input"), tuple(detail["loc"])
    if kind in ("int_type", "float_type", "int_parsing", "float_parsing", "int_from_float"):
        want = _("a whole number (e.g. 7)") if kind.startswith("int") else _("a number (e.g. 5 or 2.5)")
        if isinstance(value, bool):
            return _("must be {want}, not yes/no", want=want)
        if isinstance(value, float):
            written = repr(value) if _personal(repr(value)) is None else _echo(repr(value))
            return _(
                "must be {want}, not {written}: write it without a decimal point", want=want, written=written
            )
        if value is None:
            return _("must be {want}: the value is empty", want=want)
        if isinstance(value, str):
            text = value.strip()
            misread = _yaml11_reading(text, want.split(" (")[0])
            if misread:
                return misread
            if "_" in text and text.replace("_", "").lstrip("+-").isdigit():
                return _("{echo}: write the number with digits only, without underscores", echo=_echo(text))
            return _("must be {want}, not {echo}", want=want, echo=_echo(text))
        return _("must be {want}", want=want)
    if kind == "extra_forbidden":
        keys = _keys_at(location)
        listed = _(": the keys here are {keys}", keys=", ".join(keys)) if keys else ""
        return _("unknown key: check its spelling{listed}", listed=listed)
    if kind == "value_error" and not location and source.in_sheet:
        return _("the policy needs its period: add a row period.start with the first day (YYYY-MM-DD)")
    if kind == "missing":
        return _("required: add this key")
    return _plain(detail)


def _policy_number_problems(
    data: Any, location: tuple[str | int, ...], source: PolicySource
) -> list[Problem]:
    """Every policy number that is not finite or exceeds MAX_POLICY_NUMBER."""
    if isinstance(data, dict):
        return [
            p for key, value in data.items() for p in _policy_number_problems(value, (*location, key), source)
        ]
    if isinstance(data, (list, tuple)):
        return [
            p
            for index, value in enumerate(data)
            for p in _policy_number_problems(value, (*location, index), source)
        ]
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        message = None
        if not math.isfinite(data):
            message = _("must be a finite number")
        elif abs(data) > MAX_POLICY_NUMBER:
            message = _(
                "implausibly large (more than {max_policy_number:,})", max_policy_number=MAX_POLICY_NUMBER
            )
        if message:
            # a list's items share their list's name, as before: preference.preferred
            named = tuple(part for part in location if not isinstance(part, int))
            return [
                Problem(file=source.where, row=source.row(location), column=_dotted(named), message=message)
            ]
    return []


def _stringify_dates(data: Any) -> Any:
    """Dates from a workbook's policy sheet or YAML become ISO text for the models."""
    if isinstance(data, dict):
        return {key: _stringify_dates(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_stringify_dates(value) for value in data]
    if isinstance(data, (date, datetime)):
        return data.isoformat()[:10]
    return data
