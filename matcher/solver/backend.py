"""The solver backend: OR-Tools calls, what their statuses mean here, solver parameters and the
clock that bounds a whole solve."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from matcher.solver.column_generation import variable_values
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.settings import SolveSettings


class SolverFailure(RuntimeError):
    """The solver reported something that cannot happen for a valid formulation."""


# An allocation always exists (nobody placed), objectives are bounded, and the model and
# parameters are ours: these answers mean a bug or a broken install, never bad input.
IMPOSSIBLE = (
    mb.SolveStatus.MODEL_INVALID,
    mb.SolveStatus.INVALID_SOLVER_PARAMETERS,
    mb.SolveStatus.INFEASIBLE,
    mb.SolveStatus.UNBOUNDED,
    mb.SolveStatus.INCOMPATIBLE_OPTIONS,
    mb.SolveStatus.SOLVER_TYPE_UNAVAILABLE,
    mb.SolveStatus.MODEL_IS_VALID,
)
# NOT_SOLVED, ABNORMAL, UNKNOWN_STATUS and CANCELLED_BY_USER mean the time ran out or the solver
# gave up before a solution: the level keeps the allocation it already holds.
SOLVED = (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE)


class Clock:
    """Seconds left of a solve's time limit (None: no limit)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.start = time.perf_counter()

    def expired(self) -> bool:
        return self.limit is not None and time.perf_counter() - self.start >= self.limit

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(0.01, self.limit - (time.perf_counter() - self.start))


def mip_parameters(settings: SolveSettings, integral: bool, node_limit: int | None) -> str:
    if settings.backend == "highs":
        options = {
            "output_flag": "false",
            "random_seed": settings.seed,
            "mip_rel_gap": 0,
            "mip_abs_gap": 0.999 if integral else 1e-7,
            "threads": settings.workers,
        }
        if node_limit is not None:
            options["mip_max_nodes"] = node_limit
        return "\n".join(f"{key}={value}" for key, value in options.items())
    options = {
        "randomization/randomseedshift": settings.seed,
        "limits/gap": 0,
        "limits/absgap": 0.999 if integral else 1e-7,
        "parallel/maxnthreads": settings.workers,
    }
    if node_limit is not None:
        options["limits/nodes"] = node_limit
    return "\n".join(f"{key} = {value}" for key, value in options.items())


def solve_model(
    model: mb.Model, backend: str, parameters: str, clock: Clock
) -> tuple[mb.SolveStatus, mb.Solver]:
    """Solve `model` with `backend` within the clock; a status that cannot happen raises."""
    solver = mb.Solver(backend)
    solver.enable_output(False)
    if parameters:
        solver.set_solver_specific_parameters(parameters)
    remaining = clock.remaining()
    if remaining is not None:
        solver.set_time_limit_in_seconds(remaining)
    status = solver.solve(model)
    if status in IMPOSSIBLE:
        raise SolverFailure(f"the {backend} solver answered {status.name}: {solver.status_string}")
    return status, solver


def number(value: Any) -> float | None:
    """A solver figure as a float, or None when the solver has none (None, NaN, pd.NA, ±inf)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def integral(values: np.ndarray) -> bool:
    return bool(np.all(np.minimum(values, 1 - values) < 1e-6))


def mip(
    f: Formulation,
    objective: np.ndarray,
    maximize: bool,
    integral_objective: bool,
    columns: np.ndarray,
    settings: SolveSettings,
    clock: Clock,
    extra_columns: tuple[np.ndarray, np.ndarray] | None,
    extra_rows: list[Rows],
    node_limit: int | None,
) -> tuple[np.ndarray | None, float | None]:
    """The MIP over `columns`: (chosen pairs or None, the solver's bound or None)."""
    model = f.to_model(
        objective,
        maximize,
        integral=True,
        extra_columns=extra_columns,
        extra_rows=extra_rows,
        columns=columns,
    )
    parameters = mip_parameters(settings, integral_objective, node_limit)
    status, solver = solve_model(model, settings.backend, parameters, clock)
    found = columns[variable_values(solver, model)[: len(columns)] > 0.5] if status in SOLVED else None
    bound = None
    if status in SOLVED or status == mb.SolveStatus.NOT_SOLVED:
        bound = number(solver.best_objective_bound)
        if status == mb.SolveStatus.OPTIMAL and found is not None:
            bound = number(solver.objective_value)
    return found, bound
