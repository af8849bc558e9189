"""LP and MIP models on OR-Tools' compiled model builder, without its Python layer.

`ortools.linear_solver.python.model_builder` is a thin Python layer over the compiled
`model_builder_helper`, and importing it imports pandas: about 0.45 s of every weekly run's
start-up (issue 17). The engine never uses that layer's expressions: it fills a model from sparse
arrays in one call and reads whole arrays of values and duals. Those are calls of the compiled
helper, so this module wraps exactly them, with the names and behaviour of model_builder's `Model`
and `Solver` (a figure without a solution is NaN here where model_builder gives `pd.NA`; both read
as "no figure" through `backend.number`). tests/solver/test_lp_model.py solves the same models
through both and must pass on every OR-Tools upgrade.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

SolveStatus = mbh.SolveStatus


class Model:
    """An empty model; fill it through `helper` (`fill_model_from_sparse_data`, bounds, integrality)."""

    def __init__(self) -> None:
        self.helper = mbh.ModelBuilderHelper()


class Solver:
    """One backend ("glop", "highs", "scip", …) and the result of its last solve."""

    def __init__(self, solver_name: str) -> None:
        self.helper = mbh.ModelSolverHelper(solver_name)

    def enable_output(self, enabled: bool) -> None:
        self.helper.enable_output(enabled)

    def set_solver_specific_parameters(self, parameters: str) -> None:
        self.helper.set_solver_specific_parameters(parameters)

    def set_time_limit_in_seconds(self, limit: float) -> None:
        self.helper.set_time_limit_in_seconds(limit)

    def solve(self, model: Model) -> SolveStatus:
        self.helper.clear_log_callback()
        self.helper.solve(model.helper)
        return self.helper.status()

    @property
    def status_string(self) -> str:
        return str(self.helper.status_string())

    @property
    def objective_value(self) -> float:
        return float(self.helper.objective_value()) if self.helper.has_solution() else math.nan

    @property
    def best_objective_bound(self) -> float:
        return float(self.helper.best_objective_bound()) if self.helper.has_solution() else math.nan

    def variable_values(self) -> np.ndarray:
        """Every variable's value, in model order."""
        return np.asarray(self.helper.variable_values(), dtype=float)

    def dual_values(self) -> np.ndarray:
        """Every row's dual value, in model order."""
        return np.asarray(self.helper.dual_values(), dtype=float)
