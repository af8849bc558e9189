"""Cell types shared by the domain models: how spreadsheet cells become values."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Strict

from matcher.i18n import _

FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

UnitType = Literal["social_rental", "room", "cluster", "skaeve_huis"]
UNIT_TYPES: tuple[str, ...] = ("social_rental", "room", "cluster", "skaeve_huis")
Intensity = Literal["light", "ambulant", "intensive", "protected"]
INTENSITIES: tuple[str, ...] = ("light", "ambulant", "intensive", "protected")
Source = Literal["BW", "MO", "VO", "jeugd"]
Urgency = Literal["normal", "high", "acute"]
URGENCIES: tuple[str, ...] = ("normal", "high", "acute")
SOURCES: tuple[str, ...] = ("BW", "MO", "VO", "jeugd")
# target groups a client may belong to besides their source (issue 14, item 6): young adults up
# to and including 27 (jongere), families with minor children (gezin), Housing First
TargetGroup = Literal["young_adult", "family", "housing_first"]
TARGET_GROUPS: tuple[str, ...] = ("young_adult", "family", "housing_first")

# both languages: a Dutch spreadsheet says ja/nee or WAAR/ONWAAR (Excel's Dutch booleans)
_TRUE = {"true", "yes", "1", "ja", "waar", "j", "y"}
_FALSE = {"false", "no", "0", "nee", "onwaar", "n"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _to_bool(value: object) -> object:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(_("use ja/nee, waar/onwaar, true/false, yes/no or 1/0"))
    return value


def _to_date(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise ValueError(_("use an ISO date YYYY-MM-DD, e.g. 2026-11-23"))
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("not a real calendar date; use YYYY-MM-DD")) from None
    return value


def _to_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(";") if item.strip())
    if isinstance(value, list):
        return tuple(value)
    return value


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(items)) != len(items):
        raise ValueError(_("the list names an id twice"))
    return items


def _safe_text(value: str) -> str:
    """Refuse text a spreadsheet program would run as a formula, or that holds control characters."""
    if value[:1] in ("=", "+", "-", "@"):
        raise ValueError(
            _(
                "begins with {char}: spreadsheet programs would run it as a formula; "
                "give an id that starts with a letter or digit",
                char=repr(value[0]),
            )
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError(
            _(
                "holds a control character (tab, carriage return, line feed or other); "
                "remove it so the id is plain text"
            )
        )
    return value


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError(_("must not be empty"))
    return _safe_text(value)


def _safe_items(items: tuple[str, ...]) -> tuple[str, ...]:
    for item in items:
        _safe_text(item)
    return _unique(items)


# Policy numbers: strict, so a policy value is the number written or refused, never converted:
# no `true` as 1, no text `'010'` as 10, no 7.5 cut to 7 (a whole number also refuses 7.0).
# Table cells arrive as text and keep the lax int and float, read by matcher.io.read.
Whole = Annotated[int, Strict()]
Number = Annotated[float, Strict()]  # an int is a number too; a bool or text is not

Bool = Annotated[bool, BeforeValidator(_to_bool)]
Day = Annotated[date, BeforeValidator(_to_date)]
Id = Annotated[str, AfterValidator(_not_blank)]
IdList = Annotated[tuple[str, ...], BeforeValidator(_to_list), AfterValidator(_safe_items)]
UnitTypeList = Annotated[tuple[UnitType, ...], BeforeValidator(_to_list)]
