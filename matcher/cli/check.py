"""`matcher check`: a (hand-edited) proposal against every rule; exit 1 when it breaks one.

`matcher check RUN` checks the proposal of a run folder written by `matcher solve` against the
instance that run solved (its `solved-instance/`, after the ledger), and takes the optimum W and P
from the run's summary.json instead of solving again. `matcher check INSTANCE PROPOSAL.csv` checks
any proposal file against INSTANCE (and --ledger) and solves the optimum afresh, as before.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import (
    InputError,
    json_option,
    ledger_option,
    load_instance,
    solve_settings,
    time_limit_option,
)
from matcher.i18n import _

EXIT_BROKEN = 1


@click.command(
    help=_(
        "Check a (hand-edited) PROPOSAL against every rule; exit 1 when it breaks one.\n\nPROPOSAL is "
        "a CSV file with client_id and unit_id, or a folder written by `matcher solve`. A run folder "
        "is checked against the instance that run solved, so INSTANCE and --ledger are not needed; a "
        "CSV file needs INSTANCE."
    )
)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="[INSTANCE] PROPOSAL",
    type=click.Path(exists=True, path_type=Path),
)
@ledger_option
@time_limit_option
@json_option
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    ledger: str | None,
    time_limit: float | None,
    as_json: bool,
) -> None:
    """Check a (hand-edited) PROPOSAL against every rule; exit 1 when it breaks one.

    PROPOSAL is a CSV file with client_id and unit_id, or a folder written by `matcher solve`. A
    run folder is checked against the instance that run solved, so INSTANCE and --ledger are not
    needed; a CSV file needs INSTANCE.
    """
    from matcher.review.check import check_proposal, read_pairs, render, to_json

    if len(paths) > 2:
        raise InputError(_("give at most two paths, [INSTANCE] PROPOSAL; got {count}", count=len(paths)))
    proposal = paths[-1]
    instance = paths[0] if len(paths) == 2 else None
    loaded, bounds, instance_name, notes = _instance_for(ctx, instance, proposal, ledger)
    rows = read_pairs(proposal)
    report = check_proposal(
        loaded, rows, solve_settings(time_limit), instance_name, proposal.name, bounds=bounds
    )
    report.notes = notes
    click.echo(to_json(report) if as_json else render(report))
    if not report.valid:
        sys.exit(EXIT_BROKEN)


def _instance_for(
    ctx: click.Context, instance: Path | None, proposal: Path, ledger: str | None
) -> tuple[Any, Any, str, list[str]]:
    """The instance to check against, the run's bounds (None: solve afresh), its name and notes."""
    from matcher.io.run_folder import is_run_folder

    if is_run_folder(proposal):
        used = run_instance(ctx, proposal, instance, ledger, "checked")
        if used.instance is not None:
            return used.instance, used.bounds, used.name, used.notes
        from matcher.cli.explain import used_path

        loaded = load_instance(ctx, used_path(instance), ledger)
        return loaded, used.bounds, used.name, used.notes
    if instance is None:
        raise InputError(
            _(
                "{proposal} is not a folder written by `matcher solve` (it has no summary.json): "
                "give the instance too, e.g. matcher check INSTANCE {proposal}",
                proposal=proposal,
            )
        )
    return load_instance(ctx, instance, ledger), None, instance.name, []


def run_instance(
    ctx: click.Context, folder: Path, instance: Path | None, ledger: str | None, verb: str
) -> Any:
    """The instance of a run folder (`matcher.io.run_folder.instance_of_run`); a folder that is
    not, or no longer, what `matcher solve` wrote is bad input (exit 2) saying what to do."""
    from matcher.io.run_folder import SOLVED_INSTANCE, RunFolderRefused, instance_of_run, read_run_folder

    ctx.meta["instance"] = str(folder / SOLVED_INSTANCE)
    try:
        return instance_of_run(read_run_folder(folder), instance, ledger, verb)
    except RunFolderRefused as refused:
        lines = [_("cannot use the run folder {folder}:", folder=folder)]
        lines += [f"  - {p.message}" for p in refused.problems]
        raise InputError("\n".join(lines)) from None
