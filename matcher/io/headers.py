"""Column headers of the files `matcher solve` writes, in the user's language, and back.

proposals.csv, unmatched.csv, unused_units.csv and kept.csv are opened in Excel by coordinators,
so their headers are Dutch by default (`matcher.i18n`), English with `--lang en`. Every reader of
these files passes what it read through `internal_columns`, which accepts either language, so a
folder written in one language is read in the other (decision 92).
"""

from __future__ import annotations

import pandas as pd

from matcher.i18n import N_, _

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
}


def header(internal: str) -> str:
    """The header of one column in the user's language (unknown columns stay as they are)."""
    return _(HEADERS[internal]) if internal in HEADERS else internal


def shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with its columns renamed to the user's language, for writing."""
    return frame.rename(columns={column: header(column) for column in frame.columns})


def internal_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every header of either language renamed to its internal name, for reading."""
    from matcher.i18n import LANGUAGES, catalogue

    known: dict[str, str] = {}
    for internal, english in HEADERS.items():
        known[english.casefold()] = internal
        for code in LANGUAGES:
            translated = catalogue(code).get(english)
            if translated:
                known[translated.casefold()] = internal
    return frame.rename(columns={c: known.get(str(c).strip().casefold(), c) for c in frame.columns})
