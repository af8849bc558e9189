"""The capacity rules of an allocation: neighbourhood caps (draagkracht), municipal intake,
support slots and the maxima of agreements (matcher.rules.agreements). This module is their one home.

Every capacity rule has the same shape: each (client, unit) pair has a *key* (the neighbourhood,
the municipality, the municipality × support intensity; -1 where the rule does not limit the
pair) and an *amount* (the pair's load, or one placement), and the amounts of the chosen pairs
with one key may not exceed what is *allowed* for that key. A rule is one `Limit` entry in
`LIMIT_BOOK` that says exactly that, plus its words and how `explain` may relax it. From the
book come, with no edit elsewhere:

- `fits_alone`: the pairs that do not break a limit all by themselves (the formulation's columns);
- `Remaining`: what every limit still allows on top of an allocation (the greedy's state, the
  unmatched reasons and `explain`'s "which limit is full");
- `full_limits`: the limits that stop one client from taking one unit, with the numbers;
- `over_limits`: the limits an allocation breaks (`matcher check`);
- `row_specs`: one sparse row per key that can bind (the solver's formulation).

The pair load `0 if the unit type is exempt or the client stays in the unit they live in
(omklappen) else load_weight[intensity]` is written here once, for arrays (`pair_load`) and for
domain objects (`load_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from matcher.i18n import N_, _, language
from matcher.io.headers import support_word
from matcher.rules.arrays import Arrays, neighbourhood_cap
from models.fields import INTENSITIES

if TYPE_CHECKING:
    from models import Instance, Policy

UNLIMITED = np.iinfo(np.int64).max


# --- the pair load -----------------------------------------------------------------------------


def pair_load(arrays: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The load each (client, unit) pair adds to the unit's neighbourhood: 0 for exempt types,
    and 0 for a client who stays in the unit they live in (omklappen: nobody new arrives)."""
    clients, units = np.asarray(clients, dtype=np.int64), np.asarray(units, dtype=np.int64)
    free = arrays.unit_exempt[units] | arrays.own_pairs(clients, units)
    weight = arrays.load_weight[arrays.client_intensity[clients]] * arrays.client_persons[clients]
    return np.where(free, 0, weight).astype(np.int64)


def load_of(
    policy: Policy, support_intensity: str, unit_type: str | None, stays: bool = False, persons: int = 1
) -> int:
    """The same load for domain objects (the ledger, the workbooks, the stress simulation); a
    unit type that is not known (None) is not exempt. `stays`: the client stays in the unit
    they live in (omklappen), which adds no load. `persons`: 2 for two clients sharing one home,
    each of whom arrives with support."""
    if stays or unit_type in policy.spreading.exempt_types:
        return 0
    return int(policy.spreading.load_weight[support_intensity]) * persons


# --- the three limits --------------------------------------------------------------------------


def _cap_keys(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    return a.unit_neighbourhood[units].astype(np.int64)


def _cap_allowed(a: Arrays) -> np.ndarray:
    return a.neighbourhood_room.astype(np.int64)


def _cap_label(a: Arrays, key: int) -> str:
    return str(a.neighbourhood_ids[key])


def _intake_keys(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    municipality = a.unit_municipality[units].astype(np.int64)
    return np.where(a.municipality_max_intake[municipality] >= 0, municipality, -1)


def _intake_allowed(a: Arrays) -> np.ndarray:
    return np.where(a.municipality_max_intake >= 0, a.municipality_max_intake, UNLIMITED).astype(np.int64)


def _intake_label(a: Arrays, key: int) -> str:
    return str(a.municipality_ids[key])


_N_INTENSITIES = len(INTENSITIES)


def _slot_keys(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    key = a.unit_municipality[units].astype(np.int64) * _N_INTENSITIES + a.client_intensity[clients]
    listed = _slot_allowed(a) < UNLIMITED
    return np.where(listed[key], key, -1) if len(key) else key


def _slot_allowed(a: Arrays) -> np.ndarray:
    allowed = np.full(len(a.municipality_ids) * _N_INTENSITIES, UNLIMITED, dtype=np.int64)
    for (municipality, intensity), slots in a.slots.items():
        allowed[municipality * _N_INTENSITIES + intensity] = slots
    return allowed


def _slot_label(a: Arrays, key: int) -> str:
    municipality, intensity = divmod(key, _N_INTENSITIES)
    return f"{a.municipality_ids[municipality]}/{INTENSITIES[intensity]}"


def _agreement_keys(kind: int) -> Callable[[Arrays, np.ndarray, np.ndarray], np.ndarray]:
    """Per pair: the agreement of `kind` with a maximum that counts it, else -1. The reader
    refuses two maxima of one kind and party that could count one placement in one week
    (models.agreement), so there is at most one."""

    def keys(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
        found = np.full(len(units), -1, dtype=np.int64)
        agreements = a.agreements
        for k in np.flatnonzero((agreements.kind == kind) & (agreements.room >= 0)):
            found[agreements.units[k, units] & agreements.clients[k, clients]] = k
        return found

    return keys


def _agreement_allowed(a: Arrays) -> np.ndarray:
    room = a.agreements.room
    allowed = np.where(room >= 0, room, UNLIMITED).astype(np.int64)
    return allowed if len(allowed) else np.full(1, UNLIMITED, dtype=np.int64)


def _agreement_label(a: Arrays, key: int) -> str:
    return str(a.agreements.ids[key])


def _raise_agreement(instance: Instance, a: Arrays, key: int, need: int) -> tuple[str, Instance]:
    agreement_id = a.agreements.ids[key]
    position = next(k for k, g in enumerate(instance.agreements) if g.agreement_id == agreement_id)
    agreement = instance.agreements[position]
    assert agreement.maximum is not None
    return (
        _(
            "maximum of agreement {agreement} ({party}) {times} higher ({maximum} → {raised})",
            agreement=agreement_id,
            party=agreement.party,
            times=_times(need),
            maximum=agreement.maximum,
            raised=agreement.maximum + need,
        ),
        instance.with_row("agreements", position, maximum=agreement.maximum + need),
    )


def _provider_keys(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Per pair: provider × municipality (rule 6) when the client's provider has a
    provider_capacity row for the unit's municipality, else -1."""
    provider = a.client_provider[clients].astype(np.int64)
    key = np.maximum(provider, 0) * len(a.municipality_ids) + a.unit_municipality[units].astype(np.int64)
    if not len(key):
        return key
    listed = _provider_allowed(a) < UNLIMITED
    return np.where((provider >= 0) & listed[np.minimum(key, len(listed) - 1)], key, -1)


def _provider_allowed(a: Arrays) -> np.ndarray:
    width = len(a.municipality_ids)
    allowed = np.full(max(1, len(a.provider_names) * width), UNLIMITED, dtype=np.int64)
    for (provider, municipality), slots in a.provider_slots.items():
        allowed[provider * width + municipality] = slots
    return allowed


def _provider_label(a: Arrays, key: int) -> str:
    provider, municipality = divmod(key, len(a.municipality_ids))
    return f"{a.provider_names[provider]}/{a.municipality_ids[municipality]}"


def _raise_provider(instance: Instance, a: Arrays, key: int, need: int) -> tuple[str, Instance]:
    provider, municipality = divmod(key, len(a.municipality_ids))
    name, municipality_id = a.provider_names[provider], a.municipality_ids[municipality]
    position = next(
        k
        for k, s in enumerate(instance.provider_capacity)
        if (s.provider, s.municipality_id) == (name, municipality_id)
    )
    slots = instance.provider_capacity[position].slots
    town = instance.municipalities[municipality].name
    message = (
        _(
            "one more slot of {provider} in {municipality} ({slots} → {raised})",
            provider=name,
            municipality=town,
            slots=slots,
            raised=slots + need,
        )
        if need == 1
        else _(
            "{count} more slots of {provider} in {municipality} ({slots} → {raised})",
            count=need,
            provider=name,
            municipality=town,
            slots=slots,
            raised=slots + need,
        )
    )
    return message, instance.with_row("provider_capacity", position, slots=slots + need)


def _one(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    return np.ones(len(units), dtype=np.int64)


def _persons(a: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Support slots count people: two clients sharing one home use two."""
    return a.client_persons[np.asarray(clients, dtype=np.int64)].astype(np.int64)


# how a limit may be raised by `need` in an instance: (message, the changed instance)
Relaxation = Callable[["Instance", Arrays, int, int], tuple[str, "Instance"]]


_TIMES = {1: N_("one"), 2: N_("two"), 3: N_("three")}


def _times(count: int) -> str:
    """`one`, `two`, `three`, else the number, in the user's language."""
    return _(_TIMES[count]) if count in _TIMES else str(count)


def _num(value: Fraction | float) -> str:
    """A whole number as it is, else `g`; with a decimal comma in Dutch."""
    value = Fraction(value)
    text = str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
    return text if language() == "en" else text.replace(".", ",")


def _raise_cap(instance: Instance, a: Arrays, key: int, need: int) -> tuple[str, Instance]:
    n = instance.neighbourhoods[key]
    cap = neighbourhood_cap(n.dwellings, n.cap, instance.policy.spreading.max_load_per_1000_dwellings)
    return (
        _(
            "cap of {neighbourhood} ({name}) {times} higher ({cap} → {raised})",
            neighbourhood=n.neighbourhood_id,
            name=n.name,
            times=_times(need),
            cap=_num(cap),
            raised=_num(cap + need),
        ),
        instance.with_row("neighbourhoods", key, cap=float(cap + need)),
    )


def _raise_intake(instance: Instance, a: Arrays, key: int, need: int) -> tuple[str, Instance]:
    m = instance.municipalities[key]
    assert m.max_intake is not None
    return (
        _(
            "intake of {name} ({municipality}) {times} higher ({intake} → {raised})",
            name=m.name,
            municipality=m.municipality_id,
            times=_times(need),
            intake=m.max_intake,
            raised=m.max_intake + need,
        ),
        instance.with_row("municipalities", key, max_intake=m.max_intake + need),
    )


def _raise_slots(instance: Instance, a: Arrays, key: int, need: int) -> tuple[str, Instance]:
    municipality, intensity = divmod(key, _N_INTENSITIES)
    municipality_id, intensity_name = a.municipality_ids[municipality], INTENSITIES[intensity]
    position = next(
        k
        for k, s in enumerate(instance.support_capacity)
        if (s.municipality_id, s.support_intensity) == (municipality_id, intensity_name)
    )
    slots = instance.support_capacity[position].slots
    fields = {
        "support": support_word(intensity_name),
        "municipality": instance.municipalities[municipality].name,
        "slots": slots,
        "raised": slots + need,
    }
    return (
        _("one more slot of {support} support in {municipality} ({slots} → {raised})", **fields)
        if need == 1
        else _(
            "{times} more slots of {support} support in {municipality} ({slots} → {raised})",
            times=_times(need),
            **fields,
        ),
        instance.with_row("support_capacity", position, slots=slots + need),
    )


@dataclass(frozen=True)
class Limit:
    """One capacity rule: Σ amount over chosen pairs with one key ≤ allowed[key]."""

    name: str
    keys: Callable[[Arrays, np.ndarray, np.ndarray], np.ndarray]  # per pair; -1 = not limited
    amounts: Callable[[Arrays, np.ndarray, np.ndarray], np.ndarray]  # per pair
    allowed: Callable[[Arrays], np.ndarray]  # per key; UNLIMITED = no limit
    label: Callable[[Arrays, int], str]  # the key in ids
    text: str  # matcher check: what the rule requires
    relax: Relaxation  # matcher explain: raise the limit by `need`
    # the most a key can receive, for leaving out rows that cannot bind: counted per unit (its
    # heaviest amount × class size) or per distinct client
    reach: str = "units"
    rank: int = 0  # explain: smaller is suggested first


LIMIT_BOOK: tuple[Limit, ...] = (
    Limit(
        "neighbourhood_cap",
        _cap_keys,
        pair_load,
        _cap_allowed,
        _cap_label,
        N_("the load added to a neighbourhood stays within its cap minus recent load"),
        _raise_cap,
        rank=2,
    ),
    Limit(
        "municipality_intake",
        _intake_keys,
        _one,
        _intake_allowed,
        _intake_label,
        N_("a municipality takes at most max_intake new placements"),
        _raise_intake,
        rank=1,
    ),
    Limit(
        "support_slots",
        _slot_keys,
        _persons,
        _slot_allowed,
        _slot_label,
        N_("at most `slots` clients of an intensity in a municipality"),
        _raise_slots,
        reach="clients",
        rank=0,
    ),
    Limit(
        "municipality_agreement",
        _agreement_keys(0),
        _one,
        _agreement_allowed,
        _agreement_label,
        N_("a municipality's agreement takes at most its maximum over its period"),
        _raise_agreement,
        reach="clients",
        rank=3,
    ),
    Limit(
        "landlord_agreement",
        _agreement_keys(1),
        _one,
        _agreement_allowed,
        _agreement_label,
        N_("a corporation's agreement takes at most its maximum over its period"),
        _raise_agreement,
        reach="clients",
        rank=3,
    ),
    Limit(
        "provider_slots",
        _provider_keys,
        _one,
        _provider_allowed,
        _provider_label,
        N_("at most `slots` clients of a care provider in a municipality"),
        _raise_provider,
        reach="clients",
        rank=0,
    ),
)
LIMITS: tuple[str, ...] = tuple(limit.name for limit in LIMIT_BOOK)
_AGREEMENT_LIMITS = ("municipality_agreement", "landlord_agreement")
LIMIT_BY_NAME: dict[str, Limit] = {limit.name: limit for limit in LIMIT_BOOK}


# --- per pair, per allocation --------------------------------------------------------------------


@dataclass(frozen=True)
class PairLimits:
    """For a list of pairs: per limit, each pair's key and amount."""

    keys: tuple[np.ndarray, ...]
    amounts: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, arrays: Arrays, clients: np.ndarray, units: np.ndarray) -> PairLimits:
        clients, units = np.asarray(clients, dtype=np.int64), np.asarray(units, dtype=np.int64)
        return cls(
            tuple(limit.keys(arrays, clients, units) for limit in LIMIT_BOOK),
            tuple(limit.amounts(arrays, clients, units) for limit in LIMIT_BOOK),
        )

    def take(self, positions: np.ndarray) -> PairLimits:
        return PairLimits(tuple(k[positions] for k in self.keys), tuple(a[positions] for a in self.amounts))


@dataclass
class Remaining:
    """What each limit still allows, per key, on top of an allocation (UNLIMITED: no limit)."""

    left: list[np.ndarray]

    @classmethod
    def start(cls, arrays: Arrays) -> Remaining:
        return cls([limit.allowed(arrays).copy() for limit in LIMIT_BOOK])

    @classmethod
    def after(cls, arrays: Arrays, clients: np.ndarray, units: np.ndarray) -> Remaining:
        """What is left once the pairs (clients[k], units[k]) are placed."""
        remaining = cls.start(arrays)
        remaining.take(PairLimits.of(arrays, clients, units))
        return remaining

    def fits(self, pairs: PairLimits, window: slice = slice(None)) -> np.ndarray:
        """Which pairs (of `window`) every limit still allows, each on its own."""
        ok = np.ones(len(pairs.keys[0][window]) if pairs.keys else 0, dtype=bool)
        for left, all_keys, all_amounts in zip(self.left, pairs.keys, pairs.amounts):
            keys, amounts = all_keys[window], all_amounts[window]
            ok &= (keys < 0) | (amounts <= left[np.maximum(keys, 0)])
        return ok

    def take(self, pairs: PairLimits, sign: int = 1) -> None:
        """Use up (or with sign -1 give back) what the pairs need."""
        for left, keys, amounts in zip(self.left, pairs.keys, pairs.amounts):
            limited = (keys >= 0) & (left[np.maximum(keys, 0)] != UNLIMITED) if len(keys) else keys >= 0
            np.subtract.at(left, keys[limited], sign * amounts[limited])

    def take_one(self, pairs: PairLimits, position: int) -> None:
        """Use up what the pair at `position` needs (the greedy's step, without array overhead)."""
        for left, keys, amounts in zip(self.left, pairs.keys, pairs.amounts):
            key = keys[position]
            if key >= 0 and left[key] != UNLIMITED:
                left[key] -= amounts[position]


def fits_alone(arrays: Arrays, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Mask of pairs that do not break a cap, intake or slot limit all by themselves."""
    return Remaining.start(arrays).fits(PairLimits.of(arrays, clients, units))


@dataclass(frozen=True)
class Full:
    """One limit that stops a client from taking a unit: how much is used and allowed, and the
    smallest raise that would make room (`need`)."""

    limit: str
    key: int
    used: int  # used by the allocation, before anything is freed
    allowed: int
    freed: int  # given back first (e.g. the client's own current match)
    need: int

    def ident(self, arrays: Arrays) -> str:
        return LIMIT_BY_NAME[self.limit].label(arrays, self.key)

    def words(self, arrays: Arrays, municipality_name: Callable[[int], str] | None = None) -> str:
        """The limit in a coordinator's words, in the user's language. With `municipality_name`
        (explain) the counts are after freeing and municipalities are named; without it
        (unmatched.csv, unused_units.csv), ids and the allocation's own counts."""
        name = self.ident(arrays)
        if self.limit == "neighbourhood_cap":
            used = self.used - self.freed if municipality_name else self.used
            return _(
                "cap of {neighbourhood} full ({used} of {allowed} load added this period)",
                neighbourhood=name,
                used=used,
                allowed=self.allowed,
            )
        if self.limit == "municipality_intake":
            if municipality_name:
                return _(
                    "intake of {municipality} full ({used} of {allowed})",
                    municipality=municipality_name(self.key),
                    used=self.used - self.freed,
                    allowed=self.allowed,
                )
            return _("intake of {municipality} full ({allowed})", municipality=name, allowed=self.allowed)
        if self.limit in _AGREEMENT_LIMITS:
            used = self.used - self.freed if municipality_name else self.used
            return _(
                "maximum of agreement {agreement} reached ({used} of {allowed} left this period)",
                agreement=name,
                used=used,
                allowed=self.allowed,
            )
        if self.limit == "provider_slots":
            provider, municipality = divmod(self.key, len(arrays.municipality_ids))
            where = (
                municipality_name(municipality)
                if municipality_name
                else str(arrays.municipality_ids[municipality])
            )
            used = self.used - self.freed if municipality_name else self.used
            return _(
                "slots of care provider {provider} in {municipality} full ({used} of {allowed})",
                provider=arrays.provider_names[provider],
                municipality=where,
                used=used,
                allowed=self.allowed,
            )
        municipality, intensity = divmod(self.key, _N_INTENSITIES)
        if municipality_name:
            return _(
                "{support} support slots in {municipality} full ({used} of {allowed})",
                support=support_word(INTENSITIES[intensity]),
                municipality=municipality_name(municipality),
                used=self.used - self.freed,
                allowed=self.allowed,
            )
        return _(
            "{support} support slots in {municipality} full ({allowed})",
            support=support_word(INTENSITIES[intensity]),
            municipality=arrays.municipality_ids[municipality],
            allowed=self.allowed,
        )


def full_limits(
    arrays: Arrays, remaining: Remaining, client: int, unit: int, freed: tuple[int, int] | None = None
) -> list[Full]:
    """The limits that stop `client` from taking `unit` on top of the allocation `remaining` was
    made from; `freed` is a (client, unit) pair given back first."""
    pair = PairLimits.of(arrays, np.array([client]), np.array([unit]))
    back = PairLimits.of(arrays, np.array([freed[0]]), np.array([freed[1]])) if freed is not None else None
    found = []
    for k, limit in enumerate(LIMIT_BOOK):
        key, amount = int(pair.keys[k][0]), int(pair.amounts[k][0])
        if key < 0 or amount == 0:
            continue
        allowed = int(limit.allowed(arrays)[key])
        left = int(remaining.left[k][key])
        if left == UNLIMITED:
            continue
        given_back = int(back.amounts[k][0]) if back is not None and int(back.keys[k][0]) == key else 0
        if amount > left + given_back:
            found.append(
                Full(limit.name, key, allowed - left, allowed, given_back, amount - left - given_back)
            )
    return found


@dataclass(frozen=True)
class Over:
    """A limit an allocation breaks: which key, how much it got and may get, and which pairs."""

    limit: str
    key: int
    used: int
    allowed: int
    positions: np.ndarray  # indices into the pairs given to `over_limits`

    def message(self, arrays: Arrays) -> str:
        """What `matcher check` says about it."""
        if self.limit == "neighbourhood_cap":
            return _(
                "{neighbourhood} gets load {used} but has room for {allowed} (cap {cap}, recent load {recent})",
                neighbourhood=arrays.neighbourhood_ids[self.key],
                used=self.used,
                allowed=self.allowed,
                cap=f"{arrays.neighbourhood_cap[self.key]:g}",
                recent=f"{arrays.neighbourhood_recent_load[self.key]:g}",
            )
        if self.limit == "municipality_intake":
            return _(
                "{municipality} gets {used} placements, max_intake {allowed}",
                municipality=arrays.municipality_ids[self.key],
                used=self.used,
                allowed=self.allowed,
            )
        if self.limit in _AGREEMENT_LIMITS:
            return _(
                "agreement {agreement} counts {used} placements, but its maximum leaves {allowed}",
                agreement=arrays.agreements.ids[self.key],
                used=self.used,
                allowed=self.allowed,
            )
        if self.limit == "provider_slots":
            provider, municipality = divmod(self.key, len(arrays.municipality_ids))
            return _(
                "{municipality} gets {used} clients of care provider {provider}, slots {allowed}",
                municipality=arrays.municipality_ids[municipality],
                used=self.used,
                provider=arrays.provider_names[provider],
                allowed=self.allowed,
            )
        municipality, intensity = divmod(self.key, _N_INTENSITIES)
        return _(
            "{municipality} gets {used} {support} clients, slots {allowed}",
            municipality=arrays.municipality_ids[municipality],
            used=self.used,
            support=INTENSITIES[intensity] if language() == "en" else support_word(INTENSITIES[intensity]),
            allowed=self.allowed,
        )


def over_limits(arrays: Arrays, clients: np.ndarray, units: np.ndarray) -> list[Over]:
    """Every limit the pairs break together, by limit then key."""
    pairs = PairLimits.of(arrays, clients, units)
    found = []
    for k, limit in enumerate(LIMIT_BOOK):
        allowed = limit.allowed(arrays)
        keys, amounts = pairs.keys[k], pairs.amounts[k]
        counted = np.flatnonzero((keys >= 0) & (amounts > 0))
        for key in np.unique(keys[counted]):
            members = counted[keys[counted] == key]
            used = int(amounts[members].sum())
            if allowed[key] != UNLIMITED and used > allowed[key]:
                found.append(Over(limit.name, int(key), used, int(allowed[key]), members))
    return found


# --- the solver's rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSpec:
    """One limit as rows: Σ amount·x over `positions` with one key ≤ limit, for the keys that can
    bind (`binding`, per distinct key in sorted order)."""

    rule: str
    keys: np.ndarray
    positions: np.ndarray
    amounts: np.ndarray
    limit_of_key: dict[int, float]
    binding: np.ndarray


def row_specs(
    arrays: Arrays, clients: np.ndarray, units: np.ndarray, capacity_of: Callable[[np.ndarray], np.ndarray]
) -> list[RowSpec]:
    """Per limit, the rows over the pair columns (clients[k], units[k]); `capacity_of(units)` is
    how many clients a column's unit stands for (a class of interchangeable units)."""
    pairs = PairLimits.of(arrays, clients, units)
    specs = []
    for k, limit in enumerate(LIMIT_BOOK):
        allowed = limit.allowed(arrays)
        keys, amounts = pairs.keys[k], pairs.amounts[k]
        limited = (keys >= 0) & (amounts > 0)
        limited[limited] &= allowed[keys[limited]] != UNLIMITED
        positions = np.flatnonzero(limited)
        if len(positions) == 0:
            continue
        key, amount = keys[positions], amounts[positions]
        distinct = np.unique(key)
        if limit.reach == "clients":
            reach = _distinct_count(key, np.asarray(clients)[positions], amount)
        else:  # each unit at its heaviest amount, times the clients it stands for
            unit = np.asarray(units)[positions]
            order = np.lexsort((amount, unit))
            last = np.r_[unit[order][1:] != unit[order][:-1], True]
            heaviest = amount[order][last] * capacity_of(unit[order][last])
            reach = np.bincount(key[order][last], weights=heaviest, minlength=len(allowed))[distinct]
        specs.append(
            RowSpec(
                limit.name,
                key,
                positions,
                amount,
                {int(d): float(allowed[d]) for d in distinct},
                reach > allowed[distinct],
            )
        )
    return specs


def _distinct_count(keys: np.ndarray, members: np.ndarray, amounts: np.ndarray | None = None) -> np.ndarray:
    """For each distinct key (sorted): how much its distinct members can take together, each at
    its largest amount (1 each without `amounts`)."""
    width = int(members.max(initial=0)) + 1
    combined = keys.astype(np.int64) * width + members
    if amounts is None:
        amounts = np.ones(len(keys), dtype=np.int64)
    order = np.lexsort((amounts, combined))
    last = np.r_[combined[order][1:] != combined[order][:-1], True]
    heaviest_key = combined[order][last] // width
    _, inverse = np.unique(heaviest_key, return_inverse=True)
    return np.bincount(inverse, weights=amounts[order][last]).astype(np.int64)
