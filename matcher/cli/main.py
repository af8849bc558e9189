"""The `matcher` command group: one module per command (read → call the library → print), and
the one place where every failure becomes a clear message and an exit code."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from models import InvalidInstance, Problem

EXIT_INVALID = 2
EXIT_FAILED = 1
EXIT_INTERNAL = 70

console = Console(stderr=False, highlight=False)
errors = Console(stderr=True, highlight=False)


def report_problems(problems: list[Problem], source: str) -> None:
    """Print every problem, one per line, with where it is and what to do."""
    errors.print(f"[bold red]{source} is not a valid instance[/]: {len(problems)} problem(s)", soft_wrap=True)
    for problem in problems:
        errors.print(f"  - {problem}", markup=False, soft_wrap=True)


class Guarded(click.Group):
    """Turns every failure into a clear message and an exit code, never a traceback.

    Commands are imported when they are run (or listed by --help), not when `matcher` starts:
    `matcher --version` and `matcher validate` do not pay for the solver, the ledger or the
    stress report (issue 17, start-up).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(name for _, name in COMMAND_MODULES)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None:
            return known
        for module_name, command_name in COMMAND_MODULES:
            if command_name == cmd_name:
                import importlib

                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as missing:  # an optional part not installed
                    if missing.name != module_name:
                        raise
                    return None
                command: click.Command = getattr(module, command_name)
                self.add_command(command)
                return command
        return None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidInstance as invalid:
            from matcher.solver.size_guard import InstanceTooLarge

            source = ctx.meta.get("instance", "the input")
            if isinstance(invalid, InstanceTooLarge):
                errors.print(
                    f"[bold red]{source} is too large to solve safely on this machine[/]", soft_wrap=True
                )
                for problem in invalid.problems:
                    errors.print(f"  - {problem}", markup=False, soft_wrap=True)
            else:
                report_problems(invalid.problems, source)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except OSError as error:
            errors.print(
                f"[bold red]cannot read or write[/] {error.filename or ''}: {error.strerror or error}",
                markup=True,
                soft_wrap=True,
            )
            sys.exit(EXIT_FAILED)
        except MemoryError:
            errors.print("[bold red]out of memory[/]: split the instance by region or shorten the period")
            sys.exit(EXIT_FAILED)
        except Exception as error:  # the last line of defence: no traceback for a coordinator
            errors.print(
                f"[bold red]internal error[/] ({error.__class__.__name__}): {error}. "
                "Please report it with the instance's summary; no output was changed.",
                markup=True,
                soft_wrap=True,
            )
            sys.exit(EXIT_INTERNAL)


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from matcher.i18n import set_language

    set_language(value)
    return value


@click.group(cls=Guarded)
@click.version_option(package_name="matcher")
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"], case_sensitive=False),
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_choose_language,
    help="Taal / language: nl (default) or en; also the environment variable MATCHER_LANG.",
)
def main() -> None:
    """Housing-matching engine for regional priority schemes (uitstroom BW/MO/VO/jeugd)."""


COMMAND_MODULES = (
    ("matcher.cli.solve", "validate"),
    ("matcher.cli.solve", "solve"),
    ("matcher.cli.explain", "explain"),
    ("matcher.cli.check", "check"),
    ("matcher.cli.review", "review"),
    ("matcher.cli.review", "record"),
    ("matcher.cli.review", "history"),
    ("matcher.cli.status", "status"),
    ("matcher.cli.generate", "generate"),
    ("matcher.cli.stress", "stress"),
    ("matcher.cli.audit", "audit"),
    ("matcher.cli.audit", "redact"),
)
