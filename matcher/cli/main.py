"""The `matcher` command: a thin layer over the library (read → solve → write)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

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
    """Turns every failure into a clear message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except InvalidInstance as invalid:
            from matcher.solver.size_guard import InstanceTooLarge

            source = ctx.meta.get("instance", "the input")
            if isinstance(invalid, InstanceTooLarge):
                errors.print(f"[bold red]{source} is too large to solve safely on this machine[/]",
                             soft_wrap=True)
                for problem in invalid.problems:
                    errors.print(f"  - {problem}", markup=False, soft_wrap=True)
            else:
                report_problems(invalid.problems, source)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except OSError as error:
            errors.print(f"[bold red]cannot read or write[/] {error.filename or ''}: {error.strerror or error}",
                         markup=True, soft_wrap=True)
            sys.exit(EXIT_FAILED)
        except MemoryError:
            errors.print("[bold red]out of memory[/]: split the instance by region or shorten the period")
            sys.exit(EXIT_FAILED)
        except Exception as error:  # the last line of defence: no traceback for a coordinator
            errors.print(f"[bold red]internal error[/] ({error.__class__.__name__}): {error}. "
                         "Please report it with the instance's summary; no output was changed.",
                         markup=True, soft_wrap=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=Guarded)
@click.version_option(package_name="matcher")
def main() -> None:
    """Housing-matching engine for regional priority schemes (uitstroom BW/MO/VO/jeugd)."""


instance_argument = click.argument("instance", type=click.Path(exists=True, path_type=Path))


@main.command()
@instance_argument
@click.pass_context
def validate(ctx: click.Context, instance: Path) -> None:
    """Check an instance and report every problem at once (exit 0 valid, 2 invalid)."""
    from matcher.io.read import read_instance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    console.print(f"[green]valid[/]: {len(loaded.clients)} clients, {len(loaded.units)} units, "
                  f"{len(loaded.neighbourhoods)} neighbourhoods, {len(loaded.municipalities)} municipalities")


@main.command()
@instance_argument
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for proposals.csv, unmatched.csv and summary.json")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="seconds for all levels together; without it every level is solved to proven optimality")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--backend", type=click.Choice(["highs", "scip"]), default="highs", show_default=True)
@click.option("--max-pairs", type=click.IntRange(min=1), default=None,
              help="refuse instances estimated above this many eligible pairs (default 20,000,000)")
@click.option("--ledger", default=None,
              help="decisions ledger (SQLite file or SQLAlchemy URL): fix accepted matches, "
                   "never repeat declined pairs, apply the refusal rule")
@click.option("--keep-proposal", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="a proposal already communicated: keep its open matches unless moving one raises W")
@click.pass_context
def solve(ctx: click.Context, instance: Path, out: Path, time_limit: float | None, seed: int,
          workers: int, backend: str, max_pairs: int | None, ledger: str | None,
          keep_proposal: Path | None) -> None:
    """Propose the best allocation for INSTANCE and write it to --out."""
    from matcher.proposal import run
    from matcher.io.write import write_proposal
    from matcher.io.read import read_instance
    from matcher.solver.settings import SolveSettings

    ctx.meta["instance"] = str(instance)
    limits = {"max_pairs": max_pairs} if max_pairs else {}
    settings = SolveSettings(time_limit=time_limit, seed=seed, workers=workers, backend=backend, **limits)
    loaded = read_instance(instance)
    extra: dict = {}
    if ledger:
        from matcher.review.ledger import apply_ledger

        loaded, extra["ledger"] = apply_ledger(loaded, ledger)
    keep = read_communicated(keep_proposal) if keep_proposal else None
    proposal = run(loaded, settings, keep=keep)
    if keep is not None:
        placed = {(row["client_id"], row["unit_id"]) for row in extra.get("ledger", {}).get("accepted_fixed", [])}
        declined = {(d.client_id, d.unit_id) for d in loaded.declined}
        extra["continuity"] = continuity_report(keep, proposal.pairs_chosen(), placed, declined)
    result = write_proposal(proposal, instance, out, settings, extra)
    print_summary(result, out)


def read_communicated(folder: Path) -> list[tuple[str, str]]:
    """The (client_id, unit_id) matches of a proposal folder written earlier."""
    import pandas as pd

    file = folder / "proposals.csv"
    if not file.is_file():
        raise click.ClickException(f"{file} not found: --keep-proposal needs a folder written by `matcher solve`")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    if not {"client_id", "unit_id"} <= set(frame.columns):
        raise click.ClickException(f"{file}: needs columns client_id and unit_id")
    return list(zip(frame["client_id"], frame["unit_id"]))


def continuity_report(communicated: list[tuple[str, str]], proposed: list[tuple[str, str]],
                      placed: set[tuple[str, str]] = frozenset(),
                      declined: set[tuple[str, str]] = frozenset()) -> dict:
    """Which communicated matches stay, which were accepted (and so left the pool), which were
    declined, which the engine withdrew, and which matches are new."""
    before, after = set(communicated), set(proposed)
    open_before = before - placed - declined
    return {
        "communicated": len(before),
        "accepted": sorted(f"{client}->{unit}" for client, unit in before & placed),
        "declined": sorted(f"{client}->{unit}" for client, unit in before & declined),
        "kept": len(open_before & after),
        "withdrawn": sorted(f"{client}->{unit}" for client, unit in open_before - after),
        "new": sorted(f"{client}->{unit}" for client, unit in after - before),
    }


def print_summary(result: dict, out: Path) -> None:
    """A short table of what the run achieved, and whether it is proven optimal."""
    counts, objective = result["counts"], result["objective"]
    table = Table(title=f"Proposal for {result['instance']}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("clients / units", f"{counts['clients']} / {counts['units']}")
    table.add_row("eligible pairs", str(counts["eligible_pairs"]))
    table.add_row("placed", str(counts["placed"]))
    for reason, count in counts["unmatched_by_reason"].items():
        table.add_row(f"unmatched: {reason.replace('_', ' ')}", str(count))
    table.add_row("priority W (bound)", f"{objective['W']} ({objective['W_bound']})")
    table.add_row("preference P (bound)", f"{objective['P']} ({objective['P_bound']})")
    table.add_row("greedy priority-order W", str(objective["greedy_W"]))
    table.add_row("highest neighbourhood utilisation", f"{objective['max_utilisation']:.3f}")
    table.add_row("engine seconds", f"{result['seconds']['total']:.2f}")
    console.print(table)
    if result["proven_optimal"]:
        console.print("[green]W and P are proven optimal.[/]")
    else:
        for level in result["levels"]:
            if level["name"] in ("priority", "continuity", "preference") and level["status"] != "optimal":
                short = (level["bound"] - level["value"]) if level["bound"] is not None else None
                console.print(f"[yellow]{level['name']} is NOT proven optimal[/] ({level['status']}): "
                              f"{level['value']} found, at most {short} below the best possible.")
    console.print(f"Written to {out}/ (proposals.csv, unmatched.csv, summary.json)")


COMMAND_MODULES = (
    ("matcher.cli.generate", "generate"),
    ("matcher.cli.review", "explain"),
    ("matcher.cli.review", "check"),
    ("matcher.cli.review", "review"),
    ("matcher.cli.review", "record"),
    ("matcher.cli.review", "history"),
    ("matcher.cli.stress", "stress"),
    ("matcher.cli.audit", "audit"),
    ("matcher.cli.audit", "redact"),
)


def _register_optional_commands() -> None:
    """Commands that live in their own modules."""
    import importlib

    for module_name, command_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name != module_name:
                raise
            continue
        main.add_command(getattr(module, command_name))


_register_optional_commands()
