"""Interchangeable units: solve once per class of units that no rule and no objective can tell
apart, then hand out the actual units.

Two units are interchangeable when they lie in the same neighbourhood (so the same municipality)
with the same load rule (exempt or not), and exactly the same clients may take them with exactly
the same preference score. Then every row of the formulation (client, cap, intake, slot) and
every objective (W, P, spreading, fair shares) treats them alike, so the optimisation model needs
one column per client and class, and one row "at most `capacity` clients" per class instead of
one row per unit. The class LP and the unit LP have the same optimum (split a class value evenly
over its units, or sum unit values into their class), and an integral class allocation becomes
a unit allocation by giving each class's clients distinct units of it. The units of kept
matches (`--keep-proposal`) are told apart by the continuity level, so each is its own class. Exact, and it roughly
halves the model on generated regions, where many units of one type share a neighbourhood.

Declined pairs (the ledger) and the safety rules make a unit's client list differ, so such a unit
simply lands in a class of its own. Units that agreements count differently (a landlord's
agreement counts its units, not another landlord's in the same wijk) are never alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from matcher.rules.arrays import Arrays
from matcher.solver.formulation import Candidates


@dataclass(frozen=True)
class UnitClasses:
    """Per unit: the unit standing for its class (-1 without candidate pairs), and per
    representative how many units its class holds."""

    representative: np.ndarray
    capacity: np.ndarray  # per unit: class size for representatives, 0 otherwise

    @property
    def n_classes(self) -> int:
        return int((self.capacity > 0).sum())


def interchangeable_units(arrays: Arrays, candidates: Candidates, alone: Iterable[int] = ()) -> UnitClasses:
    """Group units by everything the formulation can see of them; the lowest unit index of each
    group represents it. Exact: groups are formed by comparing the full client and preference
    lists, not a hash. Units in `alone` (those of kept matches, which the continuity level
    tells apart) each form a class of their own."""
    alone_units = {int(unit) for unit in alone}
    n_units = arrays.n_units
    representative = np.full(n_units, -1, dtype=np.int64)
    capacity = np.zeros(n_units, dtype=np.int64)
    if len(candidates) == 0:
        return UnitClasses(representative, capacity)
    order = np.lexsort((candidates.client, candidates.unit))
    units = candidates.unit[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(units)) + 1, len(order)]
    clients = candidates.client[order].astype(np.int64)
    preferences = candidates.preference[order].astype(np.int64)
    first: dict[tuple, int] = {}
    for start, stop in zip(bounds[:-1], bounds[1:]):
        unit = int(units[start])
        key = (
            int(arrays.unit_neighbourhood[unit]),
            int(arrays.unit_municipality[unit]),
            bool(arrays.unit_exempt[unit]),
            clients[start:stop].tobytes(),
            preferences[start:stop].tobytes(),
            arrays.agreements.unit_signature(unit),
            unit if unit in alone_units else -1,
        )
        representative[unit] = first.setdefault(key, unit)
    present = representative >= 0
    capacity[:] = np.bincount(representative[present], minlength=n_units)
    return UnitClasses(representative, capacity)


def class_pairs(candidates: Candidates, classes: UnitClasses) -> Candidates:
    """The candidate pairs of representative units only: one per client and class."""
    return candidates.take(classes.representative[candidates.unit] == candidates.unit)


def _pair_key(client: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    return client.astype(np.int64) * n_units + unit.astype(np.int64)


def _positions(candidates: Candidates, client: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Positions of (client, unit) pairs among `candidates`; each pair must be a candidate."""
    keys = _pair_key(candidates.client, candidates.unit, n_units)
    order = np.argsort(keys, kind="stable")
    wanted = _pair_key(client, unit, n_units)
    found = order[np.searchsorted(keys[order], wanted)]
    if len(found) and not np.array_equal(keys[found], wanted):
        raise ValueError("a pair is not among the candidates")
    return found


def to_classes(
    positions: np.ndarray, candidates: Candidates, per_class: Candidates, classes: UnitClasses
) -> np.ndarray:
    """Unit-level candidate positions → the matching class-level positions (sorted)."""
    n_units = len(classes.representative)
    client = candidates.client[positions]
    unit = classes.representative[candidates.unit[positions]]
    return np.sort(_positions(per_class, client, unit, n_units))


def spread_over_units(
    chosen: np.ndarray, per_class: Candidates, candidates: Candidates, classes: UnitClasses
) -> np.ndarray:
    """Class-level chosen positions → unit-level positions: each class's clients get distinct
    units of it, units in unit order to clients in index order. (A kept match's unit is a class
    of its own, so its client gets that very unit.)"""
    n_units = len(classes.representative)
    client = per_class.client[chosen]
    rep = per_class.unit[chosen]
    members: dict[int, list[int]] = {}
    for unit in np.flatnonzero(classes.representative >= 0):
        members.setdefault(int(classes.representative[unit]), []).append(int(unit))
    units = np.empty(len(chosen), dtype=np.int64)
    order = np.lexsort((client, rep))
    bounds = (
        np.r_[0, np.flatnonzero(np.diff(rep[order])) + 1, len(order)]
        if len(order)
        else np.zeros(1, dtype=int)
    )
    for start, stop in zip(bounds[:-1], bounds[1:]):
        group = order[start:stop]
        units[group] = members[int(rep[group[0]])][: len(group)]
    return np.sort(_positions(candidates, client, units, n_units))
