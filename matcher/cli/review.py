"""The decisions of the weekly review loop: `review export/import` (landlord workbooks), `record`
(one decision or a CSV of them) and `history` (the weekly totals).

Exit codes: 0 ok, 1 a decision conflicts with the ledger, 2 invalid input. The logic lives in
matcher.review.workbook, matcher.review.ledger and matcher.review.history; these commands only
read, call and print.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import click

from matcher.cli.options import InputError, instance_argument, proposal_option, reports_problems
from matcher.i18n import _

# help texts are translated when this module is imported: after `matcher --lang` was read

EXIT_CONFLICT = 1


# --- review export / import --------------------------------------------------------------------


@click.group(
    help=_("Landlord review workbooks: export one per landlord, import the decisions they return."),
)
def review() -> None:
    """Landlord review workbooks: export one per landlord, import the decisions they return."""


@review.command(
    "export",
    help=_(
        "Write one review workbook per landlord for the proposal in --proposal, signed by the ledger."
        "\n\nEach row says whether it is new to the landlord, was sent before, or was decided (then the "
        "decision is filled in and locked). The workbooks are in the language of matcher (--lang)."
    ),
)
@instance_argument
@proposal_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("folder for the workbooks, one .xlsx per landlord"),
)
@click.option(
    "--ledger",
    default=None,
    help=_(
        "the decisions ledger (SQLite file or SQLAlchemy URL; made if absent): its key signs the "
        "workbooks, the decisions already in it are shown (locked), and the proposal is recorded in it. "
        "Needed whenever there is a workbook to write"
    ),
)
@click.option(
    "--return-by",
    "return_by",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_(
        "YYYY-MM-DD: the date the landlords return their workbooks to the coordinator, shown in each "
        "workbook and kept in the ledger. Default: the period start + 4 days (the Friday of a week "
        "starting on Monday), or the period's last day if sooner; a proposal exported before keeps its date"
    ),
)
@click.pass_context
def review_export(
    ctx: click.Context,
    instance: Path,
    proposal_dir: Path,
    out: Path,
    ledger: str | None,
    return_by: datetime | None,
) -> None:
    """Write one review workbook per landlord for the proposal in --proposal, signed by the ledger.

    Each row says whether it is new to the landlord, was sent before, or was decided (then the
    decision is filled in and locked).
    """
    from matcher.io.read import read_instance
    from matcher.review.ledger import Batch, describe, import_batches, workbook_key
    from matcher.review.workbook import (
        earlier_from_ledger,
        export_workbooks,
        landlords_of,
        proposal_record,
        read_proposal_folder,
        resolve_return_by,
        return_by_problems,
        status_counts,
    )
    from models import InvalidInstance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    record = proposal_record(loaded, read_proposal_folder(proposal_dir), instance.name)
    if not record.pairs:
        click.echo(_("The proposal has no matches: no workbooks written."))
        return
    if not ledger:
        raise InputError(
            _(
                "cannot export: give --ledger LEDGER. A workbook is signed with the ledger's key, so that an "
                "import can tell it from a forged one, and the proposal is recorded there; nothing was written"
            )
        )
    given = return_by.date() if return_by else None
    try:
        if given is not None and (problems := return_by_problems(record, given)):
            raise InvalidInstance(problems)  # before a ledger is made
        key = workbook_key(ledger, create=True)
        earlier = earlier_from_ledger(ledger)
        due, problems = resolve_return_by(record, given, earlier)
        if problems:
            raise InvalidInstance(problems)
        record = replace(record, return_by=due)
        written = export_workbooks(loaded, record, out, key, earlier)
    except InvalidInstance as invalid:
        raise _refused(_("cannot export"), invalid, _("nothing was written")) from None
    counts = status_counts(record, earlier)
    for landlord, path in zip(landlords_of(record), written, strict=True):
        count = counts[landlord]
        click.echo(
            _(
                "written {path}: {count} match(es), {new} new, {sent} sent before, "
                "{decided} decided earlier (locked)",
                path=path,
                count=sum(count.values()),
                new=count["new"],
                sent=count["sent before"],
                decided=count["decided"],
            )
        )
    try:  # recorded only once every workbook is in place
        results = import_batches(
            ledger, [Batch("proposal", str(proposal_dir / "proposals.csv"), proposals=[record])]
        )
    except InvalidInstance as invalid:
        raise _refused(
            _("the workbooks were written but the proposal was NOT recorded in the ledger"),
            invalid,
            _(
                "run the same export again: it replaces workbooks nobody has filled in, and records the proposal"
            ),
        ) from None
    recorded = (
        _("proposal recorded there") if results[0].proposals_added else _("proposal already recorded there")
    )
    click.echo(
        _(
            "{count} workbook(s) for the week of {start}, proposal {proposal}, to be returned by {due}, "
            "signed with the key of {ledger}; {recorded}",
            count=len(written),
            start=record.period_start,
            proposal=record.proposal_id,
            due=due,
            ledger=describe(ledger),
            recorded=recorded,
        )
    )
    if not results[0].proposals_added and earlier.return_by.get(record.proposal_id, due) is None:
        click.echo(
            _(
                "note: the ledger recorded proposal {proposal} before it kept return-by dates; "
                "it keeps none for it (the workbooks say {due})",
                proposal=record.proposal_id,
                due=due,
            )
        )


@review.command(
    "provider",
    help=_(
        "Write the confirmed moves of one care provider's clients (warm hand-over) to --out: a .csv or "
        ".xlsx file.\n\nA move is confirmed when the client and the landlord accepted the match in the "
        "ledger. INSTANCE is the week's instance (or the solved-instance folder of its run): it gives the "
        "addresses, names, contacts and dates. Only that provider's clients are written, never another's."
    ),
)
@instance_argument
@click.option("--ledger", required=True, help=_("the decisions ledger (SQLite file or SQLAlchemy URL)"))
@click.option(
    "--provider",
    required=True,
    help=_("the care provider, written as clients.csv writes it (e.g. Leger des Heils)"),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("the file to write: .xlsx for a workbook, else CSV"),
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_(
        "YYYY-MM-DD: also moves confirmed in earlier weeks, from the week starting on this day. "
        "Default: only the instance's week"
    ),
)
@click.pass_context
@reports_problems(_("cannot export"))
def review_provider(
    ctx: click.Context, instance: Path, ledger: str, provider: str, out: Path, since: datetime | None
) -> None:
    """Write the confirmed moves of one care provider's clients (help: above, translated when imported)."""
    from matcher.io.read import read_instance
    from matcher.review.ledger import describe
    from matcher.review.provider_export import UnknownProvider, confirmed_moves, write_export

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    try:
        hand_over = confirmed_moves(loaded, ledger, provider, since.date() if since else None)
    except UnknownProvider as unknown:
        raise InputError(_("{message}; nothing was written", message=str(unknown))) from None
    write_export(hand_over, out)
    if not hand_over.rows:
        click.echo(
            _(
                "{provider} has no confirmed moves from {since} to {until} in {ledger}: wrote {out} "
                "with the headers only",
                provider=hand_over.provider,
                since=hand_over.since,
                until=hand_over.until,
                ledger=describe(ledger),
                out=out,
            )
        )
        return
    click.echo(
        _(
            "wrote {out}: {count} confirmed move(s) of {provider}'s clients from {since} to {until}",
            out=out,
            count=len(hand_over.rows),
            provider=hand_over.provider,
            since=hand_over.since,
            until=hand_over.until,
        )
    )


def _refused(what: str, invalid, then: str) -> InputError:
    """Exit 2 with every problem, one per line, as `reports_problems` does."""
    lines = [_("{what}: {count} problem(s), {then}", what=what, count=len(invalid.problems), then=then)]
    lines += [f"  - {problem}" for problem in invalid.problems]
    return InputError("\n".join(lines))


@review.command(
    "import",
    help=_(
        "Read the decisions in returned workbooks into the ledger, all in one transaction.\n\n"
        "Each workbook must carry the signature of this ledger's key, and each decided match must be "
        "one the ledger recorded as proposed to the workbook's landlord. Rows the workbook showed as "
        "decided earlier (locked) must come back unchanged; they are not read again. Workbooks in "
        "Dutch and in English are both read."
    ),
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--ledger",
    required=True,
    help=_("the decisions ledger the workbooks were exported with (SQLite file or SQLAlchemy URL)"),
)
@reports_problems(_("cannot import"))
def review_import(files: tuple[Path, ...], ledger: str) -> None:
    """Read the decisions in returned workbooks into the ledger, all in one transaction.

    Each workbook must carry the signature of this ledger's key, and each decided match must be
    one the ledger recorded as proposed to the workbook's landlord. Rows the workbook showed as
    decided earlier (locked) must come back unchanged; they are not read again.
    """
    from matcher.review.ledger import import_batches
    from matcher.review.workbook import read_returned

    returned = read_returned(list(files))
    results = import_batches(ledger, [one.batch for one in returned], create=False)
    for one in returned:
        if one.decided_earlier:
            click.echo(
                _(
                    "{source}: {count} row(s) decided earlier came back unchanged (locked); not read again",
                    source=one.batch.source,
                    count=one.decided_earlier,
                )
            )
    _report_results(results)


def _report_results(results) -> None:
    conflicts = []
    for result in results:
        if result.skipped:
            click.echo(
                _(
                    "{source}: skipped, {because}; nothing changed",
                    source=result.source,
                    because=_(result.skipped_because),
                )
            )
            continue
        if result.rows_read == 0 and not result.proposals_added:
            click.echo(_("{source}: no decisions filled in", source=result.source))
            continue
        click.echo(
            _(
                "{source}: {added} added, {corrected} corrected, ",
                source=result.source,
                added=result.added,
                corrected=result.corrected,
            )
            + (_("{kept} kept as recorded (conflict settled), ", kept=result.kept) if result.kept else "")
            + _(
                "{unchanged} unchanged, {conflicting} conflicting",
                unchanged=result.unchanged,
                conflicting=len(result.conflicts),
            )
            + (_(", proposal recorded") if result.proposals_added else "")
        )
        conflicts += result.conflicts
    if conflicts:
        click.echo(
            _(
                "{count} conflicting decision(s) were NOT recorded; the ledger keeps the earlier ones:",
                count=len(conflicts),
            )
        )
        for conflict in conflicts:
            click.echo(f"  - {conflict}")
        sys.exit(EXIT_CONFLICT)


# --- record ------------------------------------------------------------------------------------


@click.command(
    help=_(
        "Record client (or landlord) decisions: one on the command line, or a CSV file of them.\n\n"
        "--decision takes accept or decline (also: accepteren, afwijzen); --by client or landlord "
        "(also: client, corporatie)."
    ),
)
@click.option("--ledger", required=True, help=_("the decisions ledger (SQLite file or SQLAlchemy URL)"))
@click.option("--client", "client_id", default=None, help=_("the client (pseudonym)"))
@click.option("--unit", "unit_id", default=None, help=_("the unit offered"))
@click.option(
    "--decision",
    type=click.Choice(["accept", "decline", "accepteren", "afwijzen"], case_sensitive=False),
    default=None,
    help=_("accept or decline"),
)
@click.option(
    "--reason",
    "reason_code",
    default=None,
    help=_("reason code of a decline (see docs/review-loop.md); needed for a decline"),
)
@click.option(
    "--by",
    "party",
    type=click.Choice(["client", "landlord", "corporatie"], case_sensitive=False),
    default="client",
    show_default=True,
    help=_("who decided"),
)
@click.option(
    "--week",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_("period start of the proposal; default: the latest proposal in the ledger with this match"),
)
@click.option("--note", default=None, help=_("free text kept with the decision"))
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=_(
        "a CSV of decisions: client_id, unit_id, decision, reason_code"
        "[, decided_by, period_start, note, scope, scope_id, until]"
    ),
)
@click.option(
    "--scope",
    type=click.Choice(["unit", "site", "neighbourhood", "landlord", "municipality"]),
    default=None,
    help=_("what a decline rules out for this client; default: the reason code's (docs/review-loop.md)"),
)
@click.option(
    "--scope-id",
    default=None,
    help=_("the site, neighbourhood, landlord or municipality ruled out; default: the declined unit's own"),
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_(
        "the decline holds for periods starting on or before this date; default: the reason code's "
        "duration, or for good when --scope is given (you set the scope: set its end too)"
    ),
)
@click.option(
    "--correct", is_flag=True, help=_("replace a decision already in the ledger (a deliberate correction)")
)
@reports_problems(_("cannot record"))
def record(
    ledger: str,
    client_id: str | None,
    unit_id: str | None,
    decision: str | None,
    reason_code: str | None,
    party: str,
    week,
    note: str | None,
    file: Path | None,
    scope: str | None,
    scope_id: str | None,
    until,
    correct: bool,
) -> None:
    """Record client (or landlord) decisions: one on the command line, or a CSV file of them."""
    from matcher.io.files import sha256_file
    from matcher.review.ledger import Batch, Decision, decision_problems, import_batches
    from models import InvalidInstance

    decision = _DECISION_ALIASES.get(decision.lower(), decision) if decision else decision
    party = _PARTY_ALIASES.get(party.lower(), party)
    if file is not None:
        if any(v is not None for v in (client_id, unit_id, decision, scope, scope_id, until)):
            raise InputError(_("give either --file or --client/--unit/--decision, not both"))
        decisions = _decisions_from_csv(file)
        batch = Batch("record", file.name, sha256_file(file), decisions=decisions)
    else:
        if not (client_id and unit_id and decision):
            given = (("--client", client_id), ("--unit", unit_id), ("--decision", decision))
            missing = [name for name, value in given if not value]
            raise InputError(_("missing {options} (or give --file)", options=", ".join(missing)))
        one = Decision(
            client_id=client_id.strip(),
            unit_id=unit_id.strip(),
            party=party,
            decision=decision,
            reason_code=reason_code or None,
            note=note,
            period_start=week.date() if week else None,
            scope=scope,
            scope_id=scope_id.strip() if scope_id else None,
            until=until.date() if until else None,
        )
        options = {
            "reason_code": "--reason",
            "party": "--by",
            "decision": "--decision",
            "scope": "--scope",
            "scope_id": "--scope-id",
            "until": "--until",
        }
        problems = decision_problems(one, "command line", options)
        if problems:
            raise InvalidInstance(problems)
        batch = Batch("record", "command line", decisions=[one])
    _report_results(import_batches(ledger, [batch], correct=correct))


_DECISION_ALIASES = {"accepteren": "accept", "afwijzen": "decline"}  # the Dutch words, as the workbook's
_PARTY_ALIASES = {"corporatie": "landlord", "cliënt": "client"}


def _decisions_from_csv(file: Path):
    import pandas as pd

    from matcher.review.ledger import Decision, decision_problems
    from models import InvalidInstance, Problem

    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InvalidInstance(
            [
                Problem(
                    file=file.name, message=_("not a readable CSV ({error})", error=error.__class__.__name__)
                )
            ]
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("client_id", "unit_id", "decision") if c not in frame.columns]
    if missing:
        raise InvalidInstance(
            [Problem(file=file.name, row=1, column=c, message=_("missing required column")) for c in missing]
        )
    decisions, problems = [], []
    for number, row in enumerate(frame.to_dict("records"), start=2):
        row = {k: str(v).strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        dates: dict[str, date | None] = {}
        for column in ("period_start", "until"):
            try:
                dates[column] = date.fromisoformat(row[column]) if row.get(column) else None
            except ValueError:
                problems.append(
                    Problem(
                        file=file.name, row=number, column=column, message=_("use an ISO date YYYY-MM-DD")
                    )
                )
        if len(problems) and problems[-1].row == number:
            continue
        week = dates["period_start"]
        one = Decision(
            client_id=row["client_id"],
            unit_id=row["unit_id"],
            party=_PARTY_ALIASES.get(
                (row.get("decided_by") or "client").lower(), row.get("decided_by") or "client"
            ),
            decision=_DECISION_ALIASES.get(row["decision"].lower(), row["decision"].lower()),
            reason_code=row.get("reason_code") or None,
            note=row.get("note") or None,
            period_start=week,
            source_row=number,
            scope=row.get("scope") or None,
            scope_id=row.get("scope_id") or None,
            until=dates["until"],
        )
        for column in ("client_id", "unit_id"):
            if not row[column]:
                problems.append(
                    Problem(
                        file=file.name, row=number, column=column, message=_("required: fill in this cell")
                    )
                )
        problems += decision_problems(one, file.name)
        decisions.append(one)
    if problems:
        raise InvalidInstance(problems)
    return decisions


# --- history -----------------------------------------------------------------------------------


@click.command(
    help=_(
        "Per week: proposed, accepted, declined, housed, undecided and waiting.\n\n"
        "The table is in the language of matcher (--lang); the CSV and JSON keys stay the same in every language."
    ),
)
@click.option("--ledger", required=True, help=_("the decisions ledger (SQLite file or SQLAlchemy URL)"))
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help=_("table to read, csv or json for scripts"),
)
@reports_problems(_("cannot read the ledger"))
def history(ledger: str, output: str) -> None:
    """Per week: proposed, accepted, declined, housed, undecided and waiting."""
    from matcher.io.safe_text import csv_text
    from matcher.review.history import weekly_history

    frame = weekly_history(ledger)
    if output == "csv":
        click.echo(csv_text(frame), nl=False)
        return
    if output == "json":
        records = [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]
        click.echo(json.dumps(records, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from matcher.review.history import HEADINGS

    table = Table(title=_("Weekly history of {ledger}", ledger=ledger))
    for column in frame.columns:
        heading = _(HEADINGS.get(column, column))  # the shared words; the CSV/JSON keys stay as they were
        if column == "week":
            table.add_column(heading, justify="left", no_wrap=True, min_width=10)  # a whole date
        else:  # a long heading wraps between its words; the counts never do
            table.add_column(heading, justify="right", min_width=max(map(len, heading.split())))
    for row in frame.to_dict("records"):
        table.add_row(*["–" if _plain(value) is None else str(_plain(value)) for value in row.values()])
    import shutil

    Console(highlight=False, width=max(100, shutil.get_terminal_size().columns)).print(table)
    if frame.empty:
        click.echo(_("The ledger holds no proposals or decisions yet."))


def _plain(value):
    """A JSON-able cell: None for missing, int for whole numbers."""
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value
