"""What "best" means: the five objectives of an allocation, in the order they count.

1. priority `W = Σ w(c)` over placed clients, with w(c) from urgency, weeks waited and the family
   bonus;
2. preference `P = Σ p(c, u)`: origin, preferred (by rank) or current municipality, plus the
   points for a permanent home and for staying in one's own home (omklappen);
3. agreements: the shortfall of the agreements behind schedule (its home is
   `matcher.rules.agreements`, with the rest of what an agreement means);
4. spreading: the highest neighbourhood utilisation (recent + added load) / cap, lowest first;
5. fair share: Σ over municipalities of |placed so far + placed − share × (S + N)|, with the
   share agreed by the region (`target_share`) or by population, S the placements earlier in the
   share period and N the number placed this week.

This module is their one home: the weights and scores are computed here, and the solver
(`matcher.solver.levels`), the proposal's summary, check and the stress KPIs evaluate an
allocation with these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matcher.rules.arrays import Arrays
    from models import Client, Policy


# --- 1. priority --------------------------------------------------------------------------------


def weeks_waited(clients: Sequence[Client], start: date) -> np.ndarray:
    """Whole weeks since each client's priority decision, at the period's start (uncapped)."""
    return np.array([max(0, (start - c.registered_on).days // 7) for c in clients], dtype=np.int64)


def priority_weights(clients: Sequence[Client], policy: Policy, weeks: np.ndarray) -> np.ndarray:
    """w(c) = urgency base + per_week_waiting × min(weeks waited, max_waiting_weeks), plus
    `family_bonus` for a client in target group family."""
    priority = policy.priority
    base = np.array(
        [priority.urgency_base[c.urgency] + priority.family_bonus * c.family for c in clients],
        dtype=np.int64,
    )
    return base + priority.per_week_waiting * np.minimum(weeks, priority.max_waiting_weeks)


def priority_weight(client: Client, policy: Policy, start: date) -> int:
    """w(c) of one client at the period starting `start` (as `priority_weights`)."""
    return int(priority_weights((client,), policy, weeks_waited((client,), start))[0])


# --- 2. preference ------------------------------------------------------------------------------


def _ordinal(rank: int) -> str:
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def preference_offers(client: Client, policy: Policy) -> list[tuple[str, int, str]]:
    """The scores a client's own municipalities earn, as (municipality id, p, why), in the order
    they are offered: origin, then preferred by rank, then current. Where one municipality is
    offered twice the higher score counts (see `preference_scores`)."""
    preference = policy.preference
    offers = [(client.origin_municipality_id, preference.origin, "municipality of origin")]
    offers += [
        (municipality, preference.for_rank(rank), f"{_ordinal(rank)} preferred municipality")
        for rank, municipality in enumerate(client.preferred_municipalities, start=1)
    ]
    if client.current_municipality_id:
        offers.append((client.current_municipality_id, preference.current, "current municipality"))
    return offers


def preference_scores(
    clients: tuple[Client, ...], policy: Policy, municipality_index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """p(c, m) for every client and municipality, and why (object array): the best offer wins,
    an equal offer only replaces "elsewhere"."""
    n_c, n_m = len(clients), len(municipality_index)
    score = np.zeros((n_c, n_m), dtype=np.int64)
    label = np.full((n_c, n_m), "elsewhere", dtype=object)
    for row, client in enumerate(clients):
        for municipality, value, why in preference_offers(client, policy):
            col = municipality_index[municipality]
            if value > score[row, col] or (value == score[row, col] and label[row, col] == "elsewhere"):
                score[row, col], label[row, col] = value, why
    return score, label


def pair_preference(
    arrays: Arrays, policy: Policy, score: np.ndarray, clients: np.ndarray, units: np.ndarray
) -> np.ndarray:
    """p(c, u) per pair: the municipality's score (`preference_scores`), plus
    `preference.permanent` for a light or ambulant client in a permanent unit (in a week with a
    trajectory unit, `Arrays.permanent_points`), plus `preference.stay` for a client and the unit
    they live in (omklappen)."""
    clients, units = np.asarray(clients, dtype=np.int64), np.asarray(units, dtype=np.int64)
    if not len(clients):
        return np.zeros(0, dtype=np.int64)
    preference = policy.preference
    permanent = arrays.unit_permanent[units] & arrays.permanent_points[arrays.client_intensity[clients]]
    return (
        score[clients, arrays.unit_municipality[units]].astype(np.int64)
        + preference.permanent * permanent.astype(np.int64)
        + preference.stay * arrays.own_pairs(clients, units).astype(np.int64)
    )


def total(values: np.ndarray, chosen: np.ndarray) -> int:
    """W or P of an allocation: the sum of its pairs' weights or scores."""
    return int(np.asarray(values)[chosen].sum())


# --- 3. spreading -------------------------------------------------------------------------------


def max_utilisation(arrays: Arrays, loads: np.ndarray, neighbourhoods: np.ndarray) -> float:
    """Highest (recent_load + added load) / cap over neighbourhoods with cap > 0."""
    caps = arrays.neighbourhood_cap
    with_cap = caps > 0
    if not with_cap.any():
        return 0.0
    added = np.bincount(neighbourhoods, weights=loads, minlength=len(caps))
    return float(((arrays.neighbourhood_recent_load + added)[with_cap] / caps[with_cap]).max())


def next_utilisation(arrays: Arrays, at_least: float, most_load: np.ndarray | None = None) -> float:
    """The smallest utilisation value any allocation can have that is ≥ `at_least`.

    A neighbourhood's utilisation is (recent load + k) / cap for a whole k ≥ 0, so it can take
    only those values. `most_load`, when given, is per neighbourhood the highest load any
    allocation can give it (recent load plus what its units can take): a neighbourhood that
    cannot reach `at_least` cannot be the one whose utilisation is the highest at or above it,
    so it is left out. When none can, `at_least` itself is returned (always a valid bound)."""
    caps, recent = arrays.neighbourhood_cap, arrays.neighbourhood_recent_load
    with_cap = caps > 0
    if not with_cap.any():
        return 0.0
    steps = np.maximum(0, np.ceil(at_least * caps[with_cap] - recent[with_cap] - 1e-9))
    values = (recent[with_cap] + steps) / caps[with_cap]
    if most_load is not None:
        values = values[recent[with_cap] + steps <= most_load[with_cap] + 1e-9]
        if len(values) == 0:
            return float(at_least)
    return float(values.min())


# --- 4. fair share ------------------------------------------------------------------------------


def population_shares(arrays: Arrays) -> np.ndarray:
    """Each municipality's share of the region's population."""
    population = arrays.municipality_population.astype(float)
    region_total = population.sum()
    return population / region_total if region_total > 0 else np.zeros_like(population)


def target_shares(arrays: Arrays) -> np.ndarray:
    """Each municipality's share of placements: its `target_share` where given; the others share
    what is left, 1 − Σ given (never below 0), in proportion to their population. Without any
    target share this is `population_shares`."""
    given = arrays.municipality_target_share
    if np.isnan(given).all():
        return population_shares(arrays)
    open_ = np.isnan(given)
    share = np.where(open_, 0.0, given)
    population = np.where(open_, arrays.municipality_population.astype(float), 0.0)
    rest = max(0.0, 1.0 - float(share.sum()))
    if population.sum() > 0:
        share = share + rest * population / population.sum()
    return share


def fair_share_offsets(arrays: Arrays, share: np.ndarray) -> np.ndarray:
    """The constant part of each municipality's deviation: placed_so_far_m − share_m · S, with S
    the placements so far in the whole region (0 everywhere when none are known)."""
    so_far = arrays.municipality_placed_so_far.astype(float)
    return so_far - share * so_far.sum()


def fair_share_deviation(arrays: Arrays, municipalities: np.ndarray) -> float:
    """Σ over municipalities of |placed_so_far + placed − share × (S + N)|, S = Σ placed_so_far
    and N the number placed this week; with no target shares and nothing placed so far
    Σ |placed − population share × N|."""
    share = target_shares(arrays)
    placed = np.bincount(municipalities, minlength=len(share))
    return float(np.abs(fair_share_offsets(arrays, share) + placed - share * placed.sum()).sum())


def next_fair_share_deviation(
    offset: np.ndarray,
    share: np.ndarray,
    open_: np.ndarray,
    placed: tuple[int, int],
    at_least: float,
    most_combinations: int = 1 << 16,
) -> float:
    """A lower bound on the fair-share deviation of every allocation whose deviation is at least
    `at_least` (an LP's bound), from the values the deviation can take at all.

    With N placed (`placed`: the lowest and highest N possible) and k_m placed in municipality m,
    the deviation is Σ_m |a_m + k_m| with a_m = offset_m − share_m·N, k_m = 0 where no pair is
    open (`open_` False) and Σ_m k_m = N. For signs σ_m = ±1 it is Σ_m σ_m·a_m + j with j =
    Σ_m σ_m·k_m a whole number of the same parity as N, so the deviation is one of those values;
    the smallest of them at least `at_least` bounds it from below. Returns `at_least` itself
    (always a valid bound) when that takes more than `most_combinations` sign patterns."""
    low, high = placed
    open_ = np.asarray(open_, dtype=bool)
    count = int(open_.sum())
    if high < low or (high - low + 1) << count > most_combinations:
        return float(at_least)
    signs = 1 - 2 * ((np.arange(1 << count)[:, None] >> np.arange(count)[None, :]) & 1)
    best = math.inf
    for n in range(low, high + 1):
        a = offset - share * n
        base = signs @ a[open_] + np.abs(a[~open_]).sum()
        step = np.ceil(at_least - 1e-9 * max(1.0, abs(at_least)) - base)
        step += (step - n) % 2  # the same parity as N
        best = min(best, float((base + step).min()))
    return max(float(at_least), best) if math.isfinite(best) else float(at_least)


Objective = Callable[[np.ndarray], float]
