"""The random input of one seed: the base instance, the weekly arrivals and the offer draws.

Everything here derives from `numpy.random.SeedSequence(seed)` alone, not from the scenario or
the allocation policy: every scenario of the grid and both allocation policies see the same
queue in week 1, the same arrivals every week, and the same answer when the same client is
offered the same unit (common random numbers). Differences between them are the rule's doing,
not luck's.

New vacancies open in the region's wijken in proportion to their social-rental stock
(`matcher.stress.places`): the generator draws them so, and a resampled unit (social rental, room
or cluster) is moved to a wijk drawn so, since resampling a one-week base would otherwise put a
year's homes in the few wijken that week happened to have. Skaeve Huse keep their site.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from matcher.io.read import read_instance
from matcher.rules.load import folded
from models import Client, Instance, Unit

# Streams spawned from the seed, one per purpose, so adding draws to one never shifts another.
_BASE, _COUNTS, _POOL, _ORDER, _OFFERS, _PLACES = range(6)


@dataclass(frozen=True)
class Stream:
    """What one seed draws, shared by every scenario and allocation policy of a sweep."""

    seed: int
    base: Instance  # week 1: places, policy, queue and vacancies
    clients: tuple[tuple[Client, ...], ...]  # arrivals at the start of week t (index t; t = 0 empty)
    units: tuple[tuple[Unit, ...], ...]
    offer_key: int  # entropy of the accept/decline draws
    client_number: dict[str, int] = field(default_factory=dict)  # a stable number per client id
    unit_number: dict[str, int] = field(default_factory=dict)  # and per unit id

    def week_start(self, week: int) -> date:
        """First day of week `week` (0 = the base instance's week)."""
        return self.base.policy.period.start + timedelta(days=7 * week)

    def offer_draws(self, client_id: str, unit_id: str) -> tuple[float, float]:
        """Two uniforms (landlord, client) for offering this unit to this client.

        A function of the seed and the pair only, so the same offer gets the same answer under
        every allocation policy and scenario.
        """
        rng = np.random.default_rng(
            [self.offer_key, self.client_number[client_id], self.unit_number[unit_id]]
        )
        landlord, client = rng.random(2)
        return float(landlord), float(client)


def _child(seed: int, purpose: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed).spawn(_PLACES + 1)[purpose]


def _int_seed(seed: int, purpose: int) -> int:
    return int(_child(seed, purpose).generate_state(1)[0] & 0x7FFFFFFF)


def generated_instance(region: str, clients: int, units: int, seed: int, week: date) -> Instance:
    """An instance from the generator, read back through the same path users' files take."""
    from matcher.generate.instance import generate_instance, write_instance

    tables = generate_instance(region, clients, units, seed, week)
    with tempfile.TemporaryDirectory(prefix="stress-") as folder:
        path = write_instance(tables, Path(folder) / "instance")
        return read_instance(path)


def base_instance(sweep, seed: int) -> Instance:
    """Week 1 for this seed: the folder as given, or the generator's draw for the region."""
    base = sweep.base
    if base.region is None:
        # other groups' placements counted into the start's recent load, which then fades over
        # the window as the typed recent load does (matcher.rules.load)
        return folded(read_instance(sweep.base_path))
    generator_seed = base.seed if base.seed is not None else _int_seed(seed, _BASE)
    return generated_instance(base.region, base.clients, base.units, generator_seed, base.week)


def _arrival_id(prefix: str, week: int, number: int) -> str:
    # sorts after every base id of the generator (digits < "W") and in arrival order
    return f"{prefix}-W{week:03d}-{number:03d}"


def _prefix(identifier: str) -> str:
    """`C-WF` from `C-WF-0012`; ids without dashes keep their first letter."""
    head = identifier.rsplit("-", 1)[0]
    return head if head != identifier else identifier[:1] or "X"


def _shift(day: date | None, by: timedelta) -> date | None:
    return None if day is None else day + by


def _spread(base: Instance, units: list[Unit], rng: np.random.Generator) -> list[Unit]:
    """The resampled units moved to a wijk drawn by social-rental stock (and a landlord of that
    municipality); Skaeve Huse stay at their site.

    The generator draws its own units' places by the same weights (municipality by social stock,
    wijk by dwellings), so only resampled units are moved.
    """
    from matcher.stress.places import SCATTERED_TYPES, landlord_weights, social_stock_weights

    weights = social_stock_weights(base)
    municipality_of = {n.neighbourhood_id: n.municipality_id for n in base.neighbourhoods}
    landlords = landlord_weights(base)
    wijken = weights.index.to_numpy()
    drawn: np.ndarray = rng.choice(len(wijken), size=len(units), p=weights.to_numpy())
    picks = rng.random(len(units))
    moved = []
    for unit, wijk_index, pick in zip(units, drawn, picks):
        if unit.type not in SCATTERED_TYPES:
            moved.append(unit)
            continue
        wijk = str(wijken[int(wijk_index)])
        municipality = municipality_of[wijk]
        landlord = unit.landlord
        choices = landlords.get(municipality)
        if choices:
            names = sorted(choices)
            cumulative = np.cumsum([choices[name] for name in names])
            landlord = names[int(np.searchsorted(cumulative, pick * cumulative[-1], side="right"))]
        moved.append(
            unit.model_copy(
                update={"neighbourhood_id": wijk, "municipality_id": municipality, "landlord": landlord}
            )
        )
    return moved


def build_stream(sweep, seed: int, base: Instance | None = None) -> Stream:
    """The base instance and every arrival of the horizon for one seed."""
    base = base if base is not None else base_instance(sweep, seed)
    start = base.policy.period.start
    horizon = sweep.horizon_weeks
    counts_rng = np.random.default_rng(_child(seed, _COUNTS))
    client_counts = counts_rng.poisson(sweep.arrivals.clients_per_week, size=horizon)
    unit_counts = counts_rng.poisson(sweep.arrivals.units_per_week, size=horizon)
    client_counts[0] = unit_counts[0] = 0  # week 1 is the base instance
    n_clients, n_units = int(client_counts.sum()), int(unit_counts.sum())

    if sweep.arrival_source == "generator":
        pool = generated_instance(
            sweep.base.region, max(1, n_clients), max(1, n_units), _int_seed(seed, _POOL), start
        )
        pool_clients, pool_units = list(pool.clients), list(pool.units)
    else:
        pool_rng = np.random.default_rng(_child(seed, _POOL))
        pool_clients = (
            [base.clients[k] for k in pool_rng.integers(len(base.clients), size=n_clients)]
            if base.clients
            else []
        )
        pool_units = (
            [base.units[k] for k in pool_rng.integers(len(base.units), size=n_units)] if base.units else []
        )
    if sweep.arrival_source != "generator":
        pool_units = _spread(base, pool_units, np.random.default_rng(_child(seed, _PLACES)))
    order_rng = np.random.default_rng(_child(seed, _ORDER))
    # the generator lists units by municipality: shuffle so no week gets one town's homes
    pool_clients = [pool_clients[k] for k in order_rng.permutation(len(pool_clients))][:n_clients]
    pool_units = [pool_units[k] for k in order_rng.permutation(len(pool_units))][:n_units]
    registration_days = order_rng.integers(1, 8, size=len(pool_clients))
    unit_days = order_rng.integers(0, 7, size=len(pool_units))

    clients: list[tuple[Client, ...]] = []
    units: list[tuple[Unit, ...]] = []
    next_client = next_unit = 0
    for week in range(horizon):
        monday = start + timedelta(days=7 * week)
        arriving = []
        for number in range(int(client_counts[week])):
            client = pool_clients[next_client]
            registered = monday - timedelta(days=int(registration_days[next_client]))
            ready = (
                client.ready_from + (monday - start)
                if (sweep.arrival_source == "generator" and client.ready_from is not None)
                else None
            )
            arriving.append(
                client.model_copy(
                    update={
                        "client_id": _arrival_id(_prefix(client.client_id), week, number + 1),
                        "registered_on": registered,
                        "ready_from": ready if ready is None or ready > registered else None,
                    }
                )
            )
            next_client += 1
        clients.append(tuple(arriving))
        opening = []
        for number in range(int(unit_counts[week])):
            unit = pool_units[next_unit]
            if sweep.arrival_source == "generator":
                available = unit.available_from + (monday - start)
            else:
                available = monday + timedelta(days=int(unit_days[next_unit]))
            opening.append(
                unit.model_copy(
                    update={
                        "unit_id": _arrival_id(_prefix(unit.unit_id), week, number + 1),
                        "site_id": f"{unit.site_id}-W{week:03d}" if unit.site_id else None,
                        "available_from": available,
                    }
                )
            )
            next_unit += 1
        units.append(tuple(opening))

    client_number = {
        client.client_id: k
        for k, client in enumerate((*base.clients, *(c for week in clients for c in week)))
    }
    unit_number = {
        unit.unit_id: k for k, unit in enumerate((*base.units, *(u for week in units for u in week)))
    }
    offer_key = int(_child(seed, _OFFERS).generate_state(1)[0])
    return Stream(
        seed=seed,
        base=base,
        clients=tuple(clients),
        units=tuple(units),
        offer_key=offer_key,
        client_number=client_number,
        unit_number=unit_number,
    )
