"""Families benchmark (issue 17): every family of generated weeks at every size, many seeds each,
reported by the median AND the worst instance, with every level's status and the deterministic
work the solve did.

    python benchmarks/run.py                                   # the default: all families, 300x200 ×200 and 2000x1200 ×10
    python benchmarks/run.py --families strict --instances 300x200=20
    python benchmarks/families.py --families plain,strict --instances 300x200=30,2000x1200=3

Families (`matcher generate --family`, matcher/generate/instance.py):
- plain: the generator's realistic week (origin rule prefer);
- tight: most wijken start the week with their recent load 0–2 below the cap;
- strict: origin rule strict, 20–40 % of clients with (more) excluded municipalities or wijken,
  declines of every scope (some spelled out, some lapsed), support slots for ~85 % of municipality
  × intensity pairs, intake ceilings in ~90 % of municipalities;
- identical: clients copied from one template per 25 and units from one per 12.
Instance k of a family and size is `generate_instance(REGION, clients, units, seed=k, family=…)`,
k = 1 … count, cached in `cache/families/<family>-<size>-s<k>/`.

Each instance is solved once, in a fresh process (`run.py _worker engine`), without a time limit:
`process_s` is the whole process from start to files written (interpreter start-up and imports
included, what a coordinator waits for), `end_to_end_s` the same inside the process (read, solve,
write), and per level its status, seconds, method and work (LPs, MIPs, branch-and-bound nodes,
bounded steps: the same on every machine). A run over `--run-timeout` is killed and counted as a
timeout, infinitely slow.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

FAMILIES = ("plain", "tight", "strict", "identical")
REGION = "zuid-kennemerland"
DEFAULT_COUNTS = {"300x200": 200, "2000x1200": 10}
LEVELS = ("priority", "preference", "agreements", "spreading", "fair_share")
# the targets: worst process seconds, and the levels that must all be proven
TARGETS = {
    "300x200": (
        1.0,
        LEVELS,
        "worst ≤ 1 s end to end (process start to files written), every level proven",
    ),
    "2000x1200": (5.0, ("priority", "preference"), "worst ≤ 5 s end to end, W and P proven"),
}
CACHE = HERE / "cache" / "families"
RESULTS = HERE / "results"
COLUMNS = (
    "family",
    "size",
    "asked",
    "ran",
    "completed",
    "timeouts",
    "errors",
    "pairs_median",
    "process_s_median",
    "process_s_worst",
    "worst_seed",
    "cpu_s_median",
    "cpu_s_worst",
    "end_to_end_s_median",
    "end_to_end_s_worst",
    "solve_s_worst",
    "wp_s_worst",
    "late_s_worst",
    "late_over_wp",
    "status_counts",
    "budget_stops",
    "mip_nodes_max",
    "mip_nodes_max_seed",
    "target",
    "target_met",
)


def parse_counts(text: str) -> dict[str, int]:
    """'300x200=200,2000x1200=10' → {'300x200': 200, '2000x1200': 10}."""
    from instances import parse_size, size_label

    counts = {}
    for item in (part.strip() for part in text.split(",") if part.strip()):
        size, _, count = item.partition("=")
        counts[size_label(*parse_size(size))] = int(count) if count else DEFAULT_COUNTS.get(size, 10)
    return counts


def family_instance(family: str, clients: int, units: int, seed: int, cache: Path = CACHE) -> Path:
    """The cached instance folder (generated when missing; the marker is written last)."""
    from matcher.generate.instance import generate_instance, write_instance

    key = f"{family}-{clients}x{units}-s{seed}"
    folder, marker = cache / key, cache / f"{key}.done"
    if folder.is_dir() and marker.is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    write_instance(generate_instance(REGION, clients, units, seed, family=family), folder)
    marker.write_text("generated\n", encoding="utf-8")
    return folder


LATE = ("agreements", "spreading", "fair_share")  # the tie-break levels, bounded by work


def _late_seconds(result: dict) -> float:
    return sum(level["seconds"] for level in result["levels"] if level["name"] in LATE)


def _wp_seconds(result: dict) -> float:
    """Seconds of the levels before the tie-breaks (solved together they share one figure)."""
    seen, total = set(), 0.0
    for level in result["levels"]:
        if level["name"] in LATE:
            continue
        key = (level["seconds"], level["method"])
        if key not in seen:
            seen.add(key)
            total += level["seconds"]
    return total


def summarise(family: str, size: str, asked: int, results: list[dict]) -> dict:
    """One row (every key in COLUMNS) from the runs of one family and size."""
    ok = [r for r in results if r.get("outcome") == "ok"]
    failed = [r for r in results if r.get("outcome") != "ok"]
    row = dict.fromkeys(COLUMNS)
    row.update(
        family=family,
        size=size,
        asked=asked,
        ran=len(results),
        completed=len(ok),
        timeouts=sum(r.get("outcome") == "timeout" for r in results),
        errors=sum(r.get("outcome") == "error" for r in results),
    )
    process = [r["process_s"] for r in ok] + [math.inf] * len(failed)
    if process:
        row["process_s_median"] = float(statistics.median(process))
        worst = max(results, key=lambda r: r["process_s"] if r.get("outcome") == "ok" else math.inf)
        row["process_s_worst"] = worst["process_s"] if worst.get("outcome") == "ok" else math.inf
        row["worst_seed"] = worst.get("seed")
    # CPU seconds of the whole process (user + system, from wait4): less noisy than wall seconds
    # on a shared machine; the worst is the largest, whichever instance has it
    cpu = [r["process_cpu_s"] for r in ok if r.get("process_cpu_s") is not None]
    if cpu:
        row["cpu_s_median"] = float(statistics.median(cpu))
        row["cpu_s_worst"] = max(cpu)
    if ok:
        row["pairs_median"] = int(statistics.median(r["pairs"] for r in ok))
        e2e = [r["seconds"]["end_to_end"] for r in ok] + [math.inf] * len(failed)
        row["end_to_end_s_median"] = float(statistics.median(e2e))
        row["end_to_end_s_worst"] = max(e2e)
        row["solve_s_worst"] = max(r["seconds"]["solve"] for r in ok)
        row["wp_s_worst"] = max(_wp_seconds(r) for r in ok)
        row["late_s_worst"] = max(_late_seconds(r) for r in ok)
        # the tie-break levels either took no longer than W and P or stopped at their budget
        row["late_over_wp"] = sum(
            _late_seconds(r) > _wp_seconds(r)
            and not any("budget" in level["method"] for level in r["levels"])
            for r in ok
        )
        counts: dict[str, Counter] = {name: Counter() for name in LEVELS}
        for r in ok:
            for level in r["levels"]:
                if level["name"] in counts:
                    counts[level["name"]][level["status"]] += 1
        row["status_counts"] = {name: dict(sorted(c.items())) for name, c in counts.items()}
        row["budget_stops"] = sum(any("budget" in level["method"] for level in r["levels"]) for r in ok)
        heaviest = max(ok, key=lambda r: r["work"]["mip_nodes"])
        row["mip_nodes_max"] = heaviest["work"]["mip_nodes"]
        row["mip_nodes_max_seed"] = heaviest.get("seed")
    if size in TARGETS:
        limit, levels, text = TARGETS[size]
        row["target"] = text
        proven = bool(ok) and all(row["status_counts"][name].get("optimal", 0) == len(ok) for name in levels)
        row["target_met"] = bool(
            ok and not failed and len(results) >= asked and proven and row["process_s_worst"] <= limit
        )
    return row


def run_families(
    families: list[str],
    counts: dict[str, int],
    *,
    workers: int = 2,
    run_timeout: float = 900.0,
    cache: Path = CACHE,
    out: Path = RESULTS,
    log=print,
) -> dict:
    """Solve every instance of every family and size; write OUT/families.json and .md."""
    from run import _load, _versions, measure

    from instances import parse_size

    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = _load()
    rows, details = [], []
    for size, count in counts.items():
        clients, units = parse_size(size)
        for family in families:
            results = []
            for seed in range(1, count + 1):
                folder = family_instance(family, clients, units, seed, cache)
                result = measure("engine", folder, run_timeout, workers=workers)
                result["seed"] = seed
                results.append(result)
                if result["outcome"] != "ok":
                    log(f"  {family} {size} seed {seed}: {result['outcome']}: {result.get('error')}")
                elif result["process_s"] > TARGETS.get(size, (math.inf,))[0]:
                    log(
                        f"  {family} {size} seed {seed}: {result['process_s']:.2f} s "
                        f"({result.get('process_cpu_s', 0):.2f} s CPU), "
                        + ", ".join(
                            f"{lv['name']} {lv['status']} {lv['seconds']:.2f} s" for lv in result["levels"]
                        )
                    )
            row = summarise(family, size, count, results)
            rows.append(row)
            details.append({"family": family, "size": size, "runs": results})
            log(
                f"{family} {size}: {row['completed']}/{row['asked']} ran, median {_fmt(row['process_s_median'])} s, "
                f"worst {_fmt(row['process_s_worst'])} s (seed {row['worst_seed']}); "
                f"CPU median {_fmt(row['cpu_s_median'])} s, worst {_fmt(row['cpu_s_worst'])} s"
            )
    report = {
        "meta": {
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "load_before": load_before,
                "load_after": _load(),
            },
            "versions": _versions(),
            "options": {
                "families": families,
                "counts": counts,
                "workers": workers,
                "run_timeout": run_timeout,
                "region": REGION,
            },
        },
        "columns": list(COLUMNS),
        "rows": rows,
        "details": details,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "families.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "families.json").write_text(
        json.dumps(_json_safe(report), indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    return report


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "timeout" if math.isinf(value) else f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _statuses(counts: dict | None, names: tuple[str, ...]) -> str:
    if not counts:
        return "—"
    cells = []
    for name in names:
        c = counts.get(name, {})
        text = f"{c.get('optimal', 0)}"
        others = {status: n for status, n in c.items() if status != "optimal"}
        if others:
            text += " (" + ", ".join(f"{n} {status}" for status, n in sorted(others.items())) + ")"
        cells.append(text)
    return " · ".join(cells)


def render_markdown(report: dict) -> str:
    header = [
        "family",
        "size",
        "instances",
        "pairs (median)",
        "end to end s, median",
        "end to end s, worst (seed)",
        "CPU s, median · worst",
        "in process s, median · worst",
        "W+P s, worst",
        "tie-breaks s, worst",
        "proven W · P · agreements · spreading · fair share",
        "stopped at budget",
        "MIP nodes, most (seed)",
        "target met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in report["rows"]:
        ran = f"{r['completed']}/{r['asked']}"
        if r["timeouts"] or r["errors"]:
            ran += f" ({r['timeouts']} timeouts, {r['errors']} errors)"
        cells = [
            r["family"],
            r["size"],
            ran,
            _fmt(r["pairs_median"]),
            _fmt(r["process_s_median"]),
            f"{_fmt(r['process_s_worst'])} ({r['worst_seed']})",
            f"{_fmt(r['cpu_s_median'])} · {_fmt(r['cpu_s_worst'])}",
            f"{_fmt(r['end_to_end_s_median'])} · {_fmt(r['end_to_end_s_worst'])}",
            _fmt(r["wp_s_worst"]),
            _fmt(r["late_s_worst"]),
            _statuses(r["status_counts"], LEVELS),
            _fmt(r["budget_stops"]),
            f"{_fmt(r['mip_nodes_max'])} ({r['mip_nodes_max_seed']})",
            {True: "yes", False: "**no**", None: "—"}[r["target_met"]],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    meta = report["meta"]
    notes = [
        "",
        f"Run {meta['finished']} on {meta['host']['cpus']} CPUs ({meta['host']['platform']}), load average "
        f"{meta['host']['load_before']} before and {meta['host']['load_after']} after; matcher "
        f"{meta['versions']['matcher']} ({meta['versions']['commit']}), OR-Tools {meta['versions']['ortools']}, "
        f"Python {meta['versions']['python']}; {meta['options']['workers']} workers, no time limit.",
        "End to end: the whole process, interpreter start-up and imports included, to the files written; "
        "in process: read, solve and write. Instance k of a family is seed k. A proven count reads "
        "'optimal (others)'; 'stopped at budget' counts instances where a tie-break level used its whole "
        "work budget (reported `feasible` with the LP's bound).",
    ]
    for r in report["rows"]:
        if r["target"]:
            notes.append(
                f"Target {r['family']} {r['size']}: {r['target']} — "
                f"{ {True: 'met', False: 'NOT met', None: 'not measured'}[r['target_met']] }."
            )
    return "\n".join(lines + notes) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    run_from_arguments(args)


def add_arguments(parser: argparse.ArgumentParser, shared: bool = True) -> None:
    """The families benchmark's options (`shared`: also --workers, --run-timeout and --out, which
    benchmarks/run.py already has)."""
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated families")
    parser.add_argument(
        "--instances",
        default=",".join(f"{size}={count}" for size, count in DEFAULT_COUNTS.items()),
        help="SIZE=COUNT,… instances (seeds 1…COUNT) per family and size",
    )
    parser.add_argument("--family-cache", type=Path, default=CACHE)
    if shared:
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--run-timeout", type=float, default=900.0)
        parser.add_argument("--out", type=Path, default=RESULTS)


def run_from_arguments(args: argparse.Namespace) -> dict:
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise SystemExit(f"unknown families {sorted(unknown)}; choose from {', '.join(FAMILIES)}")
    began = time.perf_counter()
    report = run_families(
        families,
        parse_counts(args.instances),
        workers=args.workers,
        run_timeout=args.run_timeout,
        cache=args.family_cache,
        out=args.out,
        log=lambda text: print(text, flush=True),
    )
    print()
    print(render_markdown(report))
    print(
        f"Written to {args.out / 'families.json'} and {args.out / 'families.md'} in {time.perf_counter() - began:.0f} s"
    )
    return report


if __name__ == "__main__":
    main()
