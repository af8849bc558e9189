"""Compute the monitor of a period and write its workbook and page (each file atomically)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from matcher.io.atomic import write_bytes
from matcher.monitor.figures import Monitor, compute, default_period
from matcher.monitor.sources import gather
from models import Instance

WORKBOOK = "monitor.xlsx"
PAGE = "monitor.html"


@dataclass(frozen=True)
class Written:
    monitor: Monitor
    workbook: Path
    page: Path


def monitor_of(
    ledger: str | Path,
    start: date | None = None,
    end: date | None = None,
    instances: list[Instance] | None = None,
) -> Monitor:
    """The monitor of the period; without a start or end, from the first week or to the last."""
    sources = gather(ledger, instances, start, end)
    whole = default_period(sources)
    first = start or (whole[0] if whole else end or date.today())
    last = end or (whole[1] if whole else first)
    return compute(sources, first, last)


def write_monitor(monitor: Monitor, out: Path) -> Written:
    """Write monitor.xlsx and monitor.html into `out` (made when absent)."""
    from matcher.monitor.page import page_html
    from matcher.monitor.workbook import workbook_bytes

    out.mkdir(parents=True, exist_ok=True)
    workbook = out / WORKBOOK
    page = out / PAGE
    write_bytes(workbook, workbook_bytes(monitor))
    write_bytes(page, page_html(monitor).encode("utf-8"))
    return Written(monitor, workbook, page)
