"""The restricted LP of column generation, kept in one GLOP across its pricing rounds (issue 17,
incremental re-solves).

Each round of `column_generation.priced_lp` adds the pairs that price out and solves again. A
model rebuilt every round (all OR-Tools' model builder offers) makes GLOP start from scratch each
time; OR-Tools' MPSolver keeps its GLOP between solves, and when the only change is new columns
GLOP starts from the last optimal basis (the new columns enter at 0, so that basis stays primal
feasible and a few primal simplex pivots bring them in). Measured on a 2,000 × 1,200 week's
priority LP: the rounds after the first took 0.46–0.51 s each from scratch and 0.09–0.16 s warm
(decision 118). GLOP keeps its presolve: a national week's spreading LP (86,000 columns, 27,000
rows) takes 4.4 s with it and 8.7 s without, and the basis still carries over from round to round
(a round adding one pair: one pivot either way).

The first model is loaded in one piece from an `MPModelProto`, the later columns through
MPSolver's own calls. Values and duals come back in
the order `priced_lp` asks for: its pair columns in the order given, then the extra columns.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ortools.linear_solver.linear_solver_pb2 as linear_solver_pb2
import ortools.linear_solver.pywraplp as pywraplp
import scipy.sparse as sparse

from matcher.solver import lp_model
from matcher.solver.backend import IMPOSSIBLE, Clock, SolverFailure

_STATUS = {
    pywraplp.Solver.OPTIMAL: lp_model.SolveStatus.OPTIMAL,
    pywraplp.Solver.FEASIBLE: lp_model.SolveStatus.FEASIBLE,
    pywraplp.Solver.INFEASIBLE: lp_model.SolveStatus.INFEASIBLE,
    pywraplp.Solver.UNBOUNDED: lp_model.SolveStatus.UNBOUNDED,
    pywraplp.Solver.ABNORMAL: lp_model.SolveStatus.ABNORMAL,
    pywraplp.Solver.MODEL_INVALID: lp_model.SolveStatus.MODEL_INVALID,
    pywraplp.Solver.NOT_SOLVED: lp_model.SolveStatus.NOT_SOLVED,
}


@dataclass
class Round:
    """One solve of the restricted LP: its status and, when OPTIMAL, the values of the columns
    asked for (then the extra columns), every row's dual and the objective."""

    status: lp_model.SolveStatus
    values: np.ndarray
    duals: np.ndarray
    objective: float
    iterations: int = 0  # simplex iterations of this solve (a warm start needs few)


class RestrictedLP:
    """Maximise objective·x over the rows `row_lower ≤ A x ≤ row_upper` and the columns' bounds,
    with only some pair columns present; `solve(columns)` adds the missing ones and re-solves from
    the last basis.

    `by_pair` is Aᵀ over the pair columns (row p: pair p's entries); `extra` the rows × extra
    columns part (always present, bounds `extra_lower`, `extra_upper`); `objective` covers the
    pairs, then the extra columns."""

    def __init__(
        self,
        by_pair: sparse.csr_matrix,
        objective: np.ndarray,
        pair_bounds: tuple[np.ndarray, np.ndarray],
        row_bounds: tuple[np.ndarray, np.ndarray],
        extra: sparse.csr_matrix | None,
        extra_bounds: tuple[np.ndarray, np.ndarray],
        clock: Clock,
    ) -> None:
        self.by_pair = by_pair
        self.objective = np.asarray(objective, dtype=float)
        self.pair_lower, self.pair_upper = pair_bounds
        self.row_lower, self.row_upper = row_bounds
        self.n_pairs = by_pair.shape[0]
        self.extra = None if extra is None else sparse.csc_matrix(extra)
        self.extra_lower, self.extra_upper = extra_bounds
        self.clock = clock
        self.solver: pywraplp.Solver | None = None
        self.local = np.full(self.n_pairs, -1, dtype=np.int64)  # pair → its column in the solver

    def _load(self, pairs: np.ndarray) -> None:
        """The first model, in one piece: the given pair columns, then the extra columns. It is
        filled from arrays by the model builder's compiled helper and handed over as an
        `MPModelProto` (through a file: the helper has no other way out); a model built call by
        call from Python took 1.5 s for a national LP of 86,000 columns, this takes 0.2 s."""
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:
            raise SolverFailure("OR-Tools has no GLOP solver")
        n_extra = len(self.extra_lower)
        columns = self.by_pair[pairs].T  # rows × chosen pairs
        if self.extra is not None and n_extra:
            columns = sparse.hstack([columns, self.extra])
        model = lp_model.Model()
        # the ignores: OR-Tools' stub spells these vectors oddly (see Formulation.to_model)
        model.helper.fill_model_from_sparse_data(
            np.r_[self.pair_lower[pairs], self.extra_lower].astype(float),
            np.r_[self.pair_upper[pairs], self.extra_upper].astype(float),
            np.r_[self.objective[pairs], self.objective[self.n_pairs : self.n_pairs + n_extra]],
            np.asarray(self.row_lower, dtype=float),  # type: ignore[arg-type]
            np.asarray(self.row_upper, dtype=float),  # type: ignore[arg-type]
            sparse.csr_matrix(columns, dtype=float),
        )
        model.helper.set_maximize(True)
        with tempfile.TemporaryDirectory(prefix="matcher-lp-") as folder:
            path = Path(folder) / "restricted.pb"
            if not model.helper.write_model_to_proto_file(str(path)):
                raise SolverFailure("OR-Tools could not hand the restricted LP to GLOP")
            proto = linear_solver_pb2.MPModelProto.FromString(path.read_bytes())
        error = solver.LoadModelFromProto(proto)
        if error:
            raise SolverFailure(f"GLOP refused the restricted LP: {error}")
        self.solver = solver
        self.parameters = pywraplp.MPSolverParameters()  # GLOP's defaults, presolve on (see the module)
        self.variables = solver.variables()
        self.constraints = solver.constraints()
        self.local[pairs] = np.arange(len(pairs))
        self.extra_index = len(pairs) + np.arange(len(self.extra_lower))  # the extra columns' positions

    def _add(self, pairs: np.ndarray) -> None:
        assert self.solver is not None
        objective = self.solver.Objective()
        constraints = self.constraints
        by_pair = self.by_pair
        indptr, indices, data = by_pair.indptr, by_pair.indices, by_pair.data
        for pair in pairs.tolist():
            variable = self.solver.NumVar(float(self.pair_lower[pair]), float(self.pair_upper[pair]), "")
            objective.SetCoefficient(variable, float(self.objective[pair]))
            begin, end = indptr[pair], indptr[pair + 1]
            for row, value in zip(indices[begin:end].tolist(), data[begin:end].tolist()):
                constraints[row].SetCoefficient(variable, value)
            self.variables.append(variable)
        self.local[pairs] = len(self.variables) - len(pairs) + np.arange(len(pairs))

    def solve(self, columns: np.ndarray) -> Round:
        """Solve over `columns` (pair positions; every earlier round's columns among them)."""
        columns = np.asarray(columns, dtype=np.int64)
        if self.solver is None:
            self._load(columns)
        else:
            new = columns[self.local[columns] < 0]
            if len(new):
                self._add(new)
        assert self.solver is not None
        remaining = self.clock.remaining()
        if remaining is not None:
            self.solver.SetTimeLimit(max(1, int(remaining * 1000)))
        status = _STATUS.get(self.solver.Solve(self.parameters), lp_model.SolveStatus.ABNORMAL)
        if status in IMPOSSIBLE:
            raise SolverFailure(f"the glop solver answered {status.name} on a restricted LP")
        if status != lp_model.SolveStatus.OPTIMAL:
            return Round(status, np.zeros(0), np.zeros(0), np.nan, int(self.solver.iterations()))
        # read back in one piece: a call per variable and row took 1.8 s of a national week
        response = linear_solver_pb2.MPSolutionResponse()
        self.solver.FillSolutionResponseProto(response)
        every = np.array(response.variable_value, dtype=float)
        values = np.r_[every[self.local[columns]], every[self.extra_index]]
        duals = np.array(response.dual_value, dtype=float)
        return Round(
            status, values, duals, float(self.solver.Objective().Value()), int(self.solver.iterations())
        )
