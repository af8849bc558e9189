"""Write an instance back as the files of an instance folder, so a run can be re-checked later.

A run folder keeps the *effective* instance it solved (after a decisions ledger was applied):
`instance_files_bytes` gives the bytes of `municipalities.csv`, `neighbourhoods.csv`,
`units.csv`, `clients.csv`, `policy.yaml` and, only when the instance has rows for them,
`support_capacity.csv`, `declined.csv` and `contacts.csv`. Written into an empty folder, those files read back
with `matcher.io.read.read_instance` as an Instance equal (`==`) to the one written, so `audit`,
`check` and `explain` can re-run any week later.

File names and columns come from the reader's own table specs (`matcher.io.read.ALL_TABLES`, which
derives them from the domain models), so a column added to a model is written as soon as it is
read. Cells are written the way the reader reads them back unchanged:

- whole numbers as digits; other numbers as their shortest round-trip form (`repr`), never in a
  form the reader refuses as ambiguous (`1.125` would read as "1 thousand 125?": it is written
  `1.1250`);
- dates ISO `YYYY-MM-DD`; booleans `true`/`false`; lists joined with `;`;
- `None` as an empty cell. An empty list whose column defaults to something else (a client's
  `eligible_types` defaults to "not given") is written as a lone `;`, which the reader reads as
  an empty list rather than as the default.

Every text cell goes through `matcher.io.safe_text.neutralise` (defence against formula
injection). The domain models already refuse ids that begin like a formula, so for those this
changes nothing; only a free-text cell such as a unit's `site_id` that begins with `= + - @`
would come back with a leading `'`.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from matcher.io.read import ALL_TABLES
from matcher.io.safe_text import csv_rows_text, neutralise
from models import Instance, Municipality, Unit
from models.client import Client
from models.unit import HOME_COLUMNS

LIST_SEPARATOR = ";"
POLICY_FILE = "policy.yaml"

# The reader refuses `1.250` in whole-number and money columns as ambiguous (Dutch thousands
# separator or decimal point?); a trailing zero keeps the value and makes it unambiguous.
_AMBIGUOUS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+$")
# Integer-valued floats below this are written as plain digits (650, not 650.0).
_PLAIN_INTEGER_LIMIT = 1e15


def instance_files_bytes(instance: Instance) -> dict[str, bytes]:
    """The files of an instance folder, by file name, that read back as an equal Instance.

    The optional tables (`support_capacity.csv`, `declined.csv`) are included only when the
    instance has rows for them. Raise `ValueError` for the rare value no file can hold so that
    it reads back equal (a list item containing `;`, text containing a NUL character).
    """
    files: dict[str, bytes] = {}
    for spec in ALL_TABLES:
        rows: tuple[BaseModel, ...] = getattr(instance, spec.name)
        if not rows and not spec.required:
            continue
        files[spec.file] = _csv_bytes(spec.file, spec.model, rows)
    files[POLICY_FILE] = policy_yaml_bytes(instance)
    return files


def policy_yaml_bytes(instance: Instance) -> bytes:
    """`policy.yaml` holding the instance's whole policy, every default spelled out."""
    policy = instance.policy.model_dump(mode="json")
    text = yaml.safe_dump(policy, sort_keys=False, allow_unicode=True)
    return text.encode("utf-8")


def _csv_bytes(file: str, model: type[BaseModel], rows: tuple[BaseModel, ...]) -> bytes:
    """One table as UTF-8 CSV: a header naming every column of the model, then a line per row.

    The optional columns added after the first spec — a unit's address columns
    (`models.unit.HOME_COLUMNS`, issue 15), `tenancy` and a client's `current_unit_id` (issue 14)
    and a municipality's `target_share` and `placed_so_far` (issue 14, item 4) — are written
    only when some row has a value in them (other than the default), so an instance without them is written
    byte for byte as before they existed (an audit of an older run compares the bytes)."""
    later = {
        Unit: {*HOME_COLUMNS, "tenancy", "young_adults_only"},  # target groups: issue 14, item 6
        Client: {"current_unit_id", "provider", "target_groups", "shares_home_with"},
        Municipality: {"target_share", "placed_so_far"},
    }.get(model, set())
    columns = {name: [getattr(row, name) for row in rows] for name in model.model_fields}
    fields = {
        name: field
        for name, field in model.model_fields.items()
        if not (name in later and all(value in (None, field.default) for value in columns[name]))
    }
    cells = [
        [_cell(value, field, file, number, name) for number, value in enumerate(columns[name], start=2)]
        for name, field in fields.items()
    ]
    table: list[list[str]] = [list(fields), *(list(row) for row in zip(*cells))]
    numbers = {
        position
        for position, name in enumerate(fields)
        if any(isinstance(value, (int, float)) and not isinstance(value, bool) for value in columns[name])
    }
    return csv_rows_text(table, number_columns=numbers).encode("utf-8")


def _cell(value: Any, field: FieldInfo, file: str, number: int, name: str) -> str:
    """The text of one cell that the reader turns back into `value` (at `file` row `number`,
    column `name`: named in the error when no cell can hold it)."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    where = f"{file} row {number}, column {name}"
    if isinstance(value, (tuple, list)):
        return _list(value, field, where)
    if isinstance(value, str):
        return _text(value, where)
    raise TypeError(f"{where}: cannot write a value of type {type(value).__name__}")


def _number(value: float) -> str:
    """Digits for whole numbers, else the shortest text that reads back as the same float."""
    if math.isfinite(value) and value.is_integer() and abs(value) < _PLAIN_INTEGER_LIMIT:
        return str(int(value))
    text = repr(value)
    if _AMBIGUOUS.match(text):
        text += "0"
    return text


def _list(items: tuple[Any, ...] | list[Any], field: FieldInfo, where: str) -> str:
    """Items joined by `;`; an empty list that is not the column's default as a lone `;`."""
    texts = [str(item) for item in items]
    for text in texts:
        if LIST_SEPARATOR in text:
            raise ValueError(f"{where}: list item {text!r} contains {LIST_SEPARATOR!r}, the list separator")
    if not texts:
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        return "" if default is not None and len(default) == 0 else LIST_SEPARATOR
    return _text(LIST_SEPARATOR.join(texts), where)


def _text(value: str, where: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{where}: text contains a NUL character, which no CSV file can hold")
    return str(neutralise(value))
