"""A client ready to move out of BW, MO, VO or residential youth care."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from matcher.i18n import _
from models.fields import (
    FROZEN,
    Bool,
    Day,
    Id,
    IdList,
    Intensity,
    Source,
    TargetGroup,
    UnitTypeList,
    Urgency,
)
from models.privacy import shown
from models.problems import Problem

# Intensities whose clients should get a home they can stay in (`preference.permanent`, issue 14)
SETTLED_INTENSITIES: tuple[str, ...] = ("light", "ambulant")

# The words a coordinator may type for a target group (issue 14, item 6), compared in lower case
# with runs of spaces as one: the codes and the programmes' Dutch words.
TARGET_GROUP_WORDS: dict[str, str] = {
    "young_adult": "young_adult",
    "jongere": "young_adult",
    "jongeren": "young_adult",
    "family": "family",
    "gezin": "family",
    "gezinnen": "family",
    "housing_first": "housing_first",
    "housing first": "housing_first",
}
# a client from residential youth care (source jeugd) is a young adult too: youth care ends by 23
YOUNG_ADULT_SOURCES: tuple[str, ...] = ("jeugd",)


def _target_groups(value: object) -> object:
    """`Jongere; GEZIN` → ("young_adult", "family"): each item a code or a Dutch word, any case,
    each group once; an unknown word is refused with the words allowed."""
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list | tuple):
        return value
    groups: list[str] = []
    for position, item in enumerate(value, start=1):
        word = " ".join(str(item).split()).lower()
        if not word:
            continue
        group = TARGET_GROUP_WORDS.get(word)
        if group is None:  # the value is not repeated: it may be anything a person typed
            raise ValueError(
                _(
                    "item {position} is not a target group: use young_adult (jongere), family "
                    "(gezin) or housing_first (housing first), several separated by ;",
                    position=position,
                )
            )
        if group not in groups:
            groups.append(group)
    return tuple(groups)


class Client(BaseModel):
    """A person with a priority decision (urgentie) waiting for a unit; known by pseudonym only."""

    model_config = FROZEN

    client_id: Id
    source: Source
    origin_municipality_id: Id
    current_municipality_id: str | None = None
    support_intensity: Intensity
    household_size: int = Field(default=1, ge=1)
    max_rent: float | None = Field(default=None, ge=0)
    needs_accessible: Bool = False
    eligible_types: UnitTypeList | None = None
    preferred_municipalities: IdList = ()
    excluded_municipalities: IdList = ()
    excluded_neighbourhoods: IdList = ()
    urgency: Urgency = "normal"
    registered_on: Day
    ready_from: Day | None = None
    # the unit the client lives in now under a trajectory contract: when it is among this week's
    # units, it is offered to this client only, to stay (omklappen, issue 14)
    current_unit_id: Id | None = None
    # the care provider (zorgaanbieder, an organisation) giving the support after the move (issue
    # 14, item 5): compared exactly as written after trimming, as `landlord` is
    provider: Id | None = None
    # the target groups the coordinator marks (issue 14, item 6): young_adult (18 up to and
    # including 27), family (a household with minor children), housing_first
    target_groups: Annotated[tuple[TargetGroup, ...], BeforeValidator(_target_groups)] = ()
    # two clients sharing one home (woningdelen, issue 14, item 6): the other client's pseudonym;
    # the two are one household of this row (its size counts both), listed once
    shares_home_with: Id | None = None

    @field_validator("shares_home_with")
    @classmethod
    def _a_household_of_two(cls, other: str | None, info: ValidationInfo) -> str | None:
        if other is not None and info.data.get("household_size", 2) < 2:
            raise ValueError(
                _(
                    "two clients sharing one home are a household of at least 2, but household_size "
                    "is 1: give the household's size (both of them and any children)"
                )
            )
        return other

    @property
    def persons(self) -> int:
        """Clients of the scheme moving in with this row: 2 when two share one home, else 1."""
        return 2 if self.shares_home_with else 1

    @field_validator("target_groups")
    @classmethod
    def _family_has_children(cls, groups: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if "family" in groups and info.data.get("household_size") == 1:
            raise ValueError(
                _(
                    "family (gezin) is a household with minor children, but household_size is 1: "
                    "give the household's size (parent and children), or remove family"
                )
            )
        return groups

    def in_group(self, group: str) -> bool:
        """Whether the client belongs to `group`: their source, or a target group they are marked
        with; a client from youth care (source jeugd) is a young adult too."""
        return (
            group == self.source
            or group in self.target_groups
            or (group == "young_adult" and self.source in YOUNG_ADULT_SOURCES)
        )

    @property
    def young_adult(self) -> bool:
        """Target group young_adult, or from youth care (eligibility rule 11)."""
        return self.in_group("young_adult")

    @property
    def housing_first(self) -> bool:
        """Target group housing_first (eligibility rule 12)."""
        return "housing_first" in self.target_groups

    @property
    def family(self) -> bool:
        """Target group family (`priority.family_bonus`)."""
        return "family" in self.target_groups

    def stays_in(self, unit_id: str) -> bool:
        """True when `unit_id` is the home the client lives in (omklappen: no new load)."""
        return self.current_unit_id is not None and self.current_unit_id == unit_id


def sharing_problems(clients: Sequence[Client], rows: Sequence[int | None] | None = None) -> list[Problem]:
    """`shares_home_with` names the other client of a shared home, who is listed in this row only:
    not the client themself, not a client_id of another row, not named by two rows."""
    rows = rows if rows is not None else [None] * len(clients)
    ids = {client.client_id for client in clients}
    named: dict[str, int | None] = {}
    problems = []
    for client, row in zip(clients, rows):
        other = client.shares_home_with
        if other is None:
            continue
        message = None
        if other == client.client_id:
            message = _("a client cannot share a home with themself: give the other client's id")
        elif other in ids:
            message = _(
                "{other} has a row of their own: two clients sharing one home are listed once, in one "
                "row (household_size counts both); remove the other row or this cell",
                other=shown(other),
            )
        elif other in named:
            message = _(
                "{other} already shares a home with another client (row {row}): a shared home is for two",
                other=shown(other),
                row=named[other],
            )
        named.setdefault(other, row)
        if message:
            problems.append(Problem(file="clients.csv", row=row, column="shares_home_with", message=message))
    return problems


def shared_home_problems(
    clients: Sequence[Client], rows: Sequence[int | None] | None = None
) -> list[Problem]:
    """A `current_unit_id` that more than one client names: a unit is home to one client (one
    household) at a time, so which of them may stay is unclear. One problem per row after the first."""
    rows = rows if rows is not None else [None] * len(clients)
    first: dict[str, int | None] = {}
    problems = []
    for client, row in zip(clients, rows):
        unit = client.current_unit_id
        if unit is None:
            continue
        if unit not in first:
            first[unit] = row
            continue
        where = _(" (row {row})", row=first[unit]) if first[unit] is not None else ""
        problems.append(
            Problem(
                file="clients.csv",
                row=row,
                column="current_unit_id",
                message=_(
                    "unit {unit} is already the current unit of another client{where}: a unit is home "
                    "to one client; correct the current_unit_id of one of them",
                    unit=shown(unit),
                    where=where,
                ),
            )
        )
    return problems
