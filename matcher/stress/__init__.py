"""Planners' stress tests: scenario sweeps and multi-week simulation, serially or on Dask.

    sweep = load_sweep("instances/scenarios/spreading-caps.yaml")
    result = run_sweep(sweep)                 # local Dask cluster, one worker per core
    write_outputs(result, Path("out/stress"))

See docs/stress-tests.md for the scenario file, the weekly steps and every KPI.
"""

from matcher.stress.scenario import ScenarioError, Sweep, load_sweep, parse_sweep
from matcher.stress.sweep import SweepResult, run_sweep

__all__ = ["ScenarioError", "Sweep", "SweepResult", "load_sweep", "parse_sweep", "run_sweep", "write_outputs"]


def write_outputs(result, out):
    """Write every table, picture, report.html and sweep.json into `out` (see matcher.stress.report)."""
    from matcher.stress.report import write_outputs as write

    return write(result, out)
