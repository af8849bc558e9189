"""`matcher check`: a (hand-edited) proposal against every rule; exit 1 when it breaks one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from matcher.cli.options import (
    instance_argument,
    json_option,
    ledger_option,
    load_instance,
    solve_settings,
    time_limit_option,
)

EXIT_BROKEN = 1


@click.command()
@instance_argument
@click.argument("proposal", type=click.Path(exists=True, path_type=Path))
@ledger_option
@time_limit_option
@json_option
@click.pass_context
def check(
    ctx: click.Context,
    instance: Path,
    proposal: Path,
    ledger: str | None,
    time_limit: float | None,
    as_json: bool,
) -> None:
    """Check a (hand-edited) PROPOSAL.csv against every rule; exit 1 when it breaks one."""
    from matcher.review.check import check_proposal, read_pairs, render, to_json

    loaded = load_instance(ctx, instance, ledger)
    rows = read_pairs(proposal)
    report = check_proposal(loaded, rows, solve_settings(time_limit), instance.name, proposal.name)
    click.echo(to_json(report) if as_json else render(report))
    if not report.valid:
        sys.exit(EXIT_BROKEN)
