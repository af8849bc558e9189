"""Agreements over a year (or any period): how many placements a municipality or a corporation
takes under the priority scheme, at least and at most, for all clients or one target group
(prestatieafspraken, contingenten; issue 14, item 1). `agreements.csv`, optional.

What an agreement means for a week (the one home of these rules is `matcher.rules.agreements`):
- it applies to a week whose first day lies in its period (`start ≤ period.start ≤ end`);
- its *maximum* is a hard limit: the week's pairs it counts stay within what is left of it
  (allocation rule 5);
- its *minimum* steers: the week's proposal closes as much as it can of what is behind schedule,
  after priority and preference (the level `agreements`), never at their cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from matcher.i18n import _
from models.fields import FROZEN, SOURCES, TARGET_GROUPS, Day, Id
from models.privacy import shown
from models.problems import Problem

AgreementKind = Literal["municipality", "landlord"]
AGREEMENT_KINDS: tuple[str, ...] = ("municipality", "landlord")
# a target group of an agreement: the client's source, or a target group of clients.csv
AGREEMENT_GROUPS: tuple[str, ...] = (*SOURCES, *TARGET_GROUPS)
AgreementGroup = Literal["BW", "MO", "VO", "jeugd", "young_adult", "family", "housing_first"]

FILE = "agreements.csv"


def _code(value: object) -> object:
    """`Municipality`, ` LANDLORD ` → the code (the Dutch words are read by `matcher.io.read`);
    a group keeps its case (BW, MO, VO are upper case, jeugd lower)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    lowered = text.lower()
    for code in (*AGREEMENT_KINDS, *AGREEMENT_GROUPS):
        if lowered == code.lower():
            return code
    return text


class Agreement(BaseModel):
    """At least `minimum` and at most `maximum` placements from `start` to `end` (inclusive) in a
    municipality (`party` = its id) or with a corporation (`party` = the landlord as units.csv
    writes it), for all clients or only those of `target_group`. `placed_so_far`: placements under
    it before this week that a decisions ledger does not know."""

    model_config = FROZEN

    agreement_id: Id
    kind: Annotated[AgreementKind, BeforeValidator(_code)]
    party: Id
    target_group: Annotated[AgreementGroup, BeforeValidator(_code)] | None = None
    start: Day
    end: Day
    minimum: int | None = Field(default=None, ge=0)
    maximum: int | None = Field(default=None, ge=0)
    placed_so_far: int = Field(default=0, ge=0)

    def applies(self, period_start: date) -> bool:
        """The agreement covers the week that begins on `period_start`."""
        return self.start <= period_start <= self.end

    def may_share_clients(self, other: Agreement) -> bool:
        """Whether one placement can count for both (same kind and party assumed): unless both name
        a different source, a client may be in both (a source and a target group overlap, and
        target groups overlap each other)."""
        if self.target_group is None or other.target_group is None:
            return True
        if self.target_group in SOURCES and other.target_group in SOURCES:
            return self.target_group == other.target_group
        return True


def agreement_problems(
    agreements: Sequence[Agreement], rows: Sequence[int | None] | None = None
) -> list[Problem]:
    """What is wrong within and between rows: an end before the start, a row with neither minimum
    nor maximum, a minimum above the maximum, a duplicate id, and two maxima that could count one
    placement twice (same kind and party, overlapping periods, groups that can share a client)."""
    rows = rows if rows is not None else [None] * len(agreements)
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    for agreement, row in zip(agreements, rows):
        if agreement.agreement_id in seen:
            problems.append(
                Problem(
                    file=FILE,
                    row=row,
                    column="agreement_id",
                    message=_("duplicate id {id}: ids must be unique", id=shown(agreement.agreement_id)),
                )
            )
        seen.setdefault(agreement.agreement_id, row)
        if agreement.end < agreement.start:
            problems.append(
                Problem(
                    file=FILE,
                    row=row,
                    column="end",
                    # the dates are not repeated: a date typed by mistake may be someone's birth date
                    message=_("the end lies before the start: give the agreement's last day"),
                )
            )
        if agreement.minimum is None and agreement.maximum is None:
            problems.append(
                Problem(
                    file=FILE,
                    row=row,
                    column="minimum",
                    message=_("give a minimum, a maximum or both: an agreement without either says nothing"),
                )
            )
        if (
            agreement.minimum is not None
            and agreement.maximum is not None
            and agreement.minimum > agreement.maximum
        ):
            problems.append(
                Problem(
                    file=FILE,
                    row=row,
                    column="maximum",
                    message=_("the maximum is below the minimum: correct one of them"),
                )
            )
    with_maximum = [(a, row) for a, row in zip(agreements, rows) if a.maximum is not None]
    for k, (first, first_row) in enumerate(with_maximum):
        for second, row in with_maximum[k + 1 :]:
            if (
                (first.kind, first.party) == (second.kind, second.party)
                and first.start <= second.end
                and second.start <= first.end
                and first.may_share_clients(second)
            ):
                problems.append(
                    Problem(
                        file=FILE,
                        row=row,
                        column="maximum",
                        message=_(
                            "agreements {first} (row {first_row}) and {second} both set a maximum "
                            "for {party} in overlapping periods and can count the same placement: "
                            "keep the maximum on one of them (a minimum may stay on both)",
                            first=shown(first.agreement_id),
                            first_row=first_row,
                            second=shown(second.agreement_id),
                            party=shown(first.party),
                        ),
                    )
                )
    return problems
