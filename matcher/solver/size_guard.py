"""Limits instead of collapse: budgets for the input files, and the formulation's size before it is built.

Two layers, each refusing with a clear message instead of running out of memory halfway:

- **Input budgets** (`InputLimits`): rows per file, bytes per file, and for a workbook the
  uncompressed size and compression ratio of its zipped parts. `matcher.io.read` checks them
  while reading, before a row becomes an object, so an 800,000-client file or a zip bomb is
  refused in about a second.
- **Pairs and memory** (`pair_budget`): the formulation has one variable per eligible
  (client, unit) pair, so pairs drive memory and time. Nothing is limited when every client
  with every unit fits. Otherwise the eligibility rules build the pairs in blocks of clients and
  stop as soon as there are more than the limits admit (`TooManyPairs`); the refusal then counts
  them exactly (`refuse_counted`). Only when clients × units is too large to count quickly does a
  random sample stratified over all clients decide first, and only to refuse: an instance is let
  through on an exact count, never on an estimate. `check_limits` counts without building (the
  same verdict); `check_pairs` enforces the limit again on the pairs the rules produced.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from models import Instance, InvalidInstance, Problem

if TYPE_CHECKING:  # numpy is imported where a count needs it: `validate` reads without it
    import numpy as np

DEFAULT_MAX_PAIRS = 20_000_000
SAMPLE_CLIENTS = 1_000
SAMPLE_SEED = 20_261_123  # fixed: the same instance always gets the same verdict
# Above this many client × unit cells the exact count takes longer than a few seconds (about
# 20 ns a cell with all nine rules: 200 million in 3.7 s), so a sample decides first whether to
# refuse at once.
EXACT_COUNT_CELLS = 200_000_000
# A sample refuses only when the pairs are above the limit with a margin of this many standard
# errors; otherwise the pairs are counted exactly.
SAMPLE_SIGMAS = 4
COUNT_BLOCK_CELLS = 4_000_000  # client × unit cells counted at a time (4 MB of booleans)

# Peak memory of `matcher solve` (the whole process: reading, eligibility, the lexicographic
# solve, unmatched reasons, writing), fitted to the peak RSS of eight generated four-region
# instances from 4,000 × 1,600 to 800,000 × 5, measured with /usr/bin/time -v (least squares:
# 269 MiB + 456 bytes a pair + 4,633 a client + 1,078 a unit; docs/reliability.md, section 5),
# rounded up so that the model is 7-29% above every measured peak: a base for Python, numpy,
# pandas and OR-Tools; bytes per eligible pair through the solve; bytes per client and per unit
# (the row as a pydantic object, its arrays, reasons and output rows); and the dense client ×
# municipality masks of the eligibility rules. The model before it had no term per client and
# predicted 1.7 GiB where 800,000 clients took 5.0 GiB.
BASE_BYTES = 300 * 2**20
BYTES_PER_PAIR = 550
BYTES_PER_CLIENT = 5_500
BYTES_PER_UNIT = 2_500
BYTES_PER_CLIENT_MUNICIPALITY = 18

# Input budgets: far above any region's week (a few thousand rows), below what the memory model
# above lets a 24 GiB machine read and solve.
DEFAULT_MAX_ROWS = 200_000
DEFAULT_MAX_FILE_BYTES = 64 * 2**20
DEFAULT_MAX_UNZIPPED_BYTES = 200_000_000
DEFAULT_MAX_COMPRESSION_RATIO = 100  # Apache POI's default for .xlsx: 1 compressed byte to 100
RATIO_FROM_BYTES = 100 * 2**10  # ... checked for parts above 100 KiB, as POI does
MAX_ZIP_PARTS = 10_000
ENVIRONMENT = {
    "max_rows": "MATCHER_MAX_ROWS",
    "max_file_bytes": "MATCHER_MAX_FILE_MB",
    "max_unzipped_bytes": "MATCHER_MAX_UNZIPPED_MB",
}


@dataclass(frozen=True)
class InputLimits:
    """Budgets for the input files, checked by the reader before a row becomes an object.

    Override them in code (`read_instance(path, limits=InputLimits(max_rows=500_000))`) or for
    the command line with the environment variables MATCHER_MAX_ROWS, MATCHER_MAX_FILE_MB and
    MATCHER_MAX_UNZIPPED_MB, on a machine with the memory (see `memory_bytes`).
    """

    max_rows: int = DEFAULT_MAX_ROWS  # data rows in one file or sheet
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # one CSV file, policy.yaml or .xlsx workbook on disk
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES  # all parts of a workbook, uncompressed
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO  # one part of a workbook

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> InputLimits:
        """The defaults, with any of MATCHER_MAX_ROWS, MATCHER_MAX_FILE_MB, MATCHER_MAX_UNZIPPED_MB
        set in the environment (a whole number; megabytes are 2**20 bytes for files, 10**6 unzipped)."""
        environ = dict(os.environ) if environ is None else environ
        values: dict[str, int] = {}
        for field, name in ENVIRONMENT.items():
            text = environ.get(name, "").strip()
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise InvalidInstance(
                    [Problem(file=name, message=f"{text!r} is not a whole number ≥ 1: unset it or give one")]
                )
            number = int(text)
            unit = {"max_rows": 1, "max_file_bytes": 2**20, "max_unzipped_bytes": 10**6}[field]
            values[field] = number * unit
        return cls(**values)


@dataclass(frozen=True)
class SizeEstimate:
    """How big the formulation of an instance will be, before it is built."""

    clients: int
    units: int
    pairs: int  # eligible pairs: exact, or estimated from a sample of clients
    sampled_clients: int  # clients the count rests on; equal to `clients` when exact
    bytes: int  # estimated peak memory of a solve
    standard_error: float = 0.0  # of `pairs`, when estimated from a sample

    @property
    def upper_bound(self) -> int:
        """Every client with every unit: the most pairs there can be."""
        return self.clients * self.units

    @property
    def exact(self) -> bool:
        return self.sampled_clients == self.clients

    @property
    def surely_above(self) -> int:
        """Pairs the instance has at least, with SAMPLE_SIGMAS standard errors of margin."""
        return max(0, math.floor(self.pairs - SAMPLE_SIGMAS * self.standard_error))


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


def memory_bytes(pairs: int, clients: int, municipalities: int, units: int = 0) -> int:
    """Estimated peak memory of reading and solving an instance with this many pairs."""
    return (
        BASE_BYTES
        + BYTES_PER_PAIR * pairs
        + BYTES_PER_CLIENT * clients
        + BYTES_PER_UNIT * units
        + BYTES_PER_CLIENT_MUNICIPALITY * clients * municipalities
    )


def default_max_bytes() -> int:
    """Four fifths of this machine's physical memory (24 GiB machine: 19.2 GiB)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.8)
    except (ValueError, OSError, AttributeError):  # no sysconf: assume a 16 GiB machine
        return int(16 * 2**30 * 0.8)


def sample_positions(n_clients: int, sample: int) -> np.ndarray:
    """`sample` client positions spread evenly over the file, first and last included."""
    import numpy as np

    if n_clients <= sample:
        return np.arange(n_clients)
    return np.unique(np.linspace(0, n_clients - 1, sample).round().astype(np.int64))


def stratified_positions(n_clients: int, sample: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """One random client from each of `sample` equal stretches of the file (all when fewer).

    Every client can be drawn, so no pattern in the file (every tenth client ineligible, the
    eligible ones at the end) can hide from the sample the way it can from evenly spaced
    positions; the stretches keep the sample spread over the whole file.
    """
    import numpy as np

    if n_clients <= sample:
        return np.arange(n_clients)
    edges = np.linspace(0, n_clients, sample + 1).round().astype(np.int64)
    rng = np.random.default_rng(seed)
    return edges[:-1] + (rng.random(sample) * (edges[1:] - edges[:-1])).astype(np.int64)


def _part(instance: Instance, positions: np.ndarray) -> Instance:
    """The instance with only the clients at `positions` (and their declined pairs)."""
    clients = tuple(instance.clients[int(k)] for k in positions)
    kept = {client.client_id for client in clients}
    return instance.model_construct(
        **{
            **dict(instance),
            "clients": clients,
            "declined": tuple(d for d in instance.declined if d.client_id in kept),
        }
    )


def _pairs_by_client(instance: Instance) -> np.ndarray:
    """Eligible pairs of every client, counted with the engine's rules (RULE_BOOK) in blocks of
    clients: the same masks as `matcher.rules.eligibility.eligible_pairs`, but no pair is kept,
    so memory stays at one block (COUNT_BLOCK_CELLS cells) however large the instance."""
    import numpy as np

    from matcher.rules.eligibility import RULE_BOOK, Eligibility

    rules = Eligibility(instance)  # arrays and client sets; the pairs themselves are never built
    arrays, sets = rules.arrays, rules.sets
    n_clients, n_units = arrays.n_clients, arrays.n_units
    counts = np.zeros(n_clients, dtype=np.int64)
    step = max(1, COUNT_BLOCK_CELLS // max(1, n_units))
    for start in range(0, n_clients, step):
        block = slice(start, min(n_clients, start + step))
        allowed = np.ones((block.stop - block.start, n_units), dtype=bool)
        for rule in RULE_BOOK:
            allowed &= rule.allows(arrays, sets, block, instance.policy.origin_rule)
        counts[block] = np.count_nonzero(allowed, axis=1)
    return counts


def pairs_per_client(instance: Instance, positions: np.ndarray) -> np.ndarray:
    """Eligible pairs of each client at `positions`, by the engine's own rules, against all units."""
    return _pairs_by_client(_part(instance, positions))


def count_pairs(instance: Instance, positions: np.ndarray) -> int:
    """Eligible pairs of the clients at `positions`, by the engine's own rules, against all units."""
    return int(pairs_per_client(instance, positions).sum())


def count_all_pairs(instance: Instance) -> int:
    """Every eligible pair of the instance, counted exactly (see `_pairs_by_client`)."""
    return int(_pairs_by_client(instance).sum())


def _estimate(instance: Instance, pairs: int, sampled: int, standard_error: float = 0.0) -> SizeEstimate:
    n_clients, n_units = len(instance.clients), len(instance.units)
    return SizeEstimate(
        clients=n_clients,
        units=n_units,
        pairs=pairs,
        sampled_clients=sampled,
        bytes=memory_bytes(pairs, n_clients, len(instance.municipalities), n_units),
        standard_error=standard_error,
    )


def estimate_size(instance: Instance, sample: int = SAMPLE_CLIENTS) -> SizeEstimate:
    """Eligible pairs and peak memory: exact up to `sample` clients, else from a stratified sample.

    The estimate is clients × the sample's mean pairs per client, with its standard error (the
    sample's spread, corrected for the share of clients sampled).
    """
    n_clients, n_units = len(instance.clients), len(instance.units)
    positions = stratified_positions(n_clients, sample)
    if not (n_clients and n_units):
        return _estimate(instance, 0, n_clients)
    counts = pairs_per_client(instance, positions)
    if len(positions) == n_clients:
        return _estimate(instance, int(counts.sum()), n_clients)
    share = len(positions) / n_clients
    spread = float(counts.std(ddof=1)) if len(counts) > 1 else float(counts.max(initial=0))
    error = n_clients * spread / math.sqrt(len(positions)) * math.sqrt(1 - share)
    return _estimate(instance, round(float(counts.mean()) * n_clients), len(positions), error)


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


def _refuse_above(instance: Instance, estimate: SizeEstimate, max_pairs: int, max_bytes: int) -> None:
    if estimate.pairs > max_pairs or estimate.bytes > max_bytes:
        raise InstanceTooLarge(estimate, max_pairs, max_bytes, advice(instance))


def check_limits(
    instance: Instance, max_pairs: int = DEFAULT_MAX_PAIRS, max_bytes: int | None = None
) -> SizeEstimate | None:
    """Raise `InstanceTooLarge` when the formulation would exceed `max_pairs` or `max_bytes`.

    1. Every client with every unit within both limits: nothing is counted (returns None).
    2. Up to EXACT_COUNT_CELLS clients × units: the pairs are counted exactly (a few seconds at
       most) and the verdict rests on that count.
    3. Larger: a stratified random sample of SAMPLE_CLIENTS clients refuses at once when even
       SAMPLE_SIGMAS standard errors below its estimate the instance is too large; otherwise the
       pairs are counted exactly. An instance is never let through on an estimate.
    Returns the estimate the verdict rests on.
    """
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    if pair_budget(instance, max_pairs, max_bytes) is None:
        return None
    exact = _estimate(instance, count_all_pairs(instance), len(instance.clients))
    _refuse_above(instance, exact, max_pairs, max_bytes)
    return exact


class TooManyPairs(Exception):
    """The eligibility rules produced more pairs than `pair_budget` admits (stopped building)."""


def pair_budget(
    instance: Instance, max_pairs: int = DEFAULT_MAX_PAIRS, max_bytes: int | None = None
) -> int | None:
    """The most eligible pairs the limits admit, for the eligibility rules to enforce while they
    build the pairs (`matcher.rules.eligibility.eligible_pairs`), instead of counting them all
    first and building them again (3.5 s of a national week). None: every client with every unit
    fits. As `check_limits`, a sample of a very large instance refuses at once when it is surely
    too large; a pair count above the budget is then refused by `refuse_counted`."""
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    n_clients, n_units = len(instance.clients), len(instance.units)
    municipalities = len(instance.municipalities)
    if (
        n_clients * n_units <= max_pairs
        and memory_bytes(n_clients * n_units, n_clients, municipalities, n_units) <= max_bytes
    ):
        return None
    if n_clients * n_units > EXACT_COUNT_CELLS:
        sampled = estimate_size(instance)
        surely = sampled.surely_above
        if surely > max_pairs or memory_bytes(surely, n_clients, municipalities, n_units) > max_bytes:
            raise InstanceTooLarge(sampled, max_pairs, max_bytes, advice(instance))
    room = (max_bytes - memory_bytes(0, n_clients, municipalities, n_units)) // BYTES_PER_PAIR
    return max(0, min(max_pairs, room))


def refuse_counted(
    instance: Instance, max_pairs: int = DEFAULT_MAX_PAIRS, max_bytes: int | None = None
) -> NoReturn:
    """Raise `InstanceTooLarge` with the exact pair count, for an instance whose eligible pairs
    went over `pair_budget` (the message `check_limits` gives)."""
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    exact = _estimate(instance, count_all_pairs(instance), len(instance.clients))
    raise InstanceTooLarge(exact, max_pairs, max_bytes, advice(instance))


def check_pairs(
    instance: Instance, pairs: int, max_pairs: int = DEFAULT_MAX_PAIRS, max_bytes: int | None = None
) -> None:
    """Raise `InstanceTooLarge` (the same message as `check_limits`) when the eligible pairs the
    rules produced exceed `max_pairs` or the memory they need exceeds `max_bytes`.

    Called with the exact pairs after eligibility and before the formulation is built, so no
    estimate, however wrong, can let a larger formulation through.
    """
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    _refuse_above(instance, _estimate(instance, pairs, len(instance.clients)), max_pairs, max_bytes)
