"""`matcher generate`: write a realistic instance for a real region, built on CBS figures."""

from __future__ import annotations

from datetime import date

import click

from matcher.generate.instance import DEFAULT_WEEK, FAMILIES, generate_instance, write_instance
from matcher.generate.regions import REGION_NAMES
from matcher.i18n import _


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use an ISO date YYYY-MM-DD, e.g. 2026-11-23")) from None


@click.command(
    "generate",
    help=_("Write a complete instance (all files of the spec) for REGION with real CBS places."),
)
@click.option(
    "--region",
    type=click.Choice(REGION_NAMES),
    required=True,
    help=_(
        "West-Friesland, Zuid-Kennemerland/IJmond/Haarlemmermeer, Flevoland, West-Brabant West, or all four."
    ),
)
@click.option(
    "--clients",
    "n_clients",
    type=click.IntRange(min=1),
    required=True,
    help=_("Number of clients waiting for a unit."),
)
@click.option(
    "--units",
    "n_units",
    type=click.IntRange(min=1),
    required=True,
    help=_("Number of units offered to the priority scheme."),
)
@click.option("--seed", type=int, required=True, help=_("Random seed: the same seed gives identical files."))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help=_("Folder to write; replaced only if it was made by this command."),
)
@click.option(
    "--week",
    default=DEFAULT_WEEK.isoformat(),
    show_default=True,
    callback=_iso_date,
    help=_("First day of the allocation period (a fixed default keeps runs reproducible)."),
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=7,
    show_default=True,
    help=_("Length of the period: 7 for a weekly proposal, 364 for a planner's year."),
)
@click.option(
    "--family",
    type=click.Choice(FAMILIES),
    default="plain",
    show_default=True,
    help=_(
        "plain: a realistic week; tight: most wijken near their cap; strict: strict origin rule, "
        "many exclusions, declines of every scope, slots and intake ceilings nearly everywhere; "
        "identical: clients and units copied from a few templates (benchmark families)."
    ),
)
def generate(
    region: str, n_clients: int, n_units: int, seed: int, out_dir: str, week: date, days: int, family: str
) -> None:
    """Write a complete instance for REGION (help: above, translated when imported)."""
    tables = generate_instance(region, n_clients, n_units, seed, week, days, family=family)
    try:
        folder = write_instance(tables, out_dir)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "wrote {folder}: {clients} clients, {units} units, region {region}, seed {seed}, "
            "period {week} + {days} days",
            folder=folder,
            clients=n_clients,
            units=n_units,
            region=region,
            seed=seed,
            week=week.isoformat(),
            days=days,
        )
        + ("" if family == "plain" else _(", family {family}", family=family))
    )
