"""Benchmark: scenario-weeks per second of a region-size stress sweep on a local Dask cluster.

Protocol: West-Friesland, 80 clients waiting and 6 vacancies in week 1, Poisson arrivals of 4
clients and 4 vacancies a week, 26 weeks; 3 caps per 1,000 dwellings (3, 5, 8) × 2 allocation
policies (optimiser, greedy) × 5 seeds = 30 runs, 780 scenario-weeks. The optimiser solves every
level to proven optimality (no time limit), one HiGHS thread per run. Timed from a running
cluster (start-up reported apart). Writes benchmarks/results/stress.json and stress.md.

    python benchmarks/stress_bench.py [--workers 2] [--region west-friesland] [--seeds 5]

With `--year`: the region's year scenario instead (instances/scenarios/year-REGION.yaml: its week-1
queue and yearly arrival rates, 52 weeks unless `--weeks`) under the same 3 caps × 2 policies: the
sweep at region size of issue 17 (target ≥ 50 scenario-weeks per second on 2 cores; run it with
`--workers 1` and `--workers 2` for the scaling).

With `--lookahead`: the three allocation policies (greedy, optimiser, lookahead) and the hindsight
yardstick on the four bundled year scenarios (instances/scenarios/year-*.yaml), 52 weeks, seeds
1 … `--seeds`, on the same random numbers; one task per region and seed in `--workers` processes,
each task's figures kept in benchmarks/results/lookahead/ (a rerun skips finished tasks), then
the table of benchmarks/STRESS-RESULTS.md (`lookahead_table`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from matcher import __version__
from matcher.io.atomic import write_text
from matcher.stress.scenario import parse_sweep
from matcher.stress.sweep import dask_client, run_sweep

RESULTS = Path(__file__).resolve().parent / "results"


def year_sweep(region: str, seeds: int, weeks: int):
    """The region's year scenario (instances/scenarios/year-REGION.yaml: its week-1 queue, yearly
    arrival rates and agreements) under a grid of 3 caps per 1,000 dwellings (3, 5, 8) × its two
    policies (optimiser, greedy) × `seeds` seeds × `weeks` weeks: a planner's sweep at region size."""
    from matcher.stress.scenario import load_sweep

    sweep = load_sweep(SCENARIOS / f"year-{region}.yaml")
    data = sweep.model_dump(exclude_none=True)
    data.update(
        {
            "name": f"bench-year-{region}",
            "horizon_weeks": weeks,
            "seeds": list(range(1, seeds + 1)),
            "grid": {"max_load_per_1000_dwellings": [3, 5, 8]},
        }
    )
    return parse_sweep(data, source=sweep.source_file)


def bench_sweep(region: str, seeds: int, weeks: int) -> dict:
    """The benchmark's scenario file, as a mapping."""
    return {
        "name": f"bench-{region}",
        "description": "stress benchmark: 3 caps × 2 policies × seeds × weeks",
        "base": {"region": region, "clients": 80, "units": 6},
        "horizon_weeks": weeks,
        "arrivals": {"clients_per_week": 4, "units_per_week": 4},
        "declines": {"client": 0.10, "landlord": 0.05},
        "allocation": ["optimiser", "greedy"],
        "seeds": list(range(1, seeds + 1)),
        "grid": {"max_load_per_1000_dwellings": [3, 5, 8]},
    }


REGIONS = ("flevoland", "west-brabant-west", "west-friesland", "zuid-kennemerland")
SCENARIOS = Path(__file__).resolve().parent.parent / "instances" / "scenarios"
POLICIES = ["greedy", "optimiser", "lookahead"]


def lookahead_task(region: str, seed: int, folder: Path, hindsight_seconds: float) -> Path:
    """One region and seed: every policy's run figures, the hindsight bound, wall times."""
    import pickle

    from matcher.stress.arrivals import build_stream
    from matcher.stress.hindsight import hindsight
    from matcher.stress.paired import run_row
    from matcher.stress.scenario import load_sweep
    from matcher.stress.simulate import simulate

    path = folder / f"{region}-{seed}.pkl"
    record = pickle.loads(path.read_bytes()) if path.exists() else None
    if record is not None and "told" in record:
        return path
    sweep = load_sweep(SCENARIOS / f"year-{region}.yaml")
    sweep = sweep.model_copy(update={"allocation": POLICIES, "seeds": [seed]})
    scenario = sweep.scenarios()[0]
    if record is not None:  # a task of an earlier run: add the diagnostic only
        began = time.perf_counter()
        told = simulate(build_stream(sweep, seed), sweep, scenario, "lookahead", known_answers=True)
        record["told"] = run_row(told)
        record["seconds"]["lookahead_told"] = time.perf_counter() - began
        _write(path, record)
        return path
    stream = build_stream(sweep, seed)
    rows, seconds, people = [], {}, {}
    for allocation in POLICIES:
        result = simulate(stream, sweep, scenario, allocation)
        rows.append(run_row(result))
        seconds[allocation] = result.seconds
        people[allocation] = result.people
    began = time.perf_counter()
    bound = hindsight(stream, sweep, scenario, seconds=hindsight_seconds, relaxed=True)
    seconds["hindsight_lp"] = time.perf_counter() - began
    began = time.perf_counter()
    told = run_row(simulate(stream, sweep, scenario, "lookahead", known_answers=True))
    seconds["lookahead_told"] = time.perf_counter() - began
    record = {
        "region": region,
        "seed": seed,
        "rows": rows,
        "hindsight": bound.row(),
        "seconds": seconds,
        "told": told,
    }
    folder.mkdir(parents=True, exist_ok=True)
    _write(path, record)
    return path


def _write(path: Path, record: dict) -> None:
    import pickle

    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(record))
    tmp.replace(path)


def lookahead_frames(folder: Path) -> tuple[dict, dict]:
    """Per region: (run table with the hindsight shares, paired tables vs greedy and vs optimiser)."""
    import pickle

    import numpy as np
    import pandas as pd

    from matcher.stress.hindsight import with_hindsight
    from matcher.stress.paired import paired_table
    from matcher.stress.scenario import load_sweep

    runs, paired = {}, {}
    for region in REGIONS:
        records = [pickle.loads(p.read_bytes()) for p in sorted(folder.glob(f"{region}-*.pkl"))]
        if not records:
            continue
        table = pd.DataFrame([row for r in records for row in r["rows"]])
        optimum = pd.DataFrame([r["hindsight"] for r in records])
        table = with_hindsight(table, optimum)
        seconds = {(r["seed"], a): s for r in records for a, s in r["seconds"].items()}
        table["seconds"] = [seconds[(s, a)] for s, a in zip(table["seed"], table["allocation"])]
        told = pd.DataFrame([r["told"] for r in records if "told" in r])
        if not told.empty:  # the diagnostic: the look-ahead told every answer of its week
            bound = optimum.set_index("seed")["priority_bound"].fillna(
                optimum.set_index("seed")["priority_placed"]
            )
            told["priority_share_hindsight"] = told["priority_placed"] / told["seed"].map(bound)
            told["seconds"] = [seconds.get((s, "lookahead_told"), np.nan) for s in told["seed"]]
        runs[region] = (table, optimum, told)
        sweep = load_sweep(SCENARIOS / f"year-{region}.yaml")
        seeds = sorted(table["seed"].unique().tolist())
        vs_greedy = paired_table(table, sweep.model_copy(update={"allocation": POLICIES, "seeds": seeds}))
        vs_optimiser = paired_table(
            table, sweep.model_copy(update={"allocation": ["lookahead", "optimiser"], "seeds": seeds})
        )
        paired[region] = (vs_greedy, vs_optimiser)
    return runs, paired


def _pct(value: float) -> str:
    return "–" if value != value else f"{value:+.1%}"


def lookahead_table(folder: Path) -> str:
    """The markdown of benchmarks/STRESS-RESULTS.md from the finished tasks in `folder`."""
    import numpy as np

    from matcher.stress.scenario import load_sweep

    runs, paired = lookahead_frames(folder)
    out: list[str] = []
    targets: list[str] = [
        "| region | seeds | W share of hindsight bound (mean, min) | told every answer: W share (mean, min) | "
        "W > greedy | W > optimiser | "
        "refused offers vs greedy (floor) | vacancy days vs greedy | wait high vs greedy (largest cut possible) | "
        "wait acute vs greedy (largest cut possible) | "
        "weeks in queue high / acute vs greedy | origin share ≥ greedy (seeds) | cap violations |",
        "|---|---:|---|---|---|---|---|---|---|---|---|---|---:|",
    ]
    for region, (table, optimum, told) in runs.items():
        vs_greedy, vs_optimiser = paired[region]
        sweep = load_sweep(SCENARIOS / f"year-{region}.yaml")
        seeds = sorted(table["seed"].unique().tolist())
        means = table.groupby("allocation", sort=False).mean(numeric_only=True).reindex(POLICIES)
        out += [
            f"### {region} ({len(seeds)} seeds: {', '.join(map(str, seeds))})",
            "",
            "| policy | W (priority-weighted placements) | W / hindsight bound | placed | refused offers | "
            "vacancy days | wait all: high | wait all: acute | wait all: everyone | in queue: high | "
            "in queue: acute | origin share | cap violations | seconds per run |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for policy, row in means.iterrows():
            out.append(
                f"| {policy} | {row['priority_placed']:,.0f} | {row['priority_share_hindsight']:.1%} | "
                f"{row['placements']:.1f} | {row['refusals']:.1f} | {row['vacancy_days']:,.0f} | "
                f"{row['wait_all_high']:.2f} | {row['wait_all_acute']:.2f} | {row['wait_all_mean']:.2f} | "
                f"{row['queue_wait_high']:.2f} | {row['queue_wait_acute']:.2f} | {row['origin_share']:.1%} | {row['cap_violations']:.0f} | {row['seconds']:.0f} |"
            )
        if not told.empty:
            row = told.mean(numeric_only=True)
            out.append(
                f"| lookahead told every answer (diagnostic) | {row['priority_placed']:,.0f} | "
                f"{row['priority_share_hindsight']:.1%} | {row['placements']:.1f} | {row['refusals']:.1f} | "
                f"{row['vacancy_days']:,.0f} | {row['wait_all_high']:.2f} | {row['wait_all_acute']:.2f} | "
                f"{row['wait_all_mean']:.2f} | {row['queue_wait_high']:.2f} | {row['queue_wait_acute']:.2f} | "
                f"{row['origin_share']:.1%} | {row['cap_violations']:.0f} | {row['seconds']:.0f} |"
            )
        out.append(
            f"| hindsight (LP bound) | {optimum['priority_placed'].mean():,.0f} | 100 % | "
            f"{optimum['placements'].mean():.1f} | 0 | – | – | – | – | – | – | "
            f"{(optimum['origin_placements'] / optimum['placements']).mean():.1%} | 0 | – |"
        )
        first = means.iloc[0]
        out += [
            "",
            f"Supply: {first['clients']:.0f} clients (week-1 queue and arrivals) for {first['vacancies']:.0f} "
            f"vacancies, {first['clients_per_vacancy']:.2f} clients per vacancy; never let under every policy "
            f"alike: {means['unlet_no_client'].round(1).tolist()} vacancies never had an eligible, ready client, "
            f"{means['unlet_limit'].round(1).tolist()} only eligible clients blocked by a cap, ceiling or slot "
            f"(greedy, optimiser, lookahead). Vacancies let: "
            + ", ".join(f"{p} {means.loc[p, 'let_share']:.1%}" for p in POLICIES)
            + ".",
            "",
            "Per seed (W / hindsight bound; origin share):",
            "",
            "| seed | " + " | ".join(f"{p} W share | {p} origin" for p in POLICIES) + " |",
            "|---:|" + "---:|" * (2 * len(POLICIES)),
        ]
        for seed in seeds:
            cells = []
            for p in POLICIES:
                row = table[(table["seed"] == seed) & (table["allocation"] == p)].iloc[0]
                cells += [f"{row['priority_share_hindsight']:.1%}", f"{row['origin_share']:.1%}"]
            out.append(f"| {seed} | " + " | ".join(cells) + " |")
        out += [
            "",
            "Paired differences lookahead − greedy and lookahead − optimiser (mean over seeds, 95 % t interval):",
            "",
            "| figure | lookahead − greedy | relative | lookahead − optimiser | relative |",
            "|---|---|---:|---|---:|",
        ]
        for metric in (
            "priority_placed",
            "placements",
            "refusals",
            "vacancy_days",
            "wait_all_high",
            "wait_all_acute",
            "wait_all_mean",
            "queue_wait_high",
            "queue_wait_acute",
            "origin_placements",
            "cap_violations",
        ):
            g = vs_greedy[(vs_greedy["allocation"] == "lookahead") & (vs_greedy["metric"] == metric)].iloc[0]
            o = vs_optimiser[(vs_optimiser["allocation"] == "lookahead") & (vs_optimiser["metric"] == metric)]
            o = o.iloc[0]  # the baseline is the optimiser (greedy does not run in this pairing)
            out.append(
                f"| {metric} | {g['diff_mean']:+.2f} [{g['ci_low']:+.2f}, {g['ci_high']:+.2f}] | "
                f"{_pct(g['diff_relative'])} | {o['diff_mean']:+.2f} [{o['ci_low']:+.2f}, {o['ci_high']:+.2f}] | "
                f"{_pct(o['diff_relative'])} |"
            )
        out.append("")

        def mean_of(policy: str, metric: str, means=means) -> float:
            return float(means.loc[policy, metric])

        def rel(metric: str) -> float:
            return (
                mean_of("lookahead", metric) / mean_of("greedy", metric) - 1
                if mean_of("greedy", metric)
                else np.nan
            )

        def reachable(urgency: str) -> float:
            """The largest cut in the mean wait of everyone any policy could make: the weeks
            before joining the queue are the same under every policy, only the weeks in it change."""
            everyone = mean_of("greedy", f"wait_all_{urgency}")
            return mean_of("greedy", f"queue_wait_{urgency}") / everyone if everyone else np.nan

        look = table[table["allocation"] == "lookahead"].set_index("seed")
        greedy = table[table["allocation"] == "greedy"].set_index("seed")
        opt = table[table["allocation"] == "optimiser"].set_index("seed")
        share = look["priority_share_hindsight"]
        origin_ok = int((look["origin_share"] >= greedy["origin_share"] - 1e-12).sum())
        # the fewest refusals any policy could have: every offer with the best chance of acceptance
        floor = sweep.declines.refusal_floor() * mean_of("lookahead", "placements")
        floor_rel = floor / mean_of("greedy", "refusals") - 1 if mean_of("greedy", "refusals") else np.nan
        out.insert(
            -1,
            f"Refusal floor: even if every offer had gone to the client's municipality of origin (the "
            f"offers declined least), {sweep.declines.refusal_floor():.3f} refused offers per placement "
            f"({sweep.declines.label()}), {floor:.1f} for lookahead's {mean_of('lookahead', 'placements'):.1f} "
            f"placements: {_pct(floor_rel)} against greedy's {mean_of('greedy', 'refusals'):.1f} at best.\n",
        )
        told_cell = (
            f"{told['priority_share_hindsight'].mean():.1%}, {told['priority_share_hindsight'].min():.1%}"
            if not told.empty
            else "–"
        )
        targets.append(
            f"| {region} | {len(seeds)} | {share.mean():.1%}, {share.min():.1%} "
            f"{'✓' if share.min() >= 0.98 else '✗'} | {told_cell} | "
            f"{(look['priority_placed'] > greedy['priority_placed']).sum()}/{len(seeds)} seeds | "
            f"{(look['priority_placed'] > opt['priority_placed']).sum()}/{len(seeds)} seeds | "
            f"{_pct(rel('refusals'))} {'✓' if rel('refusals') <= -0.30 else '✗'} ({_pct(floor_rel)}) | "
            f"{_pct(rel('vacancy_days'))} {'✓' if rel('vacancy_days') <= -0.20 else '✗'} | "
            f"{_pct(rel('wait_all_high'))} {'✓' if rel('wait_all_high') <= -0.20 else '✗'} "
            f"({_pct(-reachable('high'))}) | "
            f"{_pct(rel('wait_all_acute'))} {'✓' if rel('wait_all_acute') <= -0.20 else '✗'} "
            f"({_pct(-reachable('acute'))}) | "
            f"{_pct(rel('queue_wait_high'))} / {_pct(rel('queue_wait_acute'))} | "
            f"{origin_ok}/{len(seeds)} {'✓' if origin_ok == len(seeds) else '✗'} | "
            f"{int(look['cap_violations'].sum())} |"
        )
    return "\n".join(
        [
            "## Targets of issue 16 (lookahead against greedy unless named)",
            "",
            *targets,
            "",
            "## Per region",
            "",
            *out,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--region", default="west-friesland")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed", type=int, default=1, help="with --lookahead: seeds first … first + seeds − 1"
    )
    parser.add_argument("--weeks", type=int, default=None, help="26, or 52 with --year")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--lookahead", action="store_true", help="compare the three policies and hindsight")
    parser.add_argument(
        "--year",
        action="store_true",
        help="the sweep at region size: REGION's year scenario (52 weeks unless --weeks) × 3 caps × 2 policies",
    )
    parser.add_argument("--hindsight-seconds", type=float, default=900)
    args = parser.parse_args()
    if args.lookahead:
        from concurrent.futures import ProcessPoolExecutor

        folder = args.out / "lookahead"
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        tasks = [(region, seed) for seed in seeds for region in REGIONS]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [
                pool.submit(lookahead_task, region, seed, folder, args.hindsight_seconds)
                for region, seed in tasks
            ]
            for future in futures:
                print(future.result(), flush=True)
        print(lookahead_table(folder))
        return

    args.weeks = args.weeks or (52 if args.year else 26)
    sweep = (
        year_sweep(args.region, args.seeds, args.weeks)
        if args.year
        else parse_sweep(bench_sweep(args.region, args.seeds, args.weeks))
    )
    began = time.perf_counter()
    with dask_client(workers=args.workers) as (client, where):
        client.wait_for_workers(args.workers)
        startup = time.perf_counter() - began
        result = run_sweep(sweep, client=client, progress=True)
    seconds = result.seconds
    per_week = {
        allocation: statistics.mean(times) / sweep.horizon_weeks
        for allocation, times in sorted(result.run_seconds.items())
    }
    record = {
        "benchmark": "stress sweep",
        "matcher_version": __version__,
        "region": args.region,
        "runs": result.runs,
        "scenario_weeks": result.scenario_weeks,
        "workers": args.workers,
        "cores_available": os.cpu_count(),
        "cluster_startup_seconds": round(startup, 2),
        "sweep_seconds": round(seconds, 2),
        "scenario_weeks_per_second": round(result.scenario_weeks / seconds, 2),
        "mean_seconds_per_scenario_week": {k: round(v, 4) for k, v in per_week.items()},
        "placements_mean": result.summary.set_index(["label", "allocation"])["placements"].round(2).to_dict(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "ran_on": where,
    }
    record["placements_mean"] = {
        f"{label} · {allocation}": value for (label, allocation), value in record["placements_mean"].items()
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "stress.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    lines = [
        f"# Stress sweep benchmark (matcher {__version__})",
        "",
        f"{args.region}{' year scenario (region-size volumes)' if args.year else ''}: 3 caps × 2 policies × "
        f"{args.seeds} seeds × {sweep.horizon_weeks} weeks on {where}.",
        "",
        "| scenario-weeks | sweep seconds | scenario-weeks/s | cluster start-up s | "
        "optimiser s/week | greedy s/week |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {result.scenario_weeks} | {seconds:.1f} | {result.scenario_weeks / seconds:.2f} | {startup:.1f} | "
        f"{per_week.get('optimiser', float('nan')):.3f} | {per_week.get('greedy', float('nan')):.3f} |",
        "",
    ]
    write_text(args.out / "stress.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
