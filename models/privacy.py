"""Guards against personal data where only pseudonyms belong."""

from __future__ import annotations

import re

_DIGIT_RUN = re.compile(r"\d{8,9}")


def passes_eleven_test(digits: str) -> bool:
    """True when 8 or 9 digits form a valid Dutch citizen service number (BSN, elfproef)."""
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    digits = digits.zfill(9)
    if digits == "000000000":
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:8], range(9, 1, -1)))
    return (total - int(digits[8])) % 11 == 0


def looks_like_bsn(identifier: str) -> bool:
    """True when the id is, or contains, a run of 8–9 digits that passes the BSN 11-test."""
    for match in _DIGIT_RUN.finditer(identifier):
        run = match.group()
        # a longer digit run is not a BSN on its own, but any 9-digit window of it could be
        if passes_eleven_test(run):
            return True
    long_runs = re.findall(r"\d{10,}", identifier)
    return any(
        passes_eleven_test(run[start : start + 9])
        for run in long_runs
        for start in range(len(run) - 8)
    )
