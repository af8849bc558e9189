"""Limits instead of collapse: estimate the formulation's size before building it.

The formulation has one variable per eligible (client, unit) pair, so pairs drive memory and
time. `estimate_size` counts them exactly for small instances and otherwise from an evenly
spread sample of clients checked against every unit with the engine's own eligibility rules;
`check_limits` refuses an instance above the limit with a clear message and advice (split by
region, tighten the period) instead of running out of memory halfway through a solve.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import numpy as np

from models import Instance, InvalidInstance, Problem

DEFAULT_MAX_PAIRS = 20_000_000
SAMPLE_CLIENTS = 400
# Peak memory, measured on generated instances (docs/reliability.md): a fixed base for Python,
# numpy, pandas and OR-Tools, about 400-550 bytes per eligible pair through the lexicographic
# solve (600 with margin), and 18 bytes per client × municipality cell of the dense masks.
BASE_BYTES = 200 * 2**20
BYTES_PER_PAIR = 600
BYTES_PER_CLIENT_MUNICIPALITY = 18


@dataclass(frozen=True)
class SizeEstimate:
    """How big the formulation of an instance will be, before it is built."""

    clients: int
    units: int
    pairs: int  # eligible pairs: exact, or estimated from a sample of clients
    sampled_clients: int  # clients the count rests on; equal to `clients` when exact
    bytes: int  # estimated peak memory of a solve

    @property
    def upper_bound(self) -> int:
        """Every client with every unit: the most pairs there can be."""
        return self.clients * self.units

    @property
    def exact(self) -> bool:
        return self.sampled_clients == self.clients


class InstanceTooLarge(InvalidInstance):
    """The instance would need more pairs or memory than allowed; the message says what to do."""

    def __init__(self, estimate: SizeEstimate, max_pairs: int, max_bytes: int, advice: list[str]):
        self.estimate, self.max_pairs, self.max_bytes = estimate, max_pairs, max_bytes
        about = "" if estimate.exact else "about "
        message = (
            f"too large to solve in one run: {about}{estimate.pairs:,} eligible pairs "
            f"({estimate.clients:,} clients × {estimate.units:,} units; limit {max_pairs:,} pairs), "
            f"needing about {_gib(estimate.bytes)} of memory (at most {_gib(max_bytes)} here). "
            + " ".join(advice)
        )
        super().__init__([Problem(file="instance", message=message)])
        self.message = message

    def __str__(self) -> str:
        return self.message


def _gib(count: int) -> str:
    return f"{count / 2**30:.1f} GiB"


def memory_bytes(pairs: int, clients: int, municipalities: int) -> int:
    """Estimated peak memory of solving a formulation with this many pairs."""
    return BASE_BYTES + BYTES_PER_PAIR * pairs + BYTES_PER_CLIENT_MUNICIPALITY * clients * municipalities


def default_max_bytes() -> int:
    """Four fifths of this machine's physical memory (24 GiB machine: 19.2 GiB)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.8)
    except (ValueError, OSError, AttributeError):  # no sysconf: assume a 16 GiB machine
        return int(16 * 2**30 * 0.8)


def sample_positions(n_clients: int, sample: int) -> np.ndarray:
    """`sample` client positions spread evenly over the file, first and last included."""
    if n_clients <= sample:
        return np.arange(n_clients)
    return np.unique(np.linspace(0, n_clients - 1, sample).round().astype(np.int64))


def count_pairs(instance: Instance, positions: np.ndarray) -> int:
    """Eligible pairs of the clients at `positions`, by the engine's own rules, against all units."""
    from matcher.rules.eligibility import Eligibility

    clients = tuple(instance.clients[int(k)] for k in positions)
    kept = {client.client_id for client in clients}
    part = instance.model_construct(
        **{
            **dict(instance),
            "clients": clients,
            "declined": tuple(d for d in instance.declined if d.client_id in kept),
        }
    )
    return len(Eligibility(part).pairs)


def estimate_size(instance: Instance, sample: int = SAMPLE_CLIENTS) -> SizeEstimate:
    """Eligible pairs and peak memory: exact up to `sample` clients, else scaled from a sample."""
    n_clients, n_units = len(instance.clients), len(instance.units)
    positions = sample_positions(n_clients, sample)
    counted = count_pairs(instance, positions) if n_clients and n_units else 0
    pairs = counted if len(positions) == n_clients else round(counted * n_clients / len(positions))
    return SizeEstimate(
        clients=n_clients,
        units=n_units,
        pairs=pairs,
        sampled_clients=len(positions),
        bytes=memory_bytes(pairs, n_clients, len(instance.municipalities)),
    )


def advice(instance: Instance) -> list[str]:
    """What a coordinator or planner can do about an instance that is too large."""
    region_of = {m.municipality_id: m.region for m in instance.municipalities}
    regions = Counter(region_of.get(c.origin_municipality_id, "?") for c in instance.clients)
    tips = []
    if len(regions) > 1:
        largest = ", ".join(f"{region} ({count:,} clients)" for region, count in regions.most_common(3))
        tips.append(f"Split the instance by region: it spans {len(regions)} regions, the largest {largest}.")
    else:
        tips.append(
            "Split the instance: by municipality cluster or by unit type (one run for rooms "
            "and social rental, one for cluster housing)."
        )
    days = instance.policy.period.days
    tips.append(
        f"Tighten the period (now {days} days): fewer clients and units are ready within a shorter one."
    )
    tips.append("Or raise the limit (--max-pairs) on a machine with the memory.")
    return tips


def check_limits(
    instance: Instance, max_pairs: int = DEFAULT_MAX_PAIRS, max_bytes: int | None = None
) -> None:
    """Raise `InstanceTooLarge` when the formulation would exceed `max_pairs` or `max_bytes`.

    Cheap: nothing is sampled when every client with every unit fits; otherwise a sample of
    SAMPLE_CLIENTS clients is checked against all units (well under a second for 100,000 units).
    """
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    n_clients, n_units = len(instance.clients), len(instance.units)
    municipalities = len(instance.municipalities)
    if (
        n_clients * n_units <= max_pairs
        and memory_bytes(n_clients * n_units, n_clients, municipalities) <= max_bytes
    ):
        return
    estimate = estimate_size(instance)
    if estimate.pairs > max_pairs or estimate.bytes > max_bytes:
        raise InstanceTooLarge(estimate, max_pairs, max_bytes, advice(instance))
