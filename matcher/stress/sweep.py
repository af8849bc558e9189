"""Run a sweep — every scenario × allocation policy × seed — serially or on a Dask cluster.

One task per seed draws the stream (base instance and arrivals); one task per run simulates
the horizon. Every task is a pure function of the scenario file, the scenario, the policy and
the seed, and the tables are sorted before they are written, so a sweep gives the same numbers
on one process, on a local cluster of any size, or on a remote scheduler.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from matcher.i18n import _
from matcher.stress.arrivals import Stream, base_instance, build_stream
from matcher.stress.hindsight import HindsightResult, hindsight, hindsight_table, with_hindsight
from matcher.stress.kpis import (
    intake_table,
    kpi_table,
    neighbourhood_table,
    people_table,
    placement_table,
    scenario_table,
    summary_table,
    vacancy_table,
    waiting_groups,
    with_run_figures,
)
from matcher.stress.paired import paired_table, run_table
from matcher.stress.scenario import Scenario, Sweep, check_against, check_memory, estimate_memory
from matcher.stress.simulate import RunResult, simulate
from models import Instance


@dataclass
class SweepResult:
    """Every table of a sweep, plus how it ran (timings are never part of the tables)."""

    sweep: Sweep
    base: Instance  # the first seed's base instance: places and policy
    kpis: pd.DataFrame
    placements: pd.DataFrame
    neighbourhoods: pd.DataFrame
    summary: pd.DataFrame
    intake: pd.DataFrame
    scenarios: pd.DataFrame
    people: pd.DataFrame = field(default_factory=pd.DataFrame)  # every client's wait
    vacancies: pd.DataFrame = field(default_factory=pd.DataFrame)  # every vacancy's empty weeks
    runs_table: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row of figures per run
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)  # paired differences with 95 % CI
    waiting: pd.DataFrame = field(default_factory=pd.DataFrame)  # waits by urgency and source
    hindsight: pd.DataFrame = field(default_factory=pd.DataFrame)  # clairvoyant optimum per scenario, seed
    seconds: float = 0.0
    where: str = "serial"
    run_seconds: dict[str, list[float]] = field(default_factory=dict)  # per allocation policy

    @property
    def runs(self) -> int:
        return self.sweep.runs

    @property
    def scenario_weeks(self) -> int:
        return self.runs * self.sweep.horizon_weeks


def runs_of(sweep: Sweep) -> list[tuple[Scenario, str, int]]:
    """Every (scenario, allocation policy, seed) of the sweep, in a fixed order."""
    return [
        (scenario, allocation, seed)
        for scenario in sweep.scenarios()
        for allocation in sweep.allocation
        for seed in sweep.seeds
    ]


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _progress(enabled: bool, console: Console | None) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def shared_base(sweep: Sweep, base: Instance) -> Instance | None:
    """The base instance when every seed starts from the same one (a folder, or a fixed
    generator seed): read once here, so workers never need the folder."""
    return base if sweep.base.region is None or sweep.base.seed is not None else None


def _serial(sweep: Sweep, base: Instance | None, advance: Callable[[], None]) -> list[RunResult]:
    streams: dict[int, Stream] = {}
    results = []
    for scenario, allocation, seed in runs_of(sweep):
        if seed not in streams:
            streams[seed] = build_stream(sweep, seed, base)
        results.append(simulate(streams[seed], sweep, scenario, allocation))
        advance()
    return results


def _hindsight_serial(
    sweep: Sweep, base: Instance | None, advance: Callable[[], None]
) -> list[HindsightResult]:
    settings = sweep.hindsight
    if settings is None:
        return []
    results = []
    for seed in sweep.seeds:
        stream = build_stream(sweep, seed, base)
        for scenario in sweep.scenarios():
            results.append(hindsight(stream, sweep, scenario, settings.answers, settings.seconds))
            advance()
    return results


def _on_dask(sweep: Sweep, base: Instance | None, client, advance: Callable[[], None]) -> list[RunResult]:
    from distributed import as_completed

    streams = {
        seed: client.submit(
            build_stream, sweep, seed, base, pure=False, key=f"stream-{seed}-{os.urandom(4).hex()}"
        )
        for seed in sweep.seeds
    }
    if sweep.hindsight is not None:
        clairvoyant = [
            client.submit(
                hindsight,
                streams[seed],
                sweep,
                scenario,
                sweep.hindsight.answers,
                sweep.hindsight.seconds,
                pure=False,
                key=f"hindsight-{scenario.index}-{seed}-{os.urandom(4).hex()}",
            )
            for seed in sweep.seeds
            for scenario in sweep.scenarios()
        ]
    else:
        clairvoyant = []
    futures = [
        client.submit(
            simulate,
            streams[seed],
            sweep,
            scenario,
            allocation,
            pure=False,
            key=f"run-{scenario.index}-{allocation}-{seed}-{os.urandom(4).hex()}",
        )
        for scenario, allocation, seed in runs_of(sweep)
    ]
    results: list = []
    for future in as_completed([*futures, *clairvoyant]):
        results.append(future.result())
        future.release()
        advance()
    return results


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[tuple[object, str]]:
    """A Dask client: on an existing scheduler, or on a local cluster of worker processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="20s") as client:
            yield client, _("Dask scheduler {address}", address=scheduler)
        return
    workers = workers or default_workers()
    with (
        quiet_dask(),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # no dashboard; the scheduler's own HTTP routes (health, metrics) on a free port, so a
            # port 8787 already in use is no reason for a warning
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client, _("local Dask cluster, {workers} worker processes", workers=workers)


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Keep Dask's own warnings and log lines off the terminal while a local cluster runs: they
    would break the progress bar and mean nothing to a planner. A failure still raises."""
    loggers = [logging.getLogger(name) for name in ("distributed", "bokeh", "tornado")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"distributed(\..*)?$")
        warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def worker_memory(client) -> int | None:
    """The least memory a worker of this Dask client may use, when the scheduler says."""
    try:
        workers = client.scheduler_info().get("workers", {}).values()
    except Exception:  # an old or unusual scheduler: nothing to check against
        return None
    limits = [int(worker.get("memory_limit") or 0) for worker in workers]
    return min((limit for limit in limits if limit > 0), default=None)


def run_sweep(
    sweep: Sweep,
    workers: int | None = None,
    scheduler: str | None = None,
    serial: bool = False,
    client=None,
    progress: bool = True,
    console: Console | None = None,
    available: int | None = None,
) -> SweepResult:
    """Run every scenario × allocation policy × seed and build the tables.

    `serial` runs in this process without Dask; `client` uses a Dask client you already hold;
    otherwise `scheduler` (e.g. tcp://host:8786) or a local cluster of `workers` processes.
    Before anything runs, the sweep's peak memory is estimated from its figures and checked
    against this machine (`available` bytes, default four fifths of its memory) and the
    cluster's workers: a sweep that does not fit raises ScenarioError saying what to change.
    """
    began = time.perf_counter()
    folder = base_instance(sweep, sweep.seeds[0]) if sweep.base.region is None else None
    estimate = estimate_memory(sweep, folder)
    if serial:
        check_memory(sweep, estimate, 0, available)
    elif client is None and scheduler is None:
        workers = workers or default_workers()
        check_memory(sweep, estimate, workers, available)
    elif client is not None:
        check_memory(sweep, estimate, None, available, worker_memory(client))
    base = folder if folder is not None else base_instance(sweep, sweep.seeds[0])
    check_against(sweep, base)
    shared = shared_base(sweep, base)
    with ExitStack() as stack:
        where = _("serial (one process)") if serial else _("Dask client")
        if not serial and client is None:
            client, where = stack.enter_context(dask_client(workers, scheduler))
            if scheduler:
                check_memory(sweep, estimate, None, available, worker_memory(client))
        bar = stack.enter_context(_progress(progress, console))
        hindsights = sweep.scenario_count * len(sweep.seeds) if sweep.hindsight is not None else 0
        task = bar.add_task(_("{sweep}: runs", sweep=sweep.name), total=sweep.runs + hindsights)

        def advance() -> None:
            bar.advance(task)

        if serial:
            results: list = [*_serial(sweep, shared, advance), *_hindsight_serial(sweep, shared, advance)]
        else:
            results = _on_dask(sweep, shared, client, advance)
    runs = [result for result in results if isinstance(result, RunResult)]
    clairvoyant = [result for result in results if isinstance(result, HindsightResult)]
    return tables(sweep, base, runs, time.perf_counter() - began, where, clairvoyant)


def tables(
    sweep: Sweep,
    base: Instance,
    results: list[RunResult],
    seconds: float,
    where: str,
    clairvoyant: list[HindsightResult] | None = None,
) -> SweepResult:
    """Every table of the sweep from its runs (and hindsight optima), in an order independent of
    how they finished."""
    population = np.array([m.population for m in base.municipalities], dtype=float)
    share = dict(
        zip(
            (m.municipality_id for m in base.municipalities),
            population / population.sum() if population.sum() else population,
        )
    )
    kpis = kpi_table(results, sweep)
    placements = placement_table(results, sweep)
    optimum = hindsight_table(clairvoyant or [])
    runs = with_hindsight(run_table(results, sweep), optimum)
    paired = paired_table(runs, sweep)
    people = people_table(results, sweep)
    run_seconds: dict[str, list[float]] = {}
    for result in results:
        run_seconds.setdefault(result.key.allocation, []).append(result.seconds)
    return SweepResult(
        sweep=sweep,
        base=base,
        kpis=kpis,
        placements=placements,
        neighbourhoods=neighbourhood_table(results, sweep),
        summary=with_run_figures(summary_table(kpis, placements, sweep), runs, paired),
        intake=intake_table(kpis, sweep, share),
        scenarios=scenario_table(sweep),
        people=people,
        vacancies=vacancy_table(results, sweep),
        runs_table=runs,
        paired=paired,
        waiting=waiting_groups(people, sweep),
        hindsight=optimum,
        seconds=seconds,
        where=where,
        run_seconds=run_seconds,
    )
