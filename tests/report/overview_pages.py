"""Reading the weekly overview back as a reader sees it: its headings and its tables (under which
heading), and run folders made by the real `matcher solve` for the report tests."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from matcher.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
KENNEMERLAND = ROOT / "instances" / "zuid-kennemerland-week"


def invoke(*args: object, code: int = 0):
    """Run `matcher ARGS`, check its exit code; never a traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def solve(instance: Path, out: Path, *extra: object) -> Path:
    invoke("solve", instance, "--out", out, *extra)
    return out


def ledger_run(folder: Path) -> Path:
    """tiny solved, the proposal recorded in a ledger, one acceptance and one decline recorded, and
    the week solved again with the ledger (as tests/cli/test_cli_review.py does)."""
    ledger = folder / "ledger.sqlite"
    solve(TINY, folder / "week1")
    invoke(
        "review",
        "export",
        TINY,
        "--proposal",
        folder / "week1",
        "--out",
        folder / "books",
        "--ledger",
        ledger,
    )
    invoke("record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "accept")
    invoke(
        "record",
        "--ledger",
        ledger,
        "--client",
        "C02",
        "--unit",
        "U01",
        "--decision",
        "decline",
        "--reason",
        "location",
    )
    return solve(TINY, folder / "week1b", "--ledger", ledger)


def copy_run(run: Path, target: Path) -> Path:
    shutil.copytree(run, target, symlinks=False)
    return target


def rows_of(path: Path) -> list[dict[str, str]]:
    """A CSV the run wrote, by its own header (English or Dutch as written)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def by_id(path: Path, key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in rows_of(path)}


@dataclass
class Page:
    """The page's text, headings and tables (each table under the heading above it)."""

    text: str = ""
    headings: list[str] = field(default_factory=list)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # heading → rows (header first)
    svg_texts: list[str] = field(default_factory=list)
    has_svg: bool = False

    def table(self, starts: str) -> list[list[str]]:
        """The table under the heading that starts with `starts`."""
        for heading, rows in self.tables.items():
            if heading.startswith(starts):
                return rows
        raise AssertionError(f"no table under a heading starting {starts!r}; headings: {self.headings}")

    def records(self, starts: str) -> list[dict[str, str]]:
        rows = self.table(starts)
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[str] = []
        self.heading = ""
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_heading = False
        self.in_svg_text = False
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2"):
            self.in_heading, self.heading = True, ""
        elif tag == "table":
            self.page.tables.setdefault(self.heading, [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "svg":
            self.page.has_svg = True
        elif tag == "text":
            self.in_svg_text = True
            self.page.svg_texts.append("")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2"):
            self.in_heading = False
            self.page.headings.append(self.heading.strip())
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.page.tables[self.heading].append(self.row)
            self.row = None
        elif tag == "text":
            self.in_svg_text = False

    def handle_data(self, data):
        self.chunks.append(data)
        if self.in_heading:
            self.heading += data
        if self.cell is not None:
            self.cell.append(data)
        if self.in_svg_text:
            self.page.svg_texts[-1] += data


def read_page(source: str) -> Page:
    reader = _Reader()
    reader.feed(source)
    reader.page.text = " ".join("".join(reader.chunks).split())
    return reader.page
