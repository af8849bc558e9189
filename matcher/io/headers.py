"""Column headers of the files `matcher solve` writes, in the user's language, and back.

proposals.csv, unmatched.csv, unused_units.csv and kept.csv are opened in Excel by coordinators,
so their headers are Dutch by default (`matcher.i18n`), English with `--lang en`. Every reader of
these files passes what it read through `internal_columns`, which accepts either language, so a
folder written in one language is read in the other (decision 92).

The reason column of unmatched.csv and unused_units.csv, and proposals.csv's match reason, are
words in the user's language too. In English a reason is its code (`capacity_full`), so English
files read as they always did; in Dutch it is a phrase (`capaciteit vol`). `reason_code` turns
either back into the code; summary.json counts by code in every language.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from matcher.i18n import N_, _, language
from matcher.table import Table

if TYPE_CHECKING:  # frames are passed in; reading a header needs no pandas (`check` starts faster)
    import pandas as pd

# a pandas frame or the engine's own `Table` (a weekly run writes its tables without pandas)
Frame = TypeVar("Frame", "pd.DataFrame", Table)

# internal name → the English header (a catalogue message; Dutch in matcher/locale/nl/outputs.po)
HEADERS: dict[str, str] = {
    "client_id": N_("client_id"),
    "unit_id": N_("unit_id"),
    "municipality_id": N_("municipality_id"),
    "neighbourhood_id": N_("neighbourhood_id"),
    "landlord": N_("landlord"),
    "unit_type": N_("unit_type"),
    "priority_weight": N_("priority_weight"),
    "preference_score": N_("preference_score"),
    "reason": N_("reason"),
    "detail": N_("detail"),
    # proposals.csv: what a coordinator needs to read a match without looking anything up (issue 15)
    "municipality_name": N_("municipality_name"),
    "neighbourhood_name": N_("neighbourhood_name"),
    "rent": N_("rent"),
    "available_from": N_("available_from"),
    "support_intensity": N_("support_intensity"),
    # proposals.csv: `omklappen` when the client stays in the unit they live in (issue 14)
    "match_kind": N_("match_kind"),
    # proposals.csv: the other client of two sharing one home (issue 14, item 6)
    "shares_home_with": N_("shares_home_with"),
    # a unit's address in proposals.csv, when the instance has one (issue 15)
    "street": N_("street"),
    "house_number": N_("house_number"),
    "postcode": N_("postcode"),
    "place": N_("place"),
    "complex_name": N_("complex_name"),
    "landlord_reference": N_("landlord_reference"),
    # the provider export of confirmed moves (matcher.review.provider_export; issue 14, item 5)
    "landlord_contact": N_("landlord_contact"),
    "coordinator_contact": N_("coordinator_contact"),
    "moving_date": N_("moving_date"),
    "tenancy": N_("tenancy"),
}

# the reason codes of unmatched.csv (matcher.unmatched.REASONS) and unused_units.csv
# (matcher.unused.UNUSED_REASONS): English shows the code, Dutch a phrase (matcher/locale/nl/outputs.po)
REASON_LABELS: dict[str, str] = {
    "no_eligible_unit": N_("no_eligible_unit"),
    "capacity_full": N_("capacity_full"),
    "outranked": N_("outranked"),
    "not_chosen": N_("not_chosen"),
    "eligible_clients_placed": N_("eligible_clients_placed"),
    "no_eligible_client": N_("no_eligible_client"),
}
# why a match scores its preference (matcher.rules.objectives): English as the engine says it
MATCH_LABELS: dict[str, str] = {
    "municipality of origin": N_("municipality of origin"),
    "current municipality": N_("current municipality"),
    "elsewhere in the region: no suitable unit in origin or preferred municipalities": N_(
        "elsewhere in the region: no suitable unit in origin or preferred municipalities"
    ),
}
# the words for unit types and support intensities (proposals.csv, the overview, the workbook):
# English shows the spec's code in a CSV, these words elsewhere; Dutch always the words
UNIT_TYPE_WORDS: dict[str, str] = {
    "social_rental": N_("social rental home"),
    "room": N_("room"),
    "cluster": N_("cluster home"),
    "skaeve_huis": N_("Skaeve Huis"),
}
SUPPORT_WORDS: dict[str, str] = {
    "light": N_("light"),
    "ambulant": N_("ambulant"),
    "intensive": N_("intensive"),
    "protected": N_("protected"),
}
# the kinds of match in proposals.csv's match_kind column (empty: a move to another unit)
MATCH_KINDS: dict[str, str] = {"omklappen": N_("omklappen")}
_RANKED = re.compile(r"^(\d+)(?:st|nd|rd|th) preferred municipality$")


def header(internal: str) -> str:
    """The header of one column in the user's language (unknown columns stay as they are)."""
    return _(HEADERS[internal]) if internal in HEADERS else internal


def shown_columns(frame: Frame) -> Frame:
    """A copy of `frame` with its columns renamed to the user's language, for writing."""
    return frame.rename(columns={column: header(column) for column in frame.columns})


@cache
def _known_headers() -> dict[str, str]:
    """Every output header of either language (casefolded) → its internal name."""
    from matcher.i18n import LANGUAGES, catalogue

    known: dict[str, str] = {}
    for internal, english in HEADERS.items():
        known[english.casefold()] = internal
        for code in LANGUAGES:
            translated = catalogue(code).get(english)
            if translated:
                known[translated.casefold()] = internal
    return known


def internal_name(header: str) -> str:
    """The internal name of an output header of either language (any other header as it is)."""
    return _known_headers().get(str(header).strip().casefold(), header)


def internal_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every header of either language renamed to its internal name, for reading."""
    return frame.rename(columns={c: internal_name(c) for c in frame.columns})


def reason_label(code: str) -> str:
    """An unmatched or unused reason code in the user's language (the code itself in English)."""
    return _(REASON_LABELS[code]) if code in REASON_LABELS else code


def match_label(label: str) -> str:
    """Why a match scores its preference, in the user's language (`1st preferred municipality`)."""
    ranked = _RANKED.match(label)
    if ranked:
        return label if language() == "en" else _("{rank} preferred municipality", rank=f"{ranked[1]}e")
    return _(MATCH_LABELS[label]) if label in MATCH_LABELS else label


def reason_code(text: str) -> str:
    """The code of a reason read from a file in either language (unknown text stays as it is)."""
    from matcher.i18n import LANGUAGES, catalogue

    wanted = str(text).strip().casefold()
    for code, english in REASON_LABELS.items():
        if wanted in {code, english.casefold()} | {
            catalogue(lang).get(english, english).casefold() for lang in LANGUAGES
        }:
            return code
    return str(text).strip()


def unit_type_word(code: str) -> str:
    """A unit type: the spec's code in English (as the CSV files have it), the word in Dutch."""
    return code if language() == "en" or code not in UNIT_TYPE_WORDS else _(UNIT_TYPE_WORDS[code])


def support_word(code: str) -> str:
    """A support intensity: the spec's code in English, the word in Dutch (as proposals.csv)."""
    return code if language() == "en" or code not in SUPPORT_WORDS else _(SUPPORT_WORDS[code])


def _shown_words(frame: Frame) -> Frame:
    """A copy of `frame` with its unit types and support intensities in the user's language
    (English keeps the spec's codes): proposals.csv and unused_units.csv say them alike."""
    for column, word in (("unit_type", unit_type_word), ("support_intensity", support_word)):
        if column in frame.columns and language() != "en":
            frame = frame.assign(**{column: [word(v) if isinstance(v, str) else v for v in frame[column]]})
    return frame


def shown_reasons(frame: Frame, column: str = "reason") -> Frame:
    """A copy of `frame` (unmatched.csv, unused_units.csv) with its reason codes, and the unit
    types of unused_units.csv, in the user's language, for writing."""
    frame = _shown_words(frame)
    if column not in frame.columns:
        return frame
    return frame.assign(**{column: [reason_label(str(code)) for code in frame[column]]})


def shown_match_reasons(frame: Frame) -> Frame:
    """A copy of the proposals table with its match reasons and kinds, unit types and support
    intensities in the user's language (English keeps the spec's codes), for writing."""
    if "reason" in frame.columns:
        frame = frame.assign(reason=[match_label(str(label)) for label in frame["reason"]])
    frame = _shown_words(frame)
    if "match_kind" in frame.columns:
        frame = frame.assign(
            match_kind=[_(MATCH_KINDS[kind]) if kind in MATCH_KINDS else kind for kind in frame["match_kind"]]
        )
    return frame


def match_kind_code(text: str) -> str:
    """The code of a match kind read from proposals.csv in either language (empty: a move)."""
    from matcher.i18n import LANGUAGES, catalogue

    wanted = str(text).strip().casefold()
    for code, english in MATCH_KINDS.items():
        if wanted in {code, english.casefold()} | {
            catalogue(lang).get(english, english).casefold() for lang in LANGUAGES
        }:
            return code
    return str(text).strip()
