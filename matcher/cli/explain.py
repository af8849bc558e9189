"""`matcher explain`: why a client got this unit (or none), or who a unit went to and why.

With a run folder written by `matcher solve` (`--proposal DIR` holding summary.json) it explains
against the instance that run solved (`solved-instance/`, after the ledger), so INSTANCE and
--ledger are not needed, and a proposal that is the run's own proven optimum is the baseline of
the search for the smallest change (nothing is solved first). Any other folder with a
proposals.csv needs INSTANCE (and --ledger when the proposal was made with one), as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import (
    InputError,
    json_option,
    ledger_option,
    proposal_option,
    solve_settings,
    time_limit_option,
)
from matcher.i18n import _


@click.command(
    help=_(
        "Why a client got this unit (or none), or who a unit went to and why.\n\nINSTANCE is not "
        "needed when --proposal is a folder written by `matcher solve`: it is explained against the "
        "instance that run solved."
    )
)
@click.argument("instance", required=False, type=click.Path(exists=True, path_type=Path))
@proposal_option
@click.option("--client", "client_id", default=None, help=_("explain this client's outcome"))
@click.option("--unit", "unit_id", default=None, help=_("explain this unit's outcome (landlord's view)"))
@ledger_option
@click.option(
    "--max-resolves",
    type=click.IntRange(min=0),
    default=12,
    show_default=True,
    help=_("most re-solves when searching the smallest change for an unmatched client"),
)
@time_limit_option
@json_option
@click.pass_context
def explain(
    ctx: click.Context,
    instance: Path | None,
    proposal_dir: Path,
    client_id: str | None,
    unit_id: str | None,
    ledger: str | None,
    max_resolves: int,
    time_limit: float | None,
    as_json: bool,
) -> None:
    """Why a client got this unit (or none), or who a unit went to and why.

    INSTANCE is not needed when --proposal is a folder written by `matcher solve`: it is explained
    against the instance that run solved. (The help shown is the translated `help=`.)
    """
    from matcher.review.check import read_pairs
    from matcher.review.explain import explain_client, explain_unit, render_client, render_unit

    if (client_id is None) == (unit_id is None):
        raise InputError(_("give exactly one of --client ID or --unit ID"))
    loaded, facts, notes = _instance_for(ctx, instance, proposal_dir, ledger)
    matches = [(row.client_id, row.unit_id) for row in read_pairs(proposal_dir)]
    if client_id is not None:
        result = explain_client(loaded, matches, client_id, solve_settings(time_limit), max_resolves, **facts)
        text = render_client
    elif unit_id is not None:  # always, given exactly one of the two
        result = explain_unit(loaded, matches, unit_id)
        text = render_unit
    if as_json:
        click.echo(json.dumps(result | {"notes": notes}, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo("\n".join([_("Note: {note}", note=note) for note in notes] + [text(result)]))


def _instance_for(
    ctx: click.Context, instance: Path | None, folder: Path, ledger: str | None
) -> tuple[Any, dict[str, Any], list[str]]:
    """The instance to explain against, what the run adds (`explain_client`'s keyword arguments:
    its proven W as the baseline, its kept matches, its ledger section) and notes."""
    from matcher.io.run_folder import is_run_folder

    if is_run_folder(folder):
        from matcher.cli.check import run_instance

        used = run_instance(ctx, folder, instance, ledger, "explained")
        if used.instance is None:  # an older run folder without solved-instance/: INSTANCE as before
            loaded, report = _read(ctx, used_path(instance), ledger)
            return loaded, {"ledger": report}, used.notes
        run, bounds = used.run, used.bounds
        own = bounds is not None and bounds.proven and not run.proposals_edited
        facts = {
            "baseline_priority": bounds.priority if own and bounds is not None else None,
            "keep": run.kept_pairs(),
            "ledger": run.ledger,
        }
        return used.instance, facts, used.notes
    if instance is None:
        raise InputError(
            _(
                "{folder} is not a folder written by `matcher solve` (it has no summary.json): give the "
                "instance too, e.g. matcher explain INSTANCE --proposal {folder} …",
                folder=folder,
            )
        )
    loaded, report = _read(ctx, instance, ledger)
    return loaded, {"ledger": report}, []


def used_path(instance: Path | None) -> Path:
    """INSTANCE, which `instance_of_run` required for a run folder without its solved instance."""
    if instance is None:
        raise InputError(_("give the INSTANCE the proposal was made from"))
    return instance


def _read(ctx: click.Context, instance: Path, ledger: str | None) -> tuple[Any, dict | None]:
    """The instance and, with a ledger, the instance after it and what it changed."""
    from matcher.io.read import read_instance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    if not ledger:
        return loaded, None
    from matcher.review.ledger import apply_ledger

    return apply_ledger(loaded, ledger)
