"""`matcher explain`: why a client got this unit (or none), or who a unit went to and why."""

from __future__ import annotations

import json
from pathlib import Path

import click

from matcher.cli.options import (
    InputError,
    instance_argument,
    json_option,
    ledger_option,
    load_instance,
    proposal_option,
    solve_settings,
    time_limit_option,
)


@click.command()
@instance_argument
@proposal_option
@click.option("--client", "client_id", default=None, help="explain this client's outcome")
@click.option("--unit", "unit_id", default=None, help="explain this unit's outcome (landlord's view)")
@ledger_option
@click.option(
    "--max-resolves",
    type=click.IntRange(min=0),
    default=12,
    show_default=True,
    help="most re-solves when searching the smallest change for an unmatched client",
)
@time_limit_option
@json_option
@click.pass_context
def explain(
    ctx: click.Context,
    instance: Path,
    proposal_dir: Path,
    client_id: str | None,
    unit_id: str | None,
    ledger: str | None,
    max_resolves: int,
    time_limit: float | None,
    as_json: bool,
) -> None:
    """Why a client got this unit (or none), or who a unit went to and why."""
    from matcher.review.check import read_pairs
    from matcher.review.explain import explain_client, explain_unit, render_client, render_unit

    if (client_id is None) == (unit_id is None):
        raise InputError("give exactly one of --client ID or --unit ID")
    loaded = load_instance(ctx, instance, ledger)
    matches = [(row.client_id, row.unit_id) for row in read_pairs(proposal_dir)]
    if client_id is not None:
        result = explain_client(loaded, matches, client_id, solve_settings(time_limit), max_resolves)
        click.echo(
            json.dumps(result, indent=2, ensure_ascii=False, default=str)
            if as_json
            else render_client(result)
        )
    elif unit_id is not None:  # always, given exactly one of the two
        result = explain_unit(loaded, matches, unit_id)
        click.echo(
            json.dumps(result, indent=2, ensure_ascii=False, default=str) if as_json else render_unit(result)
        )
