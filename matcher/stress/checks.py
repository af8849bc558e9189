"""Cap violations of a finished run, counted from its placements alone.

Nothing here reuses the simulation's bookkeeping or the engine's capacity code: the load of every
placement is recomputed from the policy (load weight of the client's support intensity, 0 for an
exempt unit type), each neighbourhood's load in the rolling window is rebuilt week by week in exact
fractions from those placements and the base's recent load (which fades out linearly over the
window), and the caps are derived from the neighbourhood rows as the allocation rules define them.
A week violates a neighbourhood's cap when the load it adds there exceeds `max(0, cap − recent
load)`; a period violates an intake ceiling or a slot row when more placements land there than
agreed for the period. Placing a client or letting a unit twice is counted as well.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction
from math import floor

import pandas as pd

from models import Instance

VIOLATIONS = ("neighbourhood_cap", "municipality_intake", "support_slots", "placed_twice")


def _cap(dwellings: int, cap: float | None, per_1000: float) -> Fraction:
    if cap is not None:
        return Fraction(str(cap))
    return Fraction(floor(Fraction(dwellings) * Fraction(str(per_1000)) / 1000))


def cap_violations(
    placements: pd.DataFrame, start: Instance, window_weeks: int, period_weeks: int
) -> dict[str, int]:
    """How often the run's placements break each limit (0 everywhere for a run that obeys them).

    `start` is the run's instance as the rules apply to it: neighbourhood caps, the policy's
    load weights and exempt types, the base's recent load, and the intake ceilings and support
    slots agreed per period of `period_weeks` weeks.
    """
    policy = start.policy
    per_1000 = policy.spreading.max_load_per_1000_dwellings
    exempt = set(policy.spreading.exempt_types)
    weights = policy.spreading.load_weight
    caps = {n.neighbourhood_id: _cap(n.dwellings, n.cap, per_1000) for n in start.neighbourhoods}
    base_recent = {n.neighbourhood_id: Fraction(str(n.recent_load)) for n in start.neighbourhoods}
    counts = dict.fromkeys(VIOLATIONS, 0)
    if placements.empty:
        return counts

    added: dict[int, Counter] = defaultdict(Counter)  # week (1-based) -> neighbourhood -> load
    for row in placements.itertuples(index=False):
        load = 0 if row.unit_type in exempt else int(weights[row.support_intensity])
        added[int(row.week)][row.neighbourhood_id] += load
    for week, loads in sorted(added.items()):
        before = week - 1  # weeks simulated before this one
        for neighbourhood, load in loads.items():
            if load == 0:
                continue
            recent = base_recent[neighbourhood] * Fraction(max(0, window_weeks - before), window_weeks)
            recent += sum(
                added[earlier][neighbourhood]
                for earlier in range(max(1, week - window_weeks), week)
                if earlier in added
            )
            if load > max(Fraction(0), caps[neighbourhood] - recent):
                counts["neighbourhood_cap"] += 1

    period = (placements["week"].astype(int) - 1) // period_weeks
    intake = {m.municipality_id: m.max_intake for m in start.municipalities if m.max_intake is not None}
    per_municipality = placements.groupby([period, placements["municipality_id"]]).size()
    for (_, municipality), placed in per_municipality.items():
        if municipality in intake and placed > intake[municipality]:
            counts["municipality_intake"] += 1
    slots = {(s.municipality_id, s.support_intensity): s.slots for s in start.support_capacity}
    per_row = placements.groupby(
        [period, placements["municipality_id"], placements["support_intensity"]]
    ).size()
    for (_, municipality, intensity), placed in per_row.items():
        if (municipality, intensity) in slots and placed > slots[(municipality, intensity)]:
            counts["support_slots"] += 1
    counts["placed_twice"] = int(
        placements["client_id"].duplicated().sum() + placements["unit_id"].duplicated().sum()
    )
    return counts
