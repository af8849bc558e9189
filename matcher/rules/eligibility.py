"""Which (client, unit) pairs are eligible: the ten rules of the allocation rules, vectorised.

This module is the one home of every eligibility rule. Each rule is one `Rule` entry in `RULE_BOOK`:
a function returning, for a block of clients, a boolean matrix over all units (True = the rule
allows the pair), the sentence `matcher check` prints, the words `matcher explain` uses, the
message for one violating pair, whether explain may suggest relaxing it, and the rule's name as a
coordinator reads it (`label`, shown by `rule_name`: the code in English, a word in Dutch, in
unmatched.csv, unused_units.csv and explain alike). Check, explain,
reasons, greedy and the solver read the book; adding a rule is adding one entry (see
docs/architecture.md). Blocks of clients keep memory bounded at national scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from matcher.i18n import N_, _, language
from matcher.io.headers import UNIT_TYPE_WORDS, support_word, unit_type_word
from matcher.rules.arrays import Arrays, build_arrays
from matcher.rules.objectives import pair_preference, preference_scores
from models import DeclinedPair, Instance, Unit
from models.fields import UNIT_TYPES

_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class ClientSets:
    """Per-client lists as sparse (client, item) index pairs, and the preference score matrix."""

    excluded_municipality: np.ndarray  # bool (clients × municipalities)
    excluded_neighbourhood: tuple[np.ndarray, np.ndarray]  # (client idx, neighbourhood idx)
    preferred: np.ndarray  # bool (clients × municipalities)
    score: np.ndarray  # int (clients × municipalities): p(c, u) by u's municipality
    score_label: np.ndarray  # object (clients × municipalities): why that score
    declined: tuple[np.ndarray, np.ndarray]  # (client idx, unit idx)


@dataclass(frozen=True)
class Pairs:
    """The eligible pairs with their preference score, and per client what each rule excluded."""

    client: np.ndarray  # client index per pair
    unit: np.ndarray  # unit index per pair
    preference: np.ndarray  # p(c, u) per pair
    excluded: np.ndarray  # int (clients × RULES): how many units each rule excludes (rules overlap)

    def __len__(self) -> int:
        return len(self.client)


def client_sets(instance: Instance, arrays: Arrays) -> ClientSets:
    """Dense per-client masks over municipalities and the sparse exclusions and declines."""
    n_c, n_m = arrays.n_clients, len(arrays.municipality_ids)
    m_index = {m: k for k, m in enumerate(arrays.municipality_ids)}
    n_index = {n: k for k, n in enumerate(arrays.neighbourhood_ids)}
    c_index = {c: k for k, c in enumerate(arrays.client_ids)}
    u_index = {u: k for k, u in enumerate(arrays.unit_ids)}

    excluded_m = np.zeros((n_c, n_m), dtype=bool)
    preferred = np.zeros((n_c, n_m), dtype=bool)
    ex_c, ex_n = [], []
    for row, client in enumerate(instance.clients):
        for municipality in client.excluded_municipalities:
            excluded_m[row, m_index[municipality]] = True
        for neighbourhood in client.excluded_neighbourhoods:
            ex_c.append(row)
            ex_n.append(n_index[neighbourhood])
        for municipality in client.preferred_municipalities:
            preferred[row, m_index[municipality]] = True
    score, label = preference_scores(instance.clients, instance.policy, m_index)

    declined = declined_pairs(instance, c_index, u_index)
    return ClientSets(
        excluded_municipality=excluded_m,
        excluded_neighbourhood=(np.array(ex_c, dtype=np.int64), np.array(ex_n, dtype=np.int64)),
        preferred=preferred,
        score=score,
        score_label=label,
        declined=(
            np.array([c for c, _ in declined], dtype=np.int64),
            np.array([u for _, u in declined], dtype=np.int64),
        ),
    )


def decline_covers(instance: Instance, decline: DeclinedPair) -> np.ndarray:
    """The unit indices a decline that still holds rules out for its client (history rule).

    `unit`: the declined unit. Otherwise every unit whose site, neighbourhood, landlord or
    municipality equals `scope_id`, or, when that is empty, the declined unit's own value (a
    unit's empty site_id matches nothing, as the allocation rules say).
    """
    units = instance.units
    if decline.scope == "unit" or decline.scope_id is None:
        own = next((k for k, u in enumerate(units) if u.unit_id == decline.unit_id), None)
        if own is None:
            return np.zeros(0, dtype=np.int64)  # the model refuses this; an empty cover is safe
        if decline.scope == "unit":
            return np.array([own], dtype=np.int64)
        value = _scope_value(units[own], decline.scope)
    else:
        value = decline.scope_id
    if not value:
        return np.zeros(0, dtype=np.int64)
    return np.array(
        [k for k, u in enumerate(units) if _scope_value(u, decline.scope) == value], dtype=np.int64
    )


def _scope_value(unit: Unit, scope: str) -> str | None:
    return {
        "site": unit.site_id,
        "neighbourhood": unit.neighbourhood_id,
        "landlord": unit.landlord,
        "municipality": unit.municipality_id,
    }[scope]


def declined_pairs(
    instance: Instance, c_index: dict[str, int], u_index: dict[str, int]
) -> list[tuple[int, int]]:
    """Every (client, unit) index pair a decline that still holds rules out, once."""
    start = instance.policy.period.start
    pairs: set[tuple[int, int]] = set()
    by_value: dict[tuple[str, str, str], np.ndarray] = {}
    for decline in instance.declined:
        client = c_index.get(decline.client_id)
        if client is None or not decline.holds(start):
            continue
        if decline.scope == "unit":
            if decline.unit_id in u_index:
                pairs.add((client, u_index[decline.unit_id]))
            continue
        key = (decline.scope, decline.scope_id or "", "" if decline.scope_id else decline.unit_id)
        if key not in by_value:
            by_value[key] = decline_covers(instance, decline)
        pairs.update((client, int(unit)) for unit in by_value[key])
    return sorted(pairs)


def covering_decline(instance: Instance, client: int, unit: int) -> DeclinedPair | None:
    """The first decline that still holds and rules `unit` out for `client` (for messages)."""
    client_id = instance.clients[client].client_id
    start = instance.policy.period.start
    for decline in instance.declined:
        if (
            decline.client_id == client_id
            and decline.holds(start)
            and unit in decline_covers(instance, decline)
        ):
            return decline
    return None


def _history_violation(instance: Instance, client: int, unit: int) -> str:
    decline = covering_decline(instance, client, unit)
    if decline is None or decline.scope == "unit":
        return _("this pair was declined before")
    what = decline.scope_id or _scope_value(
        next(u for u in instance.units if u.unit_id == decline.unit_id), decline.scope
    )
    return _(
        _DECLINE_SCOPE_WORDS[decline.scope],
        client=decline.client_id,
        unit=decline.unit_id,
        what=what,
        until=_(" until {date}", date=decline.until) if decline.until else "",
    )


# what a decline rules out, per scope (the English names the scope by its code, as always)
_DECLINE_SCOPE_WORDS = {
    "site": N_("{client} declined {unit}, which rules out every unit of site {what}{until}"),
    "neighbourhood": N_(
        "{client} declined {unit}, which rules out every unit of neighbourhood {what}{until}"
    ),
    "landlord": N_("{client} declined {unit}, which rules out every unit of landlord {what}{until}"),
    "municipality": N_("{client} declined {unit}, which rules out every unit of municipality {what}{until}"),
}


# --- the rules: each returns allowed[block_clients, units] --------------------------------------


def rule_type(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """The unit's type is among the client's eligible types (or the policy's compatibility)."""
    return ((a.client_allowed_types[block, None] >> a.unit_type[None, :]) & 1).astype(bool)


def rule_size(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """The household fits: household_size ≤ max_household."""
    return a.client_household[block, None] <= a.unit_max_household[None, :]


def rule_rent(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """The rent is affordable: rent ≤ max_rent when given."""
    return a.unit_rent[None, :] <= a.client_max_rent[block, None]


def rule_access(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """A client who needs a step-free home gets an accessible unit."""
    return ~a.client_needs_accessible[block, None] | a.unit_accessible[None, :]


def rule_timing(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """Unit available and client ready by the end of the period."""
    return a.client_ready[block, None] & a.unit_available[None, :]


def rule_safety(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """Never in an excluded municipality or neighbourhood: safety exclusions are absolute."""
    allowed = ~s.excluded_municipality[block][:, a.unit_municipality]
    clients, neighbourhoods = s.excluded_neighbourhood
    in_block = (clients >= block.start) & (clients < block.stop)
    for client, neighbourhood in zip(clients[in_block], neighbourhoods[in_block]):
        allowed[client - block.start, a.unit_neighbourhood == neighbourhood] = False
    return allowed


def rule_origin(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """The origin rule: `prefer` allows all, `region` the origin's region or a preferred
    municipality, `strict` only the origin or a preferred municipality; never in the way of a
    client staying in the unit they live in (omklappen)."""
    n_block = block.stop - block.start
    if origin_rule == "prefer":
        return np.ones((n_block, a.n_units), dtype=bool)
    preferred = s.preferred[block][:, a.unit_municipality]
    if origin_rule == "region":
        origin_region = a.municipality_region[a.client_origin[block]]
        unit_region = a.municipality_region[a.unit_municipality]
        return (origin_region[:, None] == unit_region[None, :]) | preferred | own_homes(a, block)
    return (a.client_origin[block, None] == a.unit_municipality[None, :]) | preferred | own_homes(a, block)


def rule_history(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """A pair declined before (by client or landlord) is not proposed while the decline holds,
    nor any unit its scope (site, neighbourhood, landlord, municipality) covers."""
    n_block = block.stop - block.start
    allowed = np.ones((n_block, a.n_units), dtype=bool)
    clients, units = s.declined
    in_block = (clients >= block.start) & (clients < block.stop)
    allowed[clients[in_block] - block.start, units[in_block]] = False
    return allowed


def rule_open_neighbourhood(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """No new placement in a neighbourhood closed while `period.start ≤ closed_until`; a client
    staying in the unit they live in (omklappen) is no new placement."""
    open_units = ~a.neighbourhood_closed[a.unit_neighbourhood]
    allowed = np.broadcast_to(open_units[None, :], (block.stop - block.start, a.n_units))
    return allowed | own_homes(a, block) if (a.client_own_unit[block] >= 0).any() else allowed


def rule_occupied(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """A unit a client of this week lives in (their current_unit_id) goes to that client only."""
    occupant = a.unit_occupant[None, :]
    return (occupant < 0) | (occupant == np.arange(block.start, block.stop)[:, None])


def rule_young_adults_home(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """A unit for young adults only (a jongerenwoning on a jongerencontract) goes to a young
    adult: target group young_adult, or from youth care (source jeugd); staying in it too."""
    return ~a.unit_young_adults_only[None, :] | a.client_young_adult[block, None]


def rule_housing_first(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """A Housing First client gets a self-contained social-rental home with a permanent tenancy
    only (no room, cluster, Skaeve Huis or trajectory contract); staying in one's home too."""
    own_home = (a.unit_type == UNIT_TYPES.index("social_rental")) & a.unit_permanent
    return ~a.client_housing_first[block, None] | own_home[None, :]


def rule_shared_home(a: Arrays, s: ClientSets, block: slice, origin_rule: str) -> np.ndarray:
    """Two clients sharing one home (shares_home_with) get a social-rental home: a room, a
    cluster place or a Skaeve Huis is for one person."""
    home = a.unit_type == UNIT_TYPES.index("social_rental")
    return (a.client_persons[block, None] < 2) | home[None, :]


def own_homes(a: Arrays, block: slice) -> np.ndarray:
    """True for each client of the block and the unit they live in (omklappen)."""
    own = np.zeros((block.stop - block.start, a.n_units), dtype=bool)
    units = a.client_own_unit[block]
    rows = np.flatnonzero(units >= 0)
    own[rows, units[rows]] = True
    return own


Allows = Callable[[Arrays, ClientSets, slice, str], np.ndarray]


@dataclass(frozen=True)
class Rule:
    """One eligibility rule: its mask and every sentence the product says about it."""

    name: str
    allows: Allows
    text: str  # matcher check: what the rule requires
    words: str  # matcher explain: why a unit is excluded
    violation: Callable[[Instance, int, int], str]  # why this (client, unit) breaks it
    relaxable: bool = True  # may explain suggest changing it?
    label: str = ""  # its name as a coordinator reads it (N_; `rule_name` shows it)


def _type_violation(instance: Instance, client: int, unit: int) -> str:
    c, u = instance.clients[client], instance.units[unit]
    allowed = (
        c.eligible_types
        if c.eligible_types is not None
        else instance.policy.compatibility[c.support_intensity]
    )
    return _(
        "a {type} does not suit {support} support (allowed: {allowed})",
        type=unit_type_word(u.type),
        support=support_word(c.support_intensity),
        allowed=", ".join(unit_type_word(t) for t in allowed),
    )


def _amount(value: float) -> str:
    """A rent as `g` writes it, with a decimal comma in Dutch."""
    return f"{value:g}" if language() == "en" else f"{value:g}".replace(".", ",")


def _size_violation(instance: Instance, client: int, unit: int) -> str:
    return _(
        "household of {household}, unit takes {max_household}",
        household=instance.clients[client].household_size,
        max_household=instance.units[unit].max_household,
    )


def _rent_violation(instance: Instance, client: int, unit: int) -> str:
    max_rent = instance.clients[client].max_rent
    return _(
        "rent {rent} above max_rent {max_rent}",
        rent=_amount(instance.units[unit].rent),
        max_rent=_amount(max_rent) if max_rent is not None else "",
    )


def _safety_violation(instance: Instance, client: int, unit: int) -> str:
    u = instance.units[unit]
    return _(
        "{municipality}/{neighbourhood} is excluded for this client",
        municipality=u.municipality_id,
        neighbourhood=u.neighbourhood_id,
    )


# what the origin rule allows, per policy value (`prefer` allows every municipality)
_ORIGIN_RULE_WORDS = {
    "region": N_("origin rule region does not allow {municipality}"),
    "strict": N_("origin rule strict does not allow {municipality}"),
}


def _origin_violation(instance: Instance, client: int, unit: int) -> str:
    origin_rule = instance.policy.origin_rule
    return _(
        _ORIGIN_RULE_WORDS.get(origin_rule, N_("origin rule {origin_rule} does not allow {municipality}")),
        origin_rule=origin_rule,
        municipality=instance.units[unit].municipality_id,
    )


def _timing_violation(instance: Instance, client: int, unit: int) -> str:
    c, u, end = instance.clients[client], instance.units[unit], instance.policy.period.end
    parts = (
        _("unit available only from {date}", date=u.available_from) if u.available_from > end else "",
        _("client ready only from {date}", date=c.ready_from) if c.ready_from and c.ready_from > end else "",
    )
    return _("{reasons} (period ends {end})", reasons=", ".join(part for part in parts if part), end=end)


def _closed_violation(instance: Instance, client: int, unit: int) -> str:
    u = instance.units[unit]
    closed = next(n for n in instance.neighbourhoods if n.neighbourhood_id == u.neighbourhood_id)
    return _(
        "neighbourhood {name} ({neighbourhood}) takes no new placements until {date} (period starts {start})",
        name=closed.name,
        neighbourhood=closed.neighbourhood_id,
        date=closed.closed_until,
        start=instance.policy.period.start,
    )


def _occupied_violation(instance: Instance, client: int, unit: int) -> str:
    unit_id = instance.units[unit].unit_id
    occupant = next(c.client_id for c in instance.clients if c.current_unit_id == unit_id)
    return _(
        "{occupant} lives in {unit} (current_unit_id) and may stay: no other client gets it",
        occupant=occupant,
        unit=unit_id,
    )


def _young_adults_violation(instance: Instance, client: int, unit: int) -> str:
    return _(
        "{unit} is a home for young adults (young_adults_only, a jongerencontract); {client} is not "
        "marked young_adult (jongere) and does not come from youth care (jeugd)",
        unit=instance.units[unit].unit_id,
        client=instance.clients[client].client_id,
    )


def _housing_first_violation(instance: Instance, client: int, unit: int) -> str:
    u = instance.units[unit]
    if u.type != "social_rental":
        return _(
            "{client} is a Housing First client, who gets a self-contained social-rental home; "
            "{unit} is a {type}",
            client=instance.clients[client].client_id,
            unit=u.unit_id,
            type=_(UNIT_TYPE_WORDS[u.type]),
        )
    return _(
        "{client} is a Housing First client, who gets a normal (permanent) tenancy from day one; "
        "{unit} is let on a trajectory contract",
        client=instance.clients[client].client_id,
        unit=u.unit_id,
    )


def _shared_home_violation(instance: Instance, client: int, unit: int) -> str:
    c, u = instance.clients[client], instance.units[unit]
    return _(
        "{client} and {other} share one home; {unit} is a {type}, which is for one person",
        client=c.client_id,
        other=c.shares_home_with or "",
        unit=u.unit_id,
        type=_(UNIT_TYPE_WORDS[u.type]),
    )


RULE_BOOK: tuple[Rule, ...] = (
    Rule(
        "type",
        rule_type,
        N_("the unit's type suits the client's support (compatibility or eligible_types)"),
        N_("unit type does not suit the support needed"),
        _type_violation,
        label=N_("unit type"),
    ),
    Rule(
        "size",
        rule_size,
        N_("the household fits the unit (household_size ≤ max_household)"),
        N_("household does not fit"),
        _size_violation,
        label=N_("household size"),
    ),
    Rule(
        "rent",
        rule_rent,
        N_("the rent is affordable (rent ≤ max_rent)"),
        N_("rent above the client's maximum"),
        _rent_violation,
        label=N_("rent"),
    ),
    Rule(
        "access",
        rule_access,
        N_("a client who needs a step-free home gets an accessible unit"),
        N_("not step-free while the client needs it"),
        lambda i, c, u: _("client needs a step-free home; the unit is not accessible"),
        label=N_("step-free access"),
    ),
    Rule(
        "timing",
        rule_timing,
        N_("unit available and client ready by the end of the period"),
        N_("not available or client not ready in this period"),
        _timing_violation,
        label=N_("availability"),
    ),
    Rule(
        "safety",
        rule_safety,
        N_("never in a municipality or neighbourhood the client is excluded from"),
        N_("in an excluded municipality or neighbourhood (safety)"),
        _safety_violation,
        relaxable=False,
        label=N_("safety"),
    ),
    Rule(
        "origin_rule",
        rule_origin,
        N_("the policy's origin rule (region / strict) allows the unit's municipality"),
        N_("outside what the origin rule allows"),
        _origin_violation,
        label=N_("origin rule"),
    ),
    Rule(
        "history",
        rule_history,
        N_(
            "no decline that still holds covers the pair (the unit, or its site, neighbourhood, landlord "
            "or municipality by the decline's scope)"
        ),
        N_("declined before"),
        _history_violation,
        relaxable=False,
        label=N_("earlier declines"),
    ),
    Rule(
        "open_neighbourhood",
        rule_open_neighbourhood,
        N_("no new placement in a neighbourhood closed until a date on or after the period's start"),
        N_("neighbourhood closed to new placements"),
        _closed_violation,
        relaxable=False,
        label=N_("closed neighbourhood"),
    ),
    Rule(
        "occupied",
        rule_occupied,
        N_("a unit a client of this week lives in (current_unit_id) goes to that client only"),
        N_("another client lives in it and may stay (omklappen)"),
        _occupied_violation,
        relaxable=False,
        label=N_("occupied home"),
    ),
    Rule(
        "young_adults_home",
        rule_young_adults_home,
        N_(
            "a unit for young adults only (young_adults_only) goes to a young adult (young_adult or source jeugd)"
        ),
        N_("a home for young adults only (jongerencontract)"),
        _young_adults_violation,
        relaxable=False,
        label=N_("young adults' home"),
    ),
    Rule(
        "housing_first",
        rule_housing_first,
        N_("a Housing First client gets a social-rental unit with a permanent tenancy"),
        N_("not a self-contained home with a permanent tenancy (Housing First)"),
        _housing_first_violation,
        relaxable=False,
        label=N_("Housing First"),
    ),
    Rule(
        "shared_home",
        rule_shared_home,
        N_("two clients sharing one home get a social-rental home"),
        N_("not a home two can share (a room, cluster place or Skaeve Huis is for one)"),
        _shared_home_violation,
        relaxable=False,
        label=N_("shared home"),
    ),
)
RULES: tuple[str, ...] = tuple(rule.name for rule in RULE_BOOK)
RULE_FUNCTIONS: dict[str, Allows] = {rule.name: rule.allows for rule in RULE_BOOK}
RULE_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULE_BOOK}


def rule_name(rule: str) -> str:
    """A rule's name as the product shows it: the code in English (as the JSON, summary.json and
    the English files always had it), the rule's `label` in Dutch (unmatched.csv,
    unused_units.csv and `matcher explain` alike)."""
    found = RULE_BY_NAME.get(rule)
    return rule if language() == "en" or found is None or not found.label else _(found.label)


def eligible_pairs(instance: Instance, arrays: Arrays, sets: ClientSets, most: int | None = None) -> Pairs:
    """All eligible pairs in client-major order, with p(c, u) and per-rule exclusion counts.
    Raises `TooManyPairs` as soon as there are more than `most` (the size guard's budget), so
    memory never holds more than that and a block."""
    origin_rule = instance.policy.origin_rule
    n_c, n_u = arrays.n_clients, arrays.n_units
    block_size = max(1, _BLOCK_CELLS // max(1, n_u))
    excluded = np.zeros((n_c, len(RULES)), dtype=np.int64)
    clients, units, found = [], [], 0
    for start in range(0, n_c, block_size):
        block = slice(start, min(n_c, start + block_size))
        allowed = np.ones((block.stop - block.start, n_u), dtype=bool)
        for k, rule in enumerate(RULES):
            passes = RULE_FUNCTIONS[rule](arrays, sets, block, origin_rule)
            excluded[block, k] = n_u - passes.sum(axis=1)
            allowed &= passes
        rows, cols = np.nonzero(allowed)
        found += len(rows)
        if most is not None and found > most:
            from matcher.solver.size_guard import TooManyPairs

            raise TooManyPairs(found)
        clients.append(rows + start)
        units.append(cols)
    client = np.concatenate(clients) if clients else np.zeros(0, dtype=np.int64)
    unit = np.concatenate(units) if units else np.zeros(0, dtype=np.int64)
    preference = pair_preference(arrays, instance.policy, sets.score, client, unit)
    return Pairs(
        client=client.astype(np.int64),
        unit=unit.astype(np.int64),
        preference=np.asarray(preference, dtype=np.int64),
        excluded=excluded,
    )


class Eligibility:
    """An instance as the rules see it: its arrays and per-client sets, built once, and its
    eligible pairs, evaluated on first use (check and explain need only the first two)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.arrays = build_arrays(instance)
        self.sets = client_sets(instance, self.arrays)

    @cached_property
    def pairs(self) -> Pairs:
        return eligible_pairs(self.instance, self.arrays, self.sets)

    def pairs_within(self, most: int | None) -> Pairs:
        """`pairs`, built only while there are at most `most` (else `TooManyPairs`)."""
        if "pairs" not in self.__dict__:
            self.__dict__["pairs"] = eligible_pairs(self.instance, self.arrays, self.sets, most)
        return self.pairs

    def preference(self, client: int, unit: int) -> int:
        """p(c, u) of one pair (for check and explain, as `eligible_pairs` computes it)."""
        return int(
            pair_preference(
                self.arrays, self.instance.policy, self.sets.score, np.array([client]), np.array([unit])
            )[0]
        )
