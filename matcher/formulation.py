"""The optimisation model ("formulation") over eligible pairs, one `add_<rule>` per rule.

Variables exist only for candidate pairs: eligible pairs that can be part of some allocation on
their own (a pair whose load alone exceeds the neighbourhood's room, or whose municipality has no
intake or no slots left for the client's intensity, can never be chosen and is left out; the
unmatched reasons report those separately).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.linear_solver.python import model_builder as mb

from matcher.arrays import Arrays
from matcher.eligibility import Pairs


@dataclass
class Candidates:
    """Eligible pairs that fit on their own, as index-aligned arrays."""

    client: np.ndarray
    unit: np.ndarray
    weight: np.ndarray        # w(c)
    preference: np.ndarray    # p(c, u)
    load: np.ndarray          # load weight, 0 for exempt unit types
    neighbourhood: np.ndarray
    municipality: np.ndarray
    intensity: np.ndarray

    def __len__(self) -> int:
        return len(self.client)


@dataclass
class Formulation:
    """The model with its pair variables; objectives are set level by level by `matcher.solve`."""

    model: mb.Model
    candidates: Candidates
    x: pd.Series
    room: np.ndarray                       # per neighbourhood: most load the allocation may add
    cap_rows: dict[int, object] = field(default_factory=dict)  # neighbourhood -> its constraint


def fits_alone(arrays: Arrays, pairs: Pairs) -> np.ndarray:
    """Mask of eligible pairs that do not break a cap, intake or slot limit all by themselves."""
    unit, client = pairs.unit, pairs.client
    intensity = arrays.client_intensity[client]
    load = np.where(arrays.unit_exempt[unit], 0, arrays.load_weight[intensity])
    municipality = arrays.unit_municipality[unit]
    fits = load <= arrays.neighbourhood_room[arrays.unit_neighbourhood[unit]]
    fits &= arrays.municipality_max_intake[municipality] != 0
    for (m, s), slots in arrays.slots.items():
        if slots == 0:
            fits &= ~((municipality == m) & (intensity == s))
    return fits


def candidate_pairs(arrays: Arrays, pairs: Pairs) -> Candidates:
    """The eligible pairs that fit on their own, with everything the constraints need."""
    keep = fits_alone(arrays, pairs)
    client, unit = pairs.client[keep], pairs.unit[keep]
    intensity = arrays.client_intensity[client]
    return Candidates(
        client=client,
        unit=unit,
        weight=arrays.client_weight[client],
        preference=pairs.preference[keep],
        load=np.where(arrays.unit_exempt[unit], 0, arrays.load_weight[intensity]),
        neighbourhood=arrays.unit_neighbourhood[unit],
        municipality=arrays.unit_municipality[unit],
        intensity=intensity,
    )


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions of equal keys, in ascending key order (stable, so deterministic)."""
    if len(keys) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    boundaries = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, boundaries)


def _sum(x: pd.Series, positions: np.ndarray, coefficients: np.ndarray | None = None) -> mb.LinearExprT:
    variables = x.values[positions]
    if coefficients is None:
        return mb.LinearExpr.sum(list(variables))
    return mb.LinearExpr.weighted_sum(list(variables), list(coefficients))


def add_one_unit_per_client(f: Formulation) -> None:
    """Each client gets at most one unit."""
    for positions in _groups(f.candidates.client):
        if len(positions) > 1:
            f.model.add(_sum(f.x, positions) <= 1)


def add_one_client_per_unit(f: Formulation) -> None:
    """Each unit goes to at most one client."""
    for positions in _groups(f.candidates.unit):
        if len(positions) > 1:
            f.model.add(_sum(f.x, positions) <= 1)


def add_neighbourhood_caps(f: Formulation) -> None:
    """The load added to a neighbourhood stays within max(0, cap − recent_load)."""
    c = f.candidates
    counted = np.flatnonzero(c.load > 0)
    for group in _groups(c.neighbourhood[counted]):
        positions = counted[group]
        neighbourhood = int(c.neighbourhood[positions[0]])
        room = int(f.room[neighbourhood])
        # a neighbourhood with too few candidate units to ever reach its room cannot bind
        most = np.sort(c.load[positions])[::-1]
        if most[: len(np.unique(c.unit[positions]))].sum() <= room:
            continue
        f.cap_rows[neighbourhood] = f.model.add(_sum(f.x, positions, c.load[positions]) <= room)


def add_municipality_intake(f: Formulation, max_intake: np.ndarray) -> None:
    """At most max_intake new placements in a municipality, where the region agreed one."""
    c = f.candidates
    for positions in _groups(c.municipality):
        municipality = int(c.municipality[positions[0]])
        limit = int(max_intake[municipality])
        if limit >= 0 and len(np.unique(c.unit[positions])) > limit:
            f.model.add(_sum(f.x, positions) <= limit)


def add_support_slots(f: Formulation, slots: dict[tuple[int, int], int]) -> None:
    """At most `slots` new clients of an intensity in a municipality, where capacity is listed."""
    c = f.candidates
    for (municipality, intensity), limit in sorted(slots.items()):
        positions = np.flatnonzero((c.municipality == municipality) & (c.intensity == intensity))
        if len(np.unique(c.client[positions])) > limit:
            f.model.add(_sum(f.x, positions) <= limit)


def build_formulation(arrays: Arrays, pairs: Pairs) -> Formulation:
    """The model with every hard rule of an allocation posted once."""
    candidates = candidate_pairs(arrays, pairs)
    model = mb.Model()
    x = model.new_bool_var_series("x", pd.Index(np.arange(len(candidates)), name="pair"))
    f = Formulation(model=model, candidates=candidates, x=x, room=arrays.neighbourhood_room.copy())
    add_one_unit_per_client(f)
    add_one_client_per_unit(f)
    add_neighbourhood_caps(f)
    add_municipality_intake(f, arrays.municipality_max_intake)
    add_support_slots(f, arrays.slots)
    return f
