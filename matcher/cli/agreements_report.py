"""The agreements' progress after a week's proposal, as `matcher solve` prints it (the rows of
`matcher.report.agreements`)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from matcher.i18n import _
from matcher.report.agreements import agreement_headers, agreement_rows


def agreement_table(summary: dict[str, Any]) -> Table | None:
    """The table to print, None without agreements that apply this week."""
    rows = agreement_rows(summary)
    if not rows:
        return None
    table = Table(title=_("Agreements this week ({count}):", count=len(rows)).rstrip(":"))
    headers = agreement_headers()
    table.add_column(headers[0], ratio=1)
    table.add_column(headers[1], no_wrap=True)
    for header in headers[2:]:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for cells, behind in rows:
        table.add_row(*cells, style="yellow" if behind else None)
    return table
