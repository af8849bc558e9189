"""The weekly review loop on the command line: explain, check, review export/import, record, history.

Registered on the `matcher` command by `matcher.cli.main`. Exit codes: 0 ok, 1 a rule is broken
(`check`) or a decision conflicts with the ledger (`review import`, `record`), 2 invalid input.
The logic lives in matcher.review.explain, matcher.review.check, matcher.review.workbook, matcher.review.ledger and
matcher.review.history; these commands only read, call and print.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

EXIT_CONFLICT = 1
EXIT_BROKEN = 1


class InputError(click.ClickException):
    """Bad input a person can fix: exit code 2, one clear line, no traceback."""

    exit_code = 2


def _echo(text: str = "") -> None:
    click.echo(text)


def reports_problems(what: str):
    """Turn InvalidInstance from workbooks, decision files or the ledger into one clear exit-2 error."""
    import functools

    from models import InvalidInstance

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except InvalidInstance as invalid:
                lines = [f"{what}: {len(invalid.problems)} problem(s), nothing was changed"]
                lines += [f"  - {problem}" for problem in invalid.problems]
                raise InputError("\n".join(lines)) from None
        return wrapper
    return decorate


def _load(ctx: click.Context, instance: Path, ledger: str | None):
    """Read the instance and, with a ledger, apply it as `matcher solve --ledger` does."""
    from matcher.io.read import read_instance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    if ledger:
        from matcher.review.ledger import apply_ledger

        loaded, _ = apply_ledger(loaded, ledger)
    return loaded


def _settings(time_limit: float | None):
    from matcher.solver.settings import SolveSettings

    return SolveSettings(time_limit=time_limit)


instance_argument = click.argument("instance", type=click.Path(exists=True, path_type=Path))
ledger_option = click.option("--ledger", default=None,
                             help="decisions ledger (SQLite file or SQLAlchemy URL) the proposal was made with")
json_option = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
time_limit_option = click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
                                 help="seconds per solve; without it every solve is proven optimal")


# --- explain -----------------------------------------------------------------------------------


@click.command()
@instance_argument
@click.option("--proposal", "proposal_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="the folder written by `matcher solve`")
@click.option("--client", "client_id", default=None, help="explain this client's outcome")
@click.option("--unit", "unit_id", default=None, help="explain this unit's outcome (landlord's view)")
@ledger_option
@click.option("--max-resolves", type=click.IntRange(min=0), default=12, show_default=True,
              help="most re-solves when searching the smallest change for an unmatched client")
@time_limit_option
@json_option
@click.pass_context
def explain(ctx: click.Context, instance: Path, proposal_dir: Path, client_id: str | None,
            unit_id: str | None, ledger: str | None, max_resolves: int, time_limit: float | None,
            as_json: bool) -> None:
    """Why a client got this unit (or none), or who a unit went to and why."""
    from matcher.review.check import read_pairs
    from matcher.review.explain import explain_client, explain_unit, render_client, render_unit

    if (client_id is None) == (unit_id is None):
        raise InputError("give exactly one of --client ID or --unit ID")
    loaded = _load(ctx, instance, ledger)
    matches = [(row.client_id, row.unit_id) for row in read_pairs(proposal_dir)]
    if client_id is not None:
        result = explain_client(loaded, matches, client_id, _settings(time_limit), max_resolves)
        _echo(json.dumps(result, indent=2, ensure_ascii=False, default=str) if as_json else render_client(result))
    else:
        result = explain_unit(loaded, matches, unit_id)
        _echo(json.dumps(result, indent=2, ensure_ascii=False, default=str) if as_json else render_unit(result))


# --- check -------------------------------------------------------------------------------------


@click.command()
@instance_argument
@click.argument("proposal", type=click.Path(exists=True, path_type=Path))
@ledger_option
@time_limit_option
@json_option
@click.pass_context
def check(ctx: click.Context, instance: Path, proposal: Path, ledger: str | None,
          time_limit: float | None, as_json: bool) -> None:
    """Check a (hand-edited) PROPOSAL.csv against every rule; exit 1 when it breaks one."""
    from matcher.review.check import check_proposal, read_pairs, render, to_json

    loaded = _load(ctx, instance, ledger)
    rows = read_pairs(proposal)
    report = check_proposal(loaded, rows, _settings(time_limit), instance.name, proposal.name)
    _echo(to_json(report) if as_json else render(report))
    if not report.valid:
        sys.exit(EXIT_BROKEN)


# --- review export / import --------------------------------------------------------------------


@click.group()
def review() -> None:
    """Landlord review workbooks: export one per landlord, import the decisions they return."""


@review.command("export")
@instance_argument
@click.option("--proposal", "proposal_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="the folder written by `matcher solve`")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for the workbooks, one .xlsx per landlord")
@click.option("--ledger", default=None, help="also record the proposal in this ledger (for history)")
@click.pass_context
def review_export(ctx: click.Context, instance: Path, proposal_dir: Path, out: Path, ledger: str | None) -> None:
    """Write one review workbook per landlord for the proposal in --proposal."""
    from matcher.io.read import read_instance
    from matcher.review.workbook import export_workbooks, proposal_record, read_proposal_folder

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    record = proposal_record(loaded, read_proposal_folder(proposal_dir), instance.name)
    if ledger:
        from matcher.review.ledger import Batch, import_batches

        import_batches(ledger, [Batch("proposal", str(proposal_dir / "proposals.csv"), proposals=[record])])
    written = export_workbooks(loaded, record, out)
    if not written:
        _echo("The proposal has no matches: no workbooks written.")
        return
    for path in written:
        _echo(f"written {path}")
    _echo(f"{len(written)} workbook(s) for the week of {record.period_start}, proposal {record.proposal_id}"
          + (f"; proposal recorded in {ledger}" if ledger else ""))


@review.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ledger", required=True, help="the decisions ledger (SQLite file or SQLAlchemy URL)")
@reports_problems("cannot import")
def review_import(files: tuple[Path, ...], ledger: str) -> None:
    """Read the decisions in returned workbooks into the ledger, all in one transaction."""
    from matcher.review.ledger import import_batches
    from matcher.review.workbook import read_workbooks

    batches = read_workbooks(list(files))
    results = import_batches(ledger, batches)
    _report_results(results)


def _report_results(results) -> None:
    conflicts = []
    for result in results:
        if result.skipped:
            _echo(f"{result.source}: skipped, {result.skipped_because}; nothing changed")
            continue
        if result.rows_read == 0 and not result.proposals_added:
            _echo(f"{result.source}: no decisions filled in")
            continue
        _echo(f"{result.source}: {result.added} added, {result.corrected} corrected, {result.unchanged} unchanged, "
              f"{len(result.conflicts)} conflicting" + (f", proposal recorded" if result.proposals_added else ""))
        conflicts += result.conflicts
    if conflicts:
        _echo(f"{len(conflicts)} conflicting decision(s) were NOT recorded; the ledger keeps the earlier ones:")
        for conflict in conflicts:
            _echo(f"  - {conflict}")
        sys.exit(EXIT_CONFLICT)


# --- record ------------------------------------------------------------------------------------


@click.command()
@click.option("--ledger", required=True, help="the decisions ledger (SQLite file or SQLAlchemy URL)")
@click.option("--client", "client_id", default=None, help="the client (pseudonym)")
@click.option("--unit", "unit_id", default=None, help="the unit offered")
@click.option("--decision", type=click.Choice(["accept", "decline"]), default=None)
@click.option("--reason", "reason_code", default=None,
              help="reason code of a decline (see docs/review-loop.md); needed for a decline")
@click.option("--by", "party", type=click.Choice(["client", "landlord"]), default="client", show_default=True,
              help="who decided")
@click.option("--week", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="period start of the proposal; default: the latest proposal in the ledger with this match")
@click.option("--note", default=None, help="free text kept with the decision")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="a CSV of decisions: client_id, unit_id, decision, reason_code[, decided_by, period_start, note]")
@click.option("--correct", is_flag=True, help="replace a decision already in the ledger (a deliberate correction)")
@reports_problems("cannot record")
def record(ledger: str, client_id: str | None, unit_id: str | None, decision: str | None,
           reason_code: str | None, party: str, week, note: str | None, file: Path | None,
           correct: bool) -> None:
    """Record client (or landlord) decisions: one on the command line, or a CSV file of them."""
    from matcher.review.ledger import Batch, Decision, decision_problems, file_sha256, import_batches
    from models import InvalidInstance

    if file is not None:
        if any(v is not None for v in (client_id, unit_id, decision)):
            raise InputError("give either --file or --client/--unit/--decision, not both")
        decisions = _decisions_from_csv(file)
        batch = Batch("record", file.name, file_sha256(file), decisions=decisions)
    else:
        given = (("--client", client_id), ("--unit", unit_id), ("--decision", decision))
        missing = [name for name, value in given if not value]
        if missing:
            raise InputError(f"missing {', '.join(missing)} (or give --file)")
        one = Decision(client_id=client_id.strip(), unit_id=unit_id.strip(), party=party, decision=decision,
                       reason_code=reason_code or None, note=note,
                       period_start=week.date() if week else None)
        options = {"reason_code": "--reason", "party": "--by", "decision": "--decision"}
        problems = decision_problems(one, "command line", options)
        if problems:
            raise InvalidInstance(problems)
        batch = Batch("record", "command line", decisions=[one])
    _report_results(import_batches(ledger, [batch], correct=correct))


def _decisions_from_csv(file: Path):
    import pandas as pd

    from matcher.review.ledger import Decision, decision_problems
    from models import InvalidInstance, Problem

    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InvalidInstance([Problem(file=file.name,
                                       message=f"not a readable CSV ({error.__class__.__name__})")]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("client_id", "unit_id", "decision") if c not in frame.columns]
    if missing:
        raise InvalidInstance([Problem(file=file.name, row=1, column=c, message="missing required column")
                               for c in missing])
    decisions, problems = [], []
    for number, row in enumerate(frame.to_dict("records"), start=2):
        row = {k: str(v).strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        week = None
        if row.get("period_start"):
            try:
                week = date.fromisoformat(row["period_start"])
            except ValueError:
                problems.append(Problem(file=file.name, row=number, column="period_start",
                                        message="use an ISO date YYYY-MM-DD"))
                continue
        one = Decision(client_id=row["client_id"], unit_id=row["unit_id"], party=row.get("decided_by") or "client",
                       decision=row["decision"].lower(), reason_code=row.get("reason_code") or None,
                       note=row.get("note") or None, period_start=week, source_row=number)
        for column in ("client_id", "unit_id"):
            if not row[column]:
                problems.append(Problem(file=file.name, row=number, column=column,
                                        message="required: fill in this cell"))
        problems += decision_problems(one, file.name)
        decisions.append(one)
    if problems:
        raise InvalidInstance(problems)
    return decisions


# --- history -----------------------------------------------------------------------------------


@click.command()
@click.option("--ledger", required=True, help="the decisions ledger (SQLite file or SQLAlchemy URL)")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@reports_problems("cannot read the ledger")
def history(ledger: str, output: str) -> None:
    """Per week: proposed, accepted, declined, placed, open and waiting."""
    from matcher.review.history import weekly_history

    frame = weekly_history(ledger)
    if output == "csv":
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if output == "json":
        records = [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]
        click.echo(json.dumps(records, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Weekly history of {ledger}")
    for column in frame.columns:
        table.add_column(column, justify="left" if column == "week" else "right", no_wrap=True,
                         min_width=len(column))
    for row in frame.to_dict("records"):
        table.add_row(*["–" if _plain(value) is None else str(_plain(value)) for value in row.values()])
    import shutil

    Console(highlight=False, width=max(100, shutil.get_terminal_size().columns)).print(table)
    if frame.empty:
        click.echo("The ledger holds no proposals or decisions yet.")


def _plain(value):
    """A JSON-able cell: None for missing, int for whole numbers."""
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value
