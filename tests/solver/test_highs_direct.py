"""The start-up savings of issue 17 change no answer:

- `matcher.solver.highs.solve` (SciPy's HiGHS without importing scipy.optimize) gives exactly what
  `scipy.optimize.milp` gives on the engine's own MIPs: the same values, status, bound and nodes,
  with and without a node limit;
- `Formulation.components` (label propagation instead of scipy.sparse.csgraph) labels components
  in the order scipy numbers them;
- a whole week solved in a fresh process, MIPs included, imports neither scipy.optimize nor
  scipy.sparse.csgraph.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sparse
from scipy.sparse.csgraph import connected_components

from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import in_id_order
from matcher.rules.eligibility import Eligibility
from matcher.solver import highs
from matcher.solver.backend import _model_arrays
from matcher.solver.formulation import _component_labels, build_formulation, candidate_pairs
from matcher.solver.unit_classes import class_pairs, interchangeable_units

ROOT = Path(__file__).resolve().parents[2]


def _week(folder: Path, family: str, seed: int):
    return read_instance(
        write_instance(generate_instance("west-friesland", 60, 40, seed, family=family), folder)
    )


def _formulation(folder: Path, family: str, seed: int):
    instance = in_id_order(_week(folder / f"{family}-{seed}", family, seed))
    rules = Eligibility(instance)
    candidates = candidate_pairs(rules.arrays, rules.pairs)
    classes = interchangeable_units(rules.arrays, candidates, alone=np.zeros(0, dtype=np.int64))
    return build_formulation(rules.arrays, class_pairs(candidates, classes), classes.capacity)


@pytest.mark.parametrize("family", ["plain", "strict", "identical"])
@pytest.mark.parametrize("node_limit", [None, 1])
def test_direct_highs_answers_as_milp(family: str, node_limit: int | None, tmp_path: Path) -> None:
    for seed in (1, 2):
        f = _formulation(tmp_path, family, seed)
        c = f.candidates
        for objective in (c.weight, c.preference, c.weight * 1000 + c.preference):
            cost, lower, upper, integrality, matrix, row_lower, row_upper = _model_arrays(
                f, objective, np.arange(f.n_pairs), None, [], None
            )
            options = {"disp": False, "mip_rel_gap": 0.0, "presolve": True, "random_seed": 0}
            options["mip_abs_gap"] = 0.999
            if node_limit is not None:
                options["node_limit"] = node_limit
            args = (-cost, integrality, (lower, upper), (matrix, row_lower, row_upper))
            direct = highs.solve(*args, dict(options))
            reference = highs._with_milp(*args, dict(options))
            assert direct["status"] == reference["status"]
            assert direct["fun"] == reference["fun"]
            assert direct["mip_node_count"] == reference["mip_node_count"]
            assert direct["mip_dual_bound"] == reference["mip_dual_bound"]
            assert np.array_equal(direct["x"], reference["x"])


def test_direct_highs_reports_an_infeasible_model_as_milp() -> None:
    matrix = sparse.csr_matrix(np.array([[1.0, 1.0]]))
    args = (
        np.array([1.0, 1.0]),
        np.ones(2),
        (np.zeros(2), np.ones(2)),
        (matrix, np.array([3.0]), np.array([4.0])),
    )
    assert (
        highs.solve(*args, {"disp": False})["status"]
        == highs._with_milp(*args, {"disp": False})["status"]
        == 2
    )


def test_component_labels_order_components_as_scipy() -> None:
    rng = np.random.default_rng(7)
    # small graphs by propagation; above 500,000 edges scipy answers, in the same form
    for size, edges in [(1, 0), (5, 0), (30, 10), (200, 120), (500, 2000), (400, 399), (300_000, 600_000)]:
        first = rng.integers(0, size, edges)
        second = rng.integers(0, size, edges)
        label = _component_labels(first, second, size)
        graph = sparse.csr_matrix((np.ones(edges), (first, second)), shape=(size, size))
        _, numbers = connected_components(graph, directed=False)
        # each node's label is the lowest node of its scipy component
        lowest = np.full(numbers.max() + 1, size)
        np.minimum.at(lowest, numbers, np.arange(size))
        assert np.array_equal(label, lowest[numbers])
        # so the components come in the order scipy numbers them
        assert np.array_equal(np.unique(label, return_inverse=True)[1].ravel(), numbers)


def test_component_labels_of_a_long_path_fall_back_to_scipy() -> None:
    size = 5000  # a path needs more propagation rounds than allowed: scipy answers
    first, second = np.arange(size - 1)[::-1], np.arange(1, size)[::-1]
    assert np.array_equal(_component_labels(first, second, size), np.zeros(size, dtype=np.int64))


def test_a_week_with_mips_imports_neither_scipy_optimize_nor_csgraph(tmp_path: Path) -> None:
    week = write_instance(generate_instance("west-friesland", 60, 40, 2, family="strict"), tmp_path / "week")
    script = (
        "import sys\n"
        "from matcher.io.read import read_instance\n"
        "from matcher.proposal import solve\n"
        "from matcher.solver.settings import SolveSettings\n"
        f"p = solve(read_instance({str(week)!r}), SolveSettings())\n"
        "import numpy as np, scipy.sparse as sparse\n"
        "from matcher.solver import highs\n"
        "m = sparse.csr_matrix(np.array([[1.0, 1.0]]))\n"
        "a = highs.solve(-np.ones(2), np.ones(2), (np.zeros(2), np.ones(2)), (m, np.zeros(1), np.ones(1)), {})\n"
        "print(a['status'], a['fun'])\n"
        "print(sorted(m for m in sys.modules if m in ('scipy.optimize', 'scipy.sparse.csgraph')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    assert out[-2] == "0 -1.0"  # a MIP solved
    assert out[-1] == "[]"
