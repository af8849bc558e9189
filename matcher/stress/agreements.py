"""Agreements over a period: intake ceilings per municipality and support slots, used up week by week.

A region agrees how many people a municipality takes in a year (or a quarter), and how many new
clients of an intensity its support providers can take. The scenario file says what one figure
covers (`agreements.period`: week, quarter or year) and where the figures come from
(`agreements.intake` / `agreements.slots`):

- `derived`: intake ceiling = the municipality's population share of the period's expected
  vacancies × `intake_slack` (at least 1), as the generator sizes them for one instance; slots,
  for the scarce intensities (intensive, protected) in every municipality, = the municipality's
  share of new vacancies (social-rental stock) × the intensity's share of the week-1 queue × the
  period's expected vacancies × `slots_slack` (at least 1). The period's expected vacancies are
  `arrivals.units_per_week` × its weeks; the week-1 vacancies are a backlog no agreement plans for;
- `base`: the base instance's own `max_intake` and `support_capacity.csv`, read as per period;
- `none`: no ceilings, no slots;
- a mapping: exactly the figures named (a municipality not named has no ceiling).

The grid's `municipality_intake` and `support_slots` then change these figures (scale, set, drop)
as for any instance. Week by week, the placements of the current period use them up: a week's run
sees `max(0, agreed − placed so far this period)`, and each period starts afresh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from matcher.stress.places import municipality_weights, social_stock_weights
from matcher.stress.scenario import SCARCE_INTENSITIES, Agreements, Sweep, _count
from models import Instance, SupportCapacity


def agreed_instance(base: Instance, sweep: Sweep) -> Instance:
    """The base instance with the agreed figures per period in `max_intake` and support slots."""
    agreements: Agreements = sweep.agreements
    expected = sweep.arrivals.units_per_week * agreements.weeks
    municipalities = base.municipalities
    capacity = base.support_capacity
    if agreements.intake == "none":
        municipalities = tuple(m.model_copy(update={"max_intake": None}) for m in municipalities)
    elif agreements.intake == "derived":
        population = sum(m.population for m in municipalities)
        municipalities = tuple(
            m.model_copy(
                update={
                    "max_intake": max(
                        1,
                        math.ceil(agreements.intake_slack * expected * m.population / population - 1e-9),
                    )
                    if population > 0
                    else None
                }
            )
            for m in municipalities
        )
    elif isinstance(agreements.intake, dict):
        _known("municipality", set(agreements.intake), {m.municipality_id for m in municipalities})
        municipalities = tuple(
            m.model_copy(update={"max_intake": _count(agreements.intake.get(m.municipality_id))})
            for m in municipalities
        )
    if agreements.slots == "none":
        capacity = ()
    elif agreements.slots == "derived":
        share = municipality_weights(base, social_stock_weights(base))
        queue = max(1, len(base.clients))
        rows = []
        for municipality in municipalities:
            for intensity in SCARCE_INTENSITIES:
                intensity_share = sum(c.support_intensity == intensity for c in base.clients) / queue
                wanted = agreements.slots_slack * expected * float(share[municipality.municipality_id])
                rows.append(
                    SupportCapacity(
                        municipality_id=municipality.municipality_id,
                        support_intensity=intensity,
                        slots=max(1, math.ceil(wanted * intensity_share - 1e-9)),
                    )
                )
        capacity = tuple(rows)
    elif isinstance(agreements.slots, dict):
        _known("municipality", set(agreements.slots), {m.municipality_id for m in municipalities})
        rows = []
        for municipality_id, per in sorted(agreements.slots.items()):
            for intensity, cell in sorted(per.items()):
                slots = _count(cell)
                if slots is not None:
                    rows.append(
                        SupportCapacity(
                            municipality_id=municipality_id, support_intensity=intensity, slots=slots
                        )
                    )
        capacity = tuple(rows)
    return Instance.model_construct(
        municipalities=municipalities,
        neighbourhoods=base.neighbourhoods,
        units=base.units,
        clients=base.clients,
        support_capacity=capacity,
        declined=base.declined,
        policy=base.policy,
    )


def _known(kind: str, named: set[str], known: set[str]) -> None:
    unknown = named - known
    if unknown:
        raise ValueError(
            f"unknown {kind} {', '.join(sorted(unknown))}: the base has {', '.join(sorted(known))}"
        )


@dataclass
class Ledger:
    """What the agreements still allow in the current period, placement by placement."""

    weeks: int  # weeks in one period
    intake: dict[str, int]  # municipality -> agreed ceiling per period (absent: none)
    slots: dict[tuple[str, str], int]  # (municipality, intensity) -> agreed slots per period
    used_intake: dict[str, int] = field(default_factory=dict)
    used_slots: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, instance: Instance, weeks: int) -> Ledger:
        return cls(
            weeks=weeks,
            intake={
                m.municipality_id: m.max_intake for m in instance.municipalities if m.max_intake is not None
            },
            slots={(s.municipality_id, s.support_intensity): s.slots for s in instance.support_capacity},
        )

    def start_week(self, week: int) -> None:
        """Begin week `week` (0-based): a new period starts afresh."""
        if week % self.weeks == 0:
            self.used_intake.clear()
            self.used_slots.clear()

    def intake_left(self) -> dict[str, int]:
        return {m: max(0, agreed - self.used_intake.get(m, 0)) for m, agreed in self.intake.items()}

    def slots_left(self) -> dict[tuple[str, str], int]:
        return {key: max(0, agreed - self.used_slots.get(key, 0)) for key, agreed in self.slots.items()}

    def place(self, municipality: str, intensity: str) -> None:
        self.used_intake[municipality] = self.used_intake.get(municipality, 0) + 1
        key = (municipality, intensity)
        self.used_slots[key] = self.used_slots.get(key, 0) + 1

    def full(self) -> tuple[int, int]:
        """Ceilings and slot rows used up in the current period."""
        return (
            sum(left == 0 for left in self.intake_left().values()),
            sum(left == 0 for left in self.slots_left().values()),
        )
