"""The `matcher` command group: one module per command (read → call the library → print), and
the one place where every failure becomes a clear message and an exit code."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from matcher.i18n import N_, _
from models import InvalidInstance, Problem

EXIT_INVALID = 2
EXIT_FAILED = 1
EXIT_INTERNAL = 70

console = Console(stderr=False, highlight=False)
errors = Console(stderr=True, highlight=False)


def report_problems(problems: list[Problem], source: str) -> None:
    """Print every problem, one per line, with where it is and what to do. Problems that are all
    about a decisions ledger (its file or database, named by `describe`) say so instead of
    calling the instance invalid (the 26-week example met "instance … is not valid" for a ledger
    that did not exist yet)."""
    about_ledger = bool(problems) and all(_is_ledger(problem.file) for problem in problems)
    head = (
        _("the decisions ledger cannot be used")
        if about_ledger
        else _("{source} is not a valid instance", source=source)
    )
    errors.print(
        "[bold red]" + head + "[/]: " + _("{count} problem(s)", count=len(problems)),
        soft_wrap=True,
    )
    for problem in problems:
        errors.print(f"  - {problem}", markup=False, soft_wrap=True)


def _is_ledger(file: str | None) -> bool:
    """A problem's file that is a ledger: an SQLAlchemy URL (`describe` writes SQLite files so)."""
    return file is not None and "://" in file


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

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The group's own help in the language chosen by --lang (read after the group was built)."""
        english = self.help
        self.help = _(english) if english else english
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = english

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidInstance as invalid:
            from matcher.solver.size_guard import InstanceTooLarge

            source = ctx.meta.get("instance", _("the input"))
            if isinstance(invalid, InstanceTooLarge):
                errors.print(
                    "[bold red]"
                    + _("{source} is too large to solve safely on this machine", source=source)
                    + "[/]",
                    soft_wrap=True,
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
                "[bold red]"
                + _("cannot read or write")
                + "[/] "
                + f"{error.filename or ''}: {error.strerror or error}",
                markup=True,
                soft_wrap=True,
            )
            sys.exit(EXIT_FAILED)
        except MemoryError:
            errors.print(
                "[bold red]"
                + _("out of memory")
                + "[/]: "
                + _("split the instance by region or shorten the period")
            )
            sys.exit(EXIT_FAILED)
        except Exception as error:  # the last line of defence: no traceback for a coordinator
            errors.print(
                "[bold red]"
                + _("internal error")
                + f"[/] ({error.__class__.__name__}): {error}. "
                + _("Please report it with the instance's summary; no output was changed."),
                markup=True,
                soft_wrap=True,
            )
            sys.exit(EXIT_INTERNAL)


def _click_in_the_users_language() -> None:
    """Click's own words (`Usage:`, `Options`, `Error: Missing option '--out'.`) through the
    catalogue (matcher/locale/nl/cli.po): click looks its gettext functions up in each module when
    it prints, so pointing them at ours translates them in the language --lang chose."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    def gettext(message: str) -> str:
        return _(message)

    def ngettext(singular: str, plural: str, count: int) -> str:
        return _(singular if count == 1 else plural)

    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.termui,
        click.types,
        click.utils,
    ):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


_click_in_the_users_language()


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from matcher.i18n import set_language

    set_language(value)
    return value


@click.group(
    cls=Guarded, help=N_("Housing-matching engine for regional priority schemes (uitstroom BW/MO/VO/jeugd).")
)
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
    ("matcher.cli.report", "report"),
    ("matcher.cli.monitor", "monitor"),
)
