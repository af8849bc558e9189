"""Today's practice: a priority-order greedy allocation.

Clients in order of priority weight w (then registration date, then id) each take their best
eligible unit (highest preference score p, then file order) that the caps, intake and slots still
allow. Used as the baseline the optimiser must never fall below, and as the fallback proposal when
a time limit stops the solver before it finds anything.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.arrays import Arrays
from matcher.solver.formulation import Candidates


def priority_order(arrays: Arrays) -> np.ndarray:
    """Client indices by w descending, then registration date, then client id."""
    return np.lexsort((arrays.client_ids.astype(str), arrays.client_registered, -arrays.client_weight))


def greedy_allocation(arrays: Arrays, candidates: Candidates, order: np.ndarray) -> np.ndarray:
    """Positions (into candidates) chosen by the priority-order greedy."""
    room = arrays.neighbourhood_room.astype(np.int64).copy()
    intake = arrays.municipality_max_intake.astype(np.int64).copy()
    unlimited = np.iinfo(np.int64).max
    n_intensities = max([s for _, s in arrays.slots] + [int(candidates.intensity.max(initial=0))]) + 1
    slots = np.full((len(intake), n_intensities), unlimited, dtype=np.int64)
    for (municipality, intensity), count in arrays.slots.items():
        slots[municipality, intensity] = count
    unit_taken = np.zeros(arrays.n_units, dtype=bool)
    # each client's candidates, best first: highest preference, then file order of the unit
    sort = np.lexsort((candidates.unit, -candidates.preference, candidates.client))
    client, unit = candidates.client[sort], candidates.unit[sort]
    load, neighbourhood = candidates.load[sort], candidates.neighbourhood[sort]
    municipality, intensity = candidates.municipality[sort], candidates.intensity[sort]
    bounds = np.searchsorted(client, np.arange(arrays.n_clients + 1))
    chosen = []
    for c in order:
        start, stop = bounds[c], bounds[c + 1]
        if start == stop:
            continue
        window = slice(start, stop)
        m, s = municipality[window], intensity[window]
        fits = ~unit_taken[unit[window]] & (load[window] <= room[neighbourhood[window]])
        fits &= (intake[m] != 0) & (slots[m, s] != 0)
        if not fits.any():
            continue
        k = start + int(np.argmax(fits))
        unit_taken[unit[k]] = True
        room[neighbourhood[k]] -= load[k]
        if intake[municipality[k]] > 0:
            intake[municipality[k]] -= 1
        if slots[municipality[k], intensity[k]] != unlimited:
            slots[municipality[k], intensity[k]] -= 1
        chosen.append(int(sort[k]))
    return np.array(sorted(chosen), dtype=np.int64)
