"""The decline reason codes, and what a decline with each one rules out and for how long.

One home for the codes a landlord (in the review workbook) or a client (through `matcher record`)
may give. Each code has its words, whether a client's decline with it counts as a refusal of a
suitable offer (the refusal rule), and its default **scope** and **duration**: a decline rules
out, for this client, the declined unit only (`unit`), or every unit of the same site,
neighbourhood, landlord or municipality, for a number of weeks or for good (allocation rules,
history rule). The coordinator overrides both per decision (`matcher record --scope --until`);
the ledger stores the scope and end date it applied, and the code's words as they were then.

The codes stay codes in data (the ledger, decision files, the workbook's drop-down); people read
each code's label and words in their language (`shown_label`, `shown_words`, `shown_lasts`:
Dutch by default, English with `--lang en`; the Dutch is in matcher/locale/nl/review.po).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from matcher.i18n import N_, _


@dataclass(frozen=True)
class Reason:
    """One decline reason code."""

    code: str
    label: str  # the code's short name (English; `shown_label` in the user's language)
    words: str  # what the code means (English, as the ledger records it; `shown_words` translated)
    scope: str = "unit"  # what a decline with this code rules out by default
    weeks: int | None = None  # for how many periods (weeks) from the decision's; None: for good
    refusal: bool = True  # a client's decline with this code counts for the refusal rule

    @property
    def lasts(self) -> str:
        """The default scope and duration in a coordinator's words (English, as documented)."""
        what = "this unit only" if self.scope == "unit" else f"every unit of the same {self.scope}"
        return what + (f", for {self.weeks} weeks" if self.weeks else ", for good")

    @property
    def shown_label(self) -> str:
        """The code's short name in the user's language."""
        return _(self.label)

    @property
    def shown_words(self) -> str:
        """What the code means, in the user's language."""
        return _(self.words)

    @property
    def shown_lasts(self) -> str:
        """The default scope and duration in the user's language."""
        return lasts_text(self.scope, self.weeks)


# what a scope rules out, in the user's language (`lasts_text`)
SCOPE_WORDS = {
    "unit": N_("this unit only"),
    "site": N_("every unit of the same site"),
    "neighbourhood": N_("every unit of the same neighbourhood"),
    "landlord": N_("every unit of the same landlord"),
    "municipality": N_("every unit of the same municipality"),
}


def lasts_text(scope: str, weeks: int | None) -> str:
    """What a decline rules out and for how long, in the user's language: 'this unit only, for good'."""
    what = _(SCOPE_WORDS[scope]) if scope in SCOPE_WORDS else scope
    return (
        _("{what}, for {weeks} weeks", what=what, weeks=weeks) if weeks else _("{what}, for good", what=what)
    )


LANDLORD: tuple[Reason, ...] = (
    Reason(
        "unit_not_available",
        N_("Unit not available"),
        N_("the unit is no longer available (repairs, other tenant, sale)"),
    ),
    Reason("household_does_not_fit", N_("Household does not fit"), N_("the household does not fit the unit")),
    Reason(
        "support_not_arranged",
        N_("Support not arranged"),
        N_("support by a provider is needed but not (yet) arranged"),
        weeks=4,
    ),
    Reason(
        "neighbourhood_situation",
        N_("Situation in the neighbourhood"),
        N_("the situation in the street or complex cannot take this placement now"),
        "site",
        weeks=13,
    ),
    Reason(
        "rent_not_affordable",
        N_("Rent not affordable"),
        N_("rent too high for the household's income (passend toewijzen)"),
    ),
    Reason(
        "previous_tenancy",
        N_("Earlier tenancy problems"),
        N_("earlier tenancy problems (arrears, nuisance) not yet resolved"),
        "landlord",
    ),
    Reason("other", N_("Other reason"), N_("another reason: explain it in the note column")),
)
CLIENT: tuple[Reason, ...] = (
    Reason(
        "location",
        N_("Location not wanted"),
        N_("does not want to live in this place"),
        "neighbourhood",
        weeks=26,
    ),
    Reason(
        "unit_not_wanted",
        N_("Unit not wanted"),
        N_("does not want this unit (type, size, condition)"),
        "site",
    ),
    Reason("no_response", N_("No response"), N_("did not respond or did not attend the viewing")),
    Reason("other", N_("Other reason"), N_("another reason: explain it in the note")),
    Reason(
        "unsuitable",
        N_("Unit unsuitable"),
        N_("the unit does not suit the client's needs (the coordinator agrees)"),
        refusal=False,
    ),
    Reason(
        "safety",
        N_("Unsafe location"),
        N_("the location is unsafe for the client (the coordinator verified)"),
        "neighbourhood",
        refusal=False,
    ),
    Reason(
        "circumstances_changed",
        N_("Circumstances changed"),
        N_("the client's situation changed; not a refusal"),
        refusal=False,
    ),
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


def table(party: str) -> str:
    """The Markdown table of a party's codes in the user's language, as docs/review-loop.md shows
    them (a test checks the document against it, in English and in Dutch)."""
    client = party == "client"
    head = (
        [_("code"), _("label")]
        + ([_("counts")] if client else [])
        + [_("use it when"), _("rules out by default")]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for code in BOOK[party].values():
        cells = [f"`{code.code}`", code.shown_label]
        if client:
            cells.append(_("yes") if code.refusal else _("no"))
        cells += [code.shown_words, code.shown_lasts]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
