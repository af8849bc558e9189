"""Text that spreadsheet programs will not run as a formula: the one output layer of every writer.

Every CSV file and every workbook the package writes goes through this module (docs/decisions.md,
"Formula-like text in outputs"):

- `csv_text` writes a pandas frame, `csv_rows_text` a list of rows (for `csv.writer` users). A
  text cell or column name that begins with ``= + - @``, a tab or a carriage return gets a leading
  ``'`` (OWASP advice). Numbers are not text: a float ``-1.5`` is written as ``-1.5``.
- `text_cells` makes every formula cell of an openpyxl workbook a plain string cell, so a value
  that begins with ``=`` can never become a live formula in a workbook.

Input validation (models/fields.py) already refuses ids and landlord names that begin with
``= + - @`` or hold control characters, so for valid instances none of this changes a byte; it is
defence in depth, whatever the source of a value.

A carriage return *inside* a cell is the other way in: `csv.writer` with ``lineterminator="\\n"``
does not quote it, so ``"x\\r=CMD()"`` would start a new row whose cell is a formula. When any
text holds a carriage return, the whole file is written with every field quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # frames are passed in: a weekly run writes its tables without pandas
    import pandas as pd

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# A number written as text (as read from a CSV file): sign, digits (Python's `1_000` included)
# with `.` or `,` as decimal or thousands separator, an exponent. Nothing in it can call a
# function or name a cell.
_DIGITS = r"\d+(?:_\d+)*"
_PLAIN_NUMBER = re.compile(rf"[+-]?(?:{_DIGITS}(?:[.,]{_DIGITS})*[.,]?|[.,]{_DIGITS})(?:[eE][+-]?{_DIGITS})?")


def neutralise(value: object) -> object:
    """Prefix ``'`` to a string that begins like a formula; leave anything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralise_label(label: Hashable) -> Hashable:
    """A column or index label; a MultiIndex label is a tuple of labels."""
    if isinstance(label, tuple):
        return tuple(neutralise(part) for part in label)
    return neutralise(label)


def _parts(labels: Iterable[Hashable]) -> list[Hashable]:
    """The labels, with each MultiIndex tuple spread into its parts."""
    return [part for label in labels for part in (label if isinstance(label, tuple) else (label,))]


def _holds_text(series: pd.Series) -> bool:
    """Object, string (pandas 3 reads text as `str`) and categorical columns can hold text."""
    import pandas as pd

    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are neutralised; numbers stay numbers.

    Only `str` values change, whatever the column's dtype (object, `str`/string or category), so
    a number in an object column is left alone too.
    """
    import pandas as pd

    out = frame.copy()
    labels = [_neutralise_label(label) for label in frame.columns]
    out.columns = pd.RangeIndex(len(labels))  # by position: column names may repeat
    for position in range(len(labels)):
        if _holds_text(out[position]):
            out[position] = out[position].astype(object).map(neutralise)
    if isinstance(frame.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(labels, names=frame.columns.names)
    else:
        out.columns = pd.Index(labels, name=frame.columns.name)
    return out


def _has_carriage_return(values: Iterable[Any]) -> bool:
    return any(isinstance(value, str) and "\r" in value for value in values)


def csv_text(frame: pd.DataFrame, **to_csv_kwargs: Any) -> str:
    """`frame` as CSV text in which no text cell begins like a formula.

    Returns ``frame.to_csv(index=False, lineterminator="\\n", **to_csv_kwargs)`` of the frame with
    every text cell and column name neutralised (`neutralise`); numbers are written as pandas
    writes them (``float_format`` and the other keywords apply). Text the keywords add is
    neutralised too: ``header`` aliases, ``na_rep``, ``index_label`` and, with ``index=True``, the
    index. When any text holds a carriage return every field is quoted, so it cannot start a row.
    """
    options: dict[str, Any] = {"index": False, "lineterminator": "\n", **to_csv_kwargs}
    out = neutralise_frame(frame)
    added: list[Any] = _parts(out.columns)  # text the file will hold besides the cells
    if options.get("columns") is not None:
        options["columns"] = [_neutralise_label(label) for label in options["columns"]]
    if not isinstance(options.get("header", True), bool):
        options["header"] = [neutralise(alias) for alias in options["header"]]
        added += options["header"]
    if isinstance(options.get("na_rep"), str):
        options["na_rep"] = neutralise(options["na_rep"])
        added.append(options["na_rep"])
    index_label = options.get("index_label")
    if isinstance(index_label, str):
        options["index_label"] = neutralise(index_label)
        added.append(options["index_label"])
    elif isinstance(index_label, Sequence):
        options["index_label"] = [neutralise(label) for label in index_label]
        added += options["index_label"]
    if options["index"]:
        out.index = out.index.map(_neutralise_label)
        out.index.names = [neutralise(name) for name in out.index.names]
        added += _parts(out.index) + list(out.index.names)
    texts = (out.iloc[:, position] for position in range(out.shape[1]))
    if _has_carriage_return(added) or any(
        _holds_text(cells) and _has_carriage_return(cells) for cells in texts
    ):
        options["quoting"] = csv.QUOTE_ALL
    return out.to_csv(**options)


def _safe_cell(value: object, number_column: bool) -> object:
    """A cell neutralised, unless it is a plain number written as text in a number column."""
    if number_column and isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value.rstrip()):
        return value
    return neutralise(value)


def csv_rows_text(
    rows: Sequence[Sequence[Any]], delimiter: str = ",", *, number_columns: Collection[int] = ()
) -> str:
    """`rows` as CSV text (``csv.writer``, ``"\\n"`` line ends); no text cell begins like a formula.

    Every `str` cell is neutralised; other values (numbers, None) are written as `csv.writer`
    writes them. `number_columns` names the positions of columns that hold numbers written as text
    (cells read from a CSV file are all text): there a cell that is a plain number (``-0``,
    ``+5``, ``-1,5``) is kept as it is, anything else is neutralised like any text. When any cell
    holds a carriage return every field is quoted, so it cannot start a row.
    """
    safe = [
        [_safe_cell(value, position in number_columns) for position, value in enumerate(row)] for row in rows
    ]
    quote_all = any(_has_carriage_return(row) for row in safe)
    buffer = io.StringIO()
    csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    ).writerows(safe)
    return buffer.getvalue()


def text_cells(book: Any) -> None:
    """Make every formula cell of an openpyxl workbook a string cell, in place.

    openpyxl stores a str that begins with ``=`` as a formula; typed as a string it is shown as
    the text it is and never run. Call it on a workbook built from values, just before saving.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
