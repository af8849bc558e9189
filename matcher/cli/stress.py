"""`matcher stress`: run a scenario sweep, write its KPI tables, pictures and report, and print
the headline result: per scenario and policy the figures a planner asks first, and what the
optimiser changes against today's practice with its 95 % interval."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from matcher.i18n import _

EXIT_INVALID = 2
LEFT: Literal["left"] = "left"
RIGHT: Literal["right"] = "right"

errors = Console(stderr=True, highlight=False)
console = Console(highlight=False)


@click.command(
    "stress", help=_("Simulate every scenario × allocation policy × seed of SCENARIOS week by week.")
)
@click.argument("scenarios", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("folder for kpis.csv, summary.csv, the PNG pictures, report.html and sweep.json"),
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help=_("local Dask worker processes (default: one per core); 0 runs serially without Dask"),
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help=_("run on an existing Dask cluster, e.g. tcp://host:8786 (workers need matcher installed)"),
)
@click.option(
    "--max-scenario-weeks",
    type=click.IntRange(min=1),
    default=None,
    help=_(
        "budget of simulated weeks, scenarios × policies × seeds × horizon weeks (default 200,000); raise it "
        "only for a cluster that can take it"
    ),
)
@click.option(
    "--hindsight",
    is_flag=True,
    default=False,
    help=_(
        "also solve the clairvoyant optimum of every scenario and seed and report each policy as a share of "
        "it (as `hindsight: true` in the file; minutes per seed for a region's year)"
    ),
)
@click.option("--progress/--no-progress", default=True, show_default=True, help=_("show a progress bar"))
def stress(
    scenarios: Path,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    max_scenario_weeks: int | None,
    hindsight: bool,
    progress: bool,
) -> None:
    """Simulate every scenario × allocation policy × seed of SCENARIOS week by week.

    Every figure of the file has a budget, and the sweep's peak memory is checked against this
    machine before anything starts (docs/stress-tests.md, Budgets): a file asking for more is
    refused with exit code 2, saying which key, its value, the budget and what to do.
    """
    from matcher.stress import ScenarioError, load_sweep, run_sweep, write_outputs
    from matcher.stress.scenario import Budgets, HindsightSettings

    if workers is not None and scheduler:
        raise click.UsageError(
            _("give --workers (a local cluster) or --scheduler (an existing one), not both")
        )
    budgets = Budgets(max_scenario_weeks=max_scenario_weeks) if max_scenario_weeks else Budgets()
    try:
        sweep = load_sweep(scenarios, budgets)
        if hindsight and sweep.hindsight is None:
            sweep = sweep.model_copy(update={"hindsight": HindsightSettings()})
        plan = _(
            "{name}: {scenarios} scenarios × {policies} policies × {seeds} seeds = {runs} runs of {weeks} weeks",
            name=sweep.name,
            scenarios=sweep.scenario_count,
            policies=len(sweep.allocation),
            seeds=len(sweep.seeds),
            runs=sweep.runs,
            weeks=sweep.horizon_weeks,
        )
        if sweep.hindsight is not None:
            plan += _(", and {count} hindsight optima", count=sweep.scenario_count * len(sweep.seeds))
        console.print(plan, markup=False)
        result = run_sweep(
            sweep,
            workers=workers,
            scheduler=scheduler,
            serial=workers == 0,
            progress=progress,
            console=errors,
        )
    except ScenarioError as invalid:
        errors.print(
            "[bold red]"
            + _("{file} is not a valid scenario file", file=invalid.file)
            + "[/]: "
            + _("{count} problem(s)", count=len(invalid.problems)),
            soft_wrap=True,
        )
        for line in invalid.lines():
            errors.print(f"  - {line}", markup=False, soft_wrap=True)
        sys.exit(EXIT_INVALID)
    except OSError as error:
        if scheduler and not getattr(error, "filename", None):
            errors.print(
                "[bold red]" + _("cannot reach the Dask scheduler") + f"[/] {scheduler}: {error}",
                soft_wrap=True,
            )
            sys.exit(1)
        raise
    written = write_outputs(result, out)
    for table in result_tables(result, pd.read_csv(written["load.csv"])):
        console.print(table)
    console.print(
        _(
            "{weeks} scenario-weeks in {seconds} s ({rate} per second) on {where}",
            weeks=result.scenario_weeks,
            seconds=f"{result.seconds:.1f}",
            rate=f"{result.scenario_weeks / max(result.seconds, 1e-9):.1f}",
            where=result.where,
        ),
        markup=False,
    )
    console.print(
        _(
            "Written to {folder}: {count} files; open report.html for the whole report.",
            folder=f"{out}/",
            count=len(written),
        ),
        markup=False,
        soft_wrap=True,
    )


def _number(value: float, digits: int = 1) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def result_tables(result, split: pd.DataFrame | None = None) -> list[Table]:
    """The headline result for the terminal: per scenario and policy the figures a planner asks
    first (means over seeds), and the paired difference policy − baseline with its interval."""
    from matcher.stress.paired import baseline_of
    from matcher.stress.plots import PAIRED_FIGURES, policy_name, verdict
    from matcher.stress.report import load_split, metric_name

    runs, sweep = result.runs_table, result.sweep
    if runs.empty:
        return []
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    means = runs.groupby(["scenario", "allocation"], sort=False).mean(numeric_only=True)
    split = (load_split(result) if split is None else split).set_index(["scenario", "allocation"])
    headline = Table(
        title=_("Result per scenario and policy (means over {seeds} seeds)", seeds=len(sweep.seeds)),
        title_justify="left",
    )
    for name, justify in (
        (_("scenario"), LEFT),
        (_("policy"), LEFT),
        (_("housed"), RIGHT),
        (_("mean wait (wk)"), RIGHT),
        (_("still waiting"), RIGHT),
        (_("let"), RIGHT),
        (_("engine load / cap"), RIGHT),
        (_("cap violations"), RIGHT),
    ):
        headline.add_column(name, justify=justify, overflow="fold")
    for (scenario, allocation), row in means.iterrows():
        engine = (
            split.loc[(scenario, allocation), "engine_peak_utilisation"]
            if (scenario, allocation) in split.index
            else float("nan")
        )
        headline.add_row(
            labels.get(scenario, str(scenario)),
            policy_name(str(allocation), short=True),
            _number(row["placements"]),
            _number(row["wait_all_mean"], 2),
            _number(row["waiting_end"]),
            "–" if pd.isna(row["let_share"]) else f"{row['let_share']:.0%}",
            _number(engine, 2),
            f"{runs[(runs['scenario'] == scenario) & (runs['allocation'] == allocation)]['cap_violations'].sum():.0f}",
        )
    tables = [headline]
    baseline = baseline_of(sweep)
    paired = result.paired
    if baseline is None or paired.empty:
        return tables
    difference = Table(
        title=_(
            "Paired difference policy − {baseline} (same arrivals and answers per seed), with 95 % interval",
            baseline=policy_name(baseline, short=True),
        ),
        title_justify="left",
    )
    for name, justify in (
        (_("scenario"), LEFT),
        (_("policy"), LEFT),
        (_("figure"), LEFT),
        (_("difference"), RIGHT),
        (_("95 % interval"), RIGHT),
        (_("reading"), LEFT),
    ):
        # an interval and a difference are read whole: never broken over two lines
        whole = name in (_("difference"), _("95 % interval"))
        difference.add_column(name, justify=justify, overflow="fold", no_wrap=whole)
    words = {"better": _("better"), "worse": _("worse"), "unclear": _("no clear difference")}
    shown = ("placements", "wait_all_mean", "waiting_end")
    rows = paired[paired["metric"].isin(shown)].copy()
    rows["order"] = rows["metric"].map({m: k for k, m in enumerate(shown)})
    for row in rows.sort_values(["scenario", "allocation", "order"], kind="stable").itertuples(index=False):
        digits = 2 if row.metric == "wait_all_mean" else 1
        interval = "–" if pd.isna(row.ci_low) else f"{row.ci_low:+.{digits}f} … {row.ci_high:+.{digits}f}"
        reading = words[verdict(float(row.ci_low), float(row.ci_high), PAIRED_FIGURES[row.metric][1])]
        difference.add_row(
            labels.get(row.scenario, str(row.scenario)),
            policy_name(str(row.allocation), short=True),
            metric_name(str(row.metric)),
            f"{row.diff_mean:+.{digits}f}",
            interval,
            reading,
        )
    tables.append(difference)
    return tables
