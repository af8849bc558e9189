"""Text that spreadsheet programs will not run as a formula.

Input validation (models/fields.py) already refuses ids and landlord names that
begin with ``= + - @`` or hold control characters, so for valid instances the
neutraliser below never changes anything; it is defence in depth for every CSV
writer in the package (OWASP advice: prefix a single quote).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix ``'`` to a string that begins like a formula; leave anything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame):
    """A copy of a pandas frame whose text cells (object columns) are neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(neutralise)
    return out
