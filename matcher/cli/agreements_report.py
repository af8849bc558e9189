"""The agreements' progress after a week's proposal, as `matcher solve` prints it (summary.json
`agreements`, from `matcher.rules.agreements.progress`): one row per agreement that applies."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from matcher.i18n import N_, _

GROUP_WORDS = {
    "young_adult": N_("young adults"),
    "family": N_("families"),
    "housing_first": N_("Housing First"),
}


def group_word(group: str) -> str:
    """A target group in the user's words; a source (BW, MO, VO, jeugd) as it is."""
    return _(GROUP_WORDS[group]) if group in GROUP_WORDS else group


def agreement_table(summary: dict[str, Any]) -> Table | None:
    """The table to print, None without agreements that apply this week."""
    found = [a for a in summary.get("agreements", []) if a["applies_this_week"]]
    if not found:
        return None
    table = Table(title=_("Agreements this week ({count}):", count=len(found)).rstrip(":"))
    table.add_column(_("with"), ratio=1)
    table.add_column(_("min / max"), no_wrap=True)
    for header in (_("before"), _("this week"), _("due"), _("behind")):
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for a in found:
        kind = _("municipality") if a["kind"] == "municipality" else _("corporation")
        who = f"{kind} {a['party_name']}" + (
            f" ({group_word(a['target_group'])})" if a["target_group"] else ""
        )
        limits = (
            f"{'' if a['minimum'] is None else a['minimum']} / {'' if a['maximum'] is None else a['maximum']}"
        )
        behind = a["behind_after_this_week"] if a["minimum"] is not None else ""
        style = "yellow" if behind else None
        table.add_row(
            who,
            limits,
            str(a["placed_before_this_week"]),
            str(a["proposed_this_week"]),
            str(a["due_by_end_of_week"]) if a["minimum"] is not None else "",
            str(behind),
            style=style,
        )
    return table
