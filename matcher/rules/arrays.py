"""The instance as numpy arrays, built once, for vectorised eligibility and the formulation."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import floor

import numpy as np

from matcher.rules.agreements import AgreementArrays, build_agreement_arrays
from matcher.rules.load import recent_loads
from matcher.rules.objectives import priority_weights, weeks_waited
from models import Instance
from models.client import SETTLED_INTENSITIES
from models.fields import INTENSITIES, UNIT_TYPES, URGENCIES


@dataclass(frozen=True)
class Arrays:
    """Index-aligned arrays: clients, units, municipalities and neighbourhoods in file order."""

    client_ids: np.ndarray
    unit_ids: np.ndarray
    municipality_ids: np.ndarray
    neighbourhood_ids: np.ndarray
    # clients
    client_origin: np.ndarray  # municipality index
    client_current: np.ndarray  # municipality index or -1
    client_intensity: np.ndarray  # index into INTENSITIES
    client_household: np.ndarray
    client_max_rent: np.ndarray  # inf when no limit
    client_needs_accessible: np.ndarray
    client_allowed_types: np.ndarray  # bitmask over UNIT_TYPES
    client_ready: np.ndarray  # bool: ready by the end of the period
    client_weight: np.ndarray  # priority weight w(c)
    client_urgency: np.ndarray  # index into URGENCIES
    client_weeks: np.ndarray  # weeks waited, uncapped
    client_registered: np.ndarray  # date of the priority decision, as a day number
    client_own_unit: np.ndarray  # index of the unit the client lives in now (omklappen), or -1
    client_persons: np.ndarray  # clients of the scheme in the row: 2 when two share one home
    client_young_adult: np.ndarray  # bool: target group young_adult or source jeugd (rule 11)
    client_housing_first: np.ndarray  # bool: target group housing_first (rule 12)
    # units
    unit_type: np.ndarray
    unit_municipality: np.ndarray
    unit_neighbourhood: np.ndarray
    unit_rent: np.ndarray
    unit_max_household: np.ndarray
    unit_accessible: np.ndarray
    unit_available: np.ndarray  # bool: available by the end of the period
    unit_exempt: np.ndarray  # bool: type does not count against neighbourhood caps
    unit_permanent: np.ndarray  # bool: tenancy permanent (a home the client can stay in)
    unit_occupant: np.ndarray  # index of the client who lives in the unit now, or -1
    unit_young_adults_only: np.ndarray  # bool: a jongerenwoning, for young adults only (rule 11)
    # places
    municipality_region: np.ndarray  # region index
    municipality_population: np.ndarray
    municipality_max_intake: np.ndarray  # -1 when no limit
    municipality_target_share: np.ndarray  # float: the agreed share, NaN when none is given
    municipality_placed_so_far: np.ndarray  # int: placements earlier in the share period
    neighbourhood_municipality: np.ndarray
    neighbourhood_cap: np.ndarray  # float
    neighbourhood_recent_load: np.ndarray
    neighbourhood_room: np.ndarray  # int: most load the allocation may add, floor(cap - recent)
    neighbourhood_closed: np.ndarray  # bool: closed to new placements (period.start ≤ closed_until)
    load_weight: np.ndarray  # per intensity index
    slots: dict[tuple[int, int], int]  # (municipality index, intensity index) -> slots
    # per intensity index: earns `preference.permanent` in a permanent unit (light, ambulant),
    # all False when no unit is a trajectory unit (the points then count nowhere)
    permanent_points: np.ndarray
    # the agreements that apply this week (issue 14, item 1; matcher.rules.agreements)
    agreements: AgreementArrays
    # care providers with a provider_capacity row (issue 14, item 5; rule 6), in file order
    provider_names: tuple[str, ...]
    client_provider: np.ndarray  # index into provider_names, or -1
    provider_slots: dict[tuple[int, int], int]  # (provider index, municipality index) -> slots

    def own_pairs(self, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Which (client, unit) pairs are a client and the unit they live in (omklappen)."""
        return self.client_own_unit[clients] == units

    @property
    def n_clients(self) -> int:
        return len(self.client_ids)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)


@lru_cache(maxsize=65_536)  # the same wijken week after week in a stress run
def neighbourhood_cap(dwellings: int, cap: float | None, per_1000: float) -> Fraction:
    """The cap cell, or floor(dwellings × max_load_per_1000_dwellings / 1000), exactly."""
    if cap is not None:
        return Fraction(str(cap))
    return Fraction(floor(Fraction(dwellings) * Fraction(str(per_1000)) / 1000))


def build_arrays(instance: Instance) -> Arrays:
    """Turn the validated instance into index-aligned arrays."""
    policy = instance.policy
    end = policy.period.end
    m_index = {m.municipality_id: k for k, m in enumerate(instance.municipalities)}
    n_index = {n.neighbourhood_id: k for k, n in enumerate(instance.neighbourhoods)}
    regions = sorted({m.region for m in instance.municipalities})
    type_code = {t: k for k, t in enumerate(UNIT_TYPES)}
    intensity_code = {s: k for k, s in enumerate(INTENSITIES)}

    def type_mask(types: tuple[str, ...]) -> int:
        return sum(1 << type_code[t] for t in set(types))

    clients = instance.clients
    weeks = weeks_waited(clients, policy.period.start)
    own_unit, occupant = homes(instance)
    weight = priority_weights(clients, policy, weeks)

    caps = []
    rooms = []
    recent = recent_loads(instance)  # the cell plus other groups' placements in the window
    for n, load in zip(instance.neighbourhoods, recent):
        cap = neighbourhood_cap(n.dwellings, n.cap, policy.spreading.max_load_per_1000_dwellings)
        caps.append(float(cap))
        rooms.append(max(0, floor(cap - load)))

    return Arrays(
        client_ids=np.array([c.client_id for c in clients], dtype=object),
        unit_ids=np.array([u.unit_id for u in instance.units], dtype=object),
        municipality_ids=np.array([m.municipality_id for m in instance.municipalities], dtype=object),
        neighbourhood_ids=np.array([n.neighbourhood_id for n in instance.neighbourhoods], dtype=object),
        client_origin=np.array([m_index[c.origin_municipality_id] for c in clients], dtype=np.int64),
        client_current=np.array(
            [m_index[c.current_municipality_id] if c.current_municipality_id else -1 for c in clients],
            dtype=np.int64,
        ),
        client_intensity=np.array([intensity_code[c.support_intensity] for c in clients], dtype=np.int64),
        client_household=np.array([c.household_size for c in clients], dtype=np.int64),
        client_max_rent=np.array(
            [np.inf if c.max_rent is None else c.max_rent for c in clients], dtype=float
        ),
        client_needs_accessible=np.array([c.needs_accessible for c in clients], dtype=bool),
        client_allowed_types=np.array(
            [
                type_mask(
                    c.eligible_types
                    if c.eligible_types is not None
                    else policy.compatibility[c.support_intensity]
                )
                for c in clients
            ],
            dtype=np.int64,
        ),
        client_ready=np.array([c.ready_from is None or c.ready_from <= end for c in clients], dtype=bool),
        client_weight=weight,
        client_urgency=np.array([URGENCIES.index(c.urgency) for c in clients], dtype=np.int64),
        client_weeks=weeks,
        client_registered=np.array([c.registered_on.toordinal() for c in clients], dtype=np.int64),
        client_own_unit=own_unit,
        client_persons=np.array([c.persons for c in clients], dtype=np.int64),
        client_young_adult=np.array([c.young_adult for c in clients], dtype=bool),
        client_housing_first=np.array([c.housing_first for c in clients], dtype=bool),
        unit_type=np.array([type_code[u.type] for u in instance.units], dtype=np.int64),
        unit_municipality=np.array([m_index[u.municipality_id] for u in instance.units], dtype=np.int64),
        unit_neighbourhood=np.array([n_index[u.neighbourhood_id] for u in instance.units], dtype=np.int64),
        unit_rent=np.array([u.rent for u in instance.units], dtype=float),
        unit_max_household=np.array([u.max_household for u in instance.units], dtype=np.int64),
        unit_accessible=np.array([u.accessible for u in instance.units], dtype=bool),
        unit_available=np.array([u.available_from <= end for u in instance.units], dtype=bool),
        unit_exempt=np.array([u.type in policy.spreading.exempt_types for u in instance.units], dtype=bool),
        unit_permanent=np.array([u.permanent for u in instance.units], dtype=bool),
        unit_occupant=occupant,
        unit_young_adults_only=np.array([u.young_adults_only for u in instance.units], dtype=bool),
        municipality_region=np.array(
            [regions.index(m.region) for m in instance.municipalities], dtype=np.int64
        ),
        municipality_population=np.array([m.population for m in instance.municipalities], dtype=np.int64),
        municipality_max_intake=np.array(
            [-1 if m.max_intake is None else m.max_intake for m in instance.municipalities], dtype=np.int64
        ),
        municipality_target_share=np.array(
            [np.nan if m.target_share is None else m.target_share for m in instance.municipalities],
            dtype=float,
        ),
        municipality_placed_so_far=np.array(
            [m.placed_so_far for m in instance.municipalities], dtype=np.int64
        ),
        neighbourhood_municipality=np.array(
            [m_index[n.municipality_id] for n in instance.neighbourhoods], dtype=np.int64
        ),
        neighbourhood_cap=np.array(caps, dtype=float),
        neighbourhood_recent_load=np.array([float(load) for load in recent], dtype=float),
        neighbourhood_room=np.array(rooms, dtype=np.int64),
        neighbourhood_closed=np.array(
            [
                n.closed_until is not None and policy.period.start <= n.closed_until
                for n in instance.neighbourhoods
            ],
            dtype=bool,
        ),
        load_weight=np.array([policy.spreading.load_weight[s] for s in INTENSITIES], dtype=np.int64),
        slots={
            (m_index[s.municipality_id], intensity_code[s.support_intensity]): s.slots
            for s in instance.support_capacity
        },
        permanent_points=np.array(
            [
                intensity in SETTLED_INTENSITIES and not all(u.permanent for u in instance.units)
                for intensity in INTENSITIES
            ],
            dtype=bool,
        ),
        agreements=build_agreement_arrays(instance),
        **_provider_arrays(instance, m_index),
    )


def _provider_arrays(instance: Instance, m_index: dict[str, int]) -> dict:
    """The care providers of provider_capacity.csv (rule 6): their names in file order, per client
    the index of theirs (-1 when none or without a row), and the slots per (provider, municipality)."""
    names = tuple(dict.fromkeys(s.provider for s in instance.provider_capacity))
    p_index = {name: k for k, name in enumerate(names)}
    return {
        "provider_names": names,
        "client_provider": np.array(
            [p_index.get(c.provider, -1) if c.provider else -1 for c in instance.clients],
            dtype=np.int64,
        ),
        "provider_slots": {
            (p_index[s.provider], m_index[s.municipality_id]): s.slots for s in instance.provider_capacity
        },
    }


def homes(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Per client the index of the unit they live in now (-1 when it is not among the units),
    and per unit the index of the client who lives in it (-1 when none). The reader refuses a
    `current_unit_id` two clients share; an instance built otherwise keeps the first client."""
    u_index = {u.unit_id: k for k, u in enumerate(instance.units)}
    own_unit = np.full(len(instance.clients), -1, dtype=np.int64)
    occupant = np.full(len(instance.units), -1, dtype=np.int64)
    for row, client in enumerate(instance.clients):
        unit = u_index.get(client.current_unit_id or "", -1)
        if unit >= 0 and occupant[unit] < 0:
            own_unit[row], occupant[unit] = unit, row
    return own_unit, occupant
