"""Placements of other groups in the same wijken: `other_placements.csv` (optional, issue 14).

Status holders (statushouders), young people and other schemes compete for the same
neighbourhoods. Each row is one household that moved in (or got its key) on `placed_on`, and
counts `load` (default 1, in the policy's load units) in its neighbourhood's recent load while
`period.start − 7 × spreading.window_weeks days ≤ placed_on ≤ period_end`, on top of the
`recent_load` cell (`matcher.rules.load`, the one home of the effective recent load).

`group` names a group (`statushouders`, `jongeren`), never a person; `reference` is the sender's
own reference, so a row can be traced. Both are refused when they read as personal data, the
value never repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, field_validator

from matcher.i18n import N_, _
from models.fields import FROZEN, Day, Id
from models.privacy import KINDS, NAME_PREDICATES, is_bare_word, personal_data
from models.problems import Problem
from models.unit import Text

FILE = "other_placements.csv"
# a placed_on further than this after period.start is refused as a typo (a year typed wrong)
MAX_DAYS_AHEAD = 365

_GROUP_HINT = N_("name a group in one word or code, e.g. statushouders, jongeren")
_REFERENCE_HINT = N_("give the sender's case number or code, e.g. SH-2026-014")


def _personal_kind(value: str, bare_word_is_name: bool) -> str | None:
    """The kind of personal data the text reads as (a key of `models.privacy.KINDS`), or None.

    A group is a word (`statushouders`), so one bare word is no name there; a reference is a code,
    read as strictly as a client id."""
    kind = personal_data(value)
    if (
        kind == "name"
        and not bare_word_is_name
        and not any(looks(value) for looks in NAME_PREDICATES if looks is not is_bare_word)
    ):
        return None
    return kind


def _refusal(kind: str, hint: str) -> str:
    return _(
        "looks like {kind} (not repeated here): personal data does not belong in this column; {hint}",
        kind=_(KINDS[kind]),
        hint=_(hint),
    )


class OtherPlacement(BaseModel):
    """One household of another group placed in a neighbourhood, and the load it counts for."""

    model_config = FROZEN

    neighbourhood_id: Id
    placed_on: Day
    load: float = 1.0
    group: Text | None = None
    reference: Text | None = None

    @field_validator("load")
    @classmethod
    def _positive(cls, load: float) -> float:
        if not load > 0:
            raise ValueError(
                _(
                    "must be more than 0: the load this placement counts for in the policy's load "
                    "units (empty: 1); remove the row if it does not count"
                )
            )
        return load

    @field_validator("group")
    @classmethod
    def _a_group(cls, group: str | None) -> str | None:
        kind = _personal_kind(group, bare_word_is_name=False) if group else None
        if kind is not None:
            raise ValueError(_refusal(kind, _GROUP_HINT))
        return group

    @field_validator("reference")
    @classmethod
    def _a_code(cls, reference: str | None) -> str | None:
        kind = _personal_kind(reference, bare_word_is_name=True) if reference else None
        if kind is not None:
            raise ValueError(_refusal(kind, _REFERENCE_HINT))
        return reference


def too_far_ahead(
    placements: Sequence[OtherPlacement], start: date, rows: Sequence[int | None]
) -> list[Problem]:
    """Rows dated more than a year after period.start: most likely a year typed wrong. A row
    after the period but within the year is a placement to come and counts once it is in the
    window."""
    last = start + timedelta(days=MAX_DAYS_AHEAD)
    return [
        Problem(
            file=FILE,
            row=row,
            column="placed_on",
            # neither date is repeated: a date typed into period.start may be a date of birth
            message=_(
                "more than a year after the period's start (period.start in policy.yaml): correct "
                "the year, or remove the row until the placement is near"
            ),
        )
        for placement, row in zip(placements, rows)
        if placement.placed_on > last
    ]
