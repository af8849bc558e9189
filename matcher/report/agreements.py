"""The yearly agreements' progress after a week's proposal, in words (summary.json `agreements`,
from `matcher.rules.agreements.progress`): one row per agreement that applies, as `matcher solve`
prints it and the weekly overview shows it."""

from __future__ import annotations

from typing import Any

from matcher.i18n import N_, _

GROUP_WORDS = {
    "young_adult": N_("young adults"),
    "family": N_("families"),
    "housing_first": N_("Housing First"),
}


def group_word(group: str) -> str:
    """A target group in the user's words; a source (BW, MO, VO, jeugd) as it is."""
    return _(GROUP_WORDS[group]) if group in GROUP_WORDS else group


def agreement_headers() -> list[str]:
    """The columns of the agreements table, as the terminal and the weekly overview show them."""
    return [_("with"), _("min / max"), _("before"), _("this week"), _("due"), _("behind")]


def agreement_rows(summary: dict[str, Any]) -> list[tuple[list[str], bool]]:
    """One row per agreement that applies this week (cells as `agreement_headers`), and whether
    it is behind schedule after this week's proposal."""
    rows = []
    for a in summary.get("agreements", []):
        if not a["applies_this_week"]:
            continue
        kind = _("municipality") if a["kind"] == "municipality" else _("corporation")
        who = f"{kind} {a['party_name']}" + (
            f" ({group_word(a['target_group'])})" if a["target_group"] else ""
        )
        limits = (
            f"{'' if a['minimum'] is None else a['minimum']} / {'' if a['maximum'] is None else a['maximum']}"
        )
        behind = a["behind_after_this_week"] if a["minimum"] is not None else ""
        cells = [
            who,
            limits,
            str(a["placed_before_this_week"]),
            str(a["proposed_this_week"]),
            str(a["due_by_end_of_week"]) if a["minimum"] is not None else "",
            str(behind),
        ]
        rows.append((cells, bool(behind)))
    return rows
