"""The plain baseline: one MIP over all eligible pairs, handed to a solver as it is.

What the engine does differently (candidate filtering, row pruning, LP first, solving on the LP's
optimal face, greedy start) is exactly what this baseline leaves out, so the ratio of its time to
the engine's measures what those choices buy. It shares only the engine's reading and eligibility
(`matcher.rules.arrays`, `matcher.rules.eligibility`), the data, not the model.

Model: a binary x per eligible pair (client c, unit u);
- each client at most once, each unit at most once;
- per neighbourhood: Σ load·x over its non-exempt units ≤ max(0, floor(cap − recent_load));
- per municipality with max_intake: Σ x ≤ max_intake;
- per support_capacity row (municipality, intensity): Σ x ≤ slots;
- maximise W·R + P with R = 1 + (Σ over clients of their best p), so W then P lexicographically
  in one objective (the spreading and fair-share levels are left out: they never change W or P).

Backends: CP-SAT (`cp_model`, `num_workers` workers), and HiGHS and SCIP through
`model_builder`, each with a time limit, relative gap 0 and absolute gap 0.999 (the objective is
an integer). No start solution is given.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sparse

BACKENDS = ("cp-sat", "highs", "scip")
STATUSES = ("optimal", "feasible", "no_solution", "error")


def plain_data(arrays, pairs) -> dict:
    """The pair columns and the constraint rows as (name, keys, coefficient, limit) groups."""
    client, unit = pairs.client, pairs.unit
    intensity = arrays.client_intensity[client]
    municipality = arrays.unit_municipality[unit]
    neighbourhood = arrays.unit_neighbourhood[unit]
    load = np.where(arrays.unit_exempt[unit], 0, arrays.load_weight[intensity]).astype(np.int64)
    weight = arrays.client_weight[client].astype(np.int64)
    preference = np.asarray(pairs.preference, dtype=np.int64)
    best_p = np.zeros(arrays.n_clients, dtype=np.int64)
    if len(client):
        np.maximum.at(best_p, client, preference)
    radix = int(best_p.sum()) + 1

    rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []  # (rule, row of pair, coef, limits)

    def group(rule: str, keys: np.ndarray, members: np.ndarray, coefficients: np.ndarray, limit_of) -> None:
        if len(members) == 0:
            return
        distinct, row = np.unique(keys, return_inverse=True)
        limits = np.array([limit_of(int(k)) for k in distinct], dtype=np.int64)
        rows.append((rule, np.stack([row, members]), coefficients, limits))

    everything = np.arange(len(client))
    ones = np.ones(len(client), dtype=np.int64)
    group("one_unit_per_client", client, everything, ones, lambda k: 1)
    group("one_client_per_unit", unit, everything, ones, lambda k: 1)
    counted = np.flatnonzero(load > 0)
    room = arrays.neighbourhood_room
    group("neighbourhood_cap", neighbourhood[counted], counted, load[counted], lambda k: int(room[k]))
    intake = arrays.municipality_max_intake
    limited = np.flatnonzero(intake[municipality] >= 0)
    group("municipality_intake", municipality[limited], limited, ones[limited], lambda k: int(intake[k]))
    if arrays.slots:
        width = int(max(max(s for _, s in arrays.slots), intensity.max(initial=0))) + 1
        key = municipality * width + intensity
        limit = {m * width + s: v for (m, s), v in arrays.slots.items()}
        listed = np.flatnonzero(np.isin(key, list(limit)))
        group("support_slots", key[listed], listed, ones[listed], lambda k: int(limit[k]))
    return {
        "n": len(client),
        "weight": weight,
        "preference": preference,
        "radix": radix,
        "objective": weight * radix + preference,
        "rows": rows,
        "client": client,
        "unit": unit,
        "load": load,
        "neighbourhood": neighbourhood,
        "municipality": municipality,
        "intensity": intensity,
    }


def check_allocation(data: dict, chosen: np.ndarray) -> bool:
    """Every row holds for the chosen pairs (an independent check of the solver's answer)."""
    for _, (row, members), coefficients, limits in data["rows"]:
        take = np.isin(members, chosen)
        used = np.bincount(row[take], weights=coefficients[take], minlength=len(limits))
        if np.any(used > limits + 1e-9):
            return False
    return True


def _finite(value) -> float | None:
    """A solver's number as a float, or None when it is missing, NA or infinite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _sparse_rows(data: dict) -> tuple[sparse.csr_matrix, np.ndarray]:
    blocks, uppers, start = [], [], 0
    for _, (row, members), coefficients, limits in data["rows"]:
        blocks.append((row + start, members, coefficients))
        uppers.append(limits)
        start += len(limits)
    if not blocks:
        return sparse.csr_matrix((0, data["n"])), np.zeros(0)
    r = np.concatenate([b[0] for b in blocks])
    c = np.concatenate([b[1] for b in blocks])
    v = np.concatenate([b[2] for b in blocks]).astype(float)
    return sparse.csr_matrix((v, (r, c)), shape=(start, data["n"])), np.concatenate(uppers).astype(float)


def _solve_model_builder(data: dict, backend: str, time_limit: float, workers: int) -> dict:
    from ortools.linear_solver.python import model_builder as mb

    began = time.perf_counter()
    n = data["n"]
    matrix, upper = _sparse_rows(data)
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(
        np.zeros(n), np.ones(n), data["objective"].astype(float), np.full(len(upper), -np.inf), upper, matrix
    )
    model.helper.set_maximize(True)
    for column in range(n):
        model.helper.set_var_integrality(column, True)
    solver = mb.Solver(backend)
    if not solver.solver_is_supported():
        return {
            "status": "error",
            "error": f"{backend} is not available in this OR-Tools build",
            "seconds_build": time.perf_counter() - began,
        }
    solver.enable_output(False)
    if backend == "highs":
        parameters = {"mip_rel_gap": 0, "mip_abs_gap": 0.999, "threads": workers, "random_seed": 0}
        solver.set_solver_specific_parameters("\n".join(f"{k}={v}" for k, v in parameters.items()))
    else:
        parameters = {"limits/gap": 0, "limits/absgap": 0.999, "randomization/randomseedshift": 0}
        solver.set_solver_specific_parameters("\n".join(f"{k} = {v}" for k, v in parameters.items()))
    solver.set_time_limit_in_seconds(time_limit)
    built = time.perf_counter() - began

    began = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - began
    result: dict = {"seconds_build": built, "seconds_solve": seconds, "solver_status": status.name}
    if status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        values = solver.values(model.get_variables()).to_numpy(dtype=float)
        result["chosen"] = np.flatnonzero(values > 0.5)
        result["status"] = "optimal" if status == mb.SolveStatus.OPTIMAL else "feasible"
        result["objective_bound"] = _finite(solver.best_objective_bound)
    elif status in (
        mb.SolveStatus.NOT_SOLVED,
        mb.SolveStatus.CANCELLED_BY_USER,
        mb.SolveStatus.UNKNOWN_STATUS,
        mb.SolveStatus.ABNORMAL,
    ):
        result["status"] = "no_solution"
        result["objective_bound"] = _finite(solver.best_objective_bound)
    else:
        result["status"] = "error"
        result["error"] = f"{status.name}: {solver.status_string}"
    return result


def _solve_cp_sat(data: dict, time_limit: float, workers: int) -> dict:
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    n = data["n"]
    model = cp_model.CpModel()
    proto = model.proto  # filled directly: the same model as add_at_most_one/add/maximize, built fast
    for _ in range(n):
        proto.variables.add().domain.extend([0, 1])
    for _rule, (row, members), coefficients, limits in data["rows"]:
        order = np.argsort(row, kind="stable")
        bounds = np.flatnonzero(np.diff(row[order])) + 1
        for chunk in np.split(order, bounds) if len(order) else []:
            r = int(row[chunk[0]])
            literals = members[chunk].tolist()
            coefs = coefficients[chunk]
            constraint = proto.constraints.add()
            if limits[r] == 1 and np.all(coefs == 1):
                constraint.at_most_one.literals.extend(literals)
            else:
                constraint.linear.vars.extend(literals)
                constraint.linear.coeffs.extend(coefs.tolist())
                constraint.linear.domain.extend([0, int(limits[r])])
    # maximise: CP-SAT minimises, so negate and scale by −1 (as CpModel.maximize does)
    proto.objective.vars.extend(range(n))
    proto.objective.coeffs.extend((-data["objective"]).tolist())
    proto.objective.scaling_factor = -1.0
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = 0
    solver.parameters.relative_gap_limit = 0.0
    solver.parameters.absolute_gap_limit = 0.999
    built = time.perf_counter() - began

    began = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - began
    result: dict = {
        "seconds_build": built,
        "seconds_solve": seconds,
        "solver_status": solver.status_name(status),
    }
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.asarray(list(solver.response_proto.solution), dtype=np.int64)[:n]
        result["chosen"] = np.flatnonzero(values > 0)
        result["status"] = "optimal" if status == cp_model.OPTIMAL else "feasible"
        result["objective_bound"] = _finite(solver.best_objective_bound)
    elif status == cp_model.UNKNOWN:
        result["status"] = "no_solution"  # CP-SAT reports no usable bound without a solution
        result["objective_bound"] = None
    else:
        result["status"] = "error"
        result["error"] = solver.status_name(status)
    return result


def solve_plain(data: dict, backend: str, time_limit: float = 60.0, workers: int = 2) -> dict:
    """Solve the plain model on one backend; W, P and their proven bounds."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if backend == "cp-sat":
        result = _solve_cp_sat(data, time_limit, workers)
    else:
        result = _solve_model_builder(data, backend, time_limit, workers)
    radix = data["radix"]
    p_upper = radix - 1
    # trivial bound: every client with an eligible pair placed
    w_upper = int(np.unique(np.stack([data["client"], data["weight"]]), axis=1)[1].sum()) if data["n"] else 0
    chosen = result.pop("chosen", None)
    bound = result.get("objective_bound")
    w_bound = w_upper if bound is None else min(w_upper, math.floor((bound + 1e-6) / radix))
    source = "trivial" if w_bound >= w_upper else "solver"  # trivial: every client with a pair placed
    out = {
        "backend": backend,
        "status": result.get("status", "error"),
        "W": None,
        "W_bound": w_bound,
        "W_bound_source": source,
        "P": None,
        "P_bound": p_upper,
        "feasible_check": None,
        "seconds_build": result.get("seconds_build"),
        "seconds_solve": result.get("seconds_solve"),
        "solver_status": result.get("solver_status"),
        "error": result.get("error"),
    }
    if chosen is not None:
        w = int(data["weight"][chosen].sum())
        p = int(data["preference"][chosen].sum())
        out["W"], out["P"] = w, p
        out["feasible_check"] = check_allocation(data, chosen)
        if out["status"] == "optimal":
            out["W_bound"], out["P_bound"], out["W_bound_source"] = w, p, "solver"
        else:
            out["W_bound"] = max(w, out["W_bound"])
            if out["W_bound"] == w and bound is not None:
                out["P_bound"] = max(p, min(p_upper, math.floor(bound + 1e-6) - w * radix))
    return out


def run_plain(instance_path: Path, backend: str, time_limit: float = 60.0, workers: int = 2) -> dict:
    """Read, eligibility, build and solve the plain model; timings per phase."""
    from matcher.io.read import read_instance
    from matcher.rules.eligibility import Eligibility

    seconds: dict[str, float] = {}
    began = time.perf_counter()
    instance = read_instance(instance_path)
    seconds["read"] = time.perf_counter() - began
    began = time.perf_counter()
    rules = Eligibility(instance)
    arrays, pairs = rules.arrays, rules.pairs
    seconds["eligibility"] = time.perf_counter() - began
    began = time.perf_counter()
    data = plain_data(arrays, pairs)
    seconds["rows"] = time.perf_counter() - began
    result = solve_plain(data, backend, time_limit, workers)
    seconds["build"] = seconds.pop("rows") + (result.pop("seconds_build") or 0.0)
    seconds["solve"] = result.pop("seconds_solve") or 0.0
    seconds["total"] = seconds["eligibility"] + seconds["build"] + seconds["solve"]
    seconds["end_to_end"] = seconds["read"] + seconds["total"]
    result.update(
        {
            "pairs": data["n"],
            "time_limit": time_limit,
            "workers": workers,
            "seconds": {k: round(v, 4) for k, v in seconds.items()},
        }
    )
    return result
