"""Why each unit left unused is unused, in words a coordinator can act on (unused_units.csv).

Every unit not given to anyone gets one reason (docs/decisions.md, "Unused units"):

- `no_eligible_client`: no client passes the eligibility rules for it; the detail names the rule
  that excluded the most clients (and what that rule means);
- `eligible_clients_placed`: every client eligible for it was placed elsewhere (the detail names
  the highest-priority ones and where they went);
- `capacity_full`: clients eligible for it are left unmatched, and for each of them a
  neighbourhood cap, municipal intake or support slots limit has no room. The detail names the
  limit(s) that stop the highest-priority of them, how much they lack, and that client: raising
  those limits by that much would let that client take the unit (raising W by at least its weight);
- `not_chosen`: a client eligible for it is unmatched and no limit stops that client there, so
  the solve stopped (a time limit) before W was proven optimal; never in a proven run.

The limits come from `matcher.rules.capacity` through `matcher.unmatched.Allocation`, the same
ones unmatched.csv names.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from matcher.i18n import _
from matcher.rules.arrays import Arrays
from matcher.rules.eligibility import _BLOCK_CELLS, RULE_BOOK, ClientSets, Pairs, rule_name
from matcher.solver.formulation import Candidates
from matcher.solver.greedy import priority_order
from matcher.table import Table
from matcher.unmatched import Allocation, listed, plural, shortfall
from models import Instance
from models.fields import UNIT_TYPES

UNUSED_REASONS: tuple[str, ...] = (
    "capacity_full",
    "eligible_clients_placed",
    "no_eligible_client",
    "not_chosen",
)
COLUMNS = ["unit_id", "landlord", "municipality_id", "neighbourhood_id", "unit_type", "reason", "detail"]
_SHOWN = 3


def unused_units(
    instance: Instance,
    arrays: Arrays,
    sets: ClientSets,
    pairs: Pairs,
    candidates: Candidates,
    chosen: np.ndarray,
) -> Table:
    """One row per unit given to no one, in unit id order: where it is, why it is unused."""
    allocation = Allocation.of(arrays, candidates, chosen)
    unused = np.flatnonzero(allocation.holder < 0)
    order = np.argsort(pairs.unit, kind="stable")
    starts = np.searchsorted(pairs.unit[order], np.arange(arrays.n_units + 1))
    rank = np.empty(arrays.n_clients, dtype=np.int64)
    rank[priority_order(arrays)] = np.arange(arrays.n_clients)  # w, registration, id

    reasons: dict[int, tuple[str, str]] = {}
    nobody = []
    for unit in unused.tolist():
        clients = pairs.client[order[starts[unit] : starts[unit + 1]]]
        if len(clients) == 0:
            nobody.append(unit)
        else:
            reasons[unit] = _with_eligible(allocation, unit, clients, rank)
    for unit, detail in zip(
        nobody, _nobody_details(instance, arrays, sets, np.array(nobody, dtype=np.int64), rank)
    ):
        reasons[unit] = ("no_eligible_client", detail)

    units = instance.units
    return Table.from_rows(
        [
            (
                arrays.unit_ids[u],
                units[u].landlord,
                arrays.municipality_ids[arrays.unit_municipality[u]],
                arrays.neighbourhood_ids[arrays.unit_neighbourhood[u]],
                UNIT_TYPES[arrays.unit_type[u]],
                *reasons[u],
            )
            for u in unused.tolist()
        ],
        COLUMNS,
    ).sorted_by("unit_id")


def _with_eligible(
    allocation: Allocation, unit: int, clients: np.ndarray, rank: np.ndarray
) -> tuple[str, str]:
    """The reason for an unused unit some clients are eligible for."""
    arrays = allocation.arrays
    placed = clients[allocation.placed_unit[clients] >= 0]
    waiting = clients[allocation.placed_unit[clients] < 0]
    if len(waiting) == 0:
        return "eligible_clients_placed", _placed_detail(allocation, placed, rank)
    waiting = waiting[np.argsort(rank[waiting], kind="stable")]  # highest priority first
    # clients alike for the limits (same intensity) are blocked alike
    intensities, first, counts = np.unique(
        arrays.client_intensity[waiting], return_index=True, return_counts=True
    )
    blocks = {int(i): allocation.blocks(unit, int(waiting[f])) for i, f in zip(intensities, first)}
    unblocked = [int(c) for c in waiting if not blocks[int(arrays.client_intensity[c])]]
    if unblocked:
        top = unblocked[0]
        return "not_chosen", _(
            "{client} (w {weight}) is eligible, unmatched and no cap, "
            "intake or slot limit stops them here: the solve stopped before W was proven optimal; "
            "solve again without --time-limit",
            client=arrays.client_ids[top],
            weight=arrays.client_weight[top],
        )
    top = int(waiting[0])
    first_blocks = blocks[int(arrays.client_intensity[top])]
    detail = _(
        "{limits} for {client} (w {weight}), the highest-priority eligible client left unmatched",
        limits=_(" and ").join(shortfall(block) for block in first_blocks),
        client=arrays.client_ids[top],
        weight=arrays.client_weight[top],
    )
    named = {block.words for block in first_blocks}
    others: Counter[str] = Counter()
    for intensity, count in zip(intensities.tolist(), counts.tolist()):
        for block in blocks[intensity]:
            if block.words not in named:
                others[block.words] += count
    if others:
        detail += _("; others also by {limits}", limits=listed(others, "client", 2))
    return "capacity_full", detail + _(
        "; {clients} left unmatched, {placed} placed elsewhere",
        clients=plural(len(waiting), "eligible client"),
        placed=len(placed),
    )


def _placed_detail(allocation: Allocation, placed: np.ndarray, rank: np.ndarray) -> str:
    arrays = allocation.arrays
    placed = placed[np.argsort(rank[placed], kind="stable")]
    shown = ", ".join(
        f"{arrays.client_ids[c]} → {arrays.unit_ids[allocation.placed_unit[c]]}" for c in placed[:_SHOWN]
    )
    more = _(" and {count} more", count=len(placed) - _SHOWN) if len(placed) > _SHOWN else ""
    if len(placed) == 1:
        return _("the one eligible client was placed elsewhere: {shown}{more}", shown=shown, more=more)
    return _(
        "all {count} eligible clients were placed elsewhere: {shown}{more}",
        count=len(placed),
        shown=shown,
        more=more,
    )


def _nobody_details(
    instance: Instance, arrays: Arrays, sets: ClientSets, units: np.ndarray, rank: np.ndarray
) -> list[str]:
    """For units no client is eligible for: the rule that excludes the most clients, and why it
    excludes the highest-priority client it excludes (the rule's own violation message)."""
    if len(units) == 0:
        return []
    n_clients = arrays.n_clients
    if n_clients == 0:
        return [_("there are no clients this period")] * len(units)
    excluded = np.zeros((len(units), len(RULE_BOOK)), dtype=np.int64)
    first = np.full((len(units), len(RULE_BOOK)), n_clients, dtype=np.int64)  # best rank excluded
    block_size = max(1, _BLOCK_CELLS // max(1, arrays.n_units))
    origin_rule = instance.policy.origin_rule
    for start in range(0, n_clients, block_size):
        block = slice(start, min(n_clients, start + block_size))
        for k, rule in enumerate(RULE_BOOK):
            passes = rule.allows(arrays, sets, block, origin_rule)[:, units]
            excluded[:, k] += (block.stop - block.start) - passes.sum(axis=0)
            ranks = np.where(passes, n_clients, rank[block, None])
            first[:, k] = np.minimum(first[:, k], ranks.min(axis=0, initial=n_clients))
    by_rank = priority_order(arrays)
    details = []
    for unit, row, firsts in zip(units.tolist(), excluded, first):
        ranked = sorted((k for k in range(len(RULE_BOOK)) if row[k] > 0), key=lambda k: -row[k])
        top = ", ".join(
            _("{rule} excludes {count}", rule=rule_name(RULE_BOOK[k].name), count=row[k]) for k in ranked[:3]
        )
        worst = RULE_BOOK[ranked[0]]
        client = int(by_rank[firsts[ranked[0]]])
        details.append(
            _(
                "none of the {count} clients is eligible; most excluded by {rule} ({top}); "
                "for the highest-priority of them, {client} (w {weight}): {violation}",
                count=n_clients,
                rule=rule_name(worst.name),
                top=top,
                client=arrays.client_ids[client],
                weight=arrays.client_weight[client],
                violation=worst.violation(instance, client, unit),
            )
        )
    return details
