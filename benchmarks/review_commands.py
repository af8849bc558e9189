"""How fast are `matcher check` and `matcher explain` on a run folder (issue 17)?

For each instance (generated with `matcher generate`'s generator for Zuid-Kennemerland, then the
origin rule set in its policy.yaml) this script solves the week once with `matcher solve` and
times, end to end as a coordinator runs them (a new process each, so imports count):

- `matcher --version`: the start-up floor every command pays (Python, numpy, pandas, the CLI);
- `matcher check RUN`: the run's proposal against the instance it solved, optimum from summary.json;
- `matcher check INSTANCE RUN/proposals.csv`: the same check solving the optimum afresh (before);
- `matcher explain --proposal RUN --unit U`: the landlord's view;
- `matcher explain --proposal RUN --client C` for a matched client;
- `matcher explain --proposal RUN --client C` for unmatched clients, with the search for the
  smallest change: the slowest of them (found in-process over every unmatched client at regional
  size, over a sample of `--sample` clients per unmatched reason above that) is then timed end
  to end; with `--before`, also the same client through a plain folder and INSTANCE, which
  solves a baseline first and every change with every level (as before this change).

Each end-to-end figure is the fastest of `--repeats` runs (wall seconds, and the child's CPU
seconds beside it: the machine may be shared). Never run as a unit test.

    python benchmarks/review_commands.py                       # 300×200 and 2,000×1,200, strict and prefer
    python benchmarks/review_commands.py --sizes 300x200 --origin strict --before
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATCHER = Path(sys.executable).with_name("matcher")
REGION = "zuid-kennemerland"
TARGETS = {"300x200": 1.0, "2000x1200": 3.0}  # seconds end to end for check and explain (issue 17)


@dataclass
class Row:
    instance: str
    command: str
    wall: float
    cpu: float
    detail: str = ""


def timed(args: list[str], repeats: int) -> tuple[float, float, str]:
    """The fastest wall time of `repeats` runs, the CPU seconds of that run, and its output."""
    best = (float("inf"), 0.0, "")
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if wall < best[0]:
            best = (wall, cpu, done.stdout)
    return best


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an output CSV with internal column names and reason codes (headers and reasons
    are written in the user's language: Dutch by default)."""
    from matcher.io.headers import internal_name, reason_code

    with open(path, encoding="utf-8") as handle:
        rows = [{internal_name(k): v for k, v in row.items()} for row in csv.DictReader(handle)]
    for row in rows:
        if "reason" in row:
            row["reason"] = reason_code(row["reason"])
    return rows


def build(folder: Path, clients: int, units: int, seed: int, origin: str) -> Path:
    """A generated instance with the given origin rule (cached in `folder`)."""
    from matcher.generate.instance import generate_instance, write_instance

    if not (folder / "policy.yaml").is_file():
        write_instance(generate_instance(REGION, clients, units, seed), folder)
        policy = folder / "policy.yaml"
        policy.write_text(policy.read_text().replace("origin_rule: prefer", f"origin_rule: {origin}"))
    return folder


def slowest_unmatched(run: Path, sample: int | None) -> list[tuple[float, str, str, int, int, int]]:
    """(seconds, client, reason, changes tried, found, re-solves) of explain_client for unmatched clients of
    the run, in-process (no start-up), slowest first; all of them when `sample` is None."""
    from matcher.io.run_folder import read_run_folder
    from matcher.review.explain import explain_client

    folder = read_run_folder(run)
    instance = folder.solved_instance()
    matches = folder.pairs()
    bounds = folder.bounds()
    baseline = bounds.priority if bounds is not None and bounds.proven else None
    rows = read_rows(run / "unmatched.csv")
    if sample is not None:
        by_reason: dict[str, list[dict]] = {}
        for row in rows:
            by_reason.setdefault(row["reason"], []).append(row)
        rows = [row for group in by_reason.values() for row in group[:sample]]
    timings = []
    for row in rows:
        began = time.perf_counter()
        result = explain_client(
            instance,
            matches,
            row["client_id"],
            baseline_priority=baseline,
            keep=folder.kept_pairs(),
            ledger=folder.ledger,
        )
        cf = result["counterfactual"]
        timings.append(
            (
                time.perf_counter() - began,
                row["client_id"],
                row["reason"],
                cf["tried"],
                len(cf["found"]),
                cf["resolves"],
            )
        )
    return sorted(timings, reverse=True)


def bench(
    size: str, origin: str, seed: int, work: Path, repeats: int, sample: int, before: bool
) -> list[Row]:
    clients, units = (int(part) for part in size.split("x"))
    name = f"{size} {origin}"
    instance = build(work / f"{size}-{origin}-s{seed}", clients, units, seed, origin)
    run = work / f"{size}-{origin}-s{seed}-run"
    if run.exists():
        shutil.rmtree(run)
    began = time.perf_counter()
    subprocess.run([str(MATCHER), "solve", str(instance), "--out", str(run)], check=True, capture_output=True)
    summary = json.loads((run / "summary.json").read_text())
    rows = [
        Row(
            name,
            "matcher solve (once)",
            time.perf_counter() - began,
            0.0,
            f"{summary['counts']['eligible_pairs']:,} eligible pairs, proven {summary['proven_optimal']}",
        ),
    ]
    matcher = [str(MATCHER)]
    wall, cpu, _ = timed(matcher + ["--version"], repeats)
    rows.append(Row(name, "matcher --version (start-up)", wall, cpu))
    wall, cpu, _ = timed(matcher + ["check", str(run)], repeats)
    rows.append(Row(name, "check RUN", wall, cpu, "optimum from summary.json"))
    wall, cpu, _ = timed(matcher + ["check", str(instance), str(run / "proposals.csv")], 1)
    rows.append(Row(name, "check INSTANCE RUN/proposals.csv", wall, cpu, "optimum solved afresh (before)"))
    first = read_rows(run / "proposals.csv")[0]
    wall, cpu, _ = timed(matcher + ["explain", "--proposal", str(run), "--unit", first["unit_id"]], repeats)
    rows.append(Row(name, "explain --unit", wall, cpu, first["unit_id"]))
    wall, cpu, _ = timed(
        matcher + ["explain", "--proposal", str(run), "--client", first["client_id"]], repeats
    )
    rows.append(Row(name, "explain --client (matched)", wall, cpu, first["client_id"]))
    regional = clients <= 300
    timings = slowest_unmatched(run, None if regional else sample)
    if timings:
        seconds = [t[0] for t in timings]
        worst = timings[0]
        rows.append(
            Row(
                name,
                "explain search, in-process",
                worst[0],
                0.0,
                f"{len(timings)} unmatched {'(all)' if regional else f'(≤{sample} per reason)'}: median "
                f"{statistics.median(seconds):.2f} s, worst {worst[1]} ({worst[2]}, {worst[3]} tried, "
                f"{worst[5]} re-solves, {worst[4]} found)",
            )
        )
        wall, cpu, _ = timed(matcher + ["explain", "--proposal", str(run), "--client", worst[1]], repeats)
        rows.append(Row(name, "explain --client (worst unmatched)", wall, cpu, worst[1]))
        wall, cpu, _ = timed(
            matcher + ["explain", "--proposal", str(run), "--client", worst[1], "--max-resolves", "0"],
            repeats,
        )
        rows.append(Row(name, "explain --client (worst unmatched), no search", wall, cpu, "--max-resolves 0"))
        if before:
            plain = work / f"{size}-{origin}-s{seed}-plain"
            plain.mkdir(exist_ok=True)
            shutil.copy(run / "proposals.csv", plain / "proposals.csv")
            wall, cpu, _ = timed(
                matcher + ["explain", str(instance), "--proposal", str(plain), "--client", worst[1]], 1
            )
            rows.append(Row(name, "explain INSTANCE --proposal plain (before)", wall, cpu, worst[1]))
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| instance | command | wall s | CPU s | target | detail |", "|---|---|---:|---:|---|---|"]
    for row in rows:
        size = row.instance.split()[0]
        target = TARGETS.get(size)
        review = row.command.startswith(("check RUN", "explain --"))
        mark = "" if not (review and target) else ("met" if row.wall <= target else f"> {target:g} s")
        lines.append(
            f"| {row.instance} | {row.command} | {row.wall:.2f} | {row.cpu:.2f} | {mark} | {row.detail} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["300x200", "2000x1200"])
    parser.add_argument(
        "--origin", nargs="+", default=["strict", "prefer"], choices=["strict", "region", "prefer"]
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--repeats", type=int, default=3, help="end-to-end runs per command; the fastest counts"
    )
    parser.add_argument(
        "--sample", type=int, default=3, help="unmatched clients per reason above 300 clients"
    )
    parser.add_argument("--before", action="store_true", help="also time explain as before (plain folder)")
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for instances and runs (default: temporary)"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="matcher-review-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; work folder {work}")
    rows: list[Row] = []
    for size in args.sizes:
        for origin in args.origin:
            rows += bench(size, origin, args.seed, work, args.repeats, args.sample, args.before)
            print(table(rows[-10:]), flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
