"""Where new vacancies open: each wijk in proportion to its social-rental stock (CBS).

CBS publishes the share of dwellings owned by housing corporations per municipality, not per wijk
(instances/cbs/SOURCES.md), so a wijk's social-rental stock is estimated as its municipality's
social stock (`matcher.generate.instance.social_stock`: dwellings × corporation share, with the
municipal housing companies of Opmeer and Koggenland counted) shared over the municipality's wijken
by dwellings. A neighbourhood that is not a CBS wijk (a hand-made instance) weighs its dwellings ×
the mean social share of the wijken that are known, or its dwellings alone when none is.

Resampled vacancies of social rental, rooms and cluster units open anywhere by these weights: a
one-week base knows one or two cluster sites, and a year of cluster vacancies at one site would
fill that wijk's cap by itself, where a region has a cluster site in many wijken. Skaeve Huse are
few sites at the edge of town, exempt from the caps: a vacancy there opens at its site.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from models import Instance

SCATTERED_TYPES = ("social_rental", "room", "cluster")  # unit types whose resampled vacancies move


@lru_cache(maxsize=1)
def _cbs_social_stock() -> pd.Series:
    """Estimated social-rental dwellings per CBS wijk code."""
    from matcher.generate.instance import load_cbs, social_stock

    municipalities, neighbourhoods = load_cbs()
    social = pd.Series(social_stock(municipalities).to_numpy(), index=municipalities["gm_code"])
    dwellings = neighbourhoods["dwellings_2024"].astype(float)
    per_municipality = dwellings.groupby(neighbourhoods["gm_code"]).transform("sum")
    share = np.where(per_municipality > 0, dwellings / per_municipality.where(per_municipality > 0, 1), 0.0)
    stock = neighbourhoods["gm_code"].map(social).to_numpy(dtype=float) * share
    return pd.Series(stock, index=neighbourhoods["wk_code"].to_numpy())


def social_stock_weights(instance: Instance) -> pd.Series:
    """Each neighbourhood's share of the region's social-rental stock (sums to 1), in file order.

    All zeros (no dwellings anywhere) gives equal weights.
    """
    ids = [n.neighbourhood_id for n in instance.neighbourhoods]
    dwellings = pd.Series([float(n.dwellings) for n in instance.neighbourhoods], index=ids)
    cbs = _cbs_social_stock()
    known = dwellings.index.isin(cbs.index)
    weights = dwellings.copy()
    if known.any():
        stock = cbs.reindex(dwellings.index[known])
        known_dwellings = dwellings[known].sum()
        share = float(stock.sum() / known_dwellings) if known_dwellings > 0 else 0.0
        weights[known] = stock.to_numpy()
        weights[~known] = dwellings[~known] * share
    total = weights.sum()
    if total <= 0:
        return pd.Series(np.full(len(ids), 1 / max(1, len(ids))), index=ids)
    return weights / total


def municipality_weights(instance: Instance, weights: pd.Series) -> pd.Series:
    """The neighbourhood weights summed per municipality (every municipality of the instance)."""
    of = {n.neighbourhood_id: n.municipality_id for n in instance.neighbourhoods}
    summed = weights.groupby(weights.index.map(of)).sum()
    return summed.reindex([m.municipality_id for m in instance.municipalities], fill_value=0.0)


def landlord_weights(instance: Instance) -> dict[str, dict[str, float]]:
    """Per municipality, its landlords and their weights: the generator's table where the
    municipality is one of its regions', else the landlords of the base's own units there."""
    from matcher.generate.regions import REGIONS

    table: dict[str, dict[str, float]] = {}
    for region in REGIONS.values():
        table.update(region.landlords)
    result: dict[str, dict[str, float]] = {}
    for municipality in instance.municipalities:
        code = municipality.municipality_id
        if code in table:
            result[code] = dict(table[code])
            continue
        counts: dict[str, float] = {}
        for unit in instance.units:
            if unit.municipality_id == code:
                counts[unit.landlord] = counts.get(unit.landlord, 0.0) + 1.0
        if counts:
            result[code] = counts
    return result
