"""Why a vacancy stood empty in a week: one reason per open, available, unlet unit and week.

Checked in this order, the first that holds is the reason:

- `refused`: it was offered this week and the landlord or the client declined;
- `no_eligible_client`: no client in the queue fits it at all (type, size, rent, access, safety,
  origin rule, open neighbourhood), whatever their readiness or history;
- `declined_before`: the only clients who fit it declined it (or were declined for it) earlier;
- `client_not_ready`: the clients who fit it are not ready to move before the week ends
  (waiting for the client's ready date);
- `clients_placed_elsewhere`: every client who fits it and is ready was offered another unit
  this week;
- `capacity_full`: clients who fit it and are ready were offered nothing, and a limit has no room
  for them there after the week's proposal: the neighbourhood cap, the municipality's intake or
  its support slots (`limit` names the one that stops the highest-priority of them);
- `not_chosen`: such a client fits within every limit, so the proposal could have housed them
  there. A maximal proposal (greedy's, or the optimiser's, both proven) never leaves one.

The units counted are those in the scheme whose `available_from` is within the week; a unit that
opens later is not yet empty.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.capacity import LIMIT_BOOK, PairLimits, Remaining
from matcher.rules.eligibility import RULE_FUNCTIONS, Eligibility
from matcher.solver.greedy import priority_order

EMPTY_REASONS = (
    "refused",
    "no_eligible_client",
    "declined_before",
    "client_not_ready",
    "clients_placed_elsewhere",
    "capacity_full",
    "not_chosen",
)
NOT_LETTABLE = ("no_eligible_client", "declined_before", "client_not_ready")  # no one could move in


def empty_reasons(
    rules: Eligibility,
    empty: list[str],
    refused: set[str],
    proposed: list[tuple[str, str]],
) -> dict[str, tuple[str, str]]:
    """For each unit id of `empty` (available, unlet this week): (reason, limit or "")."""
    result: dict[str, tuple[str, str]] = {unit: ("refused", "") for unit in empty if unit in refused}
    rest = [unit for unit in empty if unit not in refused]
    if not rest:
        return result
    a, s = rules.arrays, rules.sets
    unit_index = {u: k for k, u in enumerate(a.unit_ids)}
    client_index = {c: k for k, c in enumerate(a.client_ids)}
    columns = np.array([unit_index[u] for u in rest], dtype=np.int64)
    n_clients = a.n_clients
    if n_clients == 0:
        result.update(dict.fromkeys(rest, ("no_eligible_client", "")))
        return result
    block = slice(0, n_clients)
    origin_rule = rules.instance.policy.origin_rule
    fits = np.ones((n_clients, len(columns)), dtype=bool)
    for name, allows in RULE_FUNCTIONS.items():
        if name in ("timing", "history"):
            continue
        fits &= allows(a, s, block, origin_rule)[:, columns]
    fits &= a.unit_available[columns][None, :]
    history = RULE_FUNCTIONS["history"](a, s, block, origin_rule)[:, columns]
    ready = a.client_ready[:, None]

    proposed_clients = np.zeros(n_clients, dtype=bool)
    proposed_c = np.array([client_index[c] for c, _ in proposed], dtype=np.int64)
    proposed_u = np.array([unit_index[u] for _, u in proposed], dtype=np.int64)
    proposed_clients[proposed_c] = True
    remaining = Remaining.after(a, proposed_c, proposed_u)
    rank = np.empty(n_clients, dtype=np.int64)
    rank[priority_order(a)] = np.arange(n_clients)

    for j, unit in enumerate(rest):
        candidates = fits[:, j]
        if not candidates.any():
            result[unit] = ("no_eligible_client", "")
            continue
        candidates = candidates & history[:, j]
        if not candidates.any():
            result[unit] = ("declined_before", "")
            continue
        candidates = candidates & ready[:, 0]
        if not candidates.any():
            result[unit] = ("client_not_ready", "")
            continue
        free = np.flatnonzero(candidates & ~proposed_clients)
        if len(free) == 0:
            result[unit] = ("clients_placed_elsewhere", "")
            continue
        free = free[np.argsort(rank[free], kind="stable")]
        pairs = PairLimits.of(a, free, np.full(len(free), columns[j]))
        if remaining.fits(pairs).any():
            result[unit] = ("not_chosen", "")
            continue
        result[unit] = ("capacity_full", _blocking_limit(remaining, pairs))
    return result


def _blocking_limit(remaining: Remaining, pairs: PairLimits) -> str:
    """The first limit (in the rules' order) with no room for the first pair."""
    for k, limit in enumerate(LIMIT_BOOK):
        key, amount = int(pairs.keys[k][0]), int(pairs.amounts[k][0])
        if key >= 0 and amount > remaining.left[k][key]:
            return limit.name
    return ""
