"""The monitor as an Excel workbook: one sheet per table, Dutch sheet and column names by default.

Every text cell goes through `neutralise` (a value that begins like a formula gets a leading ')
and `text_cells` before saving, as every workbook the package writes (matcher/io/safe_text.py):
no value, whatever its source, can become a live formula. The first rows of each sheet name the
ledger, the period and the matcher version that made it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

import matcher
from matcher.i18n import _
from matcher.io.safe_text import neutralise, text_cells
from matcher.monitor.figures import Monitor
from matcher.monitor.tables import Table, period_words, tables

NAVY = "1F3864"
MAX_CELL = 32_767  # characters Excel keeps in one cell
WRAP = 60  # a longer text (a definition) wraps within its column
FIRST_ROW = 4  # the table's header row; rows 1-2 name the monitor, row 3 is left empty


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)[:MAX_CELL]  # type: ignore[index]
    return value


def _sheet(book: Workbook, table: Table, monitor: Monitor, first: bool) -> None:
    sheet = book.active if first else book.create_sheet()
    sheet.title = table.name[:31]
    sheet["A1"] = _cell(table.title)
    sheet["A1"].font = Font(bold=True, size=13, color=NAVY)
    sheet["A2"] = _cell(
        _(
            "Ledger {ledger} · period {period} · matcher {version}",
            ledger=monitor.ledger,
            period=period_words(monitor.start, monitor.end),
            version=matcher.__version__,
        )
    )
    if table.note:
        sheet["A3"] = _cell(table.note)
    for column, heading in enumerate(table.columns, start=1):
        cell = sheet.cell(row=FIRST_ROW, column=column, value=_cell(heading))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=NAVY)
    for number, row in enumerate(table.rows, start=FIRST_ROW + 1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column, value=_cell(value))
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and len(value) > WRAP:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, heading in enumerate(table.columns, start=1):
        width = max(
            [len(str(heading))]
            + [len(str(row[column - 1])) for row in table.rows if row[column - 1] is not None]
        )
        sheet.column_dimensions[get_column_letter(column)].width = min(WRAP + 10, max(10, width + 2))
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW + 1, column=1)


def workbook_bytes(monitor: Monitor) -> bytes:
    """The workbook as .xlsx bytes."""
    book = Workbook()
    for index, table in enumerate(tables(monitor)):
        _sheet(book, table, monitor, first=index == 0)
    text_cells(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
