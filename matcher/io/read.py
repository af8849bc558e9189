"""Read an instance from a folder of CSV files plus `policy.yaml`, or from one .xlsx workbook.

Every problem is collected, named by file, row and column, and raised together as
`InvalidInstance`, so a coordinator fixes a spreadsheet in one pass. Rows are numbered as a
spreadsheet shows them: the header is row 1 (or the first non-blank row), data rows follow.

What coordinators really send is accepted: CSV saved by Dutch Excel (`;` separator, decimal
comma, UTF-8 with or without BOM, Windows-1252, UTF-16 "Unicode text" with tabs), workbooks with
blank rows or columns, trailing spaces, header names in any case, booleans in any case. Anything
else ends in a precise problem, never in another exception: docs/reliability.md lists both, and
tests/test_fuzz_readers.py holds the reader to it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import types
import typing
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from models import (
    Client,
    DeclinedPair,
    Instance,
    InvalidInstance,
    Municipality,
    Neighbourhood,
    Policy,
    Problem,
    SupportCapacity,
    Unit,
)
from models.instance import cross_file_problems
from models.privacy import scrub

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
)
NUMBER_COLUMNS = {"rent", "max_rent", "recent_load", "cap"}
MONEY_COLUMNS = {"rent", "max_rent"}

# Limits that keep every accepted number and file inside what the engine computes exactly
# (int64 arrays, float64 objectives): far above anything real, far below any overflow.
MAX_CELL_NUMBER = 1_000_000_000
MAX_POLICY_NUMBER = 1_000_000
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_PROBLEMS_PER_FILE = 100
MAX_POLICY_DEPTH = 20

_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_DUTCH_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+,\d+$")
_AMBIGUOUS_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+$")
_DUTCH_DATE = re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")
_SLASH_DATE = re.compile(r"^\d{1,4}/\d{1,2}/\d{1,4}$")
_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
_DUTCH_BOOLEANS = {"waar": "true", "onwaar": "false", "ja": "yes", "nee": "no"}


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


def read_instance(path: str | Path) -> Instance:
    """Read and check an instance; raise `InvalidInstance` listing every problem found."""
    path = Path(path)
    problems: list[Problem] = []
    try:
        instance = _read(path, problems)
    except RecursionError:  # a last guard: nesting deeper than any check foresaw
        problems.append(Problem(file=path.name, message="the input is nested too deeply to read"))
        instance = None
    if problems or instance is None:
        raise InvalidInstance(_reportable(problems))
    return instance


def _read(path: Path, problems: list[Problem]) -> Instance | None:
    if path.is_dir():
        raw_tables, policy_data = _read_folder(path, problems)
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        raw_tables, policy_data = _read_workbook(path, problems)
    else:
        problems.append(
            Problem(
                file=str(path),
                message="not an instance: give a folder of CSV files with policy.yaml, or an .xlsx workbook",
            )
        )
        return None

    parsed: dict[str, list[BaseModel]] = {}
    rows: dict[str, list[int | None]] = {}
    for spec in TABLES:
        raw = raw_tables.get(spec.name)
        if raw is None:
            if spec.required and not any(p.file == spec.file for p in problems):
                problems.append(Problem(file=spec.file, message=f"missing: the instance needs {spec.file}"))
            parsed[spec.name], rows[spec.file] = [], []
            continue
        parsed[spec.name], rows[spec.file] = _parse_table(spec, raw, problems)

    policy = _parse_policy(policy_data, problems)
    unparsed = _unparsed_ids(raw_tables, parsed)
    instance = Instance.model_construct(
        municipalities=_typed_rows(Municipality, parsed["municipalities"]),
        neighbourhoods=_typed_rows(Neighbourhood, parsed["neighbourhoods"]),
        units=_typed_rows(Unit, parsed["units"]),
        clients=_typed_rows(Client, parsed["clients"]),
        support_capacity=_typed_rows(SupportCapacity, parsed["support_capacity"]),
        declined=_typed_rows(DeclinedPair, parsed["declined"]),
        # model_construct does not validate: without a valid policy (already a problem) the
        # tables are still checked across files, which never reads the policy, and the
        # instance is then dropped
        policy=cast(Policy, policy),
    )
    problems += cross_file_problems(instance, rows, unparsed)
    return instance if policy is not None else None


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
            shown.append(problem.model_copy(update={"message": scrub(problem.message)}))
    for file, count in per_file.items():
        if count > MAX_PROBLEMS_PER_FILE:
            shown.append(
                Problem(
                    file=file,
                    message=(
                        f"{count - MAX_PROBLEMS_PER_FILE} more problem(s) in this file not shown: "
                        "fix the ones above (often one column is wrong throughout) and validate again"
                    ),
                )
            )
    return shown


def instance_files(path: str | Path) -> list[Path]:
    """The files an instance consists of, for hashing and auditing."""
    path = Path(path)
    if path.is_dir():
        names = [spec.file for spec in TABLES] + ["policy.yaml"]
        return sorted(path / name for name in names if (path / name).is_file())
    files = [path]
    if (path.parent / "policy.yaml").is_file():
        files.append(path.parent / "policy.yaml")
    return files


# --- folders of CSV files ----------------------------------------------------------------------


def _read_folder(folder: Path, problems: list[Problem]) -> tuple[dict[str, RawTable], Any]:
    tables = {}
    for spec in TABLES:
        file = folder / spec.file
        if file.is_file():
            table = _read_csv(file, spec.file, problems)
            if table is not None:
                tables[spec.name] = table
    policy_file = folder / "policy.yaml"
    if not policy_file.is_file():
        problems.append(
            Problem(
                file="policy.yaml",
                message="missing: the instance needs policy.yaml with at least `period: {start: YYYY-MM-DD}`",
            )
        )
        return tables, None
    return tables, _read_yaml(policy_file, problems)


def _read_bytes(file: Path, name: str, problems: list[Problem]) -> bytes | None:
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    file=name,
                    message=(
                        f"too large to read ({size / 2**20:.0f} MiB, at most {MAX_FILE_BYTES // 2**20} MiB): "
                        "split the instance by region"
                    ),
                )
            )
            return None
        return file.read_bytes()
    except OSError as error:
        problems.append(Problem(file=name, message=f"cannot read this file ({error.strerror or error})"))
        return None


def _decode(data: bytes, name: str, problems: list[Problem]) -> str | None:
    """Text from UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            problems.append(Problem(file=name, message="broken UTF-16 text: save it again as CSV UTF-8"))
            return None
    if b"\x00" in data:
        problems.append(Problem(file=name, message="this is not a text file: save it as CSV UTF-8"))
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
                file=name, message=("the text is neither UTF-8 nor Windows-1252: save it again as CSV UTF-8")
            )
        )
        return None


def _delimiter(header_line: str) -> str:
    """The separator the header row uses: `;` (Dutch Excel), `,` or a tab (Unicode text)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _read_csv(file: Path, name: str, problems: list[Problem]) -> RawTable | None:
    data = _read_bytes(file, name, problems)
    if data is None:
        return None
    text = _decode(data, name, problems)
    if text is None:
        return None
    text = text.removeprefix("\ufeff")
    header_line = next((line for line in io.StringIO(text) if line.strip(" \t,;\r\n")), "")
    if not header_line:
        problems.append(
            Problem(file=name, row=1, message="the file is empty: the first row must name the columns")
        )
        return None
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line)))
    except csv.Error as error:
        problems.append(
            Problem(file=name, message=f"not a readable CSV file ({error}); save it again as CSV")
        )
        return None
    return _raw_table(name, lines, problems)


def _raw_table(name: str, lines: typing.Iterable[list[str]], problems: list[Problem]) -> RawTable | None:
    """Header (the first non-blank row) and the non-blank rows after it, with row numbers."""
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(lines, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header, header_row = [cell.strip().lower() for cell in cells], number
        else:
            rows.append((number, cells))
    if header is None:
        problems.append(
            Problem(file=name, row=1, message="the file is empty: the first row must name the columns")
        )
        return None
    return RawTable(name, header, rows, header_row)


class _PolicyLoader(yaml.SafeLoader):
    """YAML for policy files: dates stay text (checked by the models), no aliases, bounded depth."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not supported in a policy", event.start_mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_POLICY_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_POLICY_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# types-PyYAML wants a constructor whose first parameter is a Loader; construct_yaml_str is
# defined on SafeConstructor, which every SafeLoader is, so the call is right and the stub too strict
_PolicyLoader.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str
)


def load_policy_text(text: str) -> Any:
    """Parse policy YAML; raise `yaml.YAMLError` or `ValueError` with what is wrong."""
    try:
        return yaml.load(text, Loader=_PolicyLoader)
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # constructors raise these for e.g. a 5000-digit number; report them as YAML problems
        raise ValueError(str(error).split(";")[0]) from None


def _read_yaml(file: Path, problems: list[Problem]) -> Any:
    data = _read_bytes(file, "policy.yaml", problems)
    text = _decode(data, "policy.yaml", problems) if data is not None else None
    if text is None:
        return None
    try:
        return load_policy_text(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(
            Problem(
                file="policy.yaml",
                row=mark.line + 1 if mark else None,
                message=f"not valid YAML ({getattr(error, 'problem', None) or error}); check indentation and colons",
            )
        )
    except ValueError as error:
        problems.append(Problem(file="policy.yaml", message=f"a value cannot be read ({error})"))
    return None


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


def _read_workbook(file: Path, problems: list[Problem]) -> tuple[dict[str, RawTable], Any]:
    if _read_bytes(file, file.name, problems) is None:
        return {}, None
    try:
        with warnings.catch_warnings():  # openpyxl warns about odd but harmless workbook parts
            warnings.simplefilter("ignore")
            return _workbook_tables(file, problems)
    except Exception as error:
        problems.append(
            Problem(
                file=file.name,
                message=(
                    f"not a readable .xlsx workbook ({error.__class__.__name__}); save it again from Excel"
                ),
            )
        )
        return {}, None


def _workbook_tables(file: Path, problems: list[Problem]) -> tuple[dict[str, RawTable], Any]:
    from openpyxl import load_workbook

    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        # refusals below are added to the problems; reading goes on so every problem is listed
        sheets = _instance_sheets(workbook, file.name, problems)
        _sheets_are_plain(file, workbook, sheets, problems)
        tables = {}
        for spec in TABLES:
            if spec.name not in sheets:
                continue
            sheet = workbook[sheets[spec.name]]
            sheet.reset_dimensions()  # a workbook's recorded size is often wrong: read what is there
            lines = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            table = _raw_table(f"{file.name} [{spec.name}]", lines, problems)
            if table is not None:
                tables[spec.name] = table
        policy: Any = None
        if "policy" in sheets:
            sheet = workbook[sheets["policy"]]
            sheet.reset_dimensions()
            policy = _policy_from_sheet(sheet, file.name, problems)
        elif (file.parent / "policy.yaml").is_file():
            policy = _read_yaml(file.parent / "policy.yaml", problems)
        else:
            problems.append(
                Problem(
                    file=file.name,
                    message="no policy: add a sheet `policy` with columns key, value (e.g. period.start | 2026-11-23), or policy.yaml beside the workbook",
                )
            )
    finally:
        workbook.close()
    return tables, policy


_WANTED = {spec.name for spec in TABLES} | {"policy"}


def _instance_sheets(workbook: Any, file_name: str, problems: list[Problem]) -> dict[str, str]:
    """Map table names to sheet titles; refuse hidden or doubled sheets rather than pick one.

    A refused name still maps to its first visible sheet (if any), only so the other problems
    can be listed too: with a problem added the instance is never used."""
    found: dict[str, list[Any]] = {}
    for sheet in workbook.worksheets:
        key = sheet.title.strip().casefold()
        if key in _WANTED:
            found.setdefault(key, []).append(sheet)
    sheets = {}
    for key, group in found.items():
        for sheet in group:
            if sheet.sheet_state != "visible":
                problems.append(
                    Problem(
                        file=f"{file_name} [{sheet.title}]",
                        message=(
                            f"sheet {sheet.title!r} is hidden: unhide it and delete it or rename it, "
                            f"so that only one sheet {key} remains"
                        ),
                    )
                )
        if len(group) > 1 and all(sheet.sheet_state == "visible" for sheet in group):
            titles = ", ".join(repr(sheet.title) for sheet in group)
            problems.append(
                Problem(
                    file=f"{file_name} [{key}]",
                    message=(f"sheets {titles} both count as sheet {key}: delete or rename all but one"),
                )
            )
        visible = [sheet for sheet in group if sheet.sheet_state == "visible"]
        if visible:
            sheets[key] = visible[0].title
    return sheets


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
                            f"sheet {title.strip()}, cells {cells}: merged cells; unmerge them (Home > Merge & Center) "
                            "and fill in the value in every cell"
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
                                    f"sheet {title.strip()}, cell {cell}: a formula without a saved result; open the workbook "
                                    "in Excel and save it, or type the value instead of the formula"
                                ),
                            )
                        )
    finally:
        formulas.close()
    return ok


def _policy_from_sheet(sheet: Any, file_name: str, problems: list[Problem]) -> dict:
    """A `policy` sheet holds rows `key, value`; keys are dotted paths, values YAML."""
    policy: dict = {}
    where = f"{file_name} [policy]"
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v).strip() for v in row[:2]] + ["", ""]
        key, value = cells[0], cells[1]
        if (number == 1 and key.lower() == "key") or not key:
            continue
        try:
            parsed = load_policy_text(value) if value else None
        except (yaml.YAMLError, ValueError):
            problems.append(Problem(file=where, row=number, column="value", message="not a valid value"))
            continue
        target = policy
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(
                    Problem(
                        file=where, row=number, column="key", message=f"key {key!r} clashes with another row"
                    )
                )
                break
        else:
            target[parts[-1]] = parsed
    return policy


# --- rows into domain models -------------------------------------------------------------------


def _parse_table(
    spec: TableSpec, raw: RawTable, problems: list[Problem]
) -> tuple[list[BaseModel], list[int | None]]:
    keep: list[int] = []
    used = {position for _, cells in raw.rows for position, cell in enumerate(cells) if cell.strip()}
    for position, column in enumerate(raw.header):
        if not column:
            if position in used:
                problems.append(
                    Problem(
                        file=raw.file,
                        row=raw.header_row,
                        column=f"#{position + 1}",
                        message="a column without a name holds data: name it or remove it",
                    )
                )
            continue
        if column not in spec.columns:
            problems.append(
                Problem(
                    file=raw.file,
                    row=raw.header_row,
                    column=column,
                    message=f"unknown column; {spec.file} has columns {', '.join(spec.columns)}",
                )
            )
            continue
        if column in {raw.header[p] for p in keep}:
            problems.append(
                Problem(
                    file=raw.file,
                    row=raw.header_row,
                    column=column,
                    message="this column appears twice: keep one",
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
                message="data to the right of the last named column: name the column or remove the data",
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
                message="missing required column: add it to the header row",
            )
        )
    if missing:
        return [], []

    kinds = {position: spec.kind(raw.header[position]) for position in keep}
    models: list[BaseModel] = []
    rows: list[int | None] = []
    for number, cells in raw.rows:
        record = {}
        cell_problems = []
        for position in keep:
            value = cells[position].strip() if position < len(cells) else ""
            if value == "":
                continue
            column = raw.header[position]
            value, message = _normalise(column, kinds[position], value)
            if message:
                cell_problems.append(Problem(file=raw.file, row=number, column=column, message=message))
            else:
                record[column] = value
        problems += cell_problems
        try:
            model = spec.model.model_validate(record)
        except ValidationError as error:
            for detail in error.errors():
                where = str(detail["loc"][0]) if detail["loc"] else None
                if not any(p.column == where for p in cell_problems):
                    problems.append(Problem(file=raw.file, row=number, column=where, message=_plain(detail)))
            continue
        if not cell_problems:
            models.append(model)
            rows.append(number)
    return models, rows


def _normalise(column: str, kind: str | None, value: str) -> tuple[str, str | None]:
    """The cell as the models expect it, or a message saying what is wrong with it."""
    if value in _EXCEL_ERRORS:
        return value, f"a formula error ({value}) in this cell: fix the formula or type the value"
    if kind in ("int", "number"):
        # whole numbers and euros never have three decimals: 1.250 is Dutch for 1250
        if (kind == "int" or column in MONEY_COLUMNS) and _AMBIGUOUS_THOUSANDS.match(value):
            return value, (
                f"{value!r} is ambiguous: a thousands separator or a decimal point? "
                "Write whole numbers without separators and decimals with a comma or point"
            )
        if column in NUMBER_COLUMNS and (_DECIMAL_COMMA.match(value) or _DUTCH_THOUSANDS.match(value)):
            value = value.replace(".", "").replace(",", ".")
        try:
            number = float(value)
        except ValueError:
            return value, None  # the model says what a number must look like
        if math.isnan(number) or (math.isinf(number) and value.strip("+-").isalpha()):
            return value, "must be a number, not infinity or NaN"
        if abs(number) > MAX_CELL_NUMBER:
            return value, f"implausibly large (more than {MAX_CELL_NUMBER:,}): check the cell"
    elif kind == "bool" and value.lower() in _DUTCH_BOOLEANS:
        english = _DUTCH_BOOLEANS[value.lower()]
        return value, (f"{value!r} is Dutch: write {english!r} (booleans are true/false, yes/no or 1/0)")
    elif kind == "date":
        if _DUTCH_DATE.match(value):
            day, month, year = value.split("-")
            return value, (
                f"looks like a Dutch date: write it as {year}-{int(month):02d}-{int(day):02d} "
                "(ISO YYYY-MM-DD; in Excel format the column as jjjj-mm-dd before saving)"
            )
        if _SLASH_DATE.match(value):
            return value, "ambiguous date with slashes: write it as ISO YYYY-MM-DD, e.g. 2026-11-23"
    return value, None


def _plain(detail: Any) -> str:
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] == "missing":
        return "required: fill in this cell"
    if detail["type"] in ("int_parsing", "int_from_float", "int_parsing_size"):
        return "must be a whole number (no thousands separators)"
    if detail["type"] == "float_parsing":
        return "must be a number (e.g. 650 or 650,50)"
    if detail["type"] == "literal_error":
        return message.replace("Input should be", "must be one of:")
    return message


def _parse_policy(data: Any, problems: list[Problem]) -> Policy | None:
    if data is None and any(p.file.endswith("policy.yaml") or "policy" in p.file for p in problems):
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(
                file="policy.yaml",
                message="must be a YAML mapping with at least `period: {start: YYYY-MM-DD}`",
            )
        )
        return None
    try:
        policy = Policy.model_validate(_stringify_dates(data))
    except ValidationError as error:
        for detail in error.errors():
            location = ".".join(str(part) for part in detail["loc"]) or None
            problems.append(Problem(file="policy.yaml", column=location, message=_plain(detail)))
        return None
    found = _policy_number_problems(policy.model_dump(mode="python"), "")
    try:
        policy.period.end  # noqa: B018 - the engine needs the period's last day to exist
    except OverflowError:
        found.append(
            Problem(
                file="policy.yaml", column="period.start", message="the period must end before the year 10000"
            )
        )
    problems += found
    return None if found else policy


def _policy_number_problems(data: Any, location: str) -> list[Problem]:
    """Every policy number that is not finite or exceeds MAX_POLICY_NUMBER."""
    if isinstance(data, dict):
        return [
            p
            for key, value in data.items()
            for p in _policy_number_problems(value, f"{location}.{key}".strip("."))
        ]
    if isinstance(data, (list, tuple)):
        return [p for value in data for p in _policy_number_problems(value, location)]
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        if not math.isfinite(data):
            return [Problem(file="policy.yaml", column=location, message="must be a finite number")]
        if abs(data) > MAX_POLICY_NUMBER:
            return [
                Problem(
                    file="policy.yaml",
                    column=location,
                    message=f"implausibly large (more than {MAX_POLICY_NUMBER:,})",
                )
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
