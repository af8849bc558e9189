"""Why each unmatched client is unmatched, in words a coordinator can act on.

Three reasons, as the allocation rules define them:
- `no_eligible_unit`: no unit passes the eligibility rules; the detail names the rule that
  excluded the most units;
- `capacity_full`: eligible units exist, but every one lies where a neighbourhood cap,
  municipal intake or support slots are full;
- `outranked`: at least one eligible unit went to another client; the detail names who (with
  their priority weight) and, where a lower-priority client got it, the rule that made that so.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from matcher.rules.arrays import Arrays
from matcher.rules.capacity import Remaining, full_limits
from matcher.rules.eligibility import Pairs
from matcher.solver.formulation import Candidates


def _blockers(
    arrays: Arrays, remaining: Remaining, unit: int, client: int, freed: tuple[int, int] | None = None
) -> list[str]:
    """Which limits stop `client` from taking `unit`, in the words of unmatched.csv."""
    return [full.words(arrays) for full in full_limits(arrays, remaining, client, unit, freed)]


def unmatched_reasons(
    arrays: Arrays, pairs: Pairs, candidates: Candidates, chosen: np.ndarray
) -> pd.DataFrame:
    """One row per unmatched client: client_id, reason, detail."""
    placed_unit = np.full(arrays.n_clients, -1, dtype=np.int64)
    placed_unit[candidates.client[chosen]] = candidates.unit[chosen]
    holder = np.full(arrays.n_units, -1, dtype=np.int64)
    holder[candidates.unit[chosen]] = candidates.client[chosen]
    remaining = Remaining.after(arrays, candidates.client[chosen], candidates.unit[chosen])

    order = np.argsort(pairs.client, kind="stable")
    starts = np.searchsorted(pairs.client[order], np.arange(arrays.n_clients + 1))
    unit_kind = arrays.unit_neighbourhood * 2 + arrays.unit_exempt.astype(np.int64)
    blockers: dict[tuple[int, int], list[str]] = {}
    id_rank = np.argsort(np.argsort(arrays.client_ids.astype(str), kind="stable"), kind="stable")
    rows = []
    for client in np.flatnonzero(placed_unit < 0):
        units = pairs.unit[order[starts[client] : starts[client + 1]]]
        client_id = arrays.client_ids[client]
        if len(units) == 0:
            rows.append((client_id, "no_eligible_unit", _no_unit_detail(pairs, client_id, arrays.n_units)))
            continue
        taken = holder[units] >= 0
        takers = (holder[units[taken]], units[taken])
        blocked: Counter[str] = Counter()
        # units alike for the limits (same neighbourhood, exempt or not) are blocked alike
        free = units[~taken]
        kinds, first, counts = np.unique(unit_kind[free], return_index=True, return_counts=True)
        for kind, position, count in zip(kinds, first, counts):
            key = (int(kind), int(arrays.client_intensity[client]))
            if key not in blockers:
                blockers[key] = _blockers(arrays, remaining, int(free[position]), int(client)) or [
                    "not chosen"
                ]
            for block in blockers[key]:
                blocked[block] += int(count)
        if not taken.any():
            listed = "; ".join(
                f"{block} ({count} unit{'s' * (count > 1)})" for block, count in blocked.most_common(4)
            )
            rows.append(
                (
                    client_id,
                    "capacity_full",
                    f"{len(units)} eligible unit{'s' * (len(units) > 1)}, all where limits are full: {listed}",
                )
            )
            continue
        rows.append(
            (
                client_id,
                "outranked",
                _outranked_detail(arrays, remaining, int(client), *takers, blocked, id_rank),
            )
        )
    return pd.DataFrame(rows, columns=["client_id", "reason", "detail"])


def _no_unit_detail(pairs: Pairs, client_id: str, n_units: int) -> str:
    counts = pairs.excluded.loc[client_id]
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    if n_units == 0:
        return "there are no units this period"
    top = ", ".join(f"{rule} excludes {count}" for rule, count in counts.head(3).items())
    return f"none of the {n_units} units is eligible; most excluded by {counts.index[0]} ({top})"


def _outranked_detail(
    arrays: Arrays,
    remaining: Remaining,
    client: int,
    taker_clients: np.ndarray,
    taker_units: np.ndarray,
    blocked: Counter,
    id_rank: np.ndarray,
) -> str:
    weight = int(arrays.client_weight[client])
    order = np.lexsort((id_rank[taker_clients], -arrays.client_weight[taker_clients]))
    takers = list(zip(taker_clients[order][:3].tolist(), taker_units[order][:3].tolist()))
    named = ", ".join(f"{arrays.client_ids[t]} (w {arrays.client_weight[t]})" for t, _ in takers)
    count = len(order)
    more = f" and {count - 3} more" if count > 3 else ""
    below = arrays.client_weight[taker_clients[order]] < weight
    higher = not below.any()
    detail = f"{count} eligible unit{'s' * (count > 1)} went to {'higher-priority ' if higher else ''}clients {named}{more}"
    if not higher:
        first = order[np.flatnonzero(below)[0]]
        taker, unit = int(taker_clients[first]), int(taker_units[first])
        swap = _blockers(arrays, remaining, unit, client, freed=(taker, unit))
        because = (
            "; ".join(swap)
            if swap
            else "placing this client instead would lower the total priority W elsewhere"
        )
        detail += (
            f"; {arrays.client_ids[taker]} (w {arrays.client_weight[taker]}) holds "
            f"{arrays.unit_ids[unit]} because {because}"
        )
    if blocked:
        detail += "; other eligible units blocked: " + "; ".join(
            f"{block} ({count})" for block, count in blocked.most_common(3)
        )
    return detail
