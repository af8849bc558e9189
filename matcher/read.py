"""Read an instance from a folder of CSV files plus `policy.yaml`, or from one .xlsx workbook.

Every problem is collected, named by file, row and column, and raised together as
`InvalidInstance`, so a coordinator fixes a spreadsheet in one pass. Rows are numbered as a
spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

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


TABLES = (
    TableSpec("municipalities", Municipality, True),
    TableSpec("neighbourhoods", Neighbourhood, True),
    TableSpec("units", Unit, True),
    TableSpec("clients", Client, True),
    TableSpec("support_capacity", SupportCapacity, False),
    TableSpec("declined", DeclinedPair, False),
)
NUMBER_COLUMNS = {"rent", "max_rent", "recent_load", "cap"}
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_ENCODINGS = ("utf-8-sig", "cp1252")


@dataclass
class RawTable:
    """A table as read: header, and each data row with its spreadsheet row number."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_instance(path: str | Path) -> Instance:
    """Read and check an instance; raise `InvalidInstance` listing every problem found."""
    path = Path(path)
    problems: list[Problem] = []
    if path.is_dir():
        raw_tables, policy_data = _read_folder(path, problems)
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        raw_tables, policy_data = _read_workbook(path, problems)
    else:
        raise InvalidInstance([Problem(
            file=str(path),
            message="not an instance: give a folder of CSV files with policy.yaml, or an .xlsx workbook",
        )])

    parsed: dict[str, list[BaseModel]] = {}
    rows: dict[str, list[int | None]] = {}
    for spec in TABLES:
        raw = raw_tables.get(spec.name)
        if raw is None:
            if spec.required:
                problems.append(Problem(file=spec.file, message=f"missing: the instance needs {spec.file}"))
            parsed[spec.name], rows[spec.file] = [], []
            continue
        parsed[spec.name], rows[spec.file] = _parse_table(spec, raw, problems)

    policy = _parse_policy(policy_data, problems)
    unparsed = _unparsed_ids(raw_tables, parsed)
    instance = Instance.model_construct(
        municipalities=tuple(parsed["municipalities"]),
        neighbourhoods=tuple(parsed["neighbourhoods"]),
        units=tuple(parsed["units"]),
        clients=tuple(parsed["clients"]),
        support_capacity=tuple(parsed["support_capacity"]),
        declined=tuple(parsed["declined"]),
        policy=policy,
    )
    problems += cross_file_problems(instance, rows, unparsed)
    if problems or policy is None:
        raise InvalidInstance(problems)
    return instance


_ID_COLUMNS = {"municipalities": ("municipality", "municipality_id"),
               "neighbourhoods": ("neighbourhood", "neighbourhood_id"),
               "units": ("unit", "unit_id"), "clients": ("client", "client_id")}


def _unparsed_ids(raw_tables: dict[str, RawTable], parsed: dict[str, list[BaseModel]]) -> dict[str, set[str]]:
    """Ids of rows that failed on their own, so references to them are not reported twice."""
    unparsed: dict[str, set[str]] = {}
    for table, (kind, column) in _ID_COLUMNS.items():
        raw = raw_tables.get(table)
        if raw is None or column not in raw.header:
            continue
        position = raw.header.index(column)
        seen = {getattr(model, column) for model in parsed.get(table, [])}
        unparsed[kind] = {cells[position].strip() for _, cells in raw.rows
                          if position < len(cells) and cells[position].strip()} - seen
    return unparsed


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
        problems.append(Problem(file="policy.yaml", message="missing: the instance needs policy.yaml with at least `period: {start: YYYY-MM-DD}`"))
        return tables, None
    return tables, _read_yaml(policy_file, problems)


def _decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("cp1252 decodes nearly any byte; unreachable for valid input")


def _read_csv(file: Path, name: str, problems: list[Problem]) -> RawTable | None:
    data = file.read_bytes()
    if b"\x00" in data:
        problems.append(Problem(file=name, message="this is not a text file: save it as CSV (UTF-8)"))
        return None
    try:
        text = _decode(data)
    except (UnicodeDecodeError, AssertionError):
        problems.append(Problem(file=name, message="unreadable text encoding: save as CSV UTF-8"))
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        problems.append(Problem(file=name, message=f"not a readable CSV file ({error}); save it again as CSV"))
        return None
    if not lines or not any(cell.strip() for cell in lines[0]):
        problems.append(Problem(file=name, row=1, message="the header row is missing: the first row must name the columns"))
        return None
    header = [cell.strip() for cell in lines[0]]
    rows = [(number, [cell for cell in line]) for number, line in enumerate(lines[1:], start=2)]
    return RawTable(name, header, rows)


def _read_yaml(file: Path, problems: list[Problem]) -> Any:
    try:
        return yaml.safe_load(_decode(file.read_bytes()))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(Problem(
            file="policy.yaml", row=mark.line + 1 if mark else None,
            message=f"not valid YAML ({getattr(error, 'problem', None) or error}); check indentation and colons",
        ))
        return None


# --- .xlsx workbooks ---------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_workbook(file: Path, problems: list[Problem]) -> tuple[dict[str, RawTable], Any]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    import zipfile

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        problems.append(Problem(file=file.name, message=f"not a readable .xlsx workbook ({error.__class__.__name__}); save it again from Excel"))
        return {}, None
    tables = {}
    sheets = {name.strip().lower(): name for name in workbook.sheetnames}
    for spec in TABLES:
        if spec.name not in sheets:
            continue
        sheet = workbook[sheets[spec.name]]
        lines = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        file_name = f"{file.name} [{spec.name}]"
        if not lines or not any(cell.strip() for cell in lines[0]):
            problems.append(Problem(file=file_name, row=1, message="the header row is missing: the first row must name the columns"))
            continue
        header = [cell.strip() for cell in lines[0]]
        tables[spec.name] = RawTable(file_name, header, list(enumerate(lines[1:], start=2)))
    policy: Any = None
    if "policy" in sheets:
        policy = _policy_from_sheet(workbook[sheets["policy"]], file.name, problems)
    elif (file.parent / "policy.yaml").is_file():
        policy = _read_yaml(file.parent / "policy.yaml", problems)
    else:
        problems.append(Problem(file=file.name, message="no policy: add a sheet `policy` with columns key, value (e.g. period.start | 2026-11-23), or policy.yaml beside the workbook"))
    workbook.close()
    return tables, policy


def _policy_from_sheet(sheet: Any, file_name: str, problems: list[Problem]) -> dict:
    """A `policy` sheet holds rows `key, value`; keys are dotted paths, values YAML."""
    policy: dict = {}
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v).strip() for v in row[:2]] + ["", ""]
        key, value = cells[0], cells[1]
        if number == 1 and key.lower() == "key" or not key:
            continue
        try:
            parsed = yaml.safe_load(value) if value else None
        except yaml.YAMLError:
            problems.append(Problem(file=f"{file_name} [policy]", row=number, column="value", message="not a valid value"))
            continue
        target = policy
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(Problem(file=f"{file_name} [policy]", row=number, column="key", message=f"key {key!r} clashes with another row"))
                break
        else:
            target[parts[-1]] = parsed
    return policy


# --- rows into domain models -------------------------------------------------------------------


def _parse_table(spec: TableSpec, raw: RawTable, problems: list[Problem]) -> tuple[list[BaseModel], list[int | None]]:
    keep: list[int] = []
    for position, column in enumerate(raw.header):
        if not column:
            if any(position < len(cells) and cells[position].strip() for _, cells in raw.rows):
                problems.append(Problem(file=raw.file, row=1, column=f"#{position + 1}", message="a column without a name holds data: name it or remove it"))
            continue
        if column not in spec.columns:
            problems.append(Problem(file=raw.file, row=1, column=column, message=f"unknown column; {spec.file} has columns {', '.join(spec.columns)}"))
            continue
        if column in (raw.header[p] for p in keep):
            problems.append(Problem(file=raw.file, row=1, column=column, message="this column appears twice: keep one"))
            continue
        keep.append(position)
    named = [raw.header[p] for p in keep]
    missing = [c for c in spec.required_columns if c not in named]
    for column in missing:
        problems.append(Problem(file=raw.file, row=1, column=column, message="missing required column: add it to the header row"))
    if missing:
        return [], []

    models: list[BaseModel] = []
    rows: list[int | None] = []
    for number, cells in raw.rows:
        if not any(cell.strip() for cell in cells):
            continue
        record = {}
        for position in keep:
            value = cells[position].strip() if position < len(cells) else ""
            if value == "":
                continue
            column = raw.header[position]
            if column in NUMBER_COLUMNS and _DECIMAL_COMMA.match(value):
                value = value.replace(",", ".")
            record[column] = value
        try:
            models.append(spec.model.model_validate(record))
            rows.append(number)
        except ValidationError as error:
            for detail in error.errors():
                column = str(detail["loc"][0]) if detail["loc"] else None
                problems.append(Problem(file=raw.file, row=number, column=column, message=_plain(detail)))
    return models, rows


def _plain(detail: Any) -> str:
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] == "missing":
        return "required: fill in this cell"
    if detail["type"] in ("int_parsing", "int_from_float"):
        return "must be a whole number"
    if detail["type"] == "float_parsing":
        return "must be a number (e.g. 650 or 650.50)"
    if detail["type"] == "literal_error":
        return message.replace("Input should be", "must be one of:")
    return message


def _parse_policy(data: Any, problems: list[Problem]) -> Policy | None:
    if data is None and any(p.file.endswith("policy.yaml") or "policy" in p.file for p in problems):
        return None
    if not isinstance(data, dict):
        problems.append(Problem(file="policy.yaml", message="must be a YAML mapping with at least `period: {start: YYYY-MM-DD}`"))
        return None
    try:
        return Policy.model_validate(_stringify_dates(data))
    except ValidationError as error:
        for detail in error.errors():
            location = ".".join(str(part) for part in detail["loc"]) or None
            problems.append(Problem(file="policy.yaml", column=location, message=_plain(detail)))
        return None


def _stringify_dates(data: Any) -> Any:
    """YAML reads 2026-11-23 as a date already; hand dates to the models as ISO text."""
    if isinstance(data, dict):
        return {key: _stringify_dates(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_stringify_dates(value) for value in data]
    if isinstance(data, (date, datetime)):
        return data.isoformat()[:10]
    return data
