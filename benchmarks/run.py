"""Engine benchmarks.

`python benchmarks/run.py` (`make bench`) runs the families benchmark (benchmarks/families.py,
issue 17): every family of generated weeks (plain, tight, strict, identical) at 300x200 (200
seeds) and 2000x1200 (10 seeds), each instance in a fresh process, reported by the median and the
worst instance, with every level's status and work:

    python benchmarks/run.py
    python benchmarks/run.py --families strict,identical --instances 300x200=50

With `--sizes`, `--quick` or `--classic` it runs the per-size benchmark instead: end-to-end and
per-phase time, peak memory, W, P, bounds and status per size, with the priority-order greedy and
a plain single-model MIP on CP-SAT, HiGHS and SCIP as baselines measured in the same run.
Protocol and columns: benchmarks/README.md.

    python benchmarks/run.py --classic                # 300x200, 2000x1200, 5000x3000, 20000x10000, 5 runs
    python benchmarks/run.py --quick                  # 300x200 and 2000x1200, 1 run, plain limit 10 s
    python benchmarks/run.py --sizes 300x200 --runs 3 --plain-time-limit 30

Every engine run and every plain run is a fresh subprocess of this script, so its peak memory is
that process's maximum resident set size (from wait4) and nothing is cached between runs.
Writes OUT/families.json and .md, or OUT/bench.json and .md, and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# the worker (`run.py _worker`) is what is timed from process start: it imports only what it
# needs, like the `matcher solve` command; the instance builders are imported where they are used
CACHE = HERE / "cache"
DEFAULT_SEED = 2026

DEFAULT_SIZES = "300x200,2000x1200,5000x3000,20000x10000"
QUICK_SIZES = "300x200,2000x1200"
RESULTS = HERE / "results"
PHASES = ("read", "eligibility", "formulation", "build", "solve", "write")
BACKENDS = ("cp-sat", "highs", "scip")
NATIONAL_TIME_LIMIT = 45.0  # engine solve limit for national sizes under --engine-time-limit auto

# Every row of bench.json has exactly these keys (None where a figure does not exist).
COLUMNS = (
    "size",
    "clients",
    "units",
    "kind",
    "seed",
    "pairs",
    "candidates",
    "density_pct",
    "runs",
    "runs_completed",
    "timeouts",
    "engine_time_limit",
    "end_to_end_s",
    *(f"{phase}_s" for phase in PHASES),
    "process_s",
    "peak_mb",
    "W",
    "W_bound",
    "gap_pct",
    "P",
    "P_bound",
    "P_gap_pct",
    "status_W",
    "status_P",
    "greedy_W",
    "greedy_ratio",
    "full_caps",
    "full_intake",
    "full_slots",
    *(
        f"{b}_{field}"
        for b in ("cpsat", "highs", "scip")
        for field in ("W", "W_bound", "W_bound_source", "P", "status", "seconds", "peak_mb", "ratio")
    ),
    "plain_note",
    "target",
    "target_met",
)
TARGETS = {
    "300x200": "W and P proven optimal, end to end ≤ 1 s",
    "2000x1200": "W and P proven optimal, end to end ≤ 10 s",
    "20000x10000": "W within 0.1 % of its proven bound, end to end ≤ 60 s, peak ≤ 4 GB",
}


# --- one measurement in a fresh process ------------------------------------------------------


def _spawn(argv: list[str], timeout: float) -> dict:
    """Run argv in its own process group; wall and CPU seconds, exit code, peak RSS (MB), timeout flag."""
    with tempfile.TemporaryFile(mode="w+") as log:
        began = time.perf_counter()
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - began > timeout:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # the group of the child we started
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        tail = log.read()[-2000:]
    return {
        "wall_s": wall,
        "exit_code": process.returncode,
        "timed_out": timed_out,
        "peak_mb": usage.ru_maxrss / 1024.0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "log_tail": tail,
    }


def measure(kind: str, instance: Path, timeout: float, **options) -> dict:
    """One engine or plain run in a fresh subprocess; its JSON result plus wall time and peak MB."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "_worker",
            kind,
            "--instance",
            str(instance),
            "--result",
            str(result_file),
        ]
        for key, value in options.items():
            if value is not None:
                argv += [f"--{key.replace('_', '-')}", str(value)]
        spawned = _spawn(argv, timeout)
        result = json.loads(result_file.read_text()) if result_file.is_file() else {}
    result.update(
        process_s=spawned["wall_s"],
        process_cpu_s=spawned["cpu_s"],
        peak_mb=spawned["peak_mb"],
        exit_code=spawned["exit_code"],
    )
    if spawned["timed_out"]:
        result["outcome"] = "timeout"
        result["error"] = f"killed after {timeout:g} s (--run-timeout)"
    elif spawned["exit_code"] != 0 or not result:
        result["outcome"] = "error"
        result["error"] = (
            spawned["log_tail"].strip().splitlines()[-1]
            if spawned["log_tail"].strip()
            else f"exit code {spawned['exit_code']}"
        )
    else:
        result["outcome"] = "ok"
    return result


# --- the worker side: what runs inside the fresh process --------------------------------------


def _tight_counts(proposal) -> dict:
    """How many caps, intake ceilings and slot rows the proposal fills (among those with
    eligible pairs), as 'full/with eligible pairs': evidence that the limits bind."""
    import numpy as np

    a, c, chosen, pairs = proposal.arrays, proposal.candidates, proposal.chosen, proposal.pairs
    intensity = a.client_intensity[pairs.client]
    counted = ~a.unit_exempt[pairs.unit]
    wijk = a.unit_neighbourhood[pairs.unit]
    municipality = a.unit_municipality[pairs.unit]
    added = np.bincount(c.neighbourhood[chosen], weights=c.load[chosen], minlength=len(a.neighbourhood_ids))
    relevant = np.unique(wijk[counted])
    full_caps = int((a.neighbourhood_room[relevant] - added[relevant] < 1).sum())
    placed = np.bincount(c.municipality[chosen], minlength=len(a.municipality_ids))
    limited = np.unique(municipality[a.municipality_max_intake[municipality] >= 0])
    full_intake = int((placed[limited] >= a.municipality_max_intake[limited]).sum())
    slot_keys = set(zip(municipality.tolist(), intensity.tolist())) & set(a.slots)
    chosen_keys = list(zip(c.municipality[chosen].tolist(), c.intensity[chosen].tolist()))
    used: dict = {}
    for key in chosen_keys:
        used[key] = used.get(key, 0) + 1
    full_slots = sum(1 for key in slot_keys if used.get(key, 0) >= a.slots[key])
    return {
        "full_caps": f"{full_caps}/{len(relevant)}",
        "full_intake": f"{full_intake}/{len(limited)}",
        "full_slots": f"{full_slots}/{len(slot_keys)}",
    }


def engine_worker(instance: Path, workers: int, time_limit: float | None) -> dict:
    """Read, run and write one proposal, timing each phase."""
    began = time.perf_counter()
    from matcher.io.read import read_instance
    from matcher.io.write import write_proposal
    from matcher.proposal import solve
    from matcher.solver.settings import SolveSettings

    imports = time.perf_counter() - began

    settings = SolveSettings(workers=workers, time_limit=time_limit)
    start = time.perf_counter()
    loaded = read_instance(instance)
    read = time.perf_counter() - start
    proposal = solve(loaded, settings)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-proposal-") as out:
        write_proposal(proposal, instance, Path(out), settings)
    write = time.perf_counter() - began
    end_to_end = time.perf_counter() - start
    levels = [
        {
            "name": level.name,
            "status": level.status,
            "value": _plain_number(level.value),
            "bound": _plain_number(level.bound),
            "seconds": round(level.seconds, 4),
            "method": level.method,
            "work": level.work.as_dict(),
        }
        for level in proposal.solution.levels
    ]
    by_name = {level["name"]: level for level in levels}
    seconds = {
        "imports": imports,
        "read": read,
        "write": write,
        "end_to_end": end_to_end,
        **dict(proposal.seconds),
    }
    return {
        "seconds": {key: round(value, 4) for key, value in seconds.items()},
        "pairs": len(proposal.pairs),
        "candidates": len(proposal.candidates),
        "placed": len(proposal.chosen),
        "W": proposal.priority,
        "W_bound": by_name["priority"]["bound"],
        "P": proposal.preference,
        "P_bound": by_name["preference"]["bound"],
        "status_W": by_name["priority"]["status"],
        "status_P": by_name["preference"]["status"],
        "greedy_W": proposal.greedy_priority,
        "levels": levels,
        "work": proposal.solution.work.as_dict(),
        **_tight_counts(proposal),
    }


def _plain_number(value):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else round(value, 6)


def worker_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="run.py _worker")
    parser.add_argument("kind", choices=["engine", "plain"])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--backend", default=None)
    args = parser.parse_args(argv)
    if args.kind == "engine":
        result = engine_worker(args.instance, args.workers, args.time_limit)
    else:
        from plain import run_plain

        result = run_plain(args.instance, args.backend, args.time_limit or 60.0, args.workers)
    args.result.write_text(json.dumps(result, indent=1) + "\n")


# --- aggregating runs into a row --------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    """Median with timeouts counted as +inf (so more than half timing out gives inf)."""
    if not values:
        return None
    return float(statistics.median(values))


def _round(value, digits=3):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return value
    return round(value, digits)


def _ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    if not (math.isfinite(numerator) and math.isfinite(denominator)):
        return None
    return round(numerator / denominator, 4)


def engine_time_limit(option: str, clients: int) -> float | None:
    """'auto': no limit for regional sizes (solve to proven optimality), NATIONAL_TIME_LIMIT from
    the national sizes on; 'none': never; a number: that many seconds for every size."""
    if option == "auto":
        from instances import is_national

        return NATIONAL_TIME_LIMIT if is_national(clients) else None
    if option.lower() == "none":
        return None
    return float(option)


def summarise(
    label: str,
    clients: int,
    units: int,
    seed: int,
    info: dict,
    runs: list[dict],
    plain: dict,
    plain_note: str | None,
    time_limit: float | None,
) -> dict:
    """One row of the table (every key in COLUMNS) from the engine runs and the plain runs."""
    row = dict.fromkeys(COLUMNS)
    ok = [r for r in runs if r.get("outcome") == "ok"]
    row.update(
        size=label,
        clients=clients,
        units=units,
        kind=info.get("kind"),
        seed=seed,
        runs=len(runs),
        runs_completed=len(ok),
        timeouts=sum(r.get("outcome") == "timeout" for r in runs),
        engine_time_limit=time_limit,
        plain_note=plain_note,
    )
    pairs = ok[0]["pairs"] if ok else info.get("eligible_pairs")
    row["pairs"] = pairs
    row["density_pct"] = _round(100.0 * pairs / (clients * units), 3) if pairs is not None else None
    failed = [r for r in runs if r.get("outcome") != "ok"]

    def phase(key: str):
        values = [r["seconds"][key] for r in ok if key in r.get("seconds", {})]
        values += [math.inf] * len(failed)
        return _round(_median(values))

    row["end_to_end_s"] = phase("end_to_end")
    for name in PHASES:
        row[f"{name}_s"] = phase(name)
    row["process_s"] = _round(_median([r["process_s"] for r in runs]))
    row["peak_mb"] = _round(max((r["peak_mb"] for r in runs), default=None), 1)
    if ok:
        first = ok[0]
        row.update(
            candidates=first["candidates"],
            W=first["W"],
            W_bound=first["W_bound"],
            P=first["P"],
            P_bound=first["P_bound"],
            greedy_W=first["greedy_W"],
            full_caps=first["full_caps"],
            full_intake=first["full_intake"],
            full_slots=first["full_slots"],
        )
        # the worst status over the runs (a time limit may prove it in one run and not another)
        for level in ("status_W", "status_P"):
            statuses = {r[level] for r in ok}
            row[level] = "optimal" if statuses == {"optimal"} else "/".join(sorted(statuses))
        if len({(r["W"], r["P"]) for r in ok}) > 1:
            row["status_W"] += " (W/P differ between runs)"
        row["gap_pct"] = (
            _round(100.0 * (first["W_bound"] - first["W"]) / first["W_bound"], 4) if first["W_bound"] else 0.0
        )
        row["P_gap_pct"] = (
            _round(100.0 * (first["P_bound"] - first["P"]) / first["P_bound"], 4) if first["P_bound"] else 0.0
        )
        row["greedy_ratio"] = _ratio(first["greedy_W"], first["W"])
    else:
        outcome = {r.get("outcome") for r in runs}
        row["status_W"] = row["status_P"] = "/".join(sorted(outcome))
    ours = phase("eligibility"), phase("build"), phase("solve")
    ours_total = sum(ours) if all(v is not None for v in ours) else None
    for backend in BACKENDS:
        prefix = backend.replace("-", "")
        result = plain.get(backend)
        if not result:
            continue
        if result.get("outcome") != "ok":
            row[f"{prefix}_status"] = result.get("outcome")
            row[f"{prefix}_seconds"] = _round(result.get("process_s"))
        else:
            seconds = result["seconds"]["total"]
            row.update(
                {
                    f"{prefix}_W": result["W"],
                    f"{prefix}_W_bound": result["W_bound"],
                    f"{prefix}_W_bound_source": result.get("W_bound_source"),
                    f"{prefix}_P": result["P"],
                    f"{prefix}_status": result["status"],
                    f"{prefix}_seconds": _round(seconds),
                }
            )
            row[f"{prefix}_ratio"] = _ratio(seconds, ours_total)
            if result.get("feasible_check") is False:
                row[f"{prefix}_status"] += " (INFEASIBLE answer)"
        row[f"{prefix}_peak_mb"] = _round(result.get("peak_mb"), 1)
    row["target"] = TARGETS.get(label)
    row["target_met"] = target_met(label, row)
    return row


def target_met(label: str, row: dict) -> bool | None:
    if label not in TARGETS or row["runs_completed"] == 0:
        return None if label not in TARGETS else False
    e2e = row["end_to_end_s"]
    if label in ("300x200", "2000x1200"):
        limit = 1.0 if label == "300x200" else 10.0
        return bool(row["status_W"] == "optimal" and row["status_P"] == "optimal" and e2e <= limit)
    return bool(
        row["gap_pct"] is not None
        and row["gap_pct"] <= 0.1
        and e2e <= 60.0
        and row["peak_mb"] is not None
        and row["peak_mb"] <= 4096
    )


# --- the table --------------------------------------------------------------------------------


def _fmt(value, digits=2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isinf(value):
            return "timeout"
        return f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _plain_cell(row: dict, prefix: str) -> str:
    status = row[f"{prefix}_status"]
    if status is None:
        return "skipped" if row["plain_note"] else "—"
    if status in ("timeout", "error"):
        return f"{status} after {_fmt(row[f'{prefix}_seconds'], 1)} s"
    bound = _fmt(row[f"{prefix}_W_bound"])
    if row[f"{prefix}_W_bound_source"] == "trivial":
        bound += " (trivial)"
    if row[f"{prefix}_W"] is None:
        return f"{status}, bound {bound}, {_fmt(row[f'{prefix}_seconds'], 1)} s"
    ratio = row[f"{prefix}_ratio"]
    at_least = "" if status.startswith("optimal") else "≥"
    w = row[f"{prefix}_W"]
    return (
        f"W {_fmt(w)} ≤ {bound}, {status}, {_fmt(row[f'{prefix}_seconds'], 1)} s "
        f"({at_least}{_fmt(ratio, 1)}×)"
    )


def render_markdown(report: dict) -> str:
    rows = report["rows"]
    meta = report["meta"]
    n_runs = meta["options"]["runs"]
    header = [
        "size",
        "pairs",
        f"end-to-end s (median of {n_runs})",
        "read",
        "eligibility",
        "build",
        "solve",
        "write",
        "peak MB",
        "W",
        "W bound",
        "gap %",
        "P",
        "P bound",
        "status W / P",
        "greedy W (÷ W)",
        "full caps · intake · slots",
        "plain CP-SAT",
        "plain HiGHS",
        "plain SCIP",
        "target met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        greedy = f"{_fmt(r['greedy_W'])} ({_fmt(r['greedy_ratio'], 4)})" if r["greedy_W"] is not None else "—"
        e2e = _fmt(r["end_to_end_s"])
        if r["timeouts"]:
            e2e += f" ({r['timeouts']} of {r['runs']} timed out)"
        cells = [
            r["size"],
            _fmt(r["pairs"]),
            e2e,
            _fmt(r["read_s"]),
            _fmt(r["eligibility_s"]),
            _fmt(r["build_s"]),
            _fmt(r["solve_s"]),
            _fmt(r["write_s"]),
            _fmt(r["peak_mb"], 0),
            _fmt(r["W"]),
            _fmt(r["W_bound"]),
            _fmt(r["gap_pct"], 3),
            _fmt(r["P"]),
            _fmt(r["P_bound"]),
            f"{r['status_W']} / {r['status_P']}",
            greedy,
            f"{r['full_caps'] or '—'} · {r['full_intake'] or '—'} · {r['full_slots'] or '—'}",
            _plain_cell(r, "cpsat"),
            _plain_cell(r, "highs"),
            _plain_cell(r, "scip"),
            {True: "yes", False: "**no**", None: "—"}[r["target_met"]],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        f"Run {meta['finished']} on {meta['host']['cpus']} CPUs ({meta['host']['platform']}), "
        f"load average {meta['host']['load_before']} before and {meta['host']['load_after']} after; "
        f"matcher {meta['versions']['matcher']} ({meta['versions']['commit']}), "
        f"OR-Tools {meta['versions']['ortools']}, Python {meta['versions']['python']}.",
        f"Engine: {meta['options']['workers']} workers, time limit {meta['options']['engine_time_limit']}; "
        f"plain MIPs: time limit {meta['options']['plain_time_limit']} s each, skipped above "
        f"{meta['options']['plain_max_pairs']:,} eligible pairs; per-run timeout {meta['options']['run_timeout']} s.",
        "Seconds are medians over the runs (a timed-out run counts as infinitely slow); peak MB is the "
        "largest max-RSS of any run. A plain cell reads: W found ≤ proven bound, status, its eligibility + build "
        "+ solve seconds (× ours for the same phases; ≥ when it did not prove optimality).",
    ]
    for r in rows:
        if r["plain_note"]:
            notes.append(f"{r['size']}: {r['plain_note']}")
    for r in rows:
        if r["target"]:
            notes.append(
                f"Target {r['size']}: {r['target']} — "
                f"{ {True: 'met', False: 'NOT met', None: 'not measured'}[r['target_met']] }."
            )
    return "\n".join(lines + notes) + "\n"


# --- the whole run -------------------------------------------------------------------------


def _versions() -> dict:
    import ortools

    import matcher

    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            or "unknown"
        )
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if dirty:
            commit += "+uncommitted changes"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "matcher": matcher.__version__,
        "ortools": ortools.__version__,
        "python": platform.python_version(),
        "commit": commit,
    }


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def bench_size(
    clients: int,
    units: int,
    *,
    seed: int,
    runs: int,
    workers: int,
    time_limit_option: str,
    plain_time_limit: float,
    plain_max_pairs: int,
    run_timeout: float,
    cache: Path,
    backends=BACKENDS,
    log=print,
) -> tuple[dict, dict]:
    """Measure one size: `runs` engine runs, then each plain backend once."""
    from instances import ensure_instance, size_label

    label = size_label(clients, units)
    folder, info = ensure_instance(clients, units, seed, cache=cache, log=log)
    if "eligible_pairs" not in info:
        info = _count_pairs(folder, info, cache)
    time_limit = engine_time_limit(time_limit_option, clients)
    results = []
    for k in range(1, runs + 1):
        result = measure("engine", folder, run_timeout, workers=workers, time_limit=time_limit)
        results.append(result)
        if result["outcome"] == "ok":
            log(
                f"  {label} engine run {k}/{runs}: {result['seconds']['end_to_end']:.2f} s end to end, "
                f"peak {result['peak_mb']:.0f} MB, W {result['W']} (bound {result['W_bound']}, {result['status_W']}), "
                f"P {result['P']} (bound {result['P_bound']}, {result['status_P']})"
            )
        else:
            log(f"  {label} engine run {k}/{runs}: {result['outcome']}: {result.get('error')}")
    plain: dict = {}
    pairs = info["eligible_pairs"]
    note = None
    if pairs > plain_max_pairs:
        note = f"plain MIPs skipped: {pairs:,} eligible pairs is above --plain-max-pairs {plain_max_pairs:,}"
        log(f"  {label} {note}")
    else:
        for backend in backends:
            result = measure(
                "plain", folder, run_timeout, backend=backend, time_limit=plain_time_limit, workers=workers
            )
            plain[backend] = result
            if result["outcome"] == "ok":
                log(
                    f"  {label} plain {backend}: {result['status']}, W {result['W']} ≤ {result['W_bound']}, "
                    f"{result['seconds']['total']:.2f} s, peak {result['peak_mb']:.0f} MB"
                )
            else:
                log(f"  {label} plain {backend}: {result['outcome']}: {result.get('error')}")
    row = summarise(label, clients, units, seed, info, results, plain, note, time_limit)
    detail = {
        "size": label,
        "instance": {"path": str(folder), **info},
        "engine_runs": results,
        "plain": plain,
    }
    return row, detail


def _count_pairs(folder: Path, info: dict, cache: Path) -> dict:
    """Eligible pairs of the cached instance, stored in its marker (decides the plain runs)."""
    from matcher.io.read import read_instance
    from matcher.rules.eligibility import Eligibility

    info = {**info, "eligible_pairs": len(Eligibility(read_instance(folder)).pairs)}
    (cache / f"{info['key']}.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def run_benchmark(
    sizes: list[tuple[int, int]],
    *,
    runs: int = 5,
    seed: int = DEFAULT_SEED,
    workers: int = 2,
    engine_time_limit_option: str = "auto",
    plain_time_limit: float = 60.0,
    plain_max_pairs: int = 2_000_000,
    run_timeout: float = 900.0,
    out: Path = RESULTS,
    cache: Path = CACHE,
    backends=BACKENDS,
    log=print,
) -> dict:
    """Measure every size and write OUT/bench.json and OUT/bench.md; returns the report."""
    from instances import describe, size_label

    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = _load()
    rows, details = [], []
    for clients, units in sizes:
        log(f"{size_label(clients, units)} ({describe(clients, units)})")
        row, detail = bench_size(
            clients,
            units,
            seed=seed,
            runs=runs,
            workers=workers,
            time_limit_option=engine_time_limit_option,
            plain_time_limit=plain_time_limit,
            plain_max_pairs=plain_max_pairs,
            run_timeout=run_timeout,
            cache=cache,
            backends=backends,
            log=log,
        )
        rows.append(row)
        details.append(detail)
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
                "sizes": [size_label(*s) for s in sizes],
                "runs": runs,
                "seed": seed,
                "workers": workers,
                "engine_time_limit": engine_time_limit_option,
                "plain_time_limit": plain_time_limit,
                "plain_max_pairs": plain_max_pairs,
                "run_timeout": run_timeout,
                "backends": list(backends),
            },
        },
        "columns": list(COLUMNS),
        "rows": rows,
        "details": details,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "bench.json").write_text(
        json.dumps(_json_safe(report), indent=1, default=str, allow_nan=False) + "\n", encoding="utf-8"
    )
    return report


def _json_safe(value):
    """Strict JSON: a median that is infinite (runs timed out) becomes null; `timeouts` says why."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        worker_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--classic", action="store_true", help="the per-size benchmark with plain-MIP baselines"
    )
    parser.add_argument(
        "--sizes", default=None, help=f"comma-separated CLIENTSxUNITS (default {DEFAULT_SIZES})"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="engine runs per size, median reported (default 5)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"sizes {QUICK_SIZES}, 1 run, plain time limit 10 s (explicit options win)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2, help="engine workers and CP-SAT/HiGHS threads")
    parser.add_argument(
        "--engine-time-limit",
        default="auto",
        help=f"auto (none for regional sizes, {NATIONAL_TIME_LIMIT:g} s for national), none, or seconds",
    )
    parser.add_argument(
        "--plain-time-limit", type=float, default=None, help="seconds per plain solve (default 60)"
    )
    parser.add_argument(
        "--plain-max-pairs",
        type=int,
        default=2_000_000,
        help="skip the plain MIPs above this many eligible pairs",
    )
    parser.add_argument("--backends", default=",".join(BACKENDS), help="plain backends to run")
    parser.add_argument(
        "--run-timeout", type=float, default=900.0, help="kill any one run after this many seconds"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cache", type=Path, default=CACHE)
    import families

    families.add_arguments(parser, shared=False)
    args = parser.parse_args(argv)
    if not (args.classic or args.sizes or args.quick):
        families.run_from_arguments(args)
        return
    sizes_text = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    runs = args.runs or (1 if args.quick else 5)
    plain_limit = args.plain_time_limit or (10.0 if args.quick else 60.0)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(BACKENDS)}")
    from instances import parse_size

    sizes = [parse_size(text) for text in sizes_text.split(",") if text.strip()]
    report = run_benchmark(
        sizes,
        runs=runs,
        seed=args.seed,
        workers=args.workers,
        engine_time_limit_option=args.engine_time_limit,
        plain_time_limit=plain_limit,
        plain_max_pairs=args.plain_max_pairs,
        run_timeout=args.run_timeout,
        out=args.out,
        cache=args.cache,
        backends=backends,
        log=lambda text: print(text, flush=True),
    )
    print()
    print(render_markdown(report))
    print(f"Written to {args.out / 'bench.json'} and {args.out / 'bench.md'}")


if __name__ == "__main__":
    main()
