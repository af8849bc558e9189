"""Landlord review workbooks: one .xlsx per landlord out, the decisions back in.

A workbook holds only what a landlord needs to decide: the client's pseudonym, household size,
support intensity and whether a support provider is needed, the unit with its address and the
landlord's own reference for it (units.csv, when given), its rent and the move-in date. Never
the source (BW/MO/VO is health and safety information) and never exclusions. Its top names the
landlord's own contact and the coordinator to return it to (contacts.csv, when given); never
another landlord's contact or units.

The sheet is protected: only the Decision, Reason code and Note cells can be edited, each with
a drop-down where one applies. A very hidden sheet `_matcher` keeps what was sent (the week, the
landlord, the proposal id, the return-by date and every row), so an import can tell a decision
from a tampered row. That record is signed with the ledger's secret key (HMAC-SHA256,
`matcher.review.ledger.SigningKey`): anyone can recompute a plain checksum, nobody without the key
can sign another landlord's matches. The import checks the signature and every decided match
against the ledger (`matcher.review.ledger.import_batches`).

Every row has a Status (format version 3): `new` (in no earlier export to this landlord),
`sent before` (exported to this landlord before, still undecided) or `decided on YYYY-MM-DD` (the
ledger holds this landlord's decision: it is filled in and its cells are locked too). A decided
row that comes back as it was sent is not read again (the ledger already has it, and a correction
made since by the coordinator is not undone); one whose Decision, Reason code or Note was changed
is refused like any other changed locked cell.

The workbook is in the user's language (`matcher.i18n`: Dutch by default, English with `--lang
en`): sheet names, headers, instructions, the Decision words (`accepteren`/`afwijzen`), Status
and the codes sheet. The hidden record keeps the language it was written in (`language`) and, for
the locked cells, exactly what they show. The import reads either language: headers, sheet names,
decision words and reason labels of both are accepted, so a workbook exported in English before
the switch imports after it, and one exported in Dutch imports with `--lang en`. The reason codes
stay codes in the drop-down (the codes sheet gives each one's label and meaning in the
workbook's language); a label typed in their place is read as its code.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

import matcher
from matcher.i18n import N_, _, both, language
from matcher.io.atomic import write_bytes
from matcher.io.files import sha256_bytes, sha256_file
from matcher.io.headers import SUPPORT_WORDS, internal_columns
from matcher.io.safe_text import text_cells
from matcher.review.ledger import (
    LANDLORD_REASONS,
    Batch,
    Decision,
    ProposalRecord,
    ProposedPair,
    Signed,
    SigningKey,
    read_ledger,
)
from matcher.review.reasons import BOOK
from matcher.rules.capacity import load_of
from models import Contact, Instance, InvalidInstance, Problem, Unit
from models.contact import coordinator_contact, landlord_contact

FORMAT = "matcher-review-workbook"
# 2: the record of what was sent is signed with the ledger's key
# 3: a Status column; earlier decisions shown filled in and locked; a return-by date
# 4: the unit's address and the landlord's own reference beside the unit (issue 15)
FORMAT_VERSION = "4"
READ_VERSIONS = ("1", "2", "3", "4")  # a version 1 workbook is read, and refused on import as unsigned
UNSIGNED_FIELDS = ("digest", "key_id", "signature")  # the record's fields outside the signed text
REVIEW_SHEET = N_("Review")  # shown in the user's language: `_(REVIEW_SHEET)`; read in either
CODES_SHEET = N_("Reason codes")
META_SHEET = "_matcher"
TABLE_MARK = "#sent rows"
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1

# (key, header, width): the columns a landlord sees, in order (headers: English messages, shown
# in the user's language with `_()`, read back in either)
COLUMNS = (
    ("client_id", N_("Client (pseudonym)"), 20),
    ("household_size", N_("Household size"), 11),
    ("support_intensity", N_("Support intensity"), 15),
    ("provider_needed", N_("Support provider needed"), 14),
    ("unit_id", N_("Unit"), 16),
    ("address", N_("Address"), 36),
    ("landlord_reference", N_("Your reference"), 16),
    ("rent", N_("Rent (EUR / month)"), 13),
    ("move_in_from", N_("Move in from"), 13),
    ("status", N_("Status"), 22),
    ("decision", N_("Decision"), 12),
    ("reason_code", N_("Reason code (if declined)"), 26),
    ("note", N_("Note"), 40),
)
KEYS = [key for key, _, _ in COLUMNS]
KEYS_V3 = [key for key in KEYS if key not in ("address", "landlord_reference")]  # format version 3
KEYS_V2 = [key for key in KEYS_V3 if key != "status"]  # the columns of format versions 1 and 2
HEADERS = {key: header for key, header, _ in COLUMNS}
EDITABLE = ("decision", "reason_code", "note")
LOCKED = tuple(key for key in KEYS if key not in EDITABLE)
META_COLUMNS_V2 = (
    "client_id",
    "unit_id",
    "household_size",
    "support_intensity",
    "provider_needed",
    "rent",
    "move_in_from",
    "landlord",
    "municipality_id",
    "neighbourhood_id",
    "unit_type",
    "load",
)
# version 3 also records each row's Status and what a decided row showed (locked)
META_COLUMNS_V3 = (*META_COLUMNS_V2, "status", "decided_on", "decision", "reason_code", "note")
# version 4 also records what the address and reference cells showed (locked)
META_COLUMNS = (*META_COLUMNS_V3, "address", "landlord_reference")
PROVIDER_NOT_NEEDED = ("light",)  # light support: no provider in the home (informal or wijkteam)

NEW = "new"  # Status: in no earlier export to this landlord
SENT_BEFORE = "sent before"  # Status: exported to this landlord before, still undecided
DECIDED = "decided"  # Status: the ledger holds this landlord's decision (locked)
# what each Status shows, in the user's language (`status_text`)
STATUS_WORDS = {NEW: N_("new"), SENT_BEFORE: N_("sent before"), DECIDED: N_("decided on {day}")}
# the Decision words a landlord chooses, in the user's language; the ledger keeps the key
DECISION_WORDS = {"accept": N_("accept"), "decline": N_("decline")}
YES_NO = {True: N_("yes"), False: N_("no")}  # Support provider needed
RETURN_DAYS = 4  # default return-by: the period start + 4 days (the Friday of a Monday week)
RETURN_MAX_WEEKS = 8  # a --return-by later than this after the period start is taken for a typo
MAX_CELL = 32_767  # characters Excel keeps in one cell

NAVY = "1F3864"
THIN = Side(style="thin", color="BFBFBF")


# --- the workbook's words, in either language ------------------------------------------------------


def status_text(state: str, day: date | None = None) -> str:
    """What the Status column shows for a row's state, in the user's language."""
    return _(STATUS_WORDS[state], day=day.isoformat()) if state == DECIDED and day else _(STATUS_WORDS[state])


def decision_of(text: Any) -> str | None:
    """The ledger's decision ('accept' or 'decline') a cell's word means, in either language; None
    when it is not a decision word (the cell is compared case-insensitively and trimmed)."""
    word = _text(text).casefold()
    for key, message in DECISION_WORDS.items():
        if word in {w.casefold() for w in both(message)} or word == key:
            return key
    return None


def reason_of(text: Any) -> str:
    """The reason code a cell means: the code itself, or a landlord code's label in either language
    (else the text as it is, refused on import as an unknown code)."""
    value = _text(text)
    if value in LANDLORD_REASONS:
        return value
    for code, reason in BOOK["landlord"].items():
        if value.casefold() in {w.casefold() for w in both(reason.label)}:
            return code
    return value


def long_date(day: date, weekday: bool = True, short: bool = False) -> str:
    """A date as a reader writes it: 'Friday 27 November 2026' / 'vrijdag 27 november 2026'
    (without the weekday, and with the month short: '23 Nov 2026' / '23 nov. 2026')."""
    if language() == "en":
        return day.strftime(("%A " if weekday else "") + ("%d %b %Y" if short else "%d %B %Y"))
    from babel.dates import format_date

    return format_date(
        day, ("EEEE " if weekday else "") + ("d MMM y" if short else "d MMMM y"), locale=language()
    )


def decision_words() -> str:
    """'accept or decline' in the user's language, for messages."""
    return _(
        "{accept} or {decline}", accept=_(DECISION_WORDS["accept"]), decline=_(DECISION_WORDS["decline"])
    )


def _find_sheet(book: Any, name: str) -> Any | None:
    """The sheet named `name` in either language (None when there is none)."""
    for candidate in both(name):
        if candidate in book.sheetnames:
            return book[candidate]
    return None


# --- the proposal folder -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalFolder:
    """A folder written by `matcher solve`: its matches, its summary and a stable id."""

    path: Path
    matches: pd.DataFrame
    summary: dict
    proposal_id: str


def read_proposal_folder(folder: str | Path) -> ProposalFolder:
    """Read proposals.csv and summary.json; the id is the sha256 prefix of proposals.csv."""
    from matcher.io.atomic import verify_set

    folder = Path(folder)
    verify_set(folder).require()  # a set half-written by a killed solve is refused, never mixed
    file = folder / "proposals.csv"
    if not file.is_file():
        raise InvalidInstance(
            [
                Problem(
                    file=str(folder),
                    message=_("no proposals.csv here: give a folder written by `matcher solve`"),
                )
            ]
        )
    try:
        matches = internal_columns(pd.read_csv(file, dtype=str, keep_default_na=False))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InvalidInstance(
            [
                Problem(
                    file="proposals.csv",
                    message=_("not a readable CSV ({error})", error=error.__class__.__name__),
                )
            ]
        ) from None
    missing = [c for c in ("client_id", "unit_id") if c not in matches.columns]
    if missing:
        raise InvalidInstance(
            [
                Problem(file="proposals.csv", row=1, column=c, message=_("missing required column"))
                for c in missing
            ]
        )
    summary: dict = {}
    if (folder / "summary.json").is_file():
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidInstance(
                [Problem(file="summary.json", message=_("not valid JSON: run `matcher solve` again"))]
            ) from None
    digest = sha256_file(file)
    return ProposalFolder(folder, matches, summary, digest[:16])


def move_in_from(instance: Instance, client_id: str, unit_id: str) -> date:
    """The earliest moving date: the latest of unit available_from, client ready_from, period start."""
    client = next(c for c in instance.clients if c.client_id == client_id)
    unit = next(u for u in instance.units if u.unit_id == unit_id)
    return max(d for d in (unit.available_from, client.ready_from, instance.policy.period.start) if d)


def proposal_record(instance: Instance, folder: ProposalFolder, instance_name: str) -> ProposalRecord:
    """The proposal as the ledger stores it; every pair must exist in the instance."""
    clients = {c.client_id: c for c in instance.clients}
    units = {u.unit_id: u for u in instance.units}
    problems = []
    period = folder.summary.get("policy", {}).get("period", {}).get("start")
    if period and period != instance.policy.period.start.isoformat():
        problems.append(
            Problem(
                file="summary.json",
                column="policy.period.start",
                message=_(
                    "the proposal is for the week of {period}, the instance for {start}: "
                    "give the instance it was made from",
                    period=period,
                    start=instance.policy.period.start,
                ),
            )
        )
    pairs = []
    for number, (client_id, unit_id) in enumerate(
        zip(folder.matches["client_id"], folder.matches["unit_id"]), start=2
    ):
        for kind, value, known in (("client_id", client_id, clients), ("unit_id", unit_id, units)):
            if value not in known:
                problems.append(
                    Problem(
                        file="proposals.csv",
                        row=number,
                        column=kind,
                        message=_(
                            "{value} is not in the instance: give the instance the proposal was made from",
                            value=repr(value),
                        ),
                    )
                )
        if client_id in clients and unit_id in units:
            client, unit = clients[client_id], units[unit_id]
            stays = client.stays_in(unit.unit_id)
            load = load_of(
                instance.policy, client.support_intensity, unit.type, stays=stays, persons=client.persons
            )
            pairs.append(
                ProposedPair(
                    client_id,
                    unit_id,
                    unit.landlord,
                    unit.municipality_id,
                    unit.neighbourhood_id,
                    unit.type,
                    client.support_intensity,
                    load,
                    unit.site_id,
                    client.source,
                    ";".join(client.target_groups) or None,
                    client.provider,
                    client.persons,
                )
            )
    if problems:
        raise InvalidInstance(problems)
    objective = folder.summary.get("objective", {})
    return ProposalRecord(
        proposal_id=folder.proposal_id,
        period_start=instance.policy.period.start,
        period_end=instance.policy.period.end,
        instance=instance_name,
        pool_clients=len(instance.clients),
        pool_units=len(instance.units),
        priority_w=objective.get("W"),
        preference_p=objective.get("P"),
        pairs=tuple(pairs),
    )


# --- export ------------------------------------------------------------------------------------


# Names Windows keeps for devices, with or without an extension (`con.xlsx` cannot be made there)
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{k}" for k in range(1, 10)] + [f"lpt{k}" for k in range(1, 10)]
)
MAX_FILE_NAME = 100  # characters, ".xlsx" and any "-2" included: short enough for any folder and mail


def landlord_file_name(landlord: str, taken: set[str]) -> str:
    """A safe, unique file name for a landlord: 'Pré Wonen' -> 'pre-wonen.xlsx'.

    Safe on Windows, macOS and Linux alike: ASCII letters, digits and hyphens only (so none of
    `<>:"/\\|?*`, no control character, no trailing dot or space), never a reserved device name
    (`con`, `prn`, `aux`, `nul`, `com1`-`com9`, `lpt1`-`lpt9` get a `landlord-` prefix), at most
    MAX_FILE_NAME characters, and unique in `taken` ignoring case (Windows and macOS folders do).
    """
    ascii_name = unicodedata.normalize("NFKD", landlord).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower() or "landlord"
    if slug in WINDOWS_RESERVED:
        slug = f"landlord-{slug}"
    lowered = {name.lower() for name in taken}
    number = 1
    while True:
        suffix = f"-{number}" if number > 1 else ""
        stem = slug[: MAX_FILE_NAME - len(".xlsx") - len(suffix)].rstrip("-") + suffix
        name = f"{stem}.xlsx"
        if name.lower() not in lowered:
            taken.add(name)
            return name
        number += 1


@dataclass(frozen=True)
class Earlier:
    """What the ledger held before this export: what each row's Status says, what a decided row shows.

    `decisions`: the landlord's decision per (client, unit), as the ledger rows (`read_ledger`);
    `sent`: every (landlord, client, unit) of a proposal recorded in the ledger, i.e. exported
    before (the ledger records a proposal only once its workbooks were written); `return_by`: the
    return-by date of every recorded proposal (None: recorded before the ledger kept one).
    """

    decisions: dict[tuple[str, str], dict] = field(default_factory=dict)
    sent: frozenset[tuple[str, str, str]] = frozenset()
    return_by: dict[str, date | None] = field(default_factory=dict)


def earlier_from_ledger(ledger: str | Path) -> Earlier:
    """The landlords' decisions, the pairs exported and the return-by dates in the ledger."""
    state = read_ledger(ledger)
    return Earlier(
        decisions={
            (row["client_id"], row["unit_id"]): row for row in state.decisions if row["party"] == "landlord"
        },
        sent=frozenset((row["landlord"], row["client_id"], row["unit_id"]) for row in state.proposed),
        return_by={row["proposal_id"]: row.get("return_by") for row in state.proposals},
    )


def row_status(earlier: Earlier, landlord: str, client_id: str, unit_id: str) -> dict[str, Any]:
    """A row's Status and what its Decision, Reason code and Note show when exported."""
    decided = earlier.decisions.get((client_id, unit_id))
    if decided is not None:
        day = _day(decided.get("recorded_at"))
        return {
            "state": DECIDED,
            "status": status_text(DECIDED, day),
            "decided_on": day,
            "decision": _(DECISION_WORDS[decided["decision"]])
            if decided["decision"] in DECISION_WORDS
            else decided["decision"],
            "reason_code": decided.get("reason_code") or "",
            "note": _cell_text(decided.get("note")),
        }
    state = SENT_BEFORE if (landlord, client_id, unit_id) in earlier.sent else NEW
    return {
        "state": state,
        "status": status_text(state),
        "decided_on": None,
        "decision": "",
        "reason_code": "",
        "note": "",
    }


def status_counts(record: ProposalRecord, earlier: Earlier) -> dict[str, Counter]:
    """Per landlord: how many rows are new, sent before and decided (`new`, `sent before`, `decided`)."""
    counts: dict[str, Counter] = {landlord: Counter() for landlord in landlords_of(record)}
    for pair in record.pairs:
        counts[pair.landlord][row_status(earlier, pair.landlord, pair.client_id, pair.unit_id)["state"]] += 1
    return counts


def _day(value: Any) -> date:
    """The day of a ledger timestamp (UTC, as the ledger keeps it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _cell_text(value: Any) -> str:
    """Text as a workbook cell can hold it: no control character openpyxl refuses, at most MAX_CELL."""
    if value is None:
        return ""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL]


def default_return_by(record: ProposalRecord) -> date:
    """The period start + RETURN_DAYS days (the Friday of a week that starts on Monday), or the
    period's last day when the period is shorter. Deterministic: never today's date."""
    return min(record.period_start + timedelta(days=RETURN_DAYS), record.period_end)


def return_by_problems(record: ProposalRecord, given: date) -> list[Problem]:
    """A --return-by must fall on or after the period start and at most RETURN_MAX_WEEKS after it."""
    latest = record.period_start + timedelta(weeks=RETURN_MAX_WEEKS)
    if record.period_start <= given <= latest:
        return []
    return [
        Problem(
            file="--return-by",
            message=_(
                N_(
                    "{given} is before the week it is for: give a date from {start} (the period start) "
                    "to {latest} ({weeks} weeks later), or leave it out for {default}"
                )
                if given < record.period_start
                else N_(
                    "{given} is too late: give a date from {start} (the period start) to "
                    "{latest} ({weeks} weeks later), or leave it out for {default}"
                ),
                given=given,
                start=record.period_start,
                latest=latest,
                weeks=RETURN_MAX_WEEKS,
                default=default_return_by(record),
            ),
        )
    ]


def resolve_return_by(
    record: ProposalRecord, given: date | None, earlier: Earlier
) -> tuple[date, list[Problem]]:
    """The date the workbooks are due back, and why it cannot be used.

    A proposal exported before keeps the date the ledger recorded with it: without --return-by
    the workbooks show that date again; a different --return-by is refused, because the ledger
    keeps a proposal's first record. Otherwise --return-by, or `default_return_by`.
    """
    recorded = earlier.return_by.get(record.proposal_id)
    if given is not None:
        problems = return_by_problems(record, given)
        if problems:
            return given, problems
        if recorded is not None and _day(recorded) != given:
            return given, [
                Problem(
                    file="--return-by",
                    message=_(
                        "proposal {proposal} was exported before, due back by {day}, and the ledger keeps "
                        "that date: leave out --return-by to export it again with that date (tell the "
                        "landlords a later date yourself if they need one)",
                        proposal=record.proposal_id,
                        day=_day(recorded),
                    ),
                )
            ]
        return given, []
    if recorded is not None:
        return _day(recorded), []
    return default_return_by(record), []


def due_date(record: ProposalRecord) -> date:
    """The return-by date a workbook shows: the record's, or the default for its period."""
    return record.return_by or default_return_by(record)


def landlords_of(record: ProposalRecord) -> list[str]:
    """The landlords with matches in a proposal, in the order their workbooks are written."""
    return sorted({p.landlord for p in record.pairs})


def landlord_rows(
    instance: Instance, record: ProposalRecord, landlord: str, earlier: Earlier | None = None
) -> list[dict[str, Any]]:
    """The rows a landlord sees (plus the hidden ledger details), ordered by unit.

    With `earlier` (what the ledger held), each row gets its Status, and a decided row the
    landlord's decision, reason code and note; without, every row is new.
    """
    earlier = earlier or Earlier()
    clients = {c.client_id: c for c in instance.clients}
    units = {u.unit_id: u for u in instance.units}
    rows = []
    for pair in sorted(
        (p for p in record.pairs if p.landlord == landlord), key=lambda p: (p.unit_id, p.client_id)
    ):
        client, unit = clients[pair.client_id], units[pair.unit_id]
        rows.append(
            {
                "client_id": client.client_id,
                "household_size": client.household_size,
                "support_intensity": _(SUPPORT_WORDS[client.support_intensity])
                if client.support_intensity in SUPPORT_WORDS
                else client.support_intensity,
                "provider_needed": _(YES_NO[client.support_intensity not in PROVIDER_NOT_NEEDED]),
                "unit_id": unit.unit_id,
                "address": unit_address(unit),
                "landlord_reference": unit.landlord_reference or "",
                "rent": float(unit.rent),
                "move_in_from": move_in_from(instance, client.client_id, unit.unit_id),
                "landlord": landlord,
                "municipality_id": pair.municipality_id,
                "neighbourhood_id": pair.neighbourhood_id,
                "unit_type": pair.unit_type,
                "load": pair.load,
                **row_status(earlier, landlord, client.client_id, unit.unit_id),
            }
        )
    return rows


def unit_address(unit: Unit) -> str:
    """The unit's address as the workbook shows it: `Kanaalstraat 20-1, 1971 TW IJmuiden
    (Kanaalhof)`; empty when units.csv gives none."""
    address = unit.address()
    if unit.complex_name:
        return f"{address} ({unit.complex_name})" if address else unit.complex_name
    return address


def export_workbooks(
    instance: Instance,
    record: ProposalRecord,
    out: str | Path,
    key: SigningKey | None = None,
    earlier: Earlier | None = None,
) -> list[Path]:
    """Write one review workbook per landlord with matches into `out`, all or none; their paths,
    in the order of `landlords_of(record)`.

    `key` signs each workbook's record of what was sent (`matcher review export` always gives
    the ledger's key; an unsigned workbook is refused on import). `earlier`, what the ledger
    held before this export, gives each row its Status and fills in (and locks) the decisions
    already recorded. Nothing is written when a file of the same name in `out` holds a
    landlord's decisions or is not a review workbook as exported: each is named, with what to
    do. The workbooks are made in a staging folder beside `out` and moved in only when every
    one of them was written.
    """
    out = Path(out)
    taken: set[str] = set()
    plan = [(landlord, landlord_file_name(landlord, taken)) for landlord in landlords_of(record)]
    if not plan:
        return []
    if out.exists() and not out.is_dir():
        raise InvalidInstance(
            [Problem(file=str(out), message=_("not a folder: give a folder for the workbooks"))]
        )
    problems = [problem for _landlord, name in plan for problem in replace_problems(out / name)]
    if problems:
        raise InvalidInstance(problems)

    def make(landlord: str) -> Callable[[], bytes]:
        return lambda: workbook_bytes(
            record, landlord, landlord_rows(instance, record, landlord, earlier), key, instance.contacts
        )

    _write_all_or_none(out, [(name, make(landlord)) for landlord, name in plan])
    return [out / name for _landlord, name in plan]


def replace_problems(path: Path) -> list[Problem]:
    """Why a file may not be replaced by a fresh workbook: it holds decisions, or is not as exported.

    A review workbook as it was exported, with nothing filled in, may be replaced: nothing is
    lost. Anything else is refused.
    """
    if not os.path.lexists(path):
        return []
    todo = _(
        "it would be overwritten. Move it out of the folder (import it first if it holds a landlord's "
        "decisions: `matcher review import`), or export into another folder"
    )
    filled = _filled_rows(path) if path.is_file() else None
    if filled is None:
        return [Problem(file=str(path), message=_("is not a review workbook as exported; {todo}", todo=todo))]
    if filled:
        rows = ", ".join(str(row) for row in filled[:5]) + (", …" if len(filled) > 5 else "")
        return [
            Problem(
                file=str(path),
                message=_(
                    "holds a landlord's decisions or notes (sheet {sheet}, row(s) {rows}); {todo}",
                    sheet=filled_sheet(path),
                    rows=rows,
                    todo=todo,
                ),
            )
        ]
    _none, problems = read_workbook(path)
    if problems:
        return [
            Problem(
                file=str(path),
                message=_(
                    "differs from the workbook that was exported ({problem}); {todo}",
                    problem=problems[0],
                    todo=todo,
                ),
            )
        ]
    return []


def _filled_rows(path: Path) -> list[int] | None:
    """The rows of a review workbook whose Decision, Reason code or Note differ from what was
    exported (blank, or an earlier decision shown locked); None: not a review workbook."""
    try:
        book = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    sheet = _find_sheet(book, REVIEW_SHEET)
    if META_SHEET not in book.sheetnames or sheet is None:
        return None
    header, sent, _content, _problems = _read_meta(book[META_SHEET], path.name)
    keys = _layout(header.get("format_version", FORMAT_VERSION))
    filled = []
    for number in range(FIRST_ROW, sheet.max_row + 1):
        values = {key: sheet.cell(row=number, column=keys.index(key) + 1).value for key in keys}
        shown = sent.get((_text(values["client_id"]), _text(values["unit_id"])), {})
        if any(_shown(values[key]) != _shown(shown.get(key)) for key in EDITABLE):
            filled.append(number)
    return filled


def filled_sheet(path: Path) -> str:
    """The name of a workbook's Review sheet as it is in the file (either language)."""
    try:
        sheet = _find_sheet(load_workbook(path, read_only=True), REVIEW_SHEET)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        sheet = None
    return sheet.title if sheet is not None else _(REVIEW_SHEET)


STAGING = ".{name}.export-{pid}-"  # the staging folder beside the workbook folder


def _staging_prefix(out: Path, pid: int | str) -> str:
    return STAGING.format(name=out.name[:80], pid=pid)  # short enough for any file system


def _write_all_or_none(out: Path, files: list[tuple[str, Callable[[], bytes]]]) -> None:
    """Make every file in a staging folder beside `out`, then move them in.

    A new (or empty) `out` appears with every workbook in one rename; into a folder holding
    other files they are moved one by one, each atomically, only after all were written. A
    failure (or a kill) while they are made leaves `out` as it was; a staging folder left by a
    killed export is removed by the next one.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out, os.getpid()), dir=out.parent))
    try:
        for name, make in files:
            write_bytes(staging / name, make())
        try:
            os.rename(staging, out)  # `out` absent, or (POSIX) an empty folder: one step
            _fsync_folder(out.parent)
            return
        except OSError:
            pass  # `out` holds other files: move the workbooks in one by one
        for name, _ in files:
            os.replace(staging / name, out / name)
        _fsync_folder(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned_staging(out: Path) -> None:
    """Remove staging folders of exports to `out` whose process no longer runs (POSIX only)."""
    if os.name != "posix":
        return
    prefix = _staging_prefix(out, "").removesuffix("-")
    for folder in out.parent.iterdir():
        pid = folder.name[len(prefix) :].split("-")[0] if folder.name.startswith(prefix) else ""
        if pid.isdigit() and folder.is_dir() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _text_only(book: Any) -> None:
    """Every text cell is a string cell, never a formula (openpyxl makes a str starting '=' a formula).

    Input validation already refuses ids and names that begin like a formula; this is defence in
    depth, so no value, whatever its source, can become a live formula in a landlord's workbook.
    `matcher.io.safe_text.text_cells` does it, for every workbook the package writes.
    """
    text_cells(book)


def workbook_bytes(
    record: ProposalRecord,
    landlord: str,
    rows: list[dict[str, Any]],
    key: SigningKey | None = None,
    contacts: tuple[Contact, ...] = (),
) -> bytes:
    """The landlord's workbook as .xlsx bytes; signed with `key` (unsigned without one).

    A row without a Status (`landlord_rows` without the ledger's history) is new and undecided.
    Of `contacts` (contacts.csv) only this landlord's own and the coordinator it answers are
    shown, never another landlord's.
    """
    rows = [
        {"address": "", "landlord_reference": "", **row_status(Earlier(), landlord, "", ""), **row}
        for row in rows
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = _(REVIEW_SHEET)
    _title_block(sheet, record, landlord, rows, contacts)
    _table(sheet, rows)
    _codes_sheet(book.create_sheet(_(CODES_SHEET)))
    _meta_sheet(book.create_sheet(META_SHEET), record, landlord, rows, key)
    book.properties.creator = f"matcher {matcher.__version__}"
    book.properties.title = _(
        "Matches for {landlord}, week of {start}", landlord=landlord, start=record.period_start
    )
    book.properties.language = language()
    book.active = 0
    _text_only(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def return_line(record: ProposalRecord, landlord: str, contacts: tuple[Contact, ...] = ()) -> str:
    """Whom to return the workbook to and by when: the coordinator's contact when contacts.csv
    names one (for this landlord, else for every landlord)."""
    coordinator = coordinator_contact(contacts, landlord)
    day = long_date(due_date(record))
    if coordinator is None:
        return _("Return this file by {day} to the coordinator.", day=day)
    return _("Return this file by {day} to the coordinator: {contact}.", day=day, contact=coordinator.words())


def _week_line(
    record: ProposalRecord, landlord: str, count: int, new: int, decided: int, contacts: tuple[Contact, ...]
) -> str:
    week = _(
        N_(
            "Week {start} – {end}  ·  instance {instance}  ·  proposal {proposal}  ·  {engine}  ·  "
            "{count} matches: {new} new, {sent} sent before, {decided} decided"
        )
        if count != 1
        else N_(
            "Week {start} – {end}  ·  instance {instance}  ·  proposal {proposal}  ·  {engine}  ·  "
            "{count} match: {new} new, {sent} sent before, {decided} decided"
        ),
        start=long_date(record.period_start, weekday=False, short=True),
        end=long_date(record.period_end, weekday=False, short=True),
        instance=record.instance,
        proposal=record.proposal_id,
        engine=f"matcher {matcher.__version__}",
        count=count,
        new=new,
        sent=count - new - decided,
        decided=decided,
    )
    own = landlord_contact(contacts, landlord)
    if own is None:
        return week
    return _("Your contact for these matches: {contact}", contact=own.words()) + "\n" + week


def _title_block(
    sheet: Any,
    record: ProposalRecord,
    landlord: str,
    rows: list[dict[str, Any]],
    contacts: tuple[Contact, ...] = (),
) -> None:
    last = get_column_letter(len(COLUMNS))
    count = len(rows)
    decided = sum(1 for row in rows if row["decided_on"])
    new = sum(1 for row in rows if row["state"] == NEW)
    lines = [
        (_("Proposed matches for {landlord}", landlord=landlord), Font(bold=True, size=15, color=NAVY)),
        (_week_line(record, landlord, count, new, decided, contacts), Font(size=10, color="595959")),
        (return_line(record, landlord, contacts), Font(bold=True, size=12, color="C00000")),
        (
            _(
                "For each match choose {accept} or {decline} under {decision}. A decline needs a reason "
                "code (the sheet '{codes}' says what each one rules out). Only {decision}, {reason} and "
                "{note} can be changed. {status}: '{new}' = not sent to you before; '{sent}' = in an "
                "earlier file, still open; '{decided}' = your decision is recorded and locked (to change "
                "it, contact the coordinator).",
                accept=_(DECISION_WORDS["accept"]),
                decline=_(DECISION_WORDS["decline"]),
                decision=_(HEADERS["decision"]),
                codes=_(CODES_SHEET),
                reason=_(HEADERS["reason_code"]),
                note=_(HEADERS["note"]),
                status=_(HEADERS["status"]),
                new=status_text(NEW),
                sent=status_text(SENT_BEFORE),
                decided=_(STATUS_WORDS[DECIDED], day="…"),
            ),
            Font(size=10),
        ),
        (
            _("Pseudonyms only: this file holds no health or safety details. Do not forward it."),
            Font(size=10, italic=True, color="C00000"),
        ),
    ]
    for number, (text, font) in enumerate(lines, start=1):
        sheet.merge_cells(f"A{number}:{last}{number}")
        cell = sheet.cell(row=number, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 24
    if landlord_contact(contacts, landlord) is not None:
        sheet.row_dimensions[2].height = 28
    sheet.row_dimensions[3].height = 20
    sheet.row_dimensions[4].height = 44


def _table(sheet: Any, rows: list[dict[str, Any]]) -> None:
    header_fill = PatternFill("solid", fgColor=NAVY)
    editable_fill = PatternFill("solid", fgColor="FFF8E1")
    decided_fill = PatternFill("solid", fgColor="EDEDED")
    new_fill = PatternFill("solid", fgColor="DDEBF7")
    border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    for column, (_key, header, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=_(header))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 32

    for offset, row in enumerate(rows):
        number = FIRST_ROW + offset
        decided = bool(row["decided_on"])
        for column, key in enumerate(KEYS, start=1):
            value = row.get(key)
            if key in EDITABLE:
                value = value or None  # an undecided row's cells stay empty
            cell = sheet.cell(row=number, column=column, value=value)
            cell.border = border
            if key == "address":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif key == "rent":
                cell.number_format = '"€" #,##0.00'
            elif key == "move_in_from":
                cell.number_format = "yyyy-mm-dd"
                cell.alignment = Alignment(horizontal="center")
            elif key in ("household_size", "provider_needed"):
                cell.alignment = Alignment(horizontal="center")
            elif key == "status":
                cell.alignment = Alignment(horizontal="center")
                if decided:
                    cell.fill, cell.font = decided_fill, Font(color="595959")
                elif row["state"] == NEW:
                    cell.fill, cell.font = new_fill, Font(bold=True, color=NAVY)
            if key in EDITABLE:
                if decided:  # recorded in the ledger: shown, locked with the rest of the row
                    cell.fill = decided_fill
                else:
                    cell.protection = Protection(locked=False)
                    cell.fill = editable_fill

    last_row = FIRST_ROW + max(len(rows), 1) - 1
    decision_col = get_column_letter(KEYS.index("decision") + 1)
    reason_col = get_column_letter(KEYS.index("reason_code") + 1)
    decision_range = f"{decision_col}{FIRST_ROW}:{decision_col}{last_row}"
    reason_range = f"{reason_col}{FIRST_ROW}:{reason_col}{last_row}"

    accept, decline = _(DECISION_WORDS["accept"]), _(DECISION_WORDS["decline"])
    decision = DataValidation(
        type="list",
        formula1=f'"{accept},{decline}"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle=_(HEADERS["decision"]),
        error=_("Choose {words} from the list.", words=decision_words()),
        promptTitle=_(HEADERS["decision"]),
        prompt=decision_words(),
    )
    reason = DataValidation(
        type="list",
        formula1='"' + ",".join(LANDLORD_REASONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle=_("Reason code"),
        error=_("Choose a code from the list (see '{codes}').", codes=_(CODES_SHEET)),
        promptTitle=_("Reason code"),
        prompt=_("Needed when you decline"),
    )
    sheet.add_data_validation(decision)
    sheet.add_data_validation(reason)
    decision.add(decision_range)
    reason.add(reason_range)

    sheet.conditional_formatting.add(
        decision_range,
        CellIsRule(
            operator="equal",
            formula=[f'"{accept}"'],
            fill=PatternFill("solid", fgColor="C6EFCE"),
            font=Font(color="006100"),
        ),
    )
    sheet.conditional_formatting.add(
        decision_range,
        CellIsRule(
            operator="equal",
            formula=[f'"{decline}"'],
            fill=PatternFill("solid", fgColor="FFC7CE"),
            font=Font(color="9C0006"),
        ),
    )
    sheet.conditional_formatting.add(
        reason_range,
        FormulaRule(
            formula=[f'AND(${decision_col}{FIRST_ROW}="{decline}",{reason_col}{FIRST_ROW}="")'],
            fill=PatternFill("solid", fgColor="FFEB9C"),
        ),
    )

    sheet.freeze_panes = f"B{FIRST_ROW}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last_row}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # protected: headers and the proposal are locked; filtering and column widths stay allowed
    sheet.protection.sheet = True
    sheet.protection.autoFilter = False
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


CODES_HEADERS = (
    N_("Reason code"),
    N_("In words"),
    N_("Use it when"),
    N_("A decline with it rules out, for this client"),
)


def _codes_sheet(sheet: Any) -> None:
    """Each landlord code: its words and what a decline with it rules out, for how long (by default)."""
    for column, header in enumerate(CODES_HEADERS, start=1):
        cell = sheet.cell(row=1, column=column, value=_(header))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=NAVY)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    reasons = BOOK["landlord"]
    for number, code in enumerate(LANDLORD_REASONS, start=2):  # the drop-down's order
        shown = (code, reasons[code].shown_label, reasons[code].shown_words, reasons[code].shown_lasts)
        for column, value in enumerate(shown, start=1):
            sheet.cell(row=number, column=column, value=value).alignment = Alignment(wrap_text=True)
    note = sheet.cell(
        row=len(LANDLORD_REASONS) + 3,
        column=1,
        value=_(
            "This is what a decline rules out unless the coordinator sets otherwise for that one "
            "decline. The client is not proposed what is ruled out again while it lasts."
        ),
    )
    note.font = Font(size=10, italic=True, color="595959")
    sheet.merge_cells(start_row=note.row, start_column=1, end_row=note.row, end_column=len(CODES_HEADERS))
    note.alignment = Alignment(wrap_text=True)
    sheet.row_dimensions[note.row].height = 30
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 70
    sheet.column_dimensions["D"].width = 46
    sheet.protection.sheet = True


def _meta_sheet(
    sheet: Any, record: ProposalRecord, landlord: str, rows: list[dict[str, Any]], key: SigningKey | None
) -> None:
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "instance": record.instance,
        "period_start": record.period_start.isoformat(),
        "period_end": record.period_end.isoformat(),
        "proposal_id": record.proposal_id,
        "landlord": landlord,
        "engine": f"matcher {matcher.__version__}",
        "pool_clients": record.pool_clients,
        "pool_units": record.pool_units,
        "priority_w": record.priority_w,
        "preference_p": record.preference_p,
        "return_by": due_date(record).isoformat(),
        "language": language(),  # what the sheets show; the import reads either language
        "header_row": HEADER_ROW,
        "rows": len(rows),
    }
    header = {key: "" if value is None else _meta_text(value) for key, value in header.items()}
    table = [[_meta_text(row[key]) for key in META_COLUMNS] for row in rows]
    content = _signed_content(header, table)
    header["digest"] = sha256_bytes(content)  # tells a damaged record; anyone can recompute it
    header["key_id"] = key.key_id if key else ""
    header["signature"] = key.sign(content) if key else ""  # only the ledger's key can make it
    for name, value in header.items():
        sheet.append([name, value])
    sheet.append([TABLE_MARK])
    sheet.append(list(META_COLUMNS))
    for line in table:
        sheet.append(line)
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def _meta_text(value: Any) -> str:
    """A value as the hidden record holds it: exactly the text `_read_meta` reads back.

    The digest is taken over these texts when writing and over what is read when importing, so
    they must survive the workbook unchanged: the import trims every cell (`_text`) and XML reads
    a carriage return as a line feed. For valid ids and names this changes nothing; a value that
    begins with a tab or a carriage return (formula-like text) no longer breaks the import. None
    (an undecided row's decision) is the empty text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _shown(value: Any) -> str:
    """An editable cell's text as compared with what was exported (trimmed, line ends as read back)."""
    return _meta_text(_text(value))


def _signed_content(header: dict, table: list[list[str]]) -> bytes:
    """The text that the digest and the signature cover: the record's header and every row sent."""
    fields = {key: value for key, value in header.items() if key not in UNSIGNED_FIELDS}
    return json.dumps([fields, table], sort_keys=True).encode()


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Returned:
    """A returned workbook: its batch of new decisions, and how many rows it showed as decided
    earlier (filled in and locked at export), which are not read again."""

    batch: Batch
    decided_earlier: int = 0


def read_workbook(path: str | Path) -> tuple[Batch, list[Problem]]:
    """The landlord's decisions in a returned workbook, and every problem found in it."""
    returned, problems = _read(Path(path))
    return returned.batch, problems


def read_returned(paths: list[Path]) -> list[Returned]:
    """Every workbook as returned; raise InvalidInstance listing the problems of all files at once."""
    returned, problems = [], []
    for path in paths:
        one, found = _read(Path(path))
        returned.append(one)
        problems += found
    if problems:
        raise InvalidInstance(problems)
    return returned


def read_workbooks(paths: list[Path]) -> list[Batch]:
    """Every workbook's batch; raise InvalidInstance listing the problems of all files at once."""
    return [one.batch for one in read_returned(paths)]


def _read(path: Path) -> tuple[Returned, list[Problem]]:
    name = path.name
    nothing = Returned(Batch("workbook", name))
    try:
        book = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        return nothing, [
            Problem(
                file=name,
                message=_("not a readable .xlsx workbook ({error})", error=error.__class__.__name__),
            )
        ]
    sheet = _find_sheet(book, REVIEW_SHEET)
    if META_SHEET not in book.sheetnames or sheet is None:
        return nothing, [
            Problem(file=name, message=_("not a review workbook written by `matcher review export`"))
        ]
    header, sent, content, problems = _read_meta(book[META_SHEET], name)
    if problems:
        return nothing, problems
    keys = _layout(header["format_version"])
    period_start = date.fromisoformat(header["period_start"])
    file = f"{name} [{sheet.title}]"
    signed = Signed(
        landlord=header.get("landlord", ""),
        proposal_id=header["proposal_id"],
        content=content,
        signature=header.get("signature", ""),
        key_id=header.get("key_id", ""),
        sheet=file,
        record_sheet=f"{name} [{META_SHEET}]",
        client_column=_letter("client_id", keys),
    )
    for column, key in enumerate(keys, start=1):
        value = sheet.cell(row=HEADER_ROW, column=column).value
        if (value or "") not in both(HEADERS[key]):
            problems.append(
                Problem(
                    file=file,
                    row=HEADER_ROW,
                    column=get_column_letter(column),
                    message=_(
                        "header changed to {value}; it must read {header}: use the workbook as it was sent",
                        value=repr(value),
                        header=repr(_(HEADERS[key])),
                    ),
                )
            )
    if problems:
        return nothing, problems

    decisions, seen, decided_earlier = [], set(), 0
    for number in range(FIRST_ROW, sheet.max_row + 1):
        values = {
            key: sheet.cell(row=number, column=column).value for column, key in enumerate(keys, start=1)
        }
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        pair = (_text(values["client_id"]), _text(values["unit_id"]))
        if pair not in sent:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter("client_id", keys),
                    message=_(
                        "{client} -> {unit} was not in the proposal sent: "
                        "rows may not be added or their client or unit changed",
                        client=pair[0],
                        unit=pair[1],
                    ),
                )
            )
            continue
        if pair in seen:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter("unit_id", keys),
                    message=_("{client} -> {unit} appears twice: keep one row", client=pair[0], unit=pair[1]),
                )
            )
            continue
        seen.add(pair)
        for column_key in keys:
            if column_key in EDITABLE:
                continue
            if not _same(values[column_key], sent[pair][column_key]):
                problems.append(
                    Problem(
                        file=file,
                        row=number,
                        column=_letter(column_key, keys),
                        message=_(
                            "{column} changed from {then} to {now}: "
                            "this column is locked, use the workbook as it was sent",
                            column=_(HEADERS[column_key]),
                            then=repr(_text(sent[pair][column_key])),
                            now=repr(_text(values[column_key])),
                        ),
                    )
                )
        if sent[pair].get("decided_on"):  # decided earlier, shown locked: never read again
            problems += _decided_changes(values, sent[pair], file, number, keys)
            decided_earlier += 1
            continue
        decision_text = _text(values["decision"])
        reason = reason_of(values["reason_code"]) or None
        if not decision_text:
            if reason:
                problems.append(
                    Problem(
                        file=file,
                        row=number,
                        column=_letter("decision", keys),
                        message=_("a reason code without a decision: choose {words}", words=decision_words()),
                    )
                )
            continue
        chosen = decision_of(decision_text)
        decision = Decision(
            client_id=pair[0],
            unit_id=pair[1],
            party="landlord",
            decision=chosen or decision_text.lower(),
            reason_code=reason,
            note=_text(values["note"]) or None,
            period_start=period_start,
            proposal_id=header["proposal_id"],
            source_row=number,
        )
        if chosen is None:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter("decision", keys),
                    message=_(
                        "{value} is not a decision: choose {words}",
                        value=repr(decision_text),
                        words=decision_words(),
                    ),
                )
            )
            continue
        if reason and reason not in LANDLORD_REASONS:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter("reason_code", keys),
                    message=_(
                        "unknown reason code {code}; use one of: {codes}",
                        code=repr(reason),
                        codes=", ".join(LANDLORD_REASONS),
                    ),
                )
            )
            continue
        if chosen == "decline" and not reason:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter("reason_code", keys),
                    message=_("a decline needs a reason code"),
                )
            )
            continue
        decisions.append(decision)
    batch = Batch("workbook", name, sha256_file(path), decisions=decisions, signed=signed)
    return Returned(batch, decided_earlier), problems


def _decided_changes(
    values: dict[str, Any], sent: dict[str, Any], file: str, number: int, keys: list[str]
) -> list[Problem]:
    """A row decided earlier must come back as it was sent: its Decision, Reason code and Note too."""
    problems = []
    for key in EDITABLE:
        now, then = _shown(values[key]), _shown(sent[key])
        if key == "decision":
            same = (decision_of(now) or now.lower()) == (decision_of(then) or then.lower())
        elif key == "reason_code":
            same = reason_of(now) == reason_of(then)
        else:
            same = now == then
        if not same:
            put_back = _("Put back {value}", value=repr(then)) if then else _("Empty it again")
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    column=_letter(key, keys),
                    message=_(
                        "{column} changed from {then} to {now}: this match was decided on {day} and is "
                        "locked. {put_back}; to change a recorded decision, contact the coordinator "
                        "(`matcher record --correct`)",
                        column=_(HEADERS[key]),
                        then=repr(then),
                        now=repr(now),
                        day=_text(sent.get("decided_on")),
                        put_back=put_back,
                    ),
                )
            )
    return problems


def _layout(version: str) -> list[str]:
    """The Review sheet's columns in a workbook of this format version (version 3 added Status,
    version 4 the address and the landlord's reference)."""
    if version in ("1", "2"):
        return KEYS_V2
    return KEYS_V3 if version == "3" else KEYS


def _read_meta(sheet: Any, name: str) -> tuple[dict, dict, bytes, list[Problem]]:
    """The hidden record: its header, the rows sent by (client, unit), the signed text, problems.

    The digest tells a damaged record here; whether it may be trusted (its signature with the
    ledger's key) is checked on import, where the key is.
    """
    lines = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    firsts = [line[0] if line else "" for line in lines]
    position = firsts.index(TABLE_MARK) if TABLE_MARK in firsts else len(lines)
    header = {line[0]: (line[1] if len(line) > 1 else "") for line in lines[:position] if line and line[0]}
    broken = [
        Problem(
            file=name,
            message=_(
                "the workbook's hidden record of what was sent is damaged: ask the coordinator for a fresh export"
            ),
        )
    ]
    version = header.get("format_version")
    if header.get("format") != FORMAT or version not in READ_VERSIONS:
        return header, {}, b"", broken
    columns = (
        META_COLUMNS_V2 if version in ("1", "2") else META_COLUMNS_V3 if version == "3" else META_COLUMNS
    )
    table = [line[: len(columns)] for line in lines[position + 2 :] if any(line)]
    content = _signed_content(header, table)
    if sha256_bytes(content) != header.get("digest"):
        return header, {}, b"", broken
    sent = {}
    try:
        for line in table:
            row: dict[str, Any] = dict(zip(columns, line, strict=True))
            row["household_size"] = int(row["household_size"])
            row["rent"] = float(row["rent"])
            row["move_in_from"] = date.fromisoformat(row["move_in_from"])
            if "decided_on" in row:
                row["decided_on"] = date.fromisoformat(row["decided_on"]) if row["decided_on"] else None
            sent[(row["client_id"], row["unit_id"])] = row
        if version not in ("1", "2"):
            date.fromisoformat(header.get("return_by", ""))
    except (ValueError, TypeError):  # a record rewritten with its checksum recomputed
        return header, {}, b"", broken
    return header, sent, content, []


def _letter(key: str, keys: list[str] = KEYS) -> str:
    return get_column_letter(keys.index(key) + 1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _same(cell: Any, sent: Any) -> bool:
    """True when a locked cell still holds what was sent (numbers and dates compared as such)."""
    if isinstance(sent, date):
        if isinstance(cell, datetime):
            return cell.date() == sent
        return (isinstance(cell, date) and cell == sent) or _text(cell) == sent.isoformat()
    if isinstance(sent, (int, float)) and not isinstance(sent, bool):
        try:
            return abs(float(cell) - float(sent)) < 1e-9
        except (TypeError, ValueError):
            return False
    return _text(cell) == str(sent)
