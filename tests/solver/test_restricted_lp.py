"""The restricted LP kept in one GLOP across pricing rounds (decision 118): every round answers as
a model built from scratch over the same columns would, its duals prove its objective, and a
round after the first starts from the last basis instead of from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.rules.eligibility import Eligibility
from matcher.solver import lp_model
from matcher.solver.backend import Clock, solve_model
from matcher.solver.column_generation import best_per_group
from matcher.solver.formulation import build_formulation, candidate_pairs
from matcher.solver.restricted_lp import RestrictedLP


def _formulation(folder: Path, family: str, seed: int, clients: int = 120, units: int = 80):
    instance = read_instance(
        write_instance(generate_instance("west-friesland", clients, units, seed, family=family), folder)
    )
    rules = Eligibility(instance)
    return build_formulation(rules.arrays, candidate_pairs(rules.arrays, rules.pairs))


def _restricted(f, objective):
    matrix = f.stacked_matrix()
    lower = np.concatenate([b.lower for b in f.blocks])
    upper = np.concatenate([b.upper for b in f.blocks])
    n = f.n_pairs
    lp = RestrictedLP(
        matrix.T.tocsr(),
        objective,
        (np.zeros(n), np.ones(n)),
        (lower, upper),
        None,
        (np.zeros(0), np.zeros(0)),
        Clock(None),
    )
    return lp, matrix, lower, upper


def _from_scratch(f, objective, columns) -> float:
    model = f.to_model(objective, True, integral=False, columns=columns)
    status, solver = solve_model(model, "glop", "", Clock(None))
    assert status == lp_model.SolveStatus.OPTIMAL
    return solver.objective_value


@pytest.mark.parametrize("family, seed", [("plain", 1), ("tight", 2), ("strict", 3), ("identical", 4)])
def test_every_round_answers_as_a_model_built_from_scratch(family: str, seed: int, tmp_path: Path) -> None:
    f = _formulation(tmp_path / "week", family, seed)
    objective = (100.0 * f.candidates.weight + f.candidates.preference).astype(float)
    lp, matrix, lower, upper = _restricted(f, objective)
    rng = np.random.default_rng(seed)
    columns = np.sort(rng.choice(f.n_pairs, size=f.n_pairs // 5, replace=False))
    for _round in range(4):
        answer = lp.solve(columns)
        assert answer.status == lp_model.SolveStatus.OPTIMAL
        assert answer.objective == pytest.approx(_from_scratch(f, objective, columns), rel=1e-9)
        x = np.zeros(f.n_pairs)
        x[columns] = answer.values
        assert answer.objective == pytest.approx(float(objective @ x), rel=1e-9)
        activity = matrix @ x
        assert np.all(activity <= upper + 1e-7) and np.all(activity >= lower - 1e-7)
        # the duals prove the objective: dual objective + each column at its favoured bound
        y = answer.duals
        reduced = objective[columns] - matrix[:, columns].T @ y
        dual_value = float(np.where(y > 0, y * upper, y * np.where(np.isfinite(lower), lower, 0)).sum())
        assert dual_value + float(np.maximum(reduced, 0).sum()) == pytest.approx(answer.objective, rel=1e-7)
        outside = np.setdiff1d(np.arange(f.n_pairs), columns)
        columns = np.union1d(columns, rng.choice(outside, size=min(len(outside), 40), replace=False))


def test_a_round_after_the_first_starts_from_the_last_basis(tmp_path: Path) -> None:
    f = _formulation(tmp_path / "week", "plain", 7, clients=300, units=200)
    objective = (100.0 * f.candidates.weight + f.candidates.preference).astype(float)
    lp, matrix, _lower, _upper = _restricted(f, objective)
    client = f.candidates.client
    order = np.lexsort((-objective, client))
    columns = np.sort(best_per_group(client, order, 6))
    first = lp.solve(columns)
    assert lp.solve(columns).iterations == 0  # nothing changed: the last basis is optimal
    # the pair the first round's duals price highest: a small change, as in a late round
    reduced = objective - matrix.T @ first.duals
    entering = np.setdiff1d(np.flatnonzero(reduced > 1e-6), columns)
    assert len(entering) >= 1
    columns = np.union1d(columns, entering[np.argsort(-reduced[entering], kind="stable")[:1]])
    second = lp.solve(columns)
    assert second.objective >= first.objective
    assert second.objective == pytest.approx(_from_scratch(f, objective, columns), rel=1e-9)
    fresh, *_ = _restricted(f, objective)
    cold = fresh.solve(columns)
    assert cold.objective == pytest.approx(second.objective, rel=1e-9)
    assert cold.iterations > 100 and second.iterations <= 10
