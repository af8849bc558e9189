"""Budgets of `matcher stress` (issue 12, finding 3): every resource a scenario file can ask for
has a budget, and the sweep's peak memory is checked against the machine before anything starts.

The red team's file (tests/data/ops/clients-per-week-1e9.yaml: a billion new clients a week) grew
by about 250 MB a second until the kernel killed it at 24 GB; it must now be refused in well under
a second, with exit code 2, naming the file, the key, the value, the budget and what to do.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import matcher.stress.sweep  # noqa: F401  (imported here so the timings below are the refusal's own)
from matcher.cli.main import main
from matcher.stress.scenario import (
    MAX_ARRIVALS_PER_WEEK,
    MAX_SCENARIO_WEEKS,
    Budgets,
    ScenarioError,
    check_memory,
    estimate_memory,
    load_sweep,
    parse_sweep,
)
from matcher.stress.sweep import run_sweep, worker_memory

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "tests" / "data" / "ops"
RED_TEAM = OPS / "clients-per-week-1e9.yaml"
TINY = ROOT / "instances" / "scenarios" / "tiny.yaml"
MATCHER = Path(sys.executable).with_name("matcher")
MINIMAL = {
    "name": "t",
    "base": {"region": "west-friesland", "clients": 10, "units": 2},
    "horizon_weeks": 3,
    "arrivals": {"clients_per_week": 1, "units_per_week": 1},
    "seeds": [1],
}
MiB = 2**20


def problems(data: dict, budgets: Budgets | None = None) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_sweep(data, "s.yaml", budgets=budgets)
    return dict(caught.value.problems)


def changed(**paths) -> dict:
    """MINIMAL with `a__b=value` set at data[a][b]."""
    data = copy.deepcopy(MINIMAL)
    for path, value in paths.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return data


# --- the red team's file ---------------------------------------------------------------------------


def test_red_team_file_is_refused_at_once_with_exit_2(tmp_path):
    """A billion clients a week: refused in well under a second, exit 2, every part of the message,
    no traceback, and no output folder."""
    out = tmp_path / "out"
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["stress", str(RED_TEAM), "--out", str(out)])
    seconds = time.perf_counter() - began
    assert result.exit_code == 2, result.output
    assert seconds < 0.5, f"refusal took {seconds:.2f} s"
    text = " ".join(result.output.split())
    assert str(RED_TEAM) in text  # the file
    assert "arrivals.clients_per_week" in text  # the key
    assert "1,000,000,000" in text  # the value
    assert f"budget of {MAX_ARRIVALS_PER_WEEK:,}" in text  # the budget
    assert "lower arrivals.clients_per_week" in text  # what to do
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


# Runs a command and reports its exit code and peak memory. The command is started from this
# small process, not from pytest: Linux counts the memory of the process a child was forked
# from into the child's peak, which from a test runner holding a gigabyte would say nothing.
PROBE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
sys.stderr.write(done.stdout + done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.skipif(not MATCHER.exists(), reason="the matcher command is not installed beside this Python")
def test_red_team_file_is_refused_by_the_command_without_growing(tmp_path):
    """The real command, in its own process: exit 2, no traceback, and its peak memory that of a
    Python process that imported the engine (it grew to 24 GB before)."""
    command = [str(MATCHER), "stress", str(RED_TEAM), "--out", str(tmp_path / "out"), "--no-progress"]
    began = time.perf_counter()
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *command], capture_output=True, text=True, timeout=180, check=True
    )
    seconds = time.perf_counter() - began
    code, peak_kib = (int(word) for word in probe.stdout.split())
    assert code == 2, probe.stderr
    assert "Traceback" not in probe.stderr and "arrivals.clients_per_week" in probe.stderr
    assert peak_kib * 1024 < 400 * MiB, f"peak {peak_kib / 1024:.0f} MiB"
    assert seconds < 60  # interpreter start and imports included; the refusal itself is milliseconds
    assert not (tmp_path / "out").exists()


# --- every figure of the file has a budget ------------------------------------------------------------


@pytest.mark.parametrize(
    "data, key, words",
    [
        (changed(arrivals__clients_per_week=1e9), "arrivals.clients_per_week", "1,000,000,000 new clients"),
        (changed(arrivals__units_per_week=5000), "arrivals.units_per_week", "5,000 new vacancies"),
        (changed(arrivals__clients_per_week=float("inf")), "arrivals.clients_per_week", "inf new clients"),
        (changed(base__clients=10**7), "base.clients", "10,000,000 clients waiting"),
        (changed(base__units=10**7), "base.units", "10,000,000 vacancies"),
        (changed(horizon_weeks=10**6), "horizon_weeks", "1,000,000 weeks"),
        (changed(window_weeks=521), "window_weeks", "521 weeks"),
        (changed(vacancy_weeks=10**9), "vacancy_weeks", "1,000,000,000 weeks"),
        (changed(seeds=list(range(1001))), "seeds", "1,001 seeds"),
        (changed(grid__per_week_waiting=list(range(101))), "grid.per_week_waiting", "101 values"),
        (changed(base__week="9999-12-20"), "base.week", "outside the calendar"),
    ],
)
def test_each_figure_above_its_budget_is_named(data, key, words):
    """Each figure above its budget is reported under its key, with its value and the budget."""
    found = problems(data)
    assert key in found, found
    assert words in found[key]
    assert "budget" in found[key] or "calendar" in found[key]


def test_the_grid_is_counted_before_its_scenarios_are_made():
    """Keys each within budget whose combinations are not: refused by count, without building the
    216,000 scenarios (which at larger sizes would not fit in memory)."""
    began = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        load_sweep(OPS / "huge-grid.yaml")
    assert time.perf_counter() - began < 1
    found = dict(caught.value.problems)
    assert "216,000 scenarios" in found["grid"] and "budget of 10,000" in found["grid"]


def test_simulated_weeks_have_a_budget_a_planner_may_raise(tmp_path):
    """Scenarios × policies × seeds × weeks: refused by default, naming each factor and the option
    that raises it; accepted with a raised budget (for a cluster that can take it)."""
    data = changed(
        horizon_weeks=520,
        seeds=list(range(100)),
        grid={"max_load_per_1000_dwellings": [1, 2, 3, 4, 5]},
    )  # 5 × 2 × 100 × 520 = 520,000
    found = problems(data)
    assert (
        "5 scenarios × 2 policies × 100 seeds × 520 weeks = 520,000 simulated weeks" in found["horizon_weeks"]
    )
    assert f"budget of {MAX_SCENARIO_WEEKS:,}" in found["horizon_weeks"]
    assert "--max-scenario-weeks" in found["horizon_weeks"]
    assert parse_sweep(data, budgets=Budgets(max_scenario_weeks=600_000)).scenario_weeks == 520_000

    file = tmp_path / "long.yaml"
    file.write_text(
        TINY.read_text().replace("horizon_weeks: 4", "horizon_weeks: 520").replace("[1, 2]", "[1, 2, 3]")
    )
    refused = CliRunner().invoke(
        main, ["stress", str(file), "--out", str(tmp_path / "o"), "--max-scenario-weeks", "100"]
    )
    assert refused.exit_code == 2 and "above the budget of 100" in " ".join(refused.output.split())


def test_the_file_itself_has_a_budget(tmp_path):
    """A scenario file is a page of YAML: a huge file is refused before it is read, and an alias
    "bomb" (nine levels of nine aliases) before it expands."""
    big = tmp_path / "big.yaml"
    big.write_text("name: big\n" + "# padding\n" * 200_000)
    with pytest.raises(ScenarioError, match="above the budget of 1,048,576 for a scenario file"):
        load_sweep(big)
    began = time.perf_counter()
    with pytest.raises(ScenarioError, match="anchors and aliases"):
        load_sweep(OPS / "alias-bomb.yaml")
    assert time.perf_counter() - began < 1


def test_committed_sweeps_are_within_every_budget():
    """The committed example sweeps load and fit this machine with a worker per core."""
    for name in ("spreading-caps.yaml", "tiny.yaml"):
        sweep = load_sweep(ROOT / "instances" / "scenarios" / name)
        check_memory(sweep, estimate_memory(sweep), workers=os.cpu_count() or 1)


# --- peak memory against the machine -------------------------------------------------------------------


def test_a_week_larger_than_one_solve_may_be_is_refused():
    """Arrivals within budget that would let a week's queue reach billions of pairs are refused,
    naming the key behind the queue."""
    sweep = parse_sweep(
        changed(arrivals__clients_per_week=2000, arrivals__units_per_week=2000, horizon_weeks=520), "s.yaml"
    )
    with pytest.raises(ScenarioError) as caught:
        check_memory(sweep, estimate_memory(sweep), workers=1)
    found = dict(caught.value.problems)
    assert "budget of 20,000,000 pairs" in found["arrivals.clients_per_week"]


def test_memory_is_checked_against_the_machine_before_anything_starts(monkeypatch):
    """Too many worker processes for the machine's memory: refused before the base instance is
    drawn, with the figures and the number of workers that would fit."""
    sweep = load_sweep(TINY)
    estimate = estimate_memory(sweep)
    fits_one = estimate.need(1) + MiB  # one worker fits, two do not
    monkeypatch.setattr(
        "matcher.stress.sweep.base_instance",
        lambda *args: pytest.fail("the base instance was drawn before the memory check"),
    )
    with pytest.raises(ScenarioError) as caught:
        run_sweep(sweep, workers=2, available=fits_one, progress=False)
    (key, message), *_ = caught.value.problems
    assert key in ("base.clients", "arrivals.clients_per_week", "seeds", "horizon_weeks")
    assert "2 worker processes ×" in message and "run with --workers 1" in message
    assert "four fifths of its memory" in message
    with pytest.raises(ScenarioError, match="one process"):
        run_sweep(sweep, serial=True, available=estimate.need(0) - MiB, progress=False)


def test_memory_refusal_through_the_command(tmp_path, monkeypatch):
    """`matcher stress` exits 2 when the sweep does not fit this machine, writing nothing."""
    monkeypatch.setattr("matcher.solver.size_guard.default_max_bytes", lambda: 100 * MiB)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["stress", str(TINY), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "of memory" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_workers_elsewhere_are_checked_against_their_own_memory_limit():
    """On a cluster, each worker's estimate is checked against the least memory a worker may use."""

    class Cluster:
        def scheduler_info(self):
            return {"workers": {"a": {"memory_limit": 2**30}, "b": {"memory_limit": 50 * MiB}}}

    sweep = load_sweep(TINY)
    assert worker_memory(Cluster()) == 50 * MiB
    with pytest.raises(ScenarioError, match="the cluster's workers may use"):
        check_memory(sweep, estimate_memory(sweep), workers=None, worker_memory=worker_memory(Cluster()))
    check_memory(sweep, estimate_memory(sweep), workers=None, worker_memory=2**30)


def test_the_estimate_grows_with_every_figure():
    """More arrivals, weeks, seeds or scenarios never lower the estimate (and each raises a part)."""
    base = parse_sweep(changed(horizon_weeks=26, arrivals__clients_per_week=20, arrivals__units_per_week=10))
    small = estimate_memory(base)
    for bigger in (
        changed(horizon_weeks=52, arrivals__clients_per_week=20, arrivals__units_per_week=10),
        changed(horizon_weeks=26, arrivals__clients_per_week=40, arrivals__units_per_week=10),
        changed(horizon_weeks=26, arrivals__clients_per_week=20, arrivals__units_per_week=10, seeds=[1, 2]),
        changed(
            horizon_weeks=26,
            arrivals__clients_per_week=20,
            arrivals__units_per_week=10,
            grid={"origin_rule": ["prefer", "strict"]},
        ),
    ):
        large = estimate_memory(parse_sweep(bigger))
        assert large.need(2) > small.need(2)
