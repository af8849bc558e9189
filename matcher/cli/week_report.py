"""What the decisions ledger and the kept matches did to this week's solve, in a coordinator's words.

`matcher solve --ledger` prints this under its summary table: matches fixed because both sides
accepted, matches held because one side accepted, communicated matches kept or moved (and why),
declines added with what they rule out, urgencies lapsed, and conflicts still waiting. The same
facts are in summary.json (`ledger`, `continuity`); this is their reading.
"""

from __future__ import annotations

from typing import Any

from matcher.i18n import _

SHOW = 8  # matches named per line; the rest are counted (summary.json has them all)


def _names(items: list[str]) -> str:
    named = ", ".join(item.replace("->", " → ") for item in items[:SHOW])
    return named + (_(" and {count} more", count=len(items) - SHOW) if len(items) > SHOW else "")


def _decline_words(row: dict[str, Any]) -> str:
    what = (
        row["unit_id"]
        if row["scope"] == "unit"
        else _("every unit of {scope} {scope_id}", scope=row["scope"], scope_id=row["scope_id"])
    )
    until = _(" until {day}", day=row["until"]) if row.get("until") else _(" for good")
    return f"{row['client_id']}: {what}{until}"


def week_effects(summary: dict[str, Any]) -> list[str]:
    """The lines to print, empty when the week read no ledger and kept nothing."""
    lines: list[str] = []
    ledger = summary.get("ledger")
    if ledger:
        lines.append(
            _(
                "Decisions ledger {source}: {count} decision(s) up to {day}",
                source=ledger["source"],
                count=ledger["decisions_read"],
                day=ledger["period_start"],
            )
            + (
                _(
                    " ({count} for later weeks not used)",
                    count=ledger["decisions_for_later_weeks_ignored"],
                )
                if ledger.get("decisions_for_later_weeks_ignored")
                else ""
            )
        )
        fixed = [f"{row['client_id']}->{row['unit_id']}" for row in ledger.get("accepted_fixed", [])]
        if fixed:
            lines.append(
                "  "
                + _(
                    "housed (accepted by both, left the pool): {count}: {names}",
                    count=len(fixed),
                    names=_names(fixed),
                )
            )
        declines = ledger.get("declines_added", [])
        if declines:
            wide = [row for row in declines if row["scope"] != "unit" or row.get("until")]
            wide = [
                row
                for row in wide
                if row["scope"] != "unit"
                or not any(
                    other["scope"] != "unit"
                    and other["client_id"] == row["client_id"]
                    and other["unit_id"] == row["unit_id"]
                    for other in declines
                )
            ]
            lines.append(
                "  "
                + _(
                    "declines applied: {count}",
                    count=len({(row["client_id"], row["unit_id"]) for row in declines}),
                )
                + (
                    _(
                        "; wider or for a time: {declines}",
                        declines="; ".join(_decline_words(row) for row in wide[:SHOW]),
                    )
                    if wide
                    else ""
                )
            )
        for note in ledger.get("declines_not_widened", []):
            lines.append("  " + _("check this decline: {note}", note=note))
        for entry in ledger.get("urgency_lapsed_detail", []):
            lines.append(
                "  "
                + _(
                    "urgency lapsed: {client} from {old} to {new} after {count} refusals of suitable offers",
                    client=entry["client_id"],
                    old=entry["from"],
                    new=entry["to"],
                    count=entry["refusals"],
                )
            )
        if ledger.get("accepted_ignored"):
            lines.append(
                "  " + _("accepted twice (correct one): {names}", names=_names(ledger["accepted_ignored"]))
            )
        if ledger.get("open_conflicts"):
            lines.append(
                "  "
                + _(
                    "conflicting decisions waiting: {count} "
                    "(`matcher status --ledger …` lists them; `matcher record --correct` settles one)",
                    count=ledger["open_conflicts"],
                )
            )
    continuity = summary.get("continuity")
    if continuity:
        if "held" in continuity or "released" in continuity:
            held, released = continuity.get("held", []), continuity.get("released", [])
            lines.append(
                "  "
                + _("held (accepted by one side, kept): {count}", count=len(held))
                + (f": {_names(held)}" if held else "")
            )
            for match in released:
                lines.append(
                    "  "
                    + _(
                        "released: {match}: {why}",
                        match=match.replace("->", " → "),
                        why=continuity["why_moved"].get(match, ""),
                    )
                )
        lines.append(
            "  "
            + _(
                "offered before and still open: {communicated}; kept {kept}, moved {moved}, new {new}",
                communicated=continuity["communicated"],
                kept=continuity["kept"],
                moved=len(continuity["withdrawn"]),
                new=len(continuity["new"]),
            )
        )
        for match in continuity["withdrawn"]:
            why = continuity.get("why_moved", {}).get(match, "")
            lines.append(
                "  " + _("moved: {match}", match=match.replace("->", " → ")) + (f": {why}" if why else "")
            )
    return lines


def other_placement_lines(summary: dict[str, Any]) -> list[str]:
    """What other groups' placements (other_placements.csv) added to the wijken's recent load,
    empty without them (summary.json `other_placements`, `matcher.rules.load.report`)."""
    others = summary.get("other_placements")
    if not others:
        return []
    line = _(
        "Other groups' placements (other_placements.csv): {counted} of {rows} row(s) in the rolling window {start} to {end}",
        counted=others["counted"],
        rows=others["rows"],
        start=others["window"]["from"],
        end=others["window"]["to"],
    )
    if others["before_window"]:
        line += _("; {count} older (no longer counted)", count=others["before_window"])
    if others["after_period"]:
        line += _("; {count} dated after this period (not counted yet)", count=others["after_period"])
    lines = [line]
    added = [f"{wijk} +{load:g}" for wijk, load in others["load_added"].items()]
    if added:
        lines.append("  " + _("load added to the recent load per wijk: {loads}", loads=_names(added)))
    return lines
