"""`matcher status`: the ledger in sight before the weekly matching table.

Where every match stands (offered, accepted, housed, declined, withdrawn), which landlords'
workbooks have not come back (late, due, no date given), which conflicting decisions wait for
the coordinator and which clients reached the refusal limit. The status itself is computed by
matcher.review.status; this command reads, calls and prints (tables, or the same as JSON).

Exit codes: 0 nothing waits for the coordinator; 1 open conflicts or late workbooks (the status
is printed in full all the same); 2 the ledger cannot be read or an option is invalid.
"""

from __future__ import annotations

import json
import sys
import unicodedata

import click

from matcher.cli.options import json_option, reports_problems
from matcher.i18n import _
from matcher.review.status import (
    DEFAULT_MAX_REFUSALS,
    GIVEN_WITH_WEEK,
    MEANING,
    STATES,
    WORKBOOK_WORDS,
    Status,
    decision_word,
    party_word,
    state_word,
)

EXIT_ATTENTION = 1


@click.command(
    help=_(
        "Where every match stands, workbooks not back, conflicts to settle, clients at the refusal "
        "limit.\n\nExit 1 when a conflict waits for you or a workbook is late (past its return date "
        "as of --week); the status is printed in full either way."
    ),
    short_help=_("Where every match stands, workbooks not back, conflicts, refusal limit."),
)
@click.option("--ledger", required=True, help=_("the decisions ledger (SQLite file or SQLAlchemy URL)"))
@click.option(
    "--week",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_(
        "the day return dates and decline ends are judged on (YYYY-MM-DD), e.g. the day of the "
        "weekly table; default: the latest proposal's period start"
    ),
)
@click.option(
    "--max-refusals",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_REFUSALS,
    show_default=True,
    help=_("the scheme's refusal limit (policy.yaml refusals.max_refusals)"),
)
@json_option
@reports_problems(_("cannot read the ledger"))
def status(ledger: str, week, max_refusals: int, as_json: bool) -> None:
    """Where every match stands, workbooks not back, conflicts to settle, clients at the refusal limit.

    Exit 1 when a conflict waits for you or a workbook is late (past its return date as of
    --week); the status is printed in full either way. (The help shown is the translated `help=`.)
    """
    from matcher.review.ledger import describe
    from matcher.review.status import read_status

    name = describe(ledger) if "://" in ledger else ledger  # as typed; a URL without its password
    found = read_status(ledger, week=week.date() if week else None, max_refusals=max_refusals, name=name)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
    else:
        render(found)
    if found.needs_attention:
        sys.exit(EXIT_ATTENTION)


# --- the tables --------------------------------------------------------------------------------


def _safe(value: object) -> str:
    """A cell as plain text: no markup, no terminal control characters (notes come from landlords)."""
    if value is None:
        return "–"
    text = str(value)
    return "".join(
        f"\\x{ord(char):02x}" if unicodedata.category(char) in ("Cc", "Cf") else char for char in text
    )


def render(found: Status) -> None:
    """Print the status as readable tables: the counts first, then each part."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # a terminal's own width; 120 columns into a file or pipe, so the tables read the same everywhere
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

    def table(*columns: str) -> Table:
        made = Table(show_edge=False, pad_edge=False)
        for column in columns:
            made.add_column(column, overflow="fold")
        return made

    def row(made: Table, *cells: object) -> None:
        made.add_row(*[Text(_safe(cell)) for cell in cells])

    def heading(words: str) -> None:
        console.print()
        console.print(Text(words, style="bold"))

    console.print(Text(_("Ledger {ledger}", ledger=_safe(found.ledger)), style="bold"))
    source = _(found.as_of_from)
    if found.as_of_from == GIVEN_WITH_WEEK:
        console.print(Text(_("as of {day} ({source})", day=_safe(found.as_of), source=source)))
    else:
        console.print(
            Text(
                _(
                    "as of {day} ({source}; give --week for another day)",
                    day=_safe(found.as_of),
                    source=source,
                )
            )
        )
    latest = found.latest_proposal
    if latest is not None:
        console.print(
            Text(
                _(
                    "latest proposal {proposal}, week of {start} – {end}, {count} match(es), "
                    "workbooks due back: {due}",
                    proposal=_safe(latest["proposal_id"]),
                    start=latest["week"],
                    end=latest["period_end"],
                    count=latest["matches"],
                    due=latest["return_by"] or _("no date given"),
                )
            )
        )
    if found.empty:
        console.print(Text(_("The ledger holds no proposals or decisions yet.")))
        return

    counts = found.counts
    heading(_("Counts"))
    summary = table("", _("count"), _("meaning"))
    for state in STATES:
        row(summary, state_word(state), counts[state], _(MEANING[state]))
    row(
        summary,
        _("workbooks late"),
        counts["workbooks_late"],
        _("return date before {day}, no landlord decision since it was sent", day=found.as_of),
    )
    row(
        summary,
        _("workbooks due"),
        counts["workbooks_due"],
        _("return date on or after {day}", day=found.as_of),
    )
    row(
        summary,
        _("workbooks without date"),
        counts["workbooks_without_date"],
        _("sent without a return date"),
    )
    row(
        summary,
        _("open conflicts"),
        counts["open_conflicts"],
        _("two different decisions: settle each one"),
    )
    row(
        summary,
        _("at the refusal limit"),
        counts["at_refusal_limit"],
        _("{count} or more refusals of suitable offers, not housed", count=found.max_refusals),
    )
    console.print(summary)

    heading(_("Matches by state"))
    for state in STATES:
        matches = found.of(state)
        if not matches:
            continue
        heading(f"{state_word(state)} ({len(matches)}): {_(MEANING[state])}")
        listed = table(_("match"), _("landlord"), _("week"), _("proposal"), _("where it stands"))
        for match in matches:
            row(listed, match.name, match.landlord, match.week, match.proposal_id, match.detail)
        console.print(listed)

    heading(_("Workbooks not back ({count})", count=len(found.workbooks)))
    if found.workbooks:
        books = table(_("landlord"), _("week"), _("proposal"), _("due back"), _("status"), _("waiting"))
        for book in found.workbooks:
            state = (
                _("late, {days} day(s)", days=book.days_late)
                if book.status == "late"
                else _(WORKBOOK_WORDS.get(book.status, book.status))
            )
            row(books, book.landlord, book.week, book.proposal_id, book.return_by, state, book.waiting)
        console.print(books)
    else:
        console.print(Text(_("none: every workbook with a match waiting for its landlord came back")))

    heading(_("Conflicts waiting for you ({count})", count=len(found.conflicts)))
    if found.conflicts:
        console.print(
            Text(
                _(
                    "The ledger keeps the decision recorded first until you choose: run the first command "
                    "below to take the new decision, or the second to keep the recorded one; either "
                    "settles the conflict."
                )
            )
        )
        listed = table("#", _("match"), _("party"), _("week"), _("recorded"), _("came in"), _("from"))
        for conflict in found.conflicts:
            where = conflict.source + (
                _(", row {row}", row=conflict.source_row) if conflict.source_row else ""
            )
            row(
                listed,
                conflict.conflict_id,
                f"{conflict.client_id} → {conflict.unit_id}",
                party_word(conflict.party),
                conflict.week,
                _decision(conflict.recorded, conflict.recorded_reason),
                _decision(conflict.new, conflict.new_reason),
                where,
            )
        console.print(listed)
        console.print(Text(_("To take the new decision:")))
        for conflict in found.conflicts:
            console.print(Text(f"  #{conflict.conflict_id}: {_safe(conflict.take_new)}"), soft_wrap=True)
        console.print(Text(_("Or to keep the recorded one:")))
        for conflict in found.conflicts:
            console.print(Text(f"  #{conflict.conflict_id}: {_safe(conflict.keep_recorded)}"), soft_wrap=True)
    else:
        console.print(Text(_("none")))

    heading(
        _(
            "Clients at the refusal limit ({count}): {limit} or more refusals of suitable offers",
            count=len(found.refusals),
            limit=found.max_refusals,
        )
    )
    if found.refusals:
        console.print(
            Text(
                _(
                    "Their urgency lapses (policy refusals.lapse_to) at the next `matcher solve --ledger`; "
                    "review each one."
                )
            )
        )
        listed = table(_("client"), _("refusals"), _("refused"))
        for client in found.refusals:
            refused = "; ".join(
                _("{unit} ({code}, week of {week})", unit=unit, code=code, week=week)
                for unit, code, week in client.refused
            )
            row(listed, client.client_id, client.refusals, refused)
        console.print(listed)
    else:
        console.print(Text(_("none")))


def _decision(decision: str, reason_code: str | None) -> str:
    return decision_word(decision) + (f" ({reason_code})" if reason_code else "")
