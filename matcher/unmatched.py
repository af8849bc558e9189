"""Why each unmatched client is unmatched, in words a coordinator can act on.

Each eligible unit of an unmatched client is one of three things (decided in docs/decisions.md,
"Honest unmatched reasons"):

- *outranked there*: it went to a client whose priority weight is at least the client's own;
- *blocked*: it is free, or it went to a lower-priority client, and a neighbourhood cap,
  municipal intake or support slots limit has no room for this client there (for a unit held
  by a lower-priority client: not even after freeing that client's match — that limit is the
  rule that made the lower-priority client get it);
- *open*: free, or held by a lower-priority client, and no limit stops this client. A run with
  W proven optimal has none: placing the client there would raise W.

The reason follows from them, the most actionable first:

- `no_eligible_unit`: no unit passes the eligibility rules; the detail names the rule that
  excluded the most units;
- `not_chosen`: an open unit exists, so the solve stopped (a time limit) before W was proven
  optimal; solving again without a time limit is what helps;
- `outranked`: at least one eligible unit went to a client of equal or higher priority. The
  detail names only such clients (never a lower-priority one), and adds the limits behind the
  client's other eligible units and the rule that gave a unit to a lower-priority client;
- `capacity_full`: every eligible unit is blocked; nobody of equal or higher priority stands in
  the way, so a limit with room would house this client. The detail names the limits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from matcher.i18n import N_, _
from matcher.rules.arrays import Arrays
from matcher.rules.capacity import Full, Remaining, full_limits
from matcher.rules.eligibility import RULES, Pairs, rule_name
from matcher.solver.formulation import Candidates
from matcher.table import Table
from models.fields import INTENSITIES

REASONS: tuple[str, ...] = ("no_eligible_unit", "capacity_full", "outranked", "not_chosen")
COLUMNS = ("client_id", "reason", "detail")  # of unmatched.csv
_SHOWN_LIMITS = 4  # limits listed in one detail before "and N more"
_SHOWN_CLIENTS = 3  # clients named in one detail before "and N more"


# a counted word as (one, many), English messages translated where they are shown
_COUNTED: dict[str, tuple[str, str]] = {
    "unit": (N_("{count} unit"), N_("{count} units")),
    "client": (N_("{count} client"), N_("{count} clients")),
    "eligible unit": (N_("{count} eligible unit"), N_("{count} eligible units")),
    "other eligible unit": (N_("{count} other eligible unit"), N_("{count} other eligible units")),
    "eligible client": (N_("{count} eligible client"), N_("{count} eligible clients")),
    "more limit": (N_("{count} more limit"), N_("{count} more limits")),
}


def plural(count: int, word: str) -> str:
    """`1 unit`, `2 units` (in the user's language for the words of `_COUNTED`)."""
    if word in _COUNTED:
        one, many = _COUNTED[word]
        return _(one if count == 1 else many, count=count)
    return f"{count} {word}{'s' * (count != 1)}"


@dataclass(frozen=True)
class Block:
    """One limit that stops a pair, with its words for unmatched.csv and unused_units.csv."""

    full: Full
    words: str


@dataclass
class Allocation:
    """An allocation seen from both sides, with the limits that stop one more pair (memoised:
    they depend only on the unit's neighbourhood and exemption, the client's intensity and, when
    a match is freed first, that client's intensity)."""

    arrays: Arrays
    placed_unit: np.ndarray  # per client: its unit, or -1
    holder: np.ndarray  # per unit: its client, or -1
    remaining: Remaining
    kind: np.ndarray  # per unit: units of one kind are alike for every limit
    _blocks: dict[tuple[int, int, int], tuple[Block, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, arrays: Arrays, candidates: Candidates, chosen: np.ndarray) -> Allocation:
        clients, units = candidates.client[chosen], candidates.unit[chosen]
        placed_unit = np.full(arrays.n_clients, -1, dtype=np.int64)
        placed_unit[clients] = units
        holder = np.full(arrays.n_units, -1, dtype=np.int64)
        holder[units] = clients
        kind = arrays.unit_neighbourhood.astype(np.int64) * 2 + arrays.unit_exempt.astype(np.int64)
        return cls(arrays, placed_unit, holder, Remaining.after(arrays, clients, units), kind)

    def blocks(self, unit: int, client: int, freed: int = -1) -> tuple[Block, ...]:
        """The limits that stop `client` from taking `unit`, after freeing the match of client
        `freed` (which holds `unit`) when given; () when none does."""
        intensity = self.arrays.client_intensity
        key = (int(self.kind[unit]), int(intensity[client]), int(intensity[freed]) if freed >= 0 else -1)
        if key not in self._blocks:
            given_back = (freed, unit) if freed >= 0 else None
            self._blocks[key] = tuple(
                Block(full, full.words(self.arrays))
                for full in full_limits(self.arrays, self.remaining, client, unit, given_back)
            )
        return self._blocks[key]


def groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions grouped by key: (the first position of each group, each position's group, the
    size of each group)."""
    if len(keys) == 0:  # most unmatched clients have no free unit, or none held by a lower one
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    _, first, group, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    return first, group.reshape(-1), counts


def shortfall(block: Block) -> str:
    """A full limit and how much it lacks: `cap of WK039201 full (2 of 2 load added this
    period), 1 short`."""
    return _("{limit}, {need} short", limit=block.words, need=block.full.need)


def listed(counts: Counter[str], word: str, shown: int = _SHOWN_LIMITS) -> str:
    """`limit (3 units); limit (1 unit); and 2 more limits`, most frequent first."""
    top = counts.most_common(shown)
    text = "; ".join(f"{name} ({plural(count, word)})" for name, count in top)
    rest = len(counts) - len(top)
    return text + (_("; and {more}", more=plural(rest, "more limit")) if rest else "")


def by_client(pairs: Pairs, n_clients: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs grouped by client: (order, starts); client c's pairs are
    order[starts[c]:starts[c + 1]]."""
    order = np.argsort(pairs.client, kind="stable")
    return order, np.searchsorted(pairs.client[order], np.arange(n_clients + 1))


def unmatched_reasons(arrays: Arrays, pairs: Pairs, candidates: Candidates, chosen: np.ndarray) -> Table:
    """One row per unmatched client: client_id, reason, detail."""
    allocation = Allocation.of(arrays, candidates, chosen)
    order, starts = by_client(pairs, arrays.n_clients)
    id_rank = np.argsort(np.argsort(arrays.client_ids.astype(str), kind="stable"), kind="stable")
    excluded, rules = pairs.excluded, list(RULES)
    rows = []
    for client in np.flatnonzero(allocation.placed_unit < 0):
        units = pairs.unit[order[starts[client] : starts[client + 1]]]
        client_id = arrays.client_ids[client]
        if len(units) == 0:
            detail = _no_unit_detail(excluded, rules, int(client), arrays.n_units)
            rows.append((client_id, "no_eligible_unit", detail))
            continue
        rows.append((client_id, *_ClientUnits(allocation, int(client), units, id_rank).reason()))
    return Table.from_rows(rows, COLUMNS)


def unmatched_reason_codes(arrays: Arrays, pairs: Pairs, candidates: Candidates, chosen: np.ndarray) -> Table:
    """The reason of `unmatched_reasons` without its detail (the stress simulation counts reasons
    week after week and never shows a detail): the same classification (`_Sides`), but the search
    for an open unit stops at the first one, and no limit is put into words."""
    allocation = Allocation.of(arrays, candidates, chosen)
    order, starts = by_client(pairs, arrays.n_clients)
    rows = []
    for client in np.flatnonzero(allocation.placed_unit < 0).tolist():
        units = pairs.unit[order[starts[client] : starts[client + 1]]]
        if len(units) == 0:
            reason = "no_eligible_unit"
        else:
            sides = _Sides.of(allocation, client, units)
            if any(not allocation.blocks(unit, client, freed) for unit, freed in sides.representatives()):
                reason = "not_chosen"
            else:
                reason = "outranked" if len(sides.higher_holders) else "capacity_full"
        rows.append((arrays.client_ids[client], reason, ""))
    return Table.from_rows(rows, COLUMNS)


@dataclass
class _Sides:
    """One unmatched client's eligible units seen from the allocation: those that went to clients
    of equal or higher priority, and the rest in groups alike for every limit — free units by
    kind, units held by lower-priority clients by kind and the holder's intensity."""

    higher_holders: np.ndarray
    free: np.ndarray
    free_groups: tuple[np.ndarray, np.ndarray, np.ndarray]  # `groups` of the free units
    lower: np.ndarray
    lower_holders: np.ndarray
    lower_groups: tuple[np.ndarray, np.ndarray, np.ndarray]  # `groups` of the lower-held units

    @classmethod
    def of(cls, allocation: Allocation, client: int, units: np.ndarray) -> _Sides:
        arrays = allocation.arrays
        holders = allocation.holder[units]
        taken = holders >= 0
        higher = taken & (arrays.client_weight[np.maximum(holders, 0)] >= arrays.client_weight[client])
        free = units[~taken]
        lower = units[taken & ~higher]
        lower_holders = allocation.holder[lower]
        keys = allocation.kind[lower] * len(INTENSITIES) + arrays.client_intensity[lower_holders]
        return cls(holders[higher], free, groups(allocation.kind[free]), lower, lower_holders, groups(keys))

    def representatives(self) -> Iterator[tuple[int, int]]:
        """(unit, client to free first or -1) for one unit of each group, free units first."""
        for position in self.free_groups[0].tolist():
            yield int(self.free[position]), -1
        for position in self.lower_groups[0].tolist():
            yield int(self.lower[position]), int(self.lower_holders[position])


class _ClientUnits:
    """One unmatched client's eligible units, sorted into outranked there, blocked and open."""

    def __init__(self, allocation: Allocation, client: int, units: np.ndarray, id_rank: np.ndarray):
        arrays = allocation.arrays
        self.arrays, self.client, self.units, self.id_rank = arrays, client, units, id_rank
        self.weight = int(arrays.client_weight[client])
        sides = _Sides.of(allocation, client, units)
        self.higher_holders = sides.higher_holders
        self.limits: Counter[str] = Counter()  # limit words -> blocked units (free or held lower)
        self.free_limits: Counter[str] = Counter()  # the same for free units only
        self.blocked_free = 0
        self.open = 0  # units no limit stops this client from (none in a run with W proven optimal)
        self.open_examples: list[int] = []
        free = sides.free
        first, _group, counts = sides.free_groups
        for position, count in zip(first.tolist(), counts.tolist()):
            blocks = allocation.blocks(int(free[position]), client)
            if not blocks:
                self.open += count
                self.open_examples.append(int(free[position]))
                continue
            self.blocked_free += count
            for block in blocks:
                self.limits[block.words] += count
                self.free_limits[block.words] += count
        # units held by lower-priority clients: blocked only if a limit stops the swap even after
        # freeing that client's match
        lower, lower_holders = sides.lower, sides.lower_holders
        first, group, counts = sides.lower_groups
        blocked = np.zeros(len(lower), dtype=bool)
        self.lower_blocks: dict[int, tuple[Block, ...]] = {}  # per group
        for g, (position, count) in enumerate(zip(first.tolist(), counts.tolist())):
            blocks = allocation.blocks(int(lower[position]), client, freed=int(lower_holders[position]))
            if not blocks:
                self.open += count
                self.open_examples.append(int(lower[position]))
                continue
            blocked[group == g] = True
            self.lower_blocks[g] = blocks
            for block in blocks:
                self.limits[block.words] += count
        self.lower_blocked = int(blocked.sum())
        if self.lower_blocked:
            # the closest call: the blocked unit whose lower-priority holder has the highest w
            weights = np.where(blocked, arrays.client_weight[lower_holders], -1)
            closest = int(np.flatnonzero(weights == weights.max()).min())
            self.lower_example = (int(lower[closest]), self.lower_blocks[int(group[closest])])

    def reason(self) -> tuple[str, str]:
        if self.open:
            return "not_chosen", self._not_chosen()
        if len(self.higher_holders):
            return "outranked", self._outranked()
        return "capacity_full", self._capacity_full()

    def _not_chosen(self) -> str:
        example = self.arrays.unit_ids[min(self.open_examples)]
        return _(
            "{units} (e.g. {example}) free or held by a "
            "lower-priority client, and no cap, intake or slot limit stops this client there: the "
            "solve stopped before W was proven optimal; solve again without --time-limit",
            units=plural(self.open, "eligible unit"),
            example=example,
        )

    def _capacity_full(self) -> str:
        n = len(self.units)
        detail = _(
            "{units}, all where limits are full: {limits}",
            units=plural(n, "eligible unit"),
            limits=listed(self.limits, "unit"),
        )
        if self.lower_blocked:
            detail += _(
                "; {count} of them went to lower-priority clients whose match fits "
                "where this client's does not ({example})",
                count=self.lower_blocked,
                example=self._lower_example(),
            )
        return detail

    def _outranked(self) -> str:
        arrays, takers = self.arrays, self.higher_holders
        order = np.lexsort((self.id_rank[takers], -arrays.client_weight[takers]))
        named = ", ".join(
            f"{arrays.client_ids[t]} (w {arrays.client_weight[t]})" for t in takers[order][:_SHOWN_CLIENTS]
        )
        more = (
            _(" and {count} more", count=len(takers) - _SHOWN_CLIENTS) if len(takers) > _SHOWN_CLIENTS else ""
        )
        strictly = bool((arrays.client_weight[takers] > self.weight).all())
        detail = (
            _(
                "{units} went to higher-priority clients {named}{more}",
                units=plural(len(takers), "eligible unit"),
                named=named,
                more=more,
            )
            if strictly
            else _(
                "{units} went to equal- or higher-priority clients {named}{more}",
                units=plural(len(takers), "eligible unit"),
                named=named,
                more=more,
            )
        )
        if self.lower_blocked:
            detail += _(
                "; {count} went to lower-priority clients because a limit has no "
                "room for this client there ({example})",
                count=self.lower_blocked,
                example=self._lower_example(),
            )
        if self.blocked_free:
            detail += _(
                "; {units} where limits are full: {limits}",
                units=plural(self.blocked_free, "other eligible unit"),
                limits=listed(self.free_limits, "unit", 3),
            )
        return detail

    def _lower_example(self) -> str:
        unit, blocks = self.lower_example
        limits = _(" and ").join(shortfall(block) for block in blocks)
        return _(
            "e.g. {unit}: {limits} for this client even after freeing that match",
            unit=self.arrays.unit_ids[unit],
            limits=limits,
        )


def _no_unit_detail(excluded: np.ndarray, rules: list[str], client: int, n_units: int) -> str:
    """`excluded`: per client and rule, how many units the rule excludes (Pairs.excluded)."""
    if n_units == 0:
        return _("there are no units this period")
    row = excluded[client]
    ranked = sorted((k for k in range(len(rules)) if row[k] > 0), key=lambda k: -row[k])
    top = ", ".join(_("{rule} excludes {count}", rule=rule_name(rules[k]), count=row[k]) for k in ranked[:3])
    return _(
        "none of the {count} units is eligible; most excluded by {rule} ({top})",
        count=n_units,
        rule=rule_name(rules[ranked[0]]),
        top=top,
    )
