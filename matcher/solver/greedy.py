"""Today's practice: a priority-order greedy allocation.

Clients in order of priority weight w (then registration date, then id) each take their best
eligible unit (highest preference score p, then the order of the arrays, which `solve` puts in id
order: decision 30) that the caps, intake and slots still allow. Used as the baseline the optimiser must never fall below, and as the fallback proposal when
a time limit stops the solver before it finds anything.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.arrays import Arrays
from matcher.rules.capacity import PairLimits, Remaining
from matcher.solver.formulation import Candidates


def priority_order(arrays: Arrays) -> np.ndarray:
    """Client indices by w descending, then registration date, then client id."""
    return np.lexsort((arrays.client_ids.astype(str), arrays.client_registered, -arrays.client_weight))


def greedy_allocation(arrays: Arrays, candidates: Candidates, order: np.ndarray) -> np.ndarray:
    """Positions (into candidates) chosen by the priority-order greedy."""
    remaining = Remaining.start(arrays)
    unit_taken = np.zeros(arrays.n_units, dtype=bool)
    # each client's candidates, best first: highest preference, then the order of the units
    sort = np.lexsort((candidates.unit, -candidates.preference, candidates.client))
    client, unit = candidates.client[sort], candidates.unit[sort]
    limits = PairLimits.of(arrays, client, unit)
    bounds = np.searchsorted(client, np.arange(arrays.n_clients + 1))
    chosen = []
    for c in order:
        start, stop = bounds[c], bounds[c + 1]
        if start == stop:
            continue
        window = slice(start, stop)
        fits = ~unit_taken[unit[window]] & remaining.fits(limits, window)
        if not fits.any():
            continue
        k = start + int(np.argmax(fits))
        unit_taken[unit[k]] = True
        remaining.take_one(limits, k)
        chosen.append(int(sort[k]))
    return np.array(sorted(chosen), dtype=np.int64)
