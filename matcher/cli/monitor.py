"""`matcher monitor`: the programmes' monitoring figures of the real run, for any period.

Reads the decisions ledger (never writes it), the solved instance of each proposal's run folder
and the instances given with --instance; writes monitor.xlsx and monitor.html into --out and
prints the headline figures. The figures are computed by matcher.monitor.

Exit codes: 0 written; 2 the ledger, an instance or an option is invalid (nothing written).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from matcher.cli.options import InputError
from matcher.i18n import _


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            _(
                "{option} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-23; nothing was written",
                option=option,
                value=value,
            )
        ) from None


def _problems(what: str, invalid) -> InputError:
    lines = [_("{what}: {count} problem(s), nothing was written", what=what, count=len(invalid.problems))]
    lines += [f"  - {problem}" for problem in invalid.problems]
    return InputError("\n".join(lines))


@click.command(
    help=_(
        "Instroom, doorstroom, uitstroom, still waiting, placements per gemeente, corporatie and "
        "doelgroep, realisation of agreements, vacancy days and the shortfall, for a period."
    )
)
@click.option("--ledger", required=True, help=_("the decisions ledger (SQLite file or SQLAlchemy URL)"))
@click.option(
    "--from",
    "start",
    default=None,
    help=_("first day of the period (YYYY-MM-DD); default: the first week"),
)
@click.option(
    "--to",
    "end",
    default=None,
    help=_("last day of the period (YYYY-MM-DD); default: the last week's end"),
)
@click.option(
    "--instance",
    "instances",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=_(
        "a week's instance (as given to `matcher solve`), for the clients' doelgroep and origin and "
        "the gemeenten's max_intake; repeat it for more weeks"
    ),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("folder for monitor.xlsx and monitor.html"),
)
def monitor(ledger: str, start: str | None, end: str | None, instances: tuple[Path, ...], out: Path) -> None:
    """Instroom, doorstroom, uitstroom, still waiting, placements per gemeente, corporatie and
    doelgroep, realisation of agreements, vacancy days and the shortfall, for a period. (The help
    shown is the translated `help=`.)"""
    from matcher.io.read import read_instance
    from matcher.monitor.report import monitor_of, write_monitor
    from models import InvalidInstance

    first, last = _day(start, "--from"), _day(end, "--to")
    if first is not None and last is not None and first > last:
        raise InputError(
            _(
                "--from {start} is after --to {end}: give the first day of the period first; nothing was written",
                start=first.isoformat(),
                end=last.isoformat(),
            )
        )
    loaded = []
    weeks: dict[date, Path] = {}
    for folder in instances:
        try:
            instance = read_instance(folder)
        except InvalidInstance as invalid:
            raise _problems(_("cannot read the instance {folder}", folder=str(folder)), invalid) from None
        week = instance.policy.period.start
        if week in weeks:
            raise InputError(
                _(
                    "{first} and {second} are both the week of {week}: give one instance per week; nothing was written",
                    first=str(weeks[week]),
                    second=str(folder),
                    week=week.isoformat(),
                )
            )
        weeks[week] = folder
        loaded.append(instance)
    try:
        found = monitor_of(ledger, first, last, loaded)
    except InvalidInstance as invalid:
        raise _problems(_("cannot read the ledger"), invalid) from None
    written = write_monitor(found, out)
    render(found)
    click.echo(_("Written: {workbook} and {page}", workbook=str(written.workbook), page=str(written.page)))


def render(found) -> None:
    """The headline figures as a short table."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from matcher.monitor.tables import headline, period_words

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 100)
    table = Table(
        title=_("Monitor {period}", period=period_words(found.start, found.end)),
        show_edge=False,
        pad_edge=False,
    )
    table.add_column(_("figure"))
    table.add_column(_("value"), justify="right")
    for name, value in headline(found):
        table.add_row(Text(name), Text(str(value)))
    console.print(table)
    if found.empty:
        console.print(Text(_("The ledger holds no week in this period.")))
