"""HiGHS MIPs without importing `scipy.optimize` (issue 17, start-up).

The engine solves its MIPs with the HiGHS that SciPy ships, as `scipy.optimize.milp` does. But
`import scipy.optimize` loads every optimiser SciPy has (and parses hundreds of docstrings):
about 0.2 s of CPU, more than a small MIP of a 300 × 200 week takes, paid by every week whose
tie-break level needs one. `milp` itself is a thin layer over SciPy's compiled HiGHS module
(`scipy.optimize._highspy._core`); `solve` below loads that module on its own and passes the
model and the options exactly as `milp` (SciPy 1.15–1.17) passes them, so the solver sees the
same model, the same options and gives the same answer: the same allocation, bound and node
count (tests/solver/test_highs_direct.py compares the two on real formulations).

Should SciPy lay its files out differently, the module cannot be loaded and `solve` falls back to
`scipy.optimize.milp` itself (slower to start, same answers).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sparse

_CORE = "scipy.optimize._highspy._core"
_UNLOADED = object()
_core: Any = _UNLOADED


def _load_core() -> Any:
    """SciPy's compiled HiGHS module, loaded without its package (None when that fails).

    It is registered under its own name, so a later `import scipy.optimize` finds and reuses it
    (loading the extension twice would register its types twice)."""
    global _core
    if _core is not _UNLOADED:
        return _core
    _core = sys.modules.get(_CORE)
    if _core is None:
        try:
            import scipy

            folder = Path(scipy.__file__).parent / "optimize" / "_highspy"
            finder = importlib.machinery.FileFinder(
                str(folder),
                (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
            )
            spec = finder.find_spec(_CORE)
            if spec is None or spec.loader is None:
                raise ImportError(_CORE)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            for name in (
                "HighsLp",
                "HighsOptions",
                "_Highs",
                "HighsModelStatus",
                "HighsVarType",
                "MatrixFormat",
            ):
                getattr(module, name)
            sys.modules[_CORE] = module
            _core = module
        except (ImportError, AttributeError, OSError):  # another SciPy layout: use milp
            _core = None
    return _core


def _milp_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options as `milp` hands them to HiGHS: `disp` becomes `log_to_console`, `node_limit`
    `mip_max_nodes`, `presolve` "on"/"off"; None means HiGHS's default."""
    given = dict(options)
    passed = {"log_to_console": given.pop("disp", False), "mip_max_nodes": given.pop("node_limit", None)}
    passed.update(given)
    if isinstance(passed.get("presolve"), bool):
        passed["presolve"] = "on" if passed["presolve"] else "off"
    return {key: value for key, value in passed.items() if value is not None}


def solve(
    cost: np.ndarray,
    integrality: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    rows: tuple[sparse.csr_matrix, np.ndarray, np.ndarray],
    options: dict[str, Any],
    start: np.ndarray | None = None,
) -> dict[str, Any]:
    """Minimise cost·x over lower ≤ matrix·x ≤ upper and the bounds, like `scipy.optimize.milp`:
    the answer as a dict with milp's keys `status` (0 optimal, 1 time or iteration limit,
    2 infeasible, 3 unbounded, 4 other), `x`, `fun`, `mip_node_count` and `mip_dual_bound`.
    `options` are milp's (`disp`, `presolve`, `time_limit`, `node_limit`, `mip_rel_gap`) and
    HiGHS options passed as they are. `start`: a feasible solution HiGHS starts from (its
    `setSolution`, which `milp` does not offer; without SciPy's module it is not used): the
    search then knows the incumbent's value from the root on and fixes by reduced cost at once."""
    core = _load_core()
    if core is None:
        return _with_milp(cost, integrality, bounds, rows, options)
    c = np.asarray(cost, dtype=np.float64)
    n = c.size
    kinds = np.broadcast_to(integrality, c.shape).astype(np.uint8)
    lower = np.broadcast_to(bounds[0], c.shape).astype(np.float64)
    upper = np.broadcast_to(bounds[1], c.shape).astype(np.float64)
    matrix, row_lower, row_upper = rows
    if matrix.shape[0]:
        a = sparse.csc_array(matrix)
        b_l = np.atleast_1d(row_lower).astype(np.float64)
        b_u = np.atleast_1d(row_upper).astype(np.float64)
    else:  # milp's empty constraint
        a = sparse.csc_array(np.empty((0, n)))
        b_l, b_u = np.empty((0,)), np.empty((0,))
    lp = core.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = b_u.size
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = b_u.size
    lp.a_matrix_.format_ = core.MatrixFormat.kColwise
    lp.col_cost_ = c
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = b_l
    lp.row_upper_ = b_u
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    if kinds.size > 0:
        lp.integrality_ = [core.HighsVarType(int(kind)) for kind in kinds]
    highs = core._Highs()
    highs_options = core.HighsOptions()
    for key, value in _milp_options(options).items():
        setattr(highs_options, key, value)
    status_of = core.HighsModelStatus
    if highs.passOptions(highs_options) == core.HighsStatus.kError:
        return _answer(core, highs.getModelStatus())
    if highs.passModel(lp) == core.HighsStatus.kError:
        return _answer(core, status_of.kModelError)
    if start is not None:
        given = core.HighsSolution()
        given.col_value = np.asarray(start, dtype=np.float64).tolist()
        given.value_valid = True
        highs.setSolution(given)  # HiGHS checks it and ignores a start that is not feasible
    if highs.run() == core.HighsStatus.kError:
        return _answer(core, highs.getModelStatus())
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    is_mip = bool(np.sum(kinds) > 0)
    limits = (status_of.kTimeLimit, status_of.kIterationLimit, status_of.kSolutionLimit)
    failed = (
        model_status not in (status_of.kOptimal, *limits)
        or (model_status in limits and info.objective_function_value == core.kHighsInf)
        if is_mip
        else model_status != status_of.kOptimal
    )
    if failed:
        return _answer(core, model_status)
    answer = _answer(core, model_status)
    answer["x"] = np.array(highs.getSolution().col_value)
    answer["fun"] = info.objective_function_value
    if is_mip:
        answer["mip_node_count"] = info.mip_node_count
        answer["mip_dual_bound"] = info.mip_dual_bound
    return answer


def _answer(core: Any, model_status: Any) -> dict[str, Any]:
    """milp's status for a HiGHS model status (`_highs_to_scipy_status_message`), no solution."""
    s = core.HighsModelStatus
    statuses = {
        s.kOptimal: 0,
        s.kTimeLimit: 1,
        s.kIterationLimit: 1,
        s.kInfeasible: 2,
        s.kModelError: 2,
        s.kUnbounded: 3,
    }
    return {
        "status": statuses.get(model_status, 4),
        "message": f"HiGHS model status {int(model_status)}",
        "x": None,
        "fun": None,
        "mip_node_count": None,
        "mip_dual_bound": None,
    }


def _with_milp(
    cost: np.ndarray,
    integrality: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    rows: tuple[sparse.csr_matrix, np.ndarray, np.ndarray],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The same through `scipy.optimize.milp` (the fallback, and the reference in the tests)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    matrix, row_lower, row_upper = rows
    constraints = [LinearConstraint(matrix, row_lower, row_upper)] if matrix.shape[0] else []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unrecognized options", category=RuntimeWarning)
        result = milp(
            cost,
            integrality=integrality,
            bounds=Bounds(*bounds),
            constraints=constraints,
            options=dict(options),
        )
    return {
        "status": int(result.status),
        "message": str(result.message),
        "x": None if result.x is None else np.asarray(result.x, dtype=float),
        "fun": result.fun,
        "mip_node_count": result.get("mip_node_count"),
        "mip_dual_bound": result.get("mip_dual_bound"),
    }
