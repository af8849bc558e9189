"""What the decisions ledger and the kept matches did to this week's solve, in a coordinator's words.

`matcher solve --ledger` prints this under its summary table: matches fixed because both sides
accepted, matches held because one side accepted, communicated matches kept or moved (and why),
declines added with what they rule out, urgencies lapsed, and conflicts still waiting. The same
facts are in summary.json (`ledger`, `continuity`); this is their reading.
"""

from __future__ import annotations

from typing import Any

SHOW = 8  # matches named per line; the rest are counted (summary.json has them all)


def _names(items: list[str]) -> str:
    named = ", ".join(item.replace("->", " → ") for item in items[:SHOW])
    return named + (f" and {len(items) - SHOW} more" if len(items) > SHOW else "")


def _decline_words(row: dict[str, Any]) -> str:
    what = row["unit_id"] if row["scope"] == "unit" else f"every unit of {row['scope']} {row['scope_id']}"
    until = f" until {row['until']}" if row.get("until") else " for good"
    return f"{row['client_id']}: {what}{until}"


def week_effects(summary: dict[str, Any]) -> list[str]:
    """The lines to print, empty when the week read no ledger and kept nothing."""
    lines: list[str] = []
    ledger = summary.get("ledger")
    if ledger:
        lines.append(
            f"Decisions ledger {ledger['source']}: {ledger['decisions_read']} decision(s) up to "
            f"{ledger['period_start']}"
            + (
                f" ({ledger['decisions_for_later_weeks_ignored']} for later weeks not used)"
                if ledger.get("decisions_for_later_weeks_ignored")
                else ""
            )
        )
        fixed = [f"{row['client_id']}->{row['unit_id']}" for row in ledger.get("accepted_fixed", [])]
        if fixed:
            lines.append(f"  housed (accepted by both, left the pool): {len(fixed)}: {_names(fixed)}")
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
                f"  declines applied: {len({(row['client_id'], row['unit_id']) for row in declines})}"
                + (
                    f"; wider or for a time: {'; '.join(_decline_words(row) for row in wide[:SHOW])}"
                    if wide
                    else ""
                )
            )
        for note in ledger.get("declines_not_widened", []):
            lines.append(f"  check this decline: {note}")
        for entry in ledger.get("urgency_lapsed_detail", []):
            lines.append(
                f"  urgency lapsed: {entry['client_id']} from {entry['from']} to {entry['to']} "
                f"after {entry['refusals']} refusals of suitable offers"
            )
        if ledger.get("accepted_ignored"):
            lines.append(f"  accepted twice (correct one): {_names(ledger['accepted_ignored'])}")
        if ledger.get("open_conflicts"):
            lines.append(
                f"  conflicting decisions waiting: {ledger['open_conflicts']} "
                "(`matcher status --ledger …` lists them; `matcher record --correct` settles one)"
            )
    continuity = summary.get("continuity")
    if continuity:
        if "held" in continuity or "released" in continuity:
            held, released = continuity.get("held", []), continuity.get("released", [])
            lines.append(
                f"  held (accepted by one side, kept): {len(held)}" + (f": {_names(held)}" if held else "")
            )
            for match in released:
                lines.append(
                    f"  released: {match.replace('->', ' → ')}: {continuity['why_moved'].get(match, '')}"
                )
        lines.append(
            f"  offered before and still open: {continuity['communicated']}; kept {continuity['kept']}, "
            f"moved {len(continuity['withdrawn'])}, new {len(continuity['new'])}"
        )
        for match in continuity["withdrawn"]:
            why = continuity.get("why_moved", {}).get(match, "")
            lines.append(f"  moved: {match.replace('->', ' → ')}" + (f": {why}" if why else ""))
    return lines
