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
from matcher.review.status import DEFAULT_MAX_REFUSALS, MEANING, STATES, Status

EXIT_ATTENTION = 1


@click.command()
@click.option("--ledger", required=True, help="the decisions ledger (SQLite file or SQLAlchemy URL)")
@click.option(
    "--week",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="the day return dates and decline ends are judged on (YYYY-MM-DD), e.g. the day of the "
    "weekly table; default: the latest proposal's period start",
)
@click.option(
    "--max-refusals",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_REFUSALS,
    show_default=True,
    help="the scheme's refusal limit (policy.yaml refusals.max_refusals)",
)
@json_option
@reports_problems("cannot read the ledger")
def status(ledger: str, week, max_refusals: int, as_json: bool) -> None:
    """Where every match stands, workbooks not back, conflicts to settle, clients at the refusal limit.

    Exit 1 when a conflict waits for you or a workbook is late (past its return date as of
    --week); the status is printed in full either way.
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

    console.print(Text(f"Ledger {_safe(found.ledger)}", style="bold"))
    another = "" if found.as_of_from.endswith("--week") else "; give --week for another day"
    console.print(Text(f"as of {_safe(found.as_of)} ({found.as_of_from}{another})"))
    latest = found.latest_proposal
    if latest is not None:
        due = latest["return_by"] or "no date given"
        console.print(
            Text(
                f"latest proposal {_safe(latest['proposal_id'])}, week of {latest['week']} – "
                f"{latest['period_end']}, {latest['matches']} match(es), workbooks due back: {due}"
            )
        )
    if found.empty:
        console.print(Text("The ledger holds no proposals or decisions yet."))
        return

    counts = found.counts
    heading("Counts")
    summary = table("", "count", "meaning")
    for state in STATES:
        row(summary, state, counts[state], MEANING[state])
    row(
        summary,
        "workbooks late",
        counts["workbooks_late"],
        f"return date before {found.as_of}, no landlord decision since it was sent",
    )
    row(summary, "workbooks due", counts["workbooks_due"], f"return date on or after {found.as_of}")
    row(summary, "workbooks without date", counts["workbooks_without_date"], "sent without a return date")
    row(summary, "open conflicts", counts["open_conflicts"], "two different decisions: settle each one")
    row(
        summary,
        "at the refusal limit",
        counts["at_refusal_limit"],
        f"{found.max_refusals} or more refusals of suitable offers, not housed",
    )
    console.print(summary)

    heading("Matches by state")
    for state in STATES:
        matches = found.of(state)
        if not matches:
            continue
        heading(f"{state} ({len(matches)}): {MEANING[state]}")
        listed = table("match", "landlord", "week", "proposal", "where it stands")
        for match in matches:
            row(listed, match.name, match.landlord, match.week, match.proposal_id, match.detail)
        console.print(listed)

    heading(f"Workbooks not back ({len(found.workbooks)})")
    if found.workbooks:
        books = table("landlord", "week", "proposal", "due back", "status", "waiting")
        for book in found.workbooks:
            state = f"late, {book.days_late} day(s)" if book.status == "late" else book.status
            row(books, book.landlord, book.week, book.proposal_id, book.return_by, state, book.waiting)
        console.print(books)
    else:
        console.print(Text("none: every workbook with a match waiting for its landlord came back"))

    heading(f"Conflicts waiting for you ({len(found.conflicts)})")
    if found.conflicts:
        console.print(
            Text(
                "The ledger keeps the decision recorded first until you choose: run the first command "
                "below to take the new decision, or the second to keep the recorded one; either "
                "settles the conflict."
            )
        )
        listed = table("#", "match", "party", "week", "recorded", "came in", "from")
        for conflict in found.conflicts:
            where = conflict.source + (f", row {conflict.source_row}" if conflict.source_row else "")
            row(
                listed,
                conflict.conflict_id,
                f"{conflict.client_id} → {conflict.unit_id}",
                conflict.party,
                conflict.week,
                _decision(conflict.recorded, conflict.recorded_reason),
                _decision(conflict.new, conflict.new_reason),
                where,
            )
        console.print(listed)
        console.print(Text("To take the new decision:"))
        for conflict in found.conflicts:
            console.print(Text(f"  #{conflict.conflict_id}: {_safe(conflict.take_new)}"), soft_wrap=True)
        console.print(Text("Or to keep the recorded one:"))
        for conflict in found.conflicts:
            console.print(Text(f"  #{conflict.conflict_id}: {_safe(conflict.keep_recorded)}"), soft_wrap=True)
    else:
        console.print(Text("none"))

    heading(
        f"Clients at the refusal limit ({len(found.refusals)}): "
        f"{found.max_refusals} or more refusals of suitable offers"
    )
    if found.refusals:
        console.print(
            Text(
                "Their urgency lapses (policy refusals.lapse_to) at the next `matcher solve --ledger`; "
                "review each one."
            )
        )
        listed = table("client", "refusals", "refused")
        for client in found.refusals:
            refused = "; ".join(f"{unit} ({code}, week of {week})" for unit, code, week in client.refused)
            row(listed, client.client_id, client.refusals, refused)
        console.print(listed)
    else:
        console.print(Text("none"))


def _decision(decision: str, reason_code: str | None) -> str:
    return decision + (f" ({reason_code})" if reason_code else "")
