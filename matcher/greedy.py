"""Today's practice: a priority-order greedy allocation.

Clients in order of priority weight w (then registration date, then id) each take their best
eligible unit (highest preference score p, then file order) that the caps, intake and slots still
allow. Used as the baseline the optimiser must never fall below, and as the fallback proposal when
a time limit stops the solver before it finds anything.
"""

from __future__ import annotations

import numpy as np

from matcher.arrays import Arrays
from matcher.formulation import Candidates


def priority_order(arrays: Arrays) -> np.ndarray:
    """Client indices by w descending, then registration date, then client id."""
    return np.lexsort((arrays.client_ids.astype(str), arrays.client_registered, -arrays.client_weight))


def greedy_allocation(arrays: Arrays, candidates: Candidates, order: np.ndarray) -> np.ndarray:
    """Positions (into candidates) chosen by the priority-order greedy."""
    room = arrays.neighbourhood_room.astype(np.int64).copy()
    intake = arrays.municipality_max_intake.copy()
    slots = dict(arrays.slots)
    unit_taken = np.zeros(arrays.n_units, dtype=bool)
    by_client: dict[int, np.ndarray] = {}
    sort = np.lexsort((candidates.unit, -candidates.preference, candidates.client))
    boundaries = np.flatnonzero(np.diff(candidates.client[sort])) + 1
    for group in np.split(sort, boundaries) if len(sort) else []:
        by_client[int(candidates.client[group[0]])] = group
    chosen = []
    for client in order:
        for position in by_client.get(int(client), ()):
            unit = candidates.unit[position]
            neighbourhood = candidates.neighbourhood[position]
            municipality = candidates.municipality[position]
            key = (int(municipality), int(candidates.intensity[position]))
            if unit_taken[unit] or candidates.load[position] > room[neighbourhood]:
                continue
            if intake[municipality] == 0 or slots.get(key, 1) == 0:
                continue
            unit_taken[unit] = True
            room[neighbourhood] -= candidates.load[position]
            if intake[municipality] > 0:
                intake[municipality] -= 1
            if key in slots:
                slots[key] -= 1
            chosen.append(position)
            break
    return np.array(sorted(chosen), dtype=np.int64)
