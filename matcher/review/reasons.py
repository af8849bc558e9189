"""The decline reason codes, and what a decline with each one rules out and for how long.

One home for the codes a landlord (in the review workbook) or a client (through `matcher record`)
may give. Each code has its words, whether a client's decline with it counts as a refusal of a
suitable offer (the refusal rule), and its default **scope** and **duration**: a decline rules
out, for this client, the declined unit only (`unit`), or every unit of the same site,
neighbourhood, landlord or municipality, for a number of weeks or for good (allocation rules,
history rule). The coordinator overrides both per decision (`matcher record --scope --until`);
the ledger stores the scope and end date it applied, and the code's words as they were then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Reason:
    """One decline reason code."""

    code: str
    words: str  # what the code means, shown in workbooks and messages
    scope: str = "unit"  # what a decline with this code rules out by default
    weeks: int | None = None  # for how many periods (weeks) from the decision's; None: for good
    refusal: bool = True  # a client's decline with this code counts for the refusal rule

    @property
    def lasts(self) -> str:
        """The default scope and duration in a coordinator's words."""
        what = "this unit only" if self.scope == "unit" else f"every unit of the same {self.scope}"
        return what + (f", for {self.weeks} weeks" if self.weeks else ", for good")


LANDLORD: tuple[Reason, ...] = (
    Reason("unit_not_available", "the unit is no longer available (repairs, other tenant, sale)"),
    Reason("household_does_not_fit", "the household does not fit the unit"),
    Reason("support_not_arranged", "support by a provider is needed but not (yet) arranged", weeks=4),
    Reason(
        "neighbourhood_situation",
        "the situation in the street or complex cannot take this placement now",
        "site",
        weeks=13,
    ),
    Reason("rent_not_affordable", "rent too high for the household's income (passend toewijzen)"),
    Reason("previous_tenancy", "earlier tenancy problems (arrears, nuisance) not yet resolved", "landlord"),
    Reason("other", "another reason: explain it in the note column"),
)
CLIENT: tuple[Reason, ...] = (
    Reason("location", "does not want to live in this place", "neighbourhood", weeks=26),
    Reason("unit_not_wanted", "does not want this unit (type, size, condition)", "site"),
    Reason("no_response", "did not respond or did not attend the viewing"),
    Reason("other", "another reason: explain it in the note"),
    Reason("unsuitable", "the unit does not suit the client's needs (the coordinator agrees)", refusal=False),
    Reason(
        "safety",
        "the location is unsafe for the client (the coordinator verified)",
        "neighbourhood",
        refusal=False,
    ),
    Reason("circumstances_changed", "the client's situation changed; not a refusal", refusal=False),
)
BOOK: dict[str, dict[str, Reason]] = {
    "landlord": {reason.code: reason for reason in LANDLORD},
    "client": {reason.code: reason for reason in CLIENT},
}
SCOPES = ("unit", "site", "neighbourhood", "landlord", "municipality")


def reason(party: str, code: str | None) -> Reason:
    """The reason a party gave (`other` when none was given or the code is unknown)."""
    book = BOOK.get(party, BOOK["client"])
    return book.get(code or "other", book["other"])


def default_until(reason_: Reason, period_start: date) -> date | None:
    """The last period start on which a decline with this reason still holds (None: for good).

    A decline for `weeks` weeks holds in the decision's own week and the `weeks − 1` after it:
    `until = period_start + 7·weeks − 1 day`.
    """
    if reason_.weeks is None:
        return None
    return period_start + timedelta(days=7 * reason_.weeks - 1)
