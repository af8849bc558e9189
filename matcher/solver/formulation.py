"""The optimisation model ("formulation") over eligible pairs: one client per unit, one unit per
client, and the capacity rules of `matcher.rules.capacity`.

Variables exist only for candidate pairs: eligible pairs that can be part of some allocation on
their own (a pair whose load alone exceeds the neighbourhood's room, or whose municipality has no
intake or no slots left for the client's intensity, can never be chosen and is left out; the
unmatched reasons report those separately). Every rule becomes a block of sparse rows built with
numpy, so building stays fast at national scale; `to_model` hands the rows to OR-Tools'
compiled model builder in one call (`matcher.solver.lp_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import scipy.sparse as sparse

from matcher.rules.arrays import Arrays
from matcher.rules.capacity import LIMITS, fits_alone, pair_load, row_specs
from matcher.rules.eligibility import Pairs
from matcher.solver import lp_model


@dataclass
class Candidates:
    """Eligible pairs that fit on their own, as index-aligned arrays."""

    client: np.ndarray
    unit: np.ndarray
    weight: np.ndarray  # w(c)
    preference: np.ndarray  # p(c, u)
    load: np.ndarray  # load weight, 0 for exempt unit types
    neighbourhood: np.ndarray
    municipality: np.ndarray
    intensity: np.ndarray

    def __len__(self) -> int:
        return len(self.client)

    def take(self, positions: np.ndarray) -> Candidates:
        """The candidates at `positions` (indices or a mask), every field alike."""
        return Candidates(*(getattr(self, f.name)[positions] for f in fields(self)))


@dataclass(frozen=True)
class Rows:
    """A block of constraints `lower ≤ matrix · x ≤ upper` over the pair columns."""

    rule: str
    matrix: sparse.csr_matrix
    lower: np.ndarray
    upper: np.ndarray

    def __len__(self) -> int:
        return self.matrix.shape[0]


@dataclass
class Formulation:
    """The hard rules as row blocks; objectives and level rows are added by `matcher.solver.levels`."""

    candidates: Candidates
    blocks: list[Rows] = field(default_factory=list)
    fixed_pairs: np.ndarray | None = None  # per pair: -1 free, 0 or 1 fixed (see `restrict_to_face`)
    # per unit: how many interchangeable units a candidate's unit stands for (None: each itself);
    # see matcher.solver.unit_classes
    unit_capacity: np.ndarray | None = None

    def capacity_of(self, units: np.ndarray) -> np.ndarray:
        """How many clients each of `units` can take (its class size, else 1)."""
        if self.unit_capacity is None:
            return np.ones(len(units), dtype=np.int64)
        return self.unit_capacity[units]

    @property
    def n_pairs(self) -> int:
        return len(self.candidates)

    def stacked_matrix(self, extra_rows: Sequence[Rows] = ()) -> sparse.csr_matrix:
        """All rule rows, then `extra_rows`, over the pair columns only."""
        blocks = [block.matrix[:, : self.n_pairs] for block in (*self.blocks, *extra_rows)]
        if not blocks:
            return sparse.csr_matrix((0, self.n_pairs))
        return sparse.vstack(blocks, format="csr")

    def to_model(
        self,
        objective: np.ndarray,
        maximize: bool,
        integral: bool,
        extra_columns: tuple[np.ndarray, np.ndarray] | None = None,
        extra_rows: Sequence[Rows] = (),
        columns: np.ndarray | None = None,
    ) -> lp_model.Model:
        """An OR-Tools model over the pair `columns` (all by default; binary when `integral`),
        then any extra continuous columns with (lower, upper) bounds; the rule blocks, then
        `extra_rows`. Objective and rows are given over all pairs (then the extra columns)."""
        columns = np.arange(self.n_pairs) if columns is None else np.asarray(columns)
        n_extra = 0 if extra_columns is None else len(extra_columns[0])
        selected = np.r_[columns, self.n_pairs + np.arange(n_extra)].astype(np.int64)
        full_width = self.n_pairs + n_extra
        matrices = [_widen(block.matrix, full_width)[:, selected] for block in (*self.blocks, *extra_rows)]
        lowers = [block.lower for block in (*self.blocks, *extra_rows)]
        uppers = [block.upper for block in (*self.blocks, *extra_rows)]
        matrix = sparse.vstack(matrices, format="csr") if matrices else sparse.csr_matrix((0, len(selected)))
        pair_lower, pair_upper = np.zeros(len(columns)), np.ones(len(columns))
        if self.fixed_pairs is not None:
            pair_lower[self.fixed_pairs[columns] == 1] = 1
            pair_upper[self.fixed_pairs[columns] == 0] = 0
        lower, upper = pair_lower, pair_upper
        if extra_columns is not None and n_extra:
            lower = np.concatenate([pair_lower, extra_columns[0]])
            upper = np.concatenate([pair_upper, extra_columns[1]])
        model = lp_model.Model()
        # the ignores: OR-Tools' generated stub spells these `ndarray[float64[m, 1]]` (a dtype where
        # numpy expects a shape), which no array matches; they are float64 vectors, as required
        model.helper.fill_model_from_sparse_data(
            lower.astype(float),  # type: ignore[arg-type]
            upper.astype(float),  # type: ignore[arg-type]
            np.asarray(objective, dtype=float)[selected],
            np.concatenate(lowers).astype(float) if lowers else np.zeros(0),  # type: ignore[arg-type]
            np.concatenate(uppers).astype(float) if uppers else np.zeros(0),  # type: ignore[arg-type]
            matrix.astype(float),
        )
        model.helper.set_maximize(maximize)
        if integral:
            for column in range(len(columns)):
                model.helper.set_var_integrality(column, True)
        return model

    def face_marks(
        self, reduced_costs: np.ndarray, duals: np.ndarray, solution: np.ndarray, tolerance: float
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Which pairs keep their value (-1 free, else 0/1) and which rows stay tight on the LP's
        optimal face around `solution` (see `restrict_to_face`).

        Without fixed pairs the bound counts each client's best positive reduced cost m_c (see
        matcher.solver.column_generation): an allocation within `tolerance` of it cannot use a pair whose reduced
        cost is below m_c − tolerance, and must place a client with m_c > tolerance on a pair
        within `tolerance` of m_c — fixed to 1 when there is only one. With fixed pairs every
        reduced cost counts: a pair beyond `tolerance` either way keeps its value."""
        reduced = reduced_costs[: self.n_pairs]
        if self.fixed_pairs is None:
            client = self.candidates.client
            best = np.zeros(int(client.max(initial=-1)) + 1)
            np.maximum.at(best, client, reduced)
            fixed = np.full(self.n_pairs, -1, dtype=np.int8)
            near = reduced >= best[client] - tolerance
            fixed[~near] = 0
            must = near & (best[client] > tolerance)
            alone = np.bincount(client[must], minlength=len(best))[client] == 1
            fixed[must & alone] = 1
        else:
            x = np.zeros(self.n_pairs)
            x[solution] = 1
            fixed = np.where(np.abs(reduced) > tolerance, x, -1).astype(np.int8)
        tight, start = [], 0
        for block in self.blocks:
            tight.append(np.abs(duals[start : start + len(block)]) > tolerance)
            start += len(block)
        return fixed, tight

    def apply_face(self, fixed: np.ndarray, tight: list[np.ndarray], solution: np.ndarray) -> None:
        """Fix the marked pairs and hold the marked rows at `solution`'s activity."""
        x = np.zeros(self.n_pairs)
        x[solution] = 1
        self.fixed_pairs = (
            fixed if self.fixed_pairs is None else np.where(self.fixed_pairs >= 0, self.fixed_pairs, fixed)
        )
        self.blocks = [
            Rows(block.rule, block.matrix, np.where(mask, block.matrix @ x, block.lower), block.upper)
            for block, mask in zip(self.blocks, tight)
        ]

    def restrict_to_face(
        self, reduced_costs: np.ndarray, duals: np.ndarray, solution: np.ndarray, tolerance: float
    ) -> None:
        """Keep only allocations that are also optimal for the LP just solved.

        By complementary slackness, every optimum of an LP lies on the face where each pair
        with a non-zero reduced cost keeps its value and each row with a non-zero dual stays
        tight. When `solution` is within `tolerance` of that LP's optimum, the face holds every
        allocation that keeps the levels solved so far, without the dense "objective ≥ value"
        row that slows the MIP down. Callers still verify every result.
        """
        self.apply_face(*self.face_marks(reduced_costs, duals, solution, tolerance), solution)

    def components(self, batch_pairs: int) -> list[np.ndarray]:
        """Pairs grouped into independent parts: no row links pairs of different parts. Small
        components are packed together until a part holds at least `batch_pairs` pairs."""
        matrix = self.stacked_matrix().tocoo()
        n_rows = matrix.shape[0]
        label = _component_labels(matrix.row, n_rows + matrix.col, n_rows + self.n_pairs)
        pair_label = label[n_rows:]
        order = np.argsort(pair_label, kind="stable")
        bounds = np.r_[0, np.flatnonzero(np.diff(pair_label[order])) + 1, len(order)]
        parts, current = [], []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            current.append(order[start:stop])
            if sum(len(piece) for piece in current) >= batch_pairs:
                parts.append(np.sort(np.concatenate(current)))
                current = []
        if current:
            parts.append(np.sort(np.concatenate(current)))
        return parts

    def subset(self, pairs: np.ndarray) -> tuple[Formulation, list[np.ndarray]]:
        """The formulation over `pairs` only (an independent part), and per block the indices
        of the rows it keeps."""
        return self.subsets([pairs])[0]

    def subsets(self, parts: Sequence[np.ndarray]) -> list[tuple[Formulation, list[np.ndarray]]]:
        """`subset` of each of `parts`; each block's columns are gathered once for all of them (a
        national week's 30 parts each converted every block again: 2.6 s), and let go before the
        parts are solved."""
        by_column = [block.matrix.tocsc() for block in self.blocks]
        subsets = []
        for pairs in parts:
            sub = Formulation(
                candidates=self.candidates.take(pairs),
                fixed_pairs=None if self.fixed_pairs is None else self.fixed_pairs[pairs],
                unit_capacity=self.unit_capacity,
            )
            kept = []
            for block, columns_of in zip(self.blocks, by_column):
                columns = columns_of[:, pairs].tocsr()
                rows = np.flatnonzero(np.diff(columns.indptr) > 0)
                sub.blocks.append(Rows(block.rule, columns[rows], block.lower[rows], block.upper[rows]))
                kept.append(rows)
            subsets.append((sub, kept))
        return subsets


# label propagation rounds before `_component_labels` hands a long, thin graph to scipy, and the
# edges above which scipy is faster even counting its import (a 2,000 × 1,200 week: 4 million)
_PROPAGATION_ROUNDS = 64
_PROPAGATION_EDGES = 500_000


def _component_labels(first: np.ndarray, second: np.ndarray, size: int) -> np.ndarray:
    """Per node of the undirected graph with edges (first[k], second[k]): the lowest node of its
    connected component. Components are thus ordered as scipy's `connected_components` numbers
    them (by their lowest node), without importing scipy.sparse.csgraph (0.1 s of a 300 × 200
    week's start-up): minimum labels are pushed along the edges, with pointer jumping, until
    nothing changes; a graph that needs more rounds, or has more edges than propagation handles
    faster, goes to scipy."""
    label = np.arange(size, dtype=np.int64)
    first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
    for _ in range(_PROPAGATION_ROUNDS if len(first) <= _PROPAGATION_EDGES else 0):
        lowest = np.minimum(label[first], label[second])
        new = label.copy()
        np.minimum.at(new, first, lowest)
        np.minimum.at(new, second, lowest)
        new = new[new]  # a node's label is a lower node of the same component: jump to its label
        if np.array_equal(new, label):
            return label
        label = new
    from scipy.sparse.csgraph import connected_components

    graph = sparse.csr_matrix((np.ones(len(first)), (first, second)), shape=(size, size))
    _, numbers = connected_components(graph, directed=False)
    lowest_node = np.full(int(numbers.max(initial=-1)) + 1, size, dtype=np.int64)
    np.minimum.at(lowest_node, numbers, np.arange(size))
    return lowest_node[numbers]


def _widen(matrix: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    if matrix.shape[1] == width:
        return matrix
    return sparse.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def rows_by_key(
    rule: str,
    keys: np.ndarray,
    positions: np.ndarray,
    coefficients: np.ndarray,
    limit_of_key: dict[int, float] | np.ndarray,
    n_pairs: int,
    binding: np.ndarray | None = None,
) -> Rows:
    """One row per distinct key: Σ coefficient·x over `positions` with that key ≤ its limit.

    `binding`, if given, is a boolean per distinct key (in sorted key order): keys whose row
    cannot bind are left out.
    """
    distinct, row_of = np.unique(keys, return_inverse=True)
    limits = np.array([limit_of_key[int(k)] for k in distinct], dtype=float)
    keep = np.ones(len(distinct), dtype=bool) if binding is None else binding
    new_row = np.cumsum(keep) - 1
    selected = keep[row_of]
    matrix = sparse.csr_matrix(
        (coefficients[selected].astype(float), (new_row[row_of[selected]], positions[selected])),
        shape=(int(keep.sum()), n_pairs),
    )
    return Rows(rule, matrix, np.full(int(keep.sum()), -np.inf), limits[keep])


def candidate_pairs(arrays: Arrays, pairs: Pairs) -> Candidates:
    """The eligible pairs that fit on their own (see `matcher.rules.capacity.fits_alone`), with
    everything the constraints need."""
    keep = fits_alone(arrays, pairs.client, pairs.unit)
    client, unit = pairs.client[keep], pairs.unit[keep]
    return Candidates(
        client=client,
        unit=unit,
        weight=arrays.client_weight[client],
        preference=pairs.preference[keep],
        load=pair_load(arrays, client, unit),
        neighbourhood=arrays.unit_neighbourhood[unit],
        municipality=arrays.unit_municipality[unit],
        intensity=arrays.client_intensity[client],
    )


def add_one_unit_per_client(f: Formulation) -> None:
    """Each client gets at most one unit."""
    c = f.candidates
    everything = np.arange(len(c))
    distinct, counts = np.unique(c.client, return_counts=True)
    f.blocks.append(
        rows_by_key(
            "one_unit_per_client",
            c.client,
            everything,
            np.ones(len(c)),
            dict.fromkeys(distinct.tolist(), 1.0),
            len(c),
            binding=counts > 1,
        )
    )


def add_one_client_per_unit(f: Formulation) -> None:
    """Each unit goes to at most one client (a class of interchangeable units: at most its size)."""
    c = f.candidates
    everything = np.arange(len(c))
    distinct, counts = np.unique(c.unit, return_counts=True)
    capacity = f.capacity_of(distinct)
    f.blocks.append(
        rows_by_key(
            "one_client_per_unit",
            c.unit,
            everything,
            np.ones(len(c)),
            dict(zip(distinct.tolist(), capacity.astype(float).tolist())),
            len(c),
            binding=counts > capacity,
        )
    )


def add_limits(f: Formulation, arrays: Arrays, names: tuple[str, ...] = LIMITS) -> None:
    """Every capacity rule of `matcher.rules.capacity` (caps, intake, slots): one row per key
    that can bind."""
    c = f.candidates
    for spec in row_specs(arrays, c.client, c.unit, f.capacity_of):
        if spec.rule in names:
            f.blocks.append(
                rows_by_key(
                    spec.rule,
                    spec.keys,
                    spec.positions,
                    spec.amounts,
                    spec.limit_of_key,
                    len(c),
                    spec.binding,
                )
            )


def build_formulation(
    arrays: Arrays, candidates: Candidates, unit_capacity: np.ndarray | None = None
) -> Formulation:
    """Every hard rule of an allocation, posted once, over `candidates` (see `candidate_pairs`);
    `unit_capacity` when each candidate unit stands for a class of interchangeable units."""
    f = Formulation(candidates=candidates, unit_capacity=unit_capacity)
    add_one_unit_per_client(f)
    add_one_client_per_unit(f)
    add_limits(f, arrays)
    return f
