"""`matcher validate` and `matcher solve`: read an instance, solve its week, write and print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from matcher.cli.agreements_report import agreement_table
from matcher.cli.main import console
from matcher.cli.options import instance_argument
from matcher.cli.week_report import other_placement_lines, week_effects
from matcher.i18n import _


# help texts are translated when this module is imported: after the group's --lang (cli/main.py)
@click.command(help=_("Check an instance and report every problem at once (exit 0 valid, 2 invalid)."))
@instance_argument
@click.pass_context
def validate(ctx: click.Context, instance: Path) -> None:
    """Check an instance and report every problem at once (help: above, translated)."""
    from matcher import read_instance

    ctx.meta["instance"] = str(instance)
    loaded = read_instance(instance)
    console.print(
        "[green]"
        + _("valid")
        + "[/]: "
        + _(
            "{clients} clients, {units} units, {neighbourhoods} neighbourhoods, {municipalities} municipalities",
            clients=len(loaded.clients),
            units=len(loaded.units),
            neighbourhoods=len(loaded.neighbourhoods),
            municipalities=len(loaded.municipalities),
        )
    )


@click.command(help=_("Propose the best allocation for INSTANCE and write it to --out."))
@instance_argument
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("folder for proposals.csv, unmatched.csv, unused_units.csv and summary.json"),
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help=_("seconds for all levels together; without it every level is solved to proven optimality"),
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help=_("random seed of the solver: the same seed gives the same proposal"),
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help=_("solver threads; 1 gives the same proposal on every machine"),
)
@click.option(
    "--backend",
    type=click.Choice(["highs", "scip"]),
    default="highs",
    show_default=True,
    help=_("the solver to use"),
)
@click.option(
    "--max-pairs",
    type=click.IntRange(min=1),
    default=None,
    help=_("refuse instances estimated above this many eligible pairs (default 20,000,000)"),
)
@click.option(
    "--ledger",
    default=None,
    help=_(
        "decisions ledger (SQLite file or SQLAlchemy URL): fix accepted matches, "
        "never repeat declined pairs, apply the refusal rule"
    ),
)
@click.option(
    "--keep-proposal",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help=_(
        "a proposal already communicated: each open match stays unless its unit can house a client "
        "of higher priority (with --ledger, the latest proposal sent out is kept without this option)"
    ),
)
@click.pass_context
def solve(
    ctx: click.Context,
    instance: Path,
    out: Path,
    time_limit: float | None,
    seed: int,
    workers: int,
    backend: str,
    max_pairs: int | None,
    ledger: str | None,
    keep_proposal: Path | None,
) -> None:
    """Propose the best allocation for INSTANCE and write it to --out (help: above, translated)."""
    from matcher import SolveSettings, read_instance, solve_week, write_proposal
    from matcher.week import read_communicated
    from models import InvalidInstance

    ctx.meta["instance"] = str(instance)
    limits = {"max_pairs": max_pairs} if max_pairs else {}
    settings = SolveSettings(time_limit=time_limit, seed=seed, workers=workers, backend=backend, **limits)
    loaded = read_instance(instance)
    keep = None
    if keep_proposal:
        try:
            keep = read_communicated(keep_proposal)
        except InvalidInstance as invalid:
            raise click.ClickException("; ".join(str(problem) for problem in invalid.problems)) from None
    from matcher.cli.main import errors
    from matcher.cli.progress import shown_progress

    with shown_progress(errors):  # level, bound and gap on stderr once the solve takes a second
        week = solve_week(loaded, settings, ledger=ledger, keep=keep)
    result = write_proposal(week, instance, out, settings)
    print_summary(result, out)


def print_summary(result: dict[str, Any], out: Path) -> None:
    """A short table of what the run achieved, and whether it is proven optimal."""
    from matcher.io.headers import reason_label

    counts, objective = result["counts"], result["objective"]
    table = Table(title=_("Proposal for {instance}", instance=result["instance"]), show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row(_("clients / units"), f"{counts['clients']} / {counts['units']}")
    table.add_row(_("eligible pairs"), str(counts["eligible_pairs"]))
    table.add_row(_("proposed (clients with a unit)"), str(counts["placed"]))
    for reason, count in counts["unmatched_by_reason"].items():
        if count or reason != "not_chosen":  # not_chosen only after a time limit
            table.add_row(_("unmatched: {reason}", reason=reason_label(reason).replace("_", " ")), str(count))
    if "unused_by_reason" in counts:
        unused = counts["unused_by_reason"]
        table.add_row(_("units left unused"), str(counts["unused"]))
        shown = [
            (_("capacity full"), unused["capacity_full"]),
            (_("eligible placed"), unused["eligible_clients_placed"]),
            (_("none eligible"), unused["no_eligible_client"]),
        ] + ([(_("not chosen"), unused["not_chosen"])] if unused["not_chosen"] else [])
        table.add_row(
            _("unused: {reasons}", reasons=" / ".join(name for name, _count in shown)),
            " / ".join(str(count) for _name, count in shown),
        )
    table.add_row(_("priority W (bound)"), f"{objective['W']} ({objective['W_bound']})")
    table.add_row(_("preference P (bound)"), f"{objective['P']} ({objective['P_bound']})")
    table.add_row(_("greedy priority-order W"), str(objective["greedy_W"]))
    table.add_row(_("highest neighbourhood utilisation"), f"{objective['max_utilisation']:.3f}")
    table.add_row(_("engine seconds"), f"{result['seconds']['total']:.2f}")
    console.print(table)
    if result["proven_optimal"]:
        stable = [level["name"] for level in result["levels"] if level["name"] in ("held", "continuity")]
        proven = (
            _("W and P are proven optimal given the matches held and kept before W (see below).")
            if stable
            else _("W and P are proven optimal.")
        )
        console.print(f"[green]{proven}[/]")
    else:
        for level in result["levels"]:
            if (
                level["name"] in ("held", "continuity", "priority", "preference")
                and level["status"] != "optimal"
            ):
                short = (level["bound"] - level["value"]) if level["bound"] is not None else None
                console.print(
                    "[yellow]"
                    + _("{level} is NOT proven optimal", level=level["name"])
                    + f"[/] ({level['status']}): "
                    + _(
                        "{value} found, at most {short} below the best possible.",
                        value=level["value"],
                        short=short,
                    )
                )
    agreements = agreement_table(result)
    if agreements is not None:
        console.print(agreements)
    for line in other_placement_lines(result) + week_effects(result):
        console.print(line, highlight=False, markup=False)
    console.print(
        _(
            "Written to {out}/ (proposals.csv, unmatched.csv, unused_units.csv, summary.json, the solved "
            "instance in solved-instance/)",
            out=out,
        )
    )
