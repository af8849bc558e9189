"""What the commands share: options, loading an instance (with a ledger), and bad input as exit 2."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcher.i18n import _


class InputError(click.ClickException):
    """Bad input a person can fix: exit code 2, one clear line, no traceback."""

    exit_code = 2


def reports_problems(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn InvalidInstance from workbooks, decision files or the ledger into one clear exit-2 error."""
    from models import InvalidInstance

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except InvalidInstance as invalid:
                lines = [
                    _(
                        "{what}: {count} problem(s), nothing was changed",
                        what=what,
                        count=len(invalid.problems),
                    )
                ]
                lines += [f"  - {problem}" for problem in invalid.problems]
                raise InputError("\n".join(lines)) from None

        return wrapper

    return decorate


def load_instance(ctx: click.Context, instance: Path, ledger: str | None) -> Any:
    """Read the instance and, with a ledger, apply it as `matcher solve --ledger` does."""
    from matcher.io.read import read_instance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    if ledger:
        from matcher.review.ledger import apply_ledger

        loaded, _ = apply_ledger(loaded, ledger)
    return loaded


def solve_settings(time_limit: float | None) -> Any:
    from matcher.solver.settings import SolveSettings

    return SolveSettings(time_limit=time_limit)


instance_argument = click.argument("instance", type=click.Path(exists=True, path_type=Path))
ledger_option = click.option(
    "--ledger",
    default=None,
    help=_("decisions ledger (SQLite file or SQLAlchemy URL) the proposal was made with"),
)
proposal_option = click.option(
    "--proposal",
    "proposal_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=_("the folder written by `matcher solve`"),
)
json_option = click.option("--json", "as_json", is_flag=True, help=_("print JSON instead of text"))
time_limit_option = click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help=_("seconds per solve; without it every solve is proven optimal"),
)
