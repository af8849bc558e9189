"""The weekly overview: one self-contained HTML page per run folder, for coordinators and planners.

`write_overview(run_folder, out_path)` reads a folder written by `matcher solve` (through
matcher.io.run_folder, so the summary and the solved instance are checked against their recorded
sha256) and writes one HTML file with nothing from outside (inline CSS, the map as inline SVG),
in the user's language (Dutch by default) and printable on A4:

- the week, the instance and the proof status of every level of the solve (summary.json `levels`);
- matches per gemeente and per corporatie, and every match with the names of its gemeente and wijk
  (and the unit's address and complex, when units.csv gives them);
- a map of wijk loads against their caps (matcher.report.map);
- every unmatched client with the reason and the smallest change that would place them (the
  explain engine, matcher.review.explain, read-only: the first `explain_max` by priority, and no
  further client once `explain_seconds` have passed);
- every unused unit with its reason;
- what the decisions ledger and the kept matches did, when the run used them.

Clients appear only by their pseudonymous id: no urgency, source, dates or household facts of a
client are shown (the page is printed and passed around).
"""

from __future__ import annotations

import html
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.i18n import N_, _, language
from matcher.io.files import sha256_file
from matcher.io.headers import UNIT_TYPE_WORDS, header, internal_columns, reason_code, reason_label
from matcher.io.run_folder import UNMATCHED, RunFolder, RunFolderRefused, read_run_folder
from matcher.io.write import UNUSED
from matcher.report.agreements import agreement_headers, agreement_rows
from models import Instance, InvalidInstance, Problem

EXPLAIN_MAX = 50  # unmatched clients whose smallest change is searched, by priority
MAX_RESOLVES = 12  # re-solves per client (as `matcher explain`)
EXPLAIN_SECONDS = 120.0  # no further client is searched after this (a national week's big parts)
NEAR_FULL = 0.9  # wijken at or above this utilisation are listed even without a match this week
SHOW = 8  # matches named per ledger line

LEVEL_WORDS = {
    "held": N_("Matches held (accepted by one side in an earlier week)"),
    "continuity": N_("Offers of earlier weeks kept"),
    "priority": N_("Priority (urgency and waiting time)"),
    "preference": N_("Preference (municipality of origin and preferred municipalities)"),
    "agreements": N_("Agreements behind schedule (placements still short of what is due)"),
    "spreading": N_("Spreading over wijken (highest utilisation)"),
    "fair_share": N_(
        "Fair share between municipalities (agreed share, else by population; placements so far included)"
    ),
}
URGENCY_WORDS = {"normal": N_("normal"), "high": N_("high"), "acute": N_("acute")}
SCOPE_WORDS = {  # what a decline rules out (the programmes' words are the same in English)
    "site": N_("site (complex)"),
    "neighbourhood": N_("wijk"),
    "landlord": N_("corporatie"),
    "municipality": N_("gemeente"),
}


# --- the facts of the page ----------------------------------------------------------------------


@dataclass
class Match:
    client_id: str
    unit_id: str
    landlord: str
    municipality: str
    neighbourhood: str
    unit_type: str
    rent: float
    available_from: date
    address: str = ""  # street and number, postcode and place, when units.csv gives them
    complex_name: str = ""


@dataclass
class Unmatched:
    client_id: str
    reason: str
    detail: str
    change: str | None = None  # the smallest change, in words, or why none is given
    explained: bool = False


@dataclass
class Unused:
    unit_id: str
    landlord: str
    municipality: str
    neighbourhood: str
    unit_type: str
    reason: str
    detail: str


@dataclass
class WijkLoad:
    neighbourhood_id: str
    name: str
    municipality: str
    recent_load: float
    placed_load: float
    cap: float
    placed: int

    @property
    def utilisation(self) -> float | None:
        return (self.recent_load + self.placed_load) / self.cap if self.cap > 0 else None


@dataclass
class Overview:
    """Everything the page shows, read from one run folder."""

    instance_name: str
    period_start: date
    period_end: date
    summary: dict[str, Any]
    matches: list[Match]
    unmatched: list[Unmatched]
    unused: list[Unused]
    wijken: list[WijkLoad]
    municipalities: list[str]  # names, in the instance's order
    landlords: list[str]
    units_by_municipality: Counter
    units_by_landlord: Counter
    explained: int = 0
    notes: list[str] = field(default_factory=list)
    ledger_lines: list[str] = field(default_factory=list)


def _output(run: RunFolder, path: Path) -> pd.DataFrame:
    """One output table of the run with its headers in internal names (either language)."""
    if not path.is_file():
        return pd.DataFrame()
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise RunFolderRefused(
            [
                Problem(
                    file=str(path),
                    message=_(
                        "not a readable CSV file ({error}): solve the week again",
                        error=error.__class__.__name__,
                    ),
                )
            ]
        ) from None
    return internal_columns(frame)


def _column(frame: pd.DataFrame, name: str, path: Path) -> pd.Series:
    if name not in frame.columns:
        raise RunFolderRefused(
            [Problem(file=str(path), row=1, column=name, message=_("missing column: solve the week again"))]
        )
    return frame[name].astype(str).str.strip()


def build_overview(
    run_folder: str | Path | RunFolder,
    explain_max: int = EXPLAIN_MAX,
    max_resolves: int = MAX_RESOLVES,
    explain_seconds: float = EXPLAIN_SECONDS,
) -> Overview:
    """The facts of the overview of one run folder (raises RunFolderRefused when it cannot be
    trusted, saying what to do)."""
    run = run_folder if isinstance(run_folder, RunFolder) else read_run_folder(run_folder)
    instance = run.solved_instance()
    policy = instance.policy
    municipality_name = {m.municipality_id: m.name for m in instance.municipalities}
    wijk_of = {n.neighbourhood_id: n for n in instance.neighbourhoods}
    unit_of = {u.unit_id: u for u in instance.units}
    client_of = {c.client_id: c for c in instance.clients}

    proposals = _output(run, run.proposals_file)
    pairs: list[tuple[str, str]] = []
    if not proposals.empty:
        clients = _column(proposals, "client_id", run.proposals_file)
        units = _column(proposals, "unit_id", run.proposals_file)
        pairs = [(c, u) for c, u in zip(clients, units, strict=True) if c or u]
    matches, placed_load, placed_count = [], Counter[str](), Counter[str]()
    from matcher.rules.capacity import load_of

    for number, (client_id, unit_id) in enumerate(pairs, start=2):
        if unit_id not in unit_of or client_id not in client_of:
            raise RunFolderRefused(
                [
                    Problem(
                        file=str(run.proposals_file),
                        row=number,
                        message=_(
                            "{client} → {unit} is not a client and unit of the solved instance: correct "
                            "the row or solve the week again",
                            client=client_id,
                            unit=unit_id,
                        ),
                    )
                ]
            )
        unit = unit_of[unit_id]
        wijk = wijk_of[unit.neighbourhood_id]
        matches.append(
            Match(
                client_id,
                unit_id,
                unit.landlord,
                municipality_name[unit.municipality_id],
                wijk.name,
                unit.type,
                unit.rent,
                unit.available_from,
                unit.address(),
                unit.complex_name or "",
            )
        )
        placed_load[unit.neighbourhood_id] += load_of(
            policy,
            client_of[client_id].support_intensity,
            unit.type,
            stays=client_of[client_id].stays_in(unit.unit_id),
            persons=client_of[client_id].persons,
        )
        placed_count[unit.neighbourhood_id] += 1
    matches.sort(key=lambda m: (m.municipality, m.neighbourhood, m.unit_id))

    from matcher.rules.arrays import neighbourhood_cap
    from matcher.rules.load import recent_loads

    per_1000 = policy.spreading.max_load_per_1000_dwellings
    wijken = [
        WijkLoad(
            n.neighbourhood_id,
            n.name,
            municipality_name[n.municipality_id],
            float(recent),  # the cell plus other groups' placements in the window
            float(placed_load[n.neighbourhood_id]),
            float(neighbourhood_cap(n.dwellings, n.cap, per_1000)),
            placed_count[n.neighbourhood_id],
        )
        for n, recent in zip(instance.neighbourhoods, recent_loads(instance))
    ]

    unmatched, explained = _unmatched(run, instance, pairs, explain_max, max_resolves, explain_seconds)
    unused = _unused(run, unit_of, municipality_name, wijk_of)
    notes = [note for note in run.notes if not note.startswith(f"{UNMATCHED} was changed")]
    recorded = run.summary["outputs"].get(UNMATCHED)
    if recorded and (run.path / UNMATCHED).is_file() and sha256_file(run.path / UNMATCHED) != recorded:
        notes.append(_("unmatched.csv was changed after the run; it is shown as it is now."))
    if len(unmatched) > explained:
        notes.append(
            _(
                "The smallest change that would place a client was searched for the first {shown} of "
                "{total} unmatched clients by priority; `matcher explain --client ID` gives it for the others.",
                shown=explained,
                total=len(unmatched),
            )
        )
    return Overview(
        instance_name=str(run.summary.get("instance") or run.path.name),
        period_start=policy.period.start,
        period_end=policy.period.start + timedelta(days=policy.period.days - 1),
        summary=run.summary,
        matches=matches,
        unmatched=unmatched,
        unused=unused,
        wijken=wijken,
        municipalities=[m.name for m in instance.municipalities],
        landlords=sorted({u.landlord for u in instance.units}),
        units_by_municipality=Counter(municipality_name[u.municipality_id] for u in instance.units),
        units_by_landlord=Counter(u.landlord for u in instance.units),
        explained=explained,
        notes=notes,
        ledger_lines=ledger_lines(run.summary),
    )


def _unmatched(
    run: RunFolder,
    instance: Instance,
    pairs: list[tuple[str, str]],
    explain_max: int,
    max_resolves: int,
    explain_seconds: float,
) -> tuple[list[Unmatched], int]:
    """unmatched.csv, highest priority first, with the smallest change for the first ones."""
    path = run.path / UNMATCHED
    frame = _output(run, path)
    if frame.empty:
        return [], 0
    clients, reasons = _column(frame, "client_id", path), _column(frame, "reason", path)
    details = _column(frame, "detail", path) if "detail" in frame.columns else pd.Series([""] * len(frame))
    from matcher.rules.arrays import build_arrays

    arrays = build_arrays(instance)
    weight = {str(c): int(w) for c, w in zip(arrays.client_ids, arrays.client_weight, strict=True)}
    rows = [
        Unmatched(client, reason, detail)
        for client, reason, detail in zip(clients, reasons, details, strict=True)
        if client
    ]
    rows.sort(key=lambda row: (-weight.get(row.client_id, 0), row.client_id))
    bounds = run.bounds()
    own = bounds is not None and bounds.proven and not run.proposals_edited
    from matcher.review.explain import explain_client

    kept = run.kept_pairs()
    explained = 0
    started = time.monotonic()
    for row in rows[:explain_max]:
        if time.monotonic() - started > explain_seconds:  # a national week: the page says how many
            break
        if row.client_id not in weight:
            continue
        try:
            result = explain_client(
                instance,
                pairs,
                row.client_id,
                None,
                max_resolves,
                baseline_priority=bounds.priority if own and bounds is not None else None,
                keep=kept,
                ledger=run.ledger,
            )
        except (InvalidInstance, ValueError, RuntimeError) as error:  # one client, not the whole page
            row.change = _("could not be searched ({error}): try `matcher explain --client ID`", error=error)
        else:
            row.change = _change_words(result)
        row.explained = True
        explained += 1
    return rows, explained


def _change_words(result: dict) -> str:
    """The smallest change found for an unmatched client, in the reader's words."""
    if result.get("matched"):
        return _("placed in this proposal")
    found = result.get("counterfactual") or {}
    if found.get("note"):
        return str(found["note"])
    best = found.get("smallest")
    if best:
        words = _("{change} → placed in {unit}", change=best["change"], unit=best["unit_id"])
        if best.get("displaced"):
            words += " " + _("({clients} would then be unmatched)", clients=", ".join(best["displaced"]))
        return words
    return _("no single change among the {tried} tried places this client", tried=found.get("tried", 0))


def _unused(run: RunFolder, unit_of: dict, municipality_name: dict, wijk_of: dict) -> list[Unused]:
    path = run.path / UNUSED
    frame = _output(run, path)
    if frame.empty:
        return []
    units, reasons = _column(frame, "unit_id", path), _column(frame, "reason", path)
    details = _column(frame, "detail", path) if "detail" in frame.columns else pd.Series([""] * len(frame))
    rows = []
    for unit_id, reason, detail in zip(units, reasons, details, strict=True):
        unit = unit_of.get(unit_id)
        if unit is None:
            continue
        rows.append(
            Unused(
                unit_id,
                unit.landlord,
                municipality_name[unit.municipality_id],
                wijk_of[unit.neighbourhood_id].name,
                unit.type,
                reason,
                detail,
            )
        )
    rows.sort(key=lambda row: (row.municipality, row.neighbourhood, row.unit_id))
    return rows


# --- the ledger ------------------------------------------------------------------------------------


def _ledger_name(source: str) -> str:
    """The ledger as the page names it: a file by its name, a server without user or password."""
    source = re.sub(r"//[^/@]*@", "//", str(source))
    if source.startswith("sqlite:"):
        return Path(source.split(":///", 1)[-1]).name
    if "://" not in source:
        return Path(source).name
    return source.split("?", 1)[0]


def _named(matches: list[str]) -> str:
    named = ", ".join(match.replace("->", " → ") for match in matches[:SHOW])
    more = len(matches) - SHOW
    return named + (" " + _("and {count} more", count=more) if more > 0 else "")


def ledger_lines(summary: dict[str, Any]) -> list[str]:
    """What the decisions ledger and the kept matches did this week (empty without either), in the
    reader's words; the same facts as `matcher solve` prints (matcher.cli.week_report)."""
    lines: list[str] = []
    ledger = summary.get("ledger")
    if isinstance(ledger, dict):
        lines.append(
            _(
                "Decisions ledger {source}: {count} decision(s) up to {day}.",
                source=_ledger_name(ledger.get("source", "")),
                count=ledger.get("decisions_read", 0),
                day=_day(ledger.get("period_start", "")),
            )
        )
        later = ledger.get("decisions_for_later_weeks_ignored")
        if later:
            lines.append(_("{count} decision(s) for later weeks were not used.", count=later))
        fixed = [f"{row['client_id']}->{row['unit_id']}" for row in ledger.get("accepted_fixed", [])]
        if fixed:
            lines.append(
                _(
                    "Housed (accepted by both, left the pool): {count}: {matches}.",
                    count=len(fixed),
                    matches=_named(fixed),
                )
            )
        declines = ledger.get("declines_added", [])
        if declines:
            lines.append(
                _(
                    "Declines applied: {count}.",
                    count=len({(row["client_id"], row["unit_id"]) for row in declines}),
                )
            )
            for row in declines:
                if row.get("scope", "unit") == "unit" and not row.get("until"):
                    continue
                what = (
                    _("unit {unit}", unit=row["unit_id"])
                    if row.get("scope", "unit") == "unit"
                    else _(
                        "every unit of {scope} {scope_id}",
                        scope=_(SCOPE_WORDS[row["scope"]]) if row["scope"] in SCOPE_WORDS else row["scope"],
                        scope_id=row.get("scope_id"),
                    )
                )
                until = _("until {day}", day=_day(row["until"])) if row.get("until") else _("for good")
                lines.append(
                    _("Decline by {client}: {what} {until}.", client=row["client_id"], what=what, until=until)
                )
        for note in ledger.get("declines_not_widened", []):
            lines.append(_("Check this decline: {note}.", note=note))
        for entry in ledger.get("urgency_lapsed_detail", []):
            lines.append(
                _(
                    "Urgency lapsed: {client} from {before} to {after} after {refusals} refusals of "
                    "suitable offers.",
                    client=entry["client_id"],
                    before=_(URGENCY_WORDS[entry["from"]])
                    if entry["from"] in URGENCY_WORDS
                    else entry["from"],
                    after=_(URGENCY_WORDS[entry["to"]]) if entry["to"] in URGENCY_WORDS else entry["to"],
                    refusals=entry["refusals"],
                )
            )
        if ledger.get("accepted_ignored"):
            lines.append(
                _(
                    "Accepted twice (the correct one is used): {matches}.",
                    matches=_named(ledger["accepted_ignored"]),
                )
            )
        if ledger.get("open_conflicts"):
            lines.append(
                _(
                    "Conflicting decisions waiting: {count} (`matcher status --ledger …` lists them; "
                    "`matcher record --correct` settles one).",
                    count=ledger["open_conflicts"],
                )
            )
    continuity = summary.get("continuity")
    if isinstance(continuity, dict):
        held = continuity.get("held", [])
        if held:
            lines.append(
                _(
                    "Held (accepted by one side, kept): {count}: {matches}.",
                    count=len(held),
                    matches=_named(held),
                )
            )
        why = continuity.get("why_moved", {})
        for match in continuity.get("released", []):
            lines.append(
                _("Released: {match}: {why}.", match=match.replace("->", " → "), why=why.get(match, ""))
            )
        lines.append(
            _(
                "Offered before and still open: {communicated}; kept {kept}, moved {moved}, new {new}.",
                communicated=continuity.get("communicated", 0),
                kept=continuity.get("kept", 0),
                moved=len(continuity.get("withdrawn", [])),
                new=len(continuity.get("new", [])),
            )
        )
        for match in continuity.get("withdrawn", []):
            lines.append(
                _("Moved: {match}: {why}.", match=match.replace("->", " → "), why=why.get(match, ""))
            )
    return lines


# --- the page ----------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a;
       margin: 0 auto; max-width: 60em; padding: 1em; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 .2em; }
h2 { font-size: 13pt; margin: 1.4em 0 .4em; border-bottom: 2px solid #1f3b73; padding-bottom: .1em;
     break-after: avoid; page-break-after: avoid; }
.sub { color: #444; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; font-size: 9.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #c8c8c8; padding: .2em .4em; text-align: left; vertical-align: top; }
th { background: #e9eef6; }
td.id { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #f4f4f4; }
.ok { color: #1b6e20; font-weight: bold; }
.warn { color: #9a5b00; font-weight: bold; }
.bad { color: #a01818; font-weight: bold; }
.note { color: #444; font-size: 9pt; }
ul.notes { padding-left: 1.2em; }
figure { margin: .5em 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; max-height: 230mm; }
figcaption { font-size: 9pt; color: #444; }
.cards { display: flex; flex-wrap: wrap; gap: .5em; margin: .5em 0; }
.card { border: 1px solid #c8c8c8; border-radius: 4px; padding: .3em .7em; min-width: 8em; }
.card b { display: block; font-size: 15pt; }
footer { margin-top: 2em; font-size: 8.5pt; color: #666; }
@media print { body { max-width: none; padding: 0; } h2 { margin-top: 1em; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(column: str) -> str:
    """A column's name as the output files call it (matcher.io.headers), as a table heading."""
    return _cap(header(column).removesuffix("_id").replace("_", " "))


def _day(day: date | str, short: bool = False) -> str:
    """A date as the reader writes it (23 november 2026; short: 23 nov. 2026)."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return str(day)
    if language() == "en":
        return day.strftime("%d %b %Y" if short else "%d %B %Y").lstrip("0")
    from babel.dates import format_date

    return format_date(day, "d MMM y" if short else "d MMMM y", locale=language())


def _money(amount: float) -> str:
    text = f"€\u00a0{amount:,.2f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".") if language() == "nl" else text


def _number(value: float) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if language() == "nl" else text


def _percent(value: float) -> str:
    return _number(round(100 * value)) + "%"


def _table(
    headers: list[tuple[str, bool]], rows: Sequence[Sequence[object]], total: Sequence[object] | None = None
) -> str:
    """An HTML table; a header's flag says the column holds numbers (right-aligned)."""
    head = "".join(f"<th{' class=num' if num else ''}>{_e(_cap(h))}</th>" for h, num in headers)
    ids = {_label("client_id"), _label("unit_id")}  # pseudonyms and unit ids are not broken
    kinds = [" class=num" if num else " class=id" if h in ids else "" for h, num in headers]
    body = []
    for row in [*rows, *([total] if total else [])]:
        cells = "".join(f"<td{kind}>{_e(cell)}</td>" for cell, kind in zip(row, kinds, strict=True))
        body.append(f"<tr{' class=total' if row is total else ''}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _level_rows(summary: dict[str, Any]) -> tuple[str, list[list[object]]]:
    """The proof status of every level, and one sentence for the whole solve."""
    rows: list[list[object]] = []
    levels = summary.get("levels") or []
    for level in levels:
        name, status = str(level.get("name", "")), str(level.get("status", ""))
        value, bound = level.get("value"), level.get("bound")
        if status == "optimal":
            words = _("proven optimal")
        elif status == "feasible" and isinstance(value, (int, float)) and isinstance(bound, (int, float)):
            gap = abs(float(bound) - float(value)) / max(abs(float(bound)), abs(float(value)), 1e-9)
            words = _(
                "good, not proven optimal: at most {gap} from the best possible",
                gap=_percent(gap) if gap >= 0.005 else "<1%",
            )
        elif status == "feasible":
            words = _("good, not proven optimal")
        else:
            words = _("no solution found")
        shown = [_number(round(float(x), 3)) if isinstance(x, (int, float)) else "" for x in (value, bound)]
        rows.append([_(LEVEL_WORDS[name]) if name in LEVEL_WORDS else name, words, *shown])
    if summary.get("proven_optimal") is True:
        sentence = _("Every level of this proposal is proven optimal.")
        if "continuity" in summary:
            sentence = _("Every level is proven optimal, given the matches held and kept from earlier weeks.")
    elif levels:
        sentence = _(
            "Not every level is proven optimal (the solve stopped at its time limit); the table says how far "
            "each level may be from the best possible."
        )
    else:
        sentence = _("This run folder records no levels (written by an older version).")
    return sentence, rows


def _count_table(label: str, names: list[str], matched: Counter, offered: Counter, unused: Counter) -> str:
    rows: list[list[object]] = [
        [name, matched[name], offered[name], unused[name]] for name in names if offered[name] or matched[name]
    ]
    total = [_("Total"), sum(matched.values()), sum(offered.values()), sum(unused.values())]
    return _table(
        [(label, False), (_("matches"), True), (_("units offered"), True), (_("units unused"), True)],
        rows,
        total,
    )


def render_html(overview: Overview, map_svg: str | None, map_note: str) -> str:
    """The page, as one self-contained HTML document."""
    from matcher import __version__

    o = overview
    week = _("week of {start} to {end}", start=_day(o.period_start), end=_day(o.period_end))
    counts = o.summary.get("counts") or {}
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(language())}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_('Weekly overview'))} · {_e(o.instance_name)} · {_e(week)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(_('Weekly overview'))}: {_e(o.instance_name)}</h1>",
        f'<p class="sub">{_e(_cap(week))}</p>',
        '<div class="cards">',
    ]
    for value, label in (
        (len(o.matches), _("matches")),
        (len(o.unmatched), _("clients unmatched")),
        (len(o.unused), _("units unused")),
        (counts.get("clients", ""), _("clients in the pool")),
        (counts.get("units", ""), _("units offered")),
    ):
        parts.append(f'<div class="card"><b>{_e(value)}</b>{_e(label)}</div>')
    parts.append("</div>")

    sentence, level_rows = _level_rows(o.summary)
    proven = o.summary.get("proven_optimal") is True
    parts.append(f"<h2>{_e(_('How good is this proposal?'))}</h2>")
    parts.append(f'<p class="{"ok" if proven else "warn"}">{_e(sentence)}</p>')
    if level_rows:
        parts.append(
            _table(
                [(_("level"), False), (_("proof"), False), (_("value"), True), (_("bound"), True)], level_rows
            )
        )
    if o.notes:
        parts.append(f"<p><b>{_e(_('To note'))}</b></p><ul class=notes>")
        parts += [f"<li>{_e(note)}</li>" for note in o.notes]
        parts.append("</ul>")

    if o.ledger_lines:
        parts.append(f"<h2>{_e(_('Decisions ledger and earlier offers'))}</h2><ul class=notes>")
        parts += [f"<li>{_e(line)}</li>" for line in o.ledger_lines]
        parts.append("</ul>")

    unused_by_municipality = Counter(u.municipality for u in o.unused)
    unused_by_landlord = Counter(u.landlord for u in o.unused)
    parts.append(f"<h2>{_e(_('Matches per gemeente'))}</h2>")
    parts.append(
        _count_table(
            _label("municipality_id"),
            o.municipalities,
            Counter(m.municipality for m in o.matches),
            o.units_by_municipality,
            unused_by_municipality,
        )
    )
    parts.append(f"<h2>{_e(_('Matches per corporatie'))}</h2>")
    parts.append(
        _count_table(
            _label("landlord"),
            o.landlords,
            Counter(m.landlord for m in o.matches),
            o.units_by_landlord,
            unused_by_landlord,
        )
    )

    agreements = agreement_rows(o.summary)
    if agreements:
        parts.append(
            f"<h2>{_e(_('Agreements this week ({count}):', count=len(agreements)).rstrip(':'))}</h2>"
        )
        headers = agreement_headers()
        parts.append(
            _table(
                [(headers[0], False), (headers[1], False), *((h, True) for h in headers[2:])],
                [cells for cells, _behind in agreements],
            )
        )
        behind = sum(1 for _cells, late in agreements if late)
        if behind:
            late = _("{count} agreement(s) behind schedule after this week's proposal.", count=behind)
            parts.append(f'<p class="warn">{_e(late)}</p>')

    parts.append(f"<h2>{_e(_('Wijk loads against their caps'))}</h2>")
    if map_svg:
        parts.append(f'<figure class="map">{map_svg}<figcaption>{_e(map_note)}</figcaption></figure>')
    else:
        parts.append(f'<p class="note">{_e(map_note)}</p>')
    shown_wijken = [
        w for w in o.wijken if w.placed or (w.utilisation is not None and w.utilisation >= NEAR_FULL)
    ]
    shown_wijken.sort(key=lambda w: (-(w.utilisation if w.utilisation is not None else math.inf), w.name))
    if shown_wijken:
        parts.append(
            f'<p class="note">{_e(_("Wijken with a match this week or at {share} or more of their cap:", share=_percent(NEAR_FULL)))}</p>'
        )
        parts.append(
            _table(
                [
                    (_label("neighbourhood_id"), False),
                    (_label("municipality_id"), False),
                    (_("matches"), True),
                    (_("recent load"), True),
                    (_("load placed"), True),
                    (_("cap"), True),
                    (_("utilisation"), True),
                ],
                [
                    [
                        w.name,
                        w.municipality,
                        w.placed,
                        _number(w.recent_load),
                        _number(w.placed_load),
                        _number(w.cap),
                        _percent(w.utilisation) if w.utilisation is not None else _("no room"),
                    ]
                    for w in shown_wijken
                ],
            )
        )

    parts.append(f"<h2>{_e(_('Matches'))} ({len(o.matches)})</h2>")
    if o.matches:
        # the address and complex, when units.csv gives them (issue 15)
        addressed = any(m.address or m.complex_name for m in o.matches)
        parts.append(
            _table(
                [
                    (_label("client_id"), False),
                    (_label("unit_id"), False),
                    *([(_("address"), False), (_("complex"), False)] if addressed else []),
                    (_label("municipality_id"), False),
                    (_label("neighbourhood_id"), False),
                    (_label("unit_type"), False),
                    (_("rent"), True),
                    (_("available from"), False),
                    (_label("landlord"), False),
                ],
                [
                    [
                        m.client_id,
                        m.unit_id,
                        *([m.address, m.complex_name] if addressed else []),
                        m.municipality,
                        m.neighbourhood,
                        _(UNIT_TYPE_WORDS[m.unit_type]) if m.unit_type in UNIT_TYPE_WORDS else m.unit_type,
                        _money(m.rent),
                        _day(m.available_from, short=True),
                        m.landlord,
                    ]
                    for m in o.matches
                ],
            )
        )
    else:
        parts.append(f"<p>{_e(_('No match this week.'))}</p>")

    parts.append(f"<h2>{_e(_('Unmatched clients'))} ({len(o.unmatched)})</h2>")
    if o.unmatched:
        parts.append(
            _table(
                [
                    (_label("client_id"), False),
                    (_label("reason"), False),
                    (_label("detail"), False),
                    (_("smallest change that would place them"), False),
                ],
                [
                    [
                        u.client_id,
                        reason_label(reason_code(u.reason)),
                        u.detail,
                        u.change if u.explained else _("not searched (see the note above)"),
                    ]
                    for u in o.unmatched
                ],
            )
        )
        parts.append(
            f'<p class="note">{_e(_("Ordered by priority, highest first. A change is shown only when re-solving the week with it places the client."))}</p>'
        )
    else:
        parts.append(f"<p>{_e(_('Every client in the pool has a match.'))}</p>")

    parts.append(f"<h2>{_e(_('Unused units'))} ({len(o.unused)})</h2>")
    if o.unused:
        parts.append(
            _table(
                [
                    (_label("unit_id"), False),
                    (_label("landlord"), False),
                    (_label("municipality_id"), False),
                    (_label("neighbourhood_id"), False),
                    (_label("unit_type"), False),
                    (_label("reason"), False),
                    (_label("detail"), False),
                ],
                [
                    [
                        u.unit_id,
                        u.landlord,
                        u.municipality,
                        u.neighbourhood,
                        _(UNIT_TYPE_WORDS[u.unit_type]) if u.unit_type in UNIT_TYPE_WORDS else u.unit_type,
                        reason_label(reason_code(u.reason)),
                        u.detail,
                    ]
                    for u in o.unused
                ],
            )
        )
    else:
        parts.append(f"<p>{_e(_('Every unit offered has a match.'))}</p>")

    parts.append(
        f"<footer>{_e(_('Made by matcher {version} from the run folder of {instance}; clients are shown by their pseudonym only.', version=__version__, instance=o.instance_name))}</footer>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _map(overview: Overview, cbs_dir: Path | None) -> tuple[str | None, str]:
    """The map's SVG (None without coordinates) and the line under it."""
    from matcher.report.map import Wijk, cbs_centres, wijk_map

    wijken = [
        Wijk(w.neighbourhood_id, w.name, w.municipality, w.recent_load + w.placed_load, w.cap, w.placed)
        for w in overview.wijken
    ]
    drawn = wijk_map(wijken, cbs_centres(cbs_dir))
    if drawn.svg is None:
        return None, _(
            "No map: none of the {count} wijken of this instance is a CBS wijk with known coordinates.",
            count=len(wijken),
        )
    note = _(
        "Wijk cells are approximated from the CBS wijk centres (each point belongs to the nearest centre); "
        "thick lines are municipal boundaries, hatched cells have reached their cap, grey cells have no room (cap 0), dots are this week's matches."
    )
    if drawn.without_coordinates:
        note += " " + _(
            "Not on the map (no CBS coordinates): {wijken}.", wijken=", ".join(drawn.without_coordinates)
        )
    return drawn.svg, note


def write_overview(
    run_folder: str | Path | RunFolder,
    out_path: str | Path | None = None,
    *,
    explain_max: int = EXPLAIN_MAX,
    max_resolves: int = MAX_RESOLVES,
    explain_seconds: float = EXPLAIN_SECONDS,
    cbs_dir: Path | None = None,
) -> Path:
    """Write the weekly overview of a run folder as one HTML file (default: RUN_DIR/overview.html),
    atomically; returns where it was written."""
    from matcher.io.atomic import write_text

    overview = build_overview(run_folder, explain_max, max_resolves, explain_seconds)
    folder = run_folder.path if isinstance(run_folder, RunFolder) else Path(run_folder)
    target = Path(out_path) if out_path is not None else folder / "overview.html"
    svg, note = _map(overview, cbs_dir)
    write_text(target, render_html(overview, svg, note))
    return target
