"""The solver backend: the solver calls, what their statuses mean here, solver parameters, the
clock that bounds a whole solve and the deterministic work a solve did.

The levels' LPs are priced by column generation in one GLOP kept across its rounds
(`matcher.solver.restricted_lp`). MIPs on the default backend are solved by HiGHS as `scipy.optimize.milp` calls it
(`matcher.solver.highs`, which spares the import of scipy.optimize), which, unlike the model
builder, keeps the best allocation found when a node limit stops the search and reports how many branch-and-bound nodes it explored: the
node limit is then a deterministic work budget (the same answer on every machine and every run),
and the node count is the work measure the benchmarks and the property run record. SCIP
(`--backend scip`) still goes through OR-Tools' compiled model builder (`matcher.solver.lp_model`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sparse

from matcher.solver import lp_model
from matcher.solver.formulation import Formulation, Rows
from matcher.solver.settings import SolveSettings


class SolverFailure(RuntimeError):
    """The solver reported something that cannot happen for a valid formulation."""


# An allocation always exists (nobody placed), objectives are bounded, and the model and
# parameters are ours: these answers mean a bug or a broken install, never bad input.
IMPOSSIBLE = (
    lp_model.SolveStatus.MODEL_INVALID,
    lp_model.SolveStatus.INVALID_SOLVER_PARAMETERS,
    lp_model.SolveStatus.INFEASIBLE,
    lp_model.SolveStatus.UNBOUNDED,
    lp_model.SolveStatus.INCOMPATIBLE_OPTIONS,
    lp_model.SolveStatus.SOLVER_TYPE_UNAVAILABLE,
    lp_model.SolveStatus.MODEL_IS_VALID,
)
# NOT_SOLVED, ABNORMAL, UNKNOWN_STATUS and CANCELLED_BY_USER mean the time ran out or the solver
# gave up before a solution: the level keeps the allocation it already holds.
SOLVED = (lp_model.SolveStatus.OPTIMAL, lp_model.SolveStatus.FEASIBLE)


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
    model: lp_model.Model, backend: str, parameters: str, clock: Clock
) -> tuple[lp_model.SolveStatus, lp_model.Solver]:
    """Solve `model` with `backend` within the clock; a status that cannot happen raises."""
    solver = lp_model.Solver(backend)
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


@dataclass
class Work:
    """The deterministic effort of a level (or a whole solve): LPs solved, MIPs solved and the
    branch-and-bound nodes they explored. Unlike seconds these are the same on every machine and
    in every run, so a stall shows as a count, and a budget in these units gives the same
    proposal everywhere. (`mip_nodes` counts HiGHS's nodes; SCIP's are not reported.)"""

    lp_solves: int = 0
    mip_solves: int = 0
    mip_nodes: int = 0
    steps: int = 0  # bounded neighbourhood MIPs of the tie-break levels

    def add(self, other: Work) -> Work:
        self.lp_solves += other.lp_solves
        self.mip_solves += other.mip_solves
        self.mip_nodes += other.mip_nodes
        self.steps += other.steps
        return self

    def as_dict(self) -> dict[str, int]:
        return {
            "lp_solves": self.lp_solves,
            "mip_solves": self.mip_solves,
            "mip_nodes": self.mip_nodes,
            "steps": self.steps,
        }


@dataclass
class MipAnswer:
    """A MIP's answer: the chosen pairs (None: none found), the solver's proven bound (None:
    none), whether it proved its answer optimal over its columns, and the nodes it explored."""

    found: np.ndarray | None
    bound: float | None
    optimal: bool
    nodes: int


def _model_arrays(
    f: Formulation,
    objective: np.ndarray,
    columns: np.ndarray,
    extra_columns: tuple[np.ndarray, np.ndarray] | None,
    extra_rows: list[Rows],
    fixed_one: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The MIP over `columns` (then the extra columns) as arrays, exactly as `Formulation.to_model`
    builds it: objective, column bounds, integrality, rows and row bounds; `fixed_one` (positions
    into `columns`) are held at 1."""
    n_extra = 0 if extra_columns is None else len(extra_columns[0])
    selected = np.r_[columns, f.n_pairs + np.arange(n_extra)].astype(np.int64)
    width = f.n_pairs + n_extra
    blocks = (*f.blocks, *extra_rows)
    matrices = [_widen(block.matrix, width)[:, selected] for block in blocks]
    matrix = sparse.vstack(matrices, format="csr") if matrices else sparse.csr_matrix((0, len(selected)))
    row_lower = np.concatenate([block.lower for block in blocks]) if blocks else np.zeros(0)
    row_upper = np.concatenate([block.upper for block in blocks]) if blocks else np.zeros(0)
    lower, upper = np.zeros(len(columns)), np.ones(len(columns))
    if f.fixed_pairs is not None:
        lower[f.fixed_pairs[columns] == 1] = 1
        upper[f.fixed_pairs[columns] == 0] = 0
    if fixed_one is not None:
        lower[fixed_one] = 1
    if n_extra:
        assert extra_columns is not None
        lower = np.r_[lower, np.asarray(extra_columns[0], dtype=float)]
        upper = np.r_[upper, np.asarray(extra_columns[1], dtype=float)]
    integrality = np.r_[np.ones(len(columns)), np.zeros(n_extra)]
    cost = np.asarray(objective, dtype=float)[selected]
    return cost, lower, upper, integrality, matrix.astype(float), row_lower, row_upper


def _widen(matrix: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    if matrix.shape[1] == width:
        return matrix
    return sparse.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


@dataclass
class _Merged:
    """Interchangeable clients of one MIP merged into one integer column per class and unit
    (see `_merge_interchangeable_clients`): how to read the merged answer back."""

    keep: np.ndarray  # columns of the reduced MIP, as positions into the full one
    groups: list[np.ndarray]  # per merged class: its members' columns (members × pairs each)
    n_columns: int  # columns of the full MIP

    def compress(self, values: np.ndarray) -> np.ndarray:
        """The reduced MIP's values from the full one's (`expand`'s inverse): each merged column
        counts the class's members that take its unit."""
        full = np.asarray(values, dtype=float).copy()
        for members in self.groups:
            full[members[0]] = full[members].sum(axis=0)
        return full[self.keep]

    def expand(self, values: np.ndarray) -> np.ndarray:
        """The full MIP's values from the reduced MIP's: each merged column's count goes to the
        class's members in index order."""
        full = np.zeros(self.n_columns)
        full[self.keep] = values[: len(self.keep)]
        for members in self.groups:
            counts = np.rint(full[members[0]]).astype(np.int64)
            full[members[0]] = 0.0
            member = 0
            for column, count in enumerate(counts):
                for _ in range(max(0, int(count))):
                    full[members[member, column]] = 1.0
                    member += 1
        return full


def _merge_interchangeable_clients(
    clients: np.ndarray,
    n_client_rows: int,
    cost: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    matrix: sparse.csr_matrix,
    row_bounds: tuple[np.ndarray, np.ndarray],
) -> (
    tuple[
        _Merged, np.ndarray, tuple[np.ndarray, np.ndarray], sparse.csr_matrix, tuple[np.ndarray, np.ndarray]
    ]
    | None
):
    """Clients that this MIP cannot tell apart (the same pairs to the same units with the same
    objective, bounds and row coefficients, apart from each one's own one-unit row) become one
    class: one integer column per unit counts how many of them take it, and one row bounds the
    class by its size. Exact (columns are compared entry by entry), and it removes the symmetry
    that makes branch-and-bound enumerate every permutation of identical clients. None when no
    two clients are interchangeable."""
    n_pairs = len(clients)
    if n_pairs < 2:
        return None
    lower, upper = bounds
    csc = matrix.tocsc()
    other = csc[n_client_rows:, :n_pairs]
    rng = np.random.default_rng(20261123)  # fixed: a fingerprint, not a random choice
    projection = np.vstack([rng.standard_normal(other.shape[0]) @ other for _ in range(2)])
    fingerprint = np.vstack(
        [projection, np.diff(other.indptr), cost[:n_pairs], lower[:n_pairs], upper[:n_pairs]]
    ).T
    _, column_class = np.unique(fingerprint, axis=0, return_inverse=True)
    column_class = column_class.ravel()
    own_row = np.full(n_pairs, -1, dtype=np.int64)
    client_part = csc[:n_client_rows, :n_pairs].tocoo()
    own_row[client_part.col] = client_part.row
    order = np.lexsort((np.arange(n_pairs), column_class, clients))
    starts = np.r_[0, np.flatnonzero(np.diff(clients[order])) + 1]
    stops = np.r_[starts[1:], n_pairs]
    by_key: dict[tuple, list[np.ndarray]] = {}
    row_lower, row_upper = row_bounds
    for start, stop in zip(starts, stops):
        mine = order[start:stop]
        row = int(own_row[mine[0]])
        limits = (float(row_lower[row]), float(row_upper[row])) if row >= 0 else (-np.inf, np.inf)
        by_key.setdefault((column_class[mine].tobytes(), limits), []).append(mine)
    groups = [np.vstack(members) for members in by_key.values() if len(members) > 1]
    if not groups:
        return None
    # exact check: every member column equals its representative's, entry by entry (all the
    # columns at once: one sparse slice per side, not one per column, which cost a second on
    # the `identical` family's 300 × 200 weeks)
    member_columns = np.concatenate([members[1:].ravel() for members in groups])
    representatives = np.concatenate(
        [np.broadcast_to(members[0], members[1:].shape).ravel() for members in groups]
    )
    if (other[:, member_columns] != other[:, representatives]).nnz:
        return None
    drop = np.zeros(matrix.shape[1], dtype=bool)
    new_lower, new_upper = lower.copy(), upper.copy()
    new_row_lower, new_row_upper = row_lower.copy(), row_upper.copy()
    for members in groups:
        k = members.shape[0]
        drop[members[1:].ravel()] = True
        new_lower[members[0]] *= k
        new_upper[members[0]] *= k
        rows = own_row[members[:, 0]]
        if rows[0] >= 0:
            new_row_lower[rows[0]] *= k
            new_row_upper[rows[0]] *= k
            new_row_lower[rows[1:]], new_row_upper[rows[1:]] = -np.inf, np.inf
        else:  # single-pair clients have no own row: bound the class by its size
            new_upper[members[0]] = np.minimum(new_upper[members[0]], k)
    keep = np.flatnonzero(~drop)
    merged = _Merged(keep, groups, matrix.shape[1])
    return (
        merged,
        cost[keep],
        (new_lower[keep], new_upper[keep]),
        csc[:, keep].tocsr(),
        (new_row_lower, new_row_upper),
    )


def _highs(
    cost: np.ndarray,
    maximize: bool,
    bounds: tuple[np.ndarray, np.ndarray],
    integrality: np.ndarray,
    rows: tuple[sparse.csr_matrix, np.ndarray, np.ndarray],
    settings: SolveSettings,
    integral_objective: bool,
    node_limit: int | None,
    seconds: float | None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray | None, float | None, bool, int]:
    """HiGHS as `scipy.optimize.milp` calls it (`matcher.solver.highs`, without importing
    scipy.optimize): (values or None, bound, proven optimal, nodes)."""
    from matcher.solver import highs

    sign = -1.0 if maximize else 1.0
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": 0.0, "presolve": True}
    if node_limit is not None:
        options["node_limit"] = int(node_limit)
    if seconds is not None:
        options["time_limit"] = float(seconds)
    # passed to HiGHS as they are (scipy warns that it does so)
    options.update(random_seed=int(settings.seed), mip_abs_gap=0.999 if integral_objective else 1e-7)
    result = highs.solve(sign * cost, integrality, bounds, rows, options, start)
    if result["status"] in (2, 3):  # infeasible or unbounded: cannot happen for our formulations
        raise SolverFailure(f"the highs solver answered: {result['message']}")
    nodes = int(result["mip_node_count"] or 0)
    values = None if result["x"] is None else np.asarray(result["x"], dtype=float)
    bound = number(result["mip_dual_bound"])
    if result["status"] == 0 and result["fun"] is not None:
        bound = float(result["fun"])
    return values, None if bound is None else sign * bound, result["status"] == 0, nodes


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
    fixed_one: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> MipAnswer:
    """The MIP over `columns` (`fixed_one`: positions into `columns` held at 1); `node_limit`
    bounds the branch-and-bound search deterministically (HiGHS keeps the best allocation it
    found when the limit stops it). `start`: an allocation (pair indices, all among `columns`)
    HiGHS starts from, on the default backend, when the MIP has no columns besides the pairs (only
    then is it a complete solution; merged interchangeable clients count their members' pairs)."""
    columns = np.asarray(columns, dtype=np.int64)
    if settings.backend == "highs":
        cost, lower, upper, integrality, matrix, row_lower, row_upper = _model_arrays(
            f, objective, columns, extra_columns, extra_rows, fixed_one
        )
        n_client_rows = len(f.blocks[0]) if f.blocks and f.blocks[0].rule == "one_unit_per_client" else 0
        merged = _merge_interchangeable_clients(
            f.candidates.client[columns], n_client_rows, cost, (lower, upper), matrix, (row_lower, row_upper)
        )
        if merged is not None:
            plan, cost, (lower, upper), matrix, (row_lower, row_upper) = merged
            integrality = integrality[plan.keep]
        given = None
        if start is not None and extra_columns is None:
            given = np.isin(columns, start).astype(np.float64)
            given = given if merged is None else plan.compress(given)
        values, bound, optimal, nodes = _highs(
            cost,
            maximize,
            (lower, upper),
            integrality,
            (matrix, row_lower, row_upper),
            settings,
            integral_objective,
            node_limit,
            clock.remaining(),
            given,
        )
        if merged is not None and values is not None:
            values = plan.expand(values)
        found = None if values is None else columns[values[: len(columns)] > 0.5]
        return MipAnswer(found, bound, optimal and found is not None, nodes)
    model = f.to_model(
        objective,
        maximize,
        integral=True,
        extra_columns=extra_columns,
        extra_rows=extra_rows,
        columns=columns,
    )
    if fixed_one is not None:
        for position in np.asarray(fixed_one, dtype=np.int64):
            model.helper.set_var_lower_bound(int(position), 1.0)
    parameters = mip_parameters(settings, integral_objective, node_limit)
    status, solver = solve_model(model, settings.backend, parameters, clock)
    found = columns[solver.variable_values()[: len(columns)] > 0.5] if status in SOLVED else None
    bound = None
    if status in SOLVED or status == lp_model.SolveStatus.NOT_SOLVED:
        bound = number(solver.best_objective_bound)
        if status == lp_model.SolveStatus.OPTIMAL and found is not None:
            bound = number(solver.objective_value)
    return MipAnswer(found, bound, status == lp_model.SolveStatus.OPTIMAL and found is not None, 0)
