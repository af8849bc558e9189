"""`matcher.solver.lp_model` answers as OR-Tools' model_builder does on the engine's own models.

The wrapper calls OR-Tools' compiled model builder directly (so a weekly run does not import
pandas); these tests solve the same formulations through both and must pass on every OR-Tools
upgrade: the same status, objective, bound, values and duals for GLOP, and for a MIP.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ortools.linear_solver.python import model_builder as mb

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.rules.eligibility import Eligibility
from matcher.solver import lp_model
from matcher.solver.formulation import build_formulation, candidate_pairs


def _formulation(folder: Path, family: str, seed: int):
    instance = read_instance(
        write_instance(generate_instance("west-friesland", 40, 30, seed, family=family), folder)
    )
    rules = Eligibility(instance)
    return build_formulation(rules.arrays, candidate_pairs(rules.arrays, rules.pairs))


def _same_model_in_both(f, integral: bool) -> tuple[lp_model.Model, mb.Model]:
    ours = f.to_model(f.candidates.weight.astype(float), maximize=True, integral=integral)
    theirs = mb.Model()
    theirs.helper.overwrite_model(ours.helper)
    return ours, theirs


@pytest.mark.parametrize("family, seed", [("plain", 1), ("tight", 2), ("strict", 3), ("identical", 4)])
def test_glop_answers_as_model_builder(family: str, seed: int, tmp_path: Path) -> None:
    f = _formulation(tmp_path / "week", family, seed)
    ours_model, theirs_model = _same_model_in_both(f, integral=False)
    ours, theirs = lp_model.Solver("glop"), mb.Solver("glop")
    for solver in (ours, theirs):
        solver.enable_output(False)
    status = ours.solve(ours_model)
    assert status == theirs.solve(theirs_model) == lp_model.SolveStatus.OPTIMAL
    assert ours.objective_value == pytest.approx(float(theirs.objective_value), abs=1e-9)
    assert ours.objective_value > 0
    assert np.array_equal(
        ours.variable_values(), theirs.values(theirs_model.get_variables()).to_numpy(dtype=float)
    )
    assert np.array_equal(
        ours.dual_values(), theirs.dual_values(theirs_model.get_linear_constraints()).to_numpy(dtype=float)
    )


def test_a_mip_and_its_bound_answer_as_model_builder(tmp_path: Path) -> None:
    f = _formulation(tmp_path / "week", "strict", 5)
    ours_model, theirs_model = _same_model_in_both(f, integral=True)
    ours, theirs = lp_model.Solver("highs"), mb.Solver("highs")
    for solver in (ours, theirs):
        solver.enable_output(False)
        solver.set_solver_specific_parameters("mip_rel_gap = 0\nthreads = 1")
    assert ours.solve(ours_model) == theirs.solve(theirs_model) == lp_model.SolveStatus.OPTIMAL
    assert ours.objective_value == float(theirs.objective_value)
    assert ours.best_objective_bound == float(theirs.best_objective_bound)
    values = ours.variable_values()
    assert np.all(np.isclose(values, 0) | np.isclose(values, 1)) and values.sum() > 0


def test_no_solution_gives_no_figure() -> None:
    """An infeasible model: no objective and no bound (model_builder gives pd.NA, we give NaN; both
    read as "none" through backend.number)."""
    from matcher.solver.backend import number

    model = lp_model.Model()
    model.helper.add_var()  # 2 <= x <= 1
    model.helper.set_var_lower_bound(0, 2.0)
    model.helper.set_var_upper_bound(0, 1.0)
    solver = lp_model.Solver("glop")
    solver.enable_output(False)
    assert solver.solve(model) == lp_model.SolveStatus.INFEASIBLE
    assert math.isnan(solver.objective_value) and number(solver.best_objective_bound) is None
