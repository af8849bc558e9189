"""`matcher stress`: run a scenario sweep and write its KPI tables, pictures and report."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

EXIT_INVALID = 2

errors = Console(stderr=True, highlight=False)
console = Console(highlight=False)


@click.command("stress")
@click.argument("scenarios", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder for kpis.csv, summary.csv, the PNG pictures, report.html and sweep.json",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="local Dask worker processes (default: one per core); 0 runs serially without Dask",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="run on an existing Dask cluster, e.g. tcp://host:8786 (workers need matcher installed)",
)
@click.option(
    "--max-scenario-weeks",
    type=click.IntRange(min=1),
    default=None,
    help="budget of simulated weeks, scenarios × policies × seeds × horizon weeks "
    "(default 200,000); raise it only for a cluster that can take it",
)
@click.option(
    "--hindsight",
    is_flag=True,
    default=False,
    help="also solve the clairvoyant optimum of every scenario and seed and report each policy as a "
    "share of it (as `hindsight: true` in the file; minutes per seed for a region's year)",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="show a progress bar")
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
        raise click.UsageError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    budgets = Budgets(max_scenario_weeks=max_scenario_weeks) if max_scenario_weeks else Budgets()
    try:
        sweep = load_sweep(scenarios, budgets)
        if hindsight and sweep.hindsight is None:
            sweep = sweep.model_copy(update={"hindsight": HindsightSettings()})
        console.print(
            f"[bold]{sweep.name}[/]: {sweep.scenario_count} scenarios × {len(sweep.allocation)} "
            f"policies × {len(sweep.seeds)} seeds = {sweep.runs} runs of {sweep.horizon_weeks} weeks"
            + (
                f", and {sweep.scenario_count * len(sweep.seeds)} hindsight optima"
                if sweep.hindsight is not None
                else ""
            )
        )
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
            f"[bold red]{invalid.file} is not a valid scenario file[/]: {len(invalid.problems)} problem(s)",
            soft_wrap=True,
        )
        for line in invalid.lines():
            errors.print(f"  - {line}", markup=False, soft_wrap=True)
        sys.exit(EXIT_INVALID)
    except OSError as error:
        if scheduler and not getattr(error, "filename", None):
            errors.print(f"[bold red]cannot reach the Dask scheduler[/] {scheduler}: {error}", soft_wrap=True)
            sys.exit(1)
        raise
    written = write_outputs(result, out)
    console.print(
        f"{result.scenario_weeks} scenario-weeks in {result.seconds:.1f} s "
        f"({result.scenario_weeks / max(result.seconds, 1e-9):.1f} per second) on {result.where}"
    )
    console.print(f"Written to {out}/ ({', '.join(sorted(written))})")
