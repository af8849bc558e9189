"""Benchmark: scenario-weeks per second of a region-size stress sweep on a local Dask cluster.

Protocol: West-Friesland, 80 clients waiting and 6 vacancies in week 1, Poisson arrivals of 4
clients and 4 vacancies a week, 26 weeks; 3 caps per 1,000 dwellings (3, 5, 8) × 2 allocation
policies (optimiser, greedy) × 5 seeds = 30 runs, 780 scenario-weeks. The optimiser solves every
level to proven optimality (no time limit), one HiGHS thread per run. Timed from a running
cluster (start-up reported apart). Writes benchmarks/results/stress.json and stress.md.

    python benchmarks/stress_bench.py [--workers 2] [--region west-friesland] [--seeds 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--region", default="west-friesland")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    sweep = parse_sweep(bench_sweep(args.region, args.seeds, args.weeks))
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
        f"{args.region}: 3 caps × 2 policies × {args.seeds} seeds × {args.weeks} weeks on {where}.",
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
