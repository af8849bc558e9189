"""The realisation of agreements: placements counted against (who, period, minimum, maximum).

An agreement is generic: a gemeente or a corporatie (`kind`), a period (first and last day,
inclusive), an optional minimum and an optional maximum. Today the only agreements come from the
instances: each week's `max_intake` of a gemeente is a ceiling for that week, and over a longer
period the ceilings of its weeks add up. Yearly agreements (another issue) are added as more
`Agreement` rows; `realisation` needs nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

KINDS = ("gemeente", "corporatie")
BELOW = "below minimum"
ABOVE = "above maximum"
WITHIN = "within"


@dataclass(frozen=True)
class Agreement:
    """Who must or may house how many in which period."""

    who: str  # a municipality id or a corporatie's name
    kind: str  # gemeente | corporatie
    start: date
    end: date  # inclusive
    minimum: int | None = None
    maximum: int | None = None
    basis: str = ""  # where it comes from: "max_intake" (the instances), or a later source's name
    weeks: int = 0  # max_intake: how many weekly ceilings it adds up


@dataclass(frozen=True)
class Realised:
    """An agreement and what was placed under it."""

    agreement: Agreement
    placed: int

    @property
    def status(self) -> str:
        if self.agreement.minimum is not None and self.placed < self.agreement.minimum:
            return BELOW
        if self.agreement.maximum is not None and self.placed > self.agreement.maximum:
            return ABOVE
        return WITHIN

    @property
    def share_of_maximum(self) -> float | None:
        """Placed as a share of the maximum; None without a maximum or with a maximum of 0."""
        maximum = self.agreement.maximum
        return self.placed / maximum if maximum else None


@dataclass(frozen=True)
class Placed:
    """What an agreement counts of a placement: where, by whom, in which week."""

    municipality_id: str | None
    landlord: str | None
    week: date


def realisation(agreements: Iterable[Agreement], placements: Sequence[Placed]) -> list[Realised]:
    """Each agreement with the placements of its gemeente or corporatie whose week lies in its period."""
    found = []
    for agreement in agreements:
        placed = sum(
            1
            for placement in placements
            if agreement.start <= placement.week <= agreement.end
            and (placement.municipality_id if agreement.kind == "gemeente" else placement.landlord)
            == agreement.who
        )
        found.append(Realised(agreement, placed))
    return found


def weekly_ceilings(weeks: Iterable[tuple[date, date, dict[str, int | None]]]) -> list[Agreement]:
    """One agreement per gemeente and week from that week's max_intake (gemeenten without one: none)."""
    return [
        Agreement(
            who=municipality,
            kind="gemeente",
            start=start,
            end=end,
            maximum=ceiling,
            basis="max_intake",
            weeks=1,
        )
        for start, end, ceilings in weeks
        for municipality, ceiling in sorted(ceilings.items())
        if ceiling is not None
    ]


def period_totals(weekly: Iterable[Realised], start: date, end: date) -> list[Realised]:
    """The weekly ceilings of each gemeente over the period, added up: per gemeente the sum of its
    weekly maxima and of what was placed in those weeks (weeks without a ceiling are left out)."""
    maximum: dict[str, int] = defaultdict(int)
    placed: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for row in weekly:
        agreement = row.agreement
        if agreement.maximum is not None and start <= agreement.start <= end:
            maximum[agreement.who] += agreement.maximum
            placed[agreement.who] += row.placed
            count[agreement.who] += 1
    return [
        Realised(
            Agreement(
                who=municipality,
                kind="gemeente",
                start=start,
                end=end,
                maximum=maximum[municipality],
                basis="max_intake",
                weeks=count[municipality],
            ),
            placed[municipality],
        )
        for municipality in sorted(maximum)
    ]
