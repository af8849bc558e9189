"""The ledger in sight: where every match stands, before the weekly matching table.

`ledger_status` is a pure function of what the ledger holds (`read_ledger` and `open_conflicts`);
`matcher status` renders it as tables or JSON. One vocabulary, used everywhere (docs/review-loop.md):

- **offered**: in the latest proposal sent to the landlords (`review export`), no decision yet;
- **accepted**: one side accepted, the other has not decided yet (it says which side);
- **housed**: accepted by both the client and the landlord (`solve --ledger` fixes it);
- **declined**: declined by the client or the landlord, whatever the other did; with the
  reason's words, and what the decline rules out (scope) and until when;
- **withdrawn**: offered in an earlier proposal, not in the latest one, and never decided.

Every match the ledger knows (proposed, or only decided) is in exactly one state. The latest
proposal is the one `solve --ledger` continues from: latest period start, then latest recorded.

The day the status is judged on (`as_of`, `matcher status --week`) defaults to the latest
proposal's period start, so the same ledger always gives the same status (never today's clock).
A workbook is *late* when its return date is before that day, *due* when on or after it.

A landlord's workbook (one per proposal and landlord) is **not back** while no landlord decision
on any of its matches was recorded since the proposal was recorded, and at least one of its
matches still waits for that landlord in it (still offered, or accepted by the client only, with
this proposal its latest). A workbook whose matches were all withdrawn, or declined by the
clients, needs no answer any more.

The states, parties and decisions stay English keys in the data and the JSON's keys; what a
person reads (`state_word`, `party_word`, `decision_word`, `MEANING`, `Match.detail`,
`Decline.rules_out`) is in the user's language (matcher/i18n.py; Dutch in review.po).
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from matcher.i18n import N_, _
from matcher.review.ledger import (
    PARTIES,
    LedgerState,
    counts_as_refusal,
    describe,
    is_declined,
    is_placed,
    open_conflicts,
    pair_status,
    read_ledger,
    refusal_counts,
)
from matcher.review.reasons import reason
from models.policy import Refusals

STATES = ("offered", "accepted", "housed", "declined", "withdrawn")
# what each state means (English messages: show them with `_()`)
MEANING = {
    "offered": N_("sent to the landlord, no decision yet"),
    "accepted": N_("one side accepted, the other has not decided yet"),
    "housed": N_("accepted by both the client and the landlord"),
    "declined": N_("declined by the client or the landlord"),
    "withdrawn": N_("offered in an earlier proposal, not in the latest one, never decided"),
}
STATE_WORDS = {
    "offered": N_("offered"),
    "accepted": N_("accepted"),
    "housed": N_("housed"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
}
PARTY_WORDS = {"client": N_("client"), "landlord": N_("landlord")}
DECISION_WORDS = {"accept": N_("accept"), "decline": N_("decline")}
WORKBOOK_STATES = ("late", "due", "no date")
WORKBOOK_WORDS = {"late": N_("late"), "due": N_("due"), "no date": N_("no date")}
DEFAULT_MAX_REFUSALS = Refusals().max_refusals
SCOPE_WORDS = {
    "site": N_("every unit of site {id}"),
    "neighbourhood": N_("every unit in neighbourhood {id}"),
    "landlord": N_("every unit of landlord {id}"),
    "municipality": N_("every unit in municipality {id}"),
}
# where the status's day comes from (`Status.as_of_from`, shown with `_()`)
GIVEN_WITH_WEEK = N_("given with --week")
FROM_LATEST_PROPOSAL = N_("the latest proposal's period start")
FROM_LATEST_DECISION = N_("the latest decision's week (no proposal recorded)")
NOTHING_RECORDED = N_("nothing recorded yet")


def state_word(state: str) -> str:
    """A match's state in the user's language: 'offered' / 'aangeboden'."""
    return _(STATE_WORDS[state]) if state in STATE_WORDS else state


def party_word(party: str) -> str:
    """'client' / 'cliënt', 'landlord' / 'corporatie'."""
    return _(PARTY_WORDS[party]) if party in PARTY_WORDS else party


def decision_word(decision: str) -> str:
    """'accept' / 'accepteren', 'decline' / 'afwijzen'."""
    return _(DECISION_WORDS[decision]) if decision in DECISION_WORDS else decision


@dataclass(frozen=True)
class Decline:
    """One party's decline of a match, and what it rules out for the client."""

    party: str
    reason_code: str | None
    reason: str  # the reason's words as recorded (or the code's words today, for an older ledger)
    note: str | None
    scope: str  # unit | site | neighbourhood | landlord | municipality
    scope_id: str | None
    until: date | None  # the last period start it holds for; None: for good
    holds: bool  # still rules something out on the status's day

    @property
    def rules_out(self) -> str:
        """What the decline rules out and for how long, in the user's language."""
        what = _("this unit") if self.scope == "unit" else _(SCOPE_WORDS[self.scope], id=self.scope_id)
        if self.until is None:
            return _("{what}, for good", what=what)
        if self.holds:
            return _("{what}, until {day}", what=what, day=self.until)
        return _("{what}, until {day} (ended)", what=what, day=self.until)


@dataclass(frozen=True)
class Match:
    """One (client, unit) match the ledger knows of, and its state."""

    state: str
    client_id: str
    unit_id: str
    week: date  # period start of its latest proposal (of its latest decision when never proposed)
    proposal_id: str | None  # its latest proposal; None when only decided (`record --week`)
    landlord: str | None
    municipality_id: str | None
    neighbourhood_id: str | None
    site_id: str | None
    accepted_by: tuple[str, ...]
    waiting_for: tuple[str, ...]  # parties that have not decided (offered, accepted)
    declines: tuple[Decline, ...]
    instead: tuple[tuple[str, str], ...]  # withdrawn: the latest proposal's matches of its client or unit
    released: bool = False  # accepted by one side, but not in the latest proposal (no longer held)

    @property
    def name(self) -> str:
        return f"{self.client_id} → {self.unit_id}"

    @property
    def detail(self) -> str:
        """The state in words, with what the coordinator needs to know about it."""
        if self.state == "offered":
            return _("waiting for the client and the landlord")
        if self.state == "accepted":
            accepted = _(
                "accepted by the {party}; waiting for the {other}",
                party=party_word(self.accepted_by[0]),
                other=party_word(self.waiting_for[0]),
            )
            if self.released:
                accepted += _(
                    "; not in the latest proposal, so `solve --ledger` no longer holds it: "
                    "tell them, or offer it again"
                )
            return accepted
        if self.state == "housed":
            return _("accepted by the client and the landlord")
        if self.state == "declined":
            parts = []
            for decline in self.declines:
                code = f" ({decline.reason_code})" if decline.reason_code else ""
                note = _("; note: {note}", note=decline.note) if decline.note else ""
                parts.append(
                    _(
                        "by the {party}: {reason}{code}{note}; rules out {rules_out}",
                        party=party_word(decline.party),
                        reason=_(decline.reason),  # the code's words in the user's language when known
                        code=code,
                        note=note,
                        rules_out=decline.rules_out,
                    )
                )
            if self.accepted_by:
                parts.append(_("the {party} had accepted", party=party_word(self.accepted_by[0])))
            return " | ".join(parts)
        now = ", ".join(f"{client} → {unit}" for client, unit in self.instead)
        if now:
            return _("not in the latest proposal; it offers {now}", now=now)
        return _("not in the latest proposal")


@dataclass(frozen=True)
class Workbook:
    """A landlord's workbook of one proposal that has not come back."""

    proposal_id: str
    week: date
    landlord: str
    return_by: date | None
    status: str  # late | due | no date
    days_late: int  # 0 unless late
    matches: int  # matches of this landlord in the proposal
    waiting: int  # of which still wait for the landlord in this workbook


@dataclass(frozen=True)
class ConflictToDo:
    """A decision that came in different from the one the ledger keeps, and what to do."""

    conflict_id: int
    client_id: str
    unit_id: str
    party: str
    week: date
    recorded: str
    recorded_reason: str | None
    new: str
    new_reason: str | None
    source: str
    source_row: int | None
    take_new: str  # the command that replaces the recorded decision with the new one
    keep_recorded: str = ""  # the command that keeps the recorded decision and settles the conflict


@dataclass(frozen=True)
class RefusalClient:
    """A client at or over the refusal limit (not housed)."""

    client_id: str
    refusals: int
    refused: tuple[tuple[str, str | None, date], ...]  # (unit, reason code, week) of each refusal


@dataclass(frozen=True)
class Status:
    """Everything `matcher status` shows."""

    ledger: str
    as_of: date | None
    as_of_from: str  # "--week", "the latest proposal's period start", ...
    latest_proposal: dict[str, Any] | None
    max_refusals: int
    matches: tuple[Match, ...]
    workbooks: tuple[Workbook, ...]
    conflicts: tuple[ConflictToDo, ...]
    refusals: tuple[RefusalClient, ...]

    def of(self, state: str) -> list[Match]:
        return [match for match in self.matches if match.state == state]

    @property
    def counts(self) -> dict[str, int]:
        workbooks = [book.status for book in self.workbooks]
        return {
            **{state: len(self.of(state)) for state in STATES},
            "workbooks_late": workbooks.count("late"),
            "workbooks_due": workbooks.count("due"),
            "workbooks_without_date": workbooks.count("no date"),
            "open_conflicts": len(self.conflicts),
            "at_refusal_limit": len(self.refusals),
        }

    @property
    def needs_attention(self) -> bool:
        """Open conflicts or late workbooks: `matcher status` exits 1."""
        counts = self.counts
        return bool(counts["open_conflicts"] or counts["workbooks_late"])

    @property
    def empty(self) -> bool:
        return self.latest_proposal is None and not self.matches and not self.conflicts

    def as_json(self) -> dict[str, Any]:
        """The same content as the tables, as JSON-able values (dates as YYYY-MM-DD)."""
        return {
            "ledger": self.ledger,
            "as_of": _day(self.as_of),
            "as_of_from": self.as_of_from,
            "latest_proposal": self.latest_proposal,
            "needs_attention": self.needs_attention,
            "counts": self.counts,
            "matches": [_match_json(match) for match in self.matches],
            "workbooks_not_back": [
                {
                    "proposal_id": book.proposal_id,
                    "week": _day(book.week),
                    "landlord": book.landlord,
                    "return_by": _day(book.return_by),
                    "status": book.status,
                    "days_late": book.days_late,
                    "matches": book.matches,
                    "waiting": book.waiting,
                }
                for book in self.workbooks
            ],
            "conflicts": [
                {
                    "conflict_id": conflict.conflict_id,
                    "client_id": conflict.client_id,
                    "unit_id": conflict.unit_id,
                    "party": conflict.party,
                    "week": _day(conflict.week),
                    "recorded": {"decision": conflict.recorded, "reason_code": conflict.recorded_reason},
                    "new": {"decision": conflict.new, "reason_code": conflict.new_reason},
                    "source": conflict.source,
                    "source_row": conflict.source_row,
                    "to_take_new": conflict.take_new,
                    "to_keep_recorded": conflict.keep_recorded,
                }
                for conflict in self.conflicts
            ],
            "refusal_limit": {
                "max_refusals": self.max_refusals,
                "clients": [
                    {
                        "client_id": client.client_id,
                        "refusals": client.refusals,
                        "refused": [
                            {"unit_id": unit, "reason_code": code, "week": _day(week)}
                            for unit, code, week in client.refused
                        ],
                    }
                    for client in self.refusals
                ],
            },
        }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _match_json(match: Match) -> dict[str, Any]:
    return {
        "state": match.state,
        "client_id": match.client_id,
        "unit_id": match.unit_id,
        "week": _day(match.week),
        "proposal_id": match.proposal_id,
        "landlord": match.landlord,
        "municipality_id": match.municipality_id,
        "neighbourhood_id": match.neighbourhood_id,
        "site_id": match.site_id,
        "accepted_by": list(match.accepted_by),
        "waiting_for": list(match.waiting_for),
        "declines": [
            {
                "party": decline.party,
                "reason_code": decline.reason_code,
                "reason": decline.reason,
                "note": decline.note,
                "scope": decline.scope,
                "scope_id": decline.scope_id,
                "until": _day(decline.until),
                "holds": decline.holds,
                "rules_out": decline.rules_out,
            }
            for decline in match.declines
        ],
        "instead": [{"client_id": client, "unit_id": unit} for client, unit in match.instead],
        "detail": match.detail,
    }


# --- the status --------------------------------------------------------------------------------


def read_status(
    ledger: str | Path,
    week: date | None = None,
    max_refusals: int = DEFAULT_MAX_REFUSALS,
    name: str | None = None,
) -> Status:
    """The status of a ledger (which must exist); see `ledger_status`. `name`: how to name the
    ledger in the status and its commands (default: `describe(ledger)`, without a password)."""
    state = read_ledger(ledger)
    return ledger_status(
        state, open_conflicts(ledger), week=week, max_refusals=max_refusals, ledger=name or describe(ledger)
    )


def _order(proposal: dict) -> tuple:
    """Proposals in the order `solve --ledger` continues from: period start, then as recorded."""
    return (proposal["period_start"], proposal.get("import_id") or 0, proposal["proposal_id"])


def ledger_status(
    state: LedgerState,
    conflicts: Sequence[dict] = (),
    week: date | None = None,
    max_refusals: int = DEFAULT_MAX_REFUSALS,
    ledger: str = "LEDGER",
) -> Status:
    """Where every match of the ledger stands, which workbooks have not come back, which conflicts
    wait for the coordinator and which clients reached the refusal limit (module docstring).

    `week` is the day return dates and decline ends are judged on; default: the latest
    proposal's period start (else the latest decision's week). `ledger` names the ledger in the
    commands the status suggests.
    """
    proposals = sorted(state.proposals, key=_order)
    latest = proposals[-1] if proposals else None
    as_of_from = GIVEN_WITH_WEEK
    if week is None:
        if latest is not None:
            week, as_of_from = latest["period_start"], FROM_LATEST_PROPOSAL
        elif state.decisions:
            week = max(row["period_start"] for row in state.decisions)
            as_of_from = FROM_LATEST_DECISION
        else:
            as_of_from = NOTHING_RECORDED

    position = {p["proposal_id"]: index for index, p in enumerate(proposals)}
    by_proposal: dict[str, list[dict]] = defaultdict(list)
    latest_of_pair: dict[tuple[str, str], dict] = {}
    for pair in state.proposed:
        if pair["proposal_id"] not in position:
            continue  # a proposed row without its proposal: nothing to place it by
        by_proposal[pair["proposal_id"]].append(pair)
        key = (pair["client_id"], pair["unit_id"])
        known = latest_of_pair.get(key)
        if known is None or position[pair["proposal_id"]] > position[known["proposal_id"]]:
            latest_of_pair[key] = pair

    status = pair_status(state.decisions)
    week_of = {p["proposal_id"]: p["period_start"] for p in proposals}
    latest_pairs = by_proposal.get(latest["proposal_id"], []) if latest is not None else []
    matches = [
        _match(
            pair,
            status.get(pair, {}),
            latest_of_pair.get(pair),
            week_of,
            latest["proposal_id"] if latest is not None else None,
            latest_pairs,
            week,
        )
        for pair in set(latest_of_pair) | set(status)
    ]
    matches.sort(key=lambda m: (STATES.index(m.state), -m.week.toordinal(), m.client_id, m.unit_id))

    return Status(
        ledger=ledger,
        as_of=week,
        as_of_from=as_of_from,
        latest_proposal=_proposal_json(latest, len(latest_pairs)) if latest is not None else None,
        max_refusals=max_refusals,
        matches=tuple(matches),
        workbooks=tuple(_workbooks(proposals, by_proposal, status, matches, week)),
        conflicts=tuple(_conflict(row, ledger) for row in sorted(conflicts, key=lambda r: r["conflict_id"])),
        refusals=tuple(_refusals(state.decisions, matches, max_refusals)),
    )


def _proposal_json(proposal: dict, pairs: int) -> dict[str, Any]:
    return {
        "proposal_id": proposal["proposal_id"],
        "week": _day(proposal["period_start"]),
        "period_end": _day(proposal.get("period_end")),
        "return_by": _day(proposal.get("return_by")),
        "instance": proposal.get("instance"),
        "matches": pairs,
    }


def _match(
    pair: tuple[str, str],
    parties: dict[str, dict],
    proposed: dict | None,
    week_of: dict[str, date],
    latest_id: str | None,
    latest_pairs: list[dict],
    as_of: date | None,
) -> Match:
    client_id, unit_id = pair
    accepted_by = tuple(p for p in PARTIES if parties.get(p, {}).get("decision") == "accept")
    declined_by = tuple(p for p in PARTIES if parties.get(p, {}).get("decision") == "decline")
    waiting_for = tuple(p for p in PARTIES if p not in parties)
    instead: tuple[tuple[str, str], ...] = ()
    released = False
    if is_declined(parties):
        state = "declined"
    elif is_placed(parties):
        state = "housed"
    elif accepted_by:
        state = "accepted"
        released = proposed is not None and proposed["proposal_id"] != latest_id
    elif proposed is not None and proposed["proposal_id"] != latest_id:
        state = "withdrawn"
        instead = tuple(
            sorted(
                (p["client_id"], p["unit_id"])
                for p in latest_pairs
                if p["client_id"] == client_id or p["unit_id"] == unit_id
            )
        )
    else:
        state = "offered"
    if proposed is not None:
        week = week_of[proposed["proposal_id"]]
    else:
        week = max(row["period_start"] for row in parties.values())
    record = proposed or {}
    return Match(
        state=state,
        client_id=client_id,
        unit_id=unit_id,
        week=week,
        proposal_id=record.get("proposal_id"),
        landlord=record.get("landlord"),
        municipality_id=record.get("municipality_id"),
        neighbourhood_id=record.get("neighbourhood_id"),
        site_id=record.get("site_id"),
        accepted_by=accepted_by,
        waiting_for=waiting_for if state in ("offered", "accepted") else (),
        declines=tuple(_decline(parties[p], as_of) for p in declined_by),
        instead=instead,
        released=released,
    )


def _decline(row: dict, as_of: date | None) -> Decline:
    """A stored decline as `apply_ledger` applies it: no scope means this unit, no end for good."""
    scope = row.get("scope") or "unit"
    scope_id = row.get("scope_id")
    if scope != "unit" and not scope_id:
        scope = "unit"  # apply_ledger falls back to the unit when the scope's id is unknown
    until = row.get("until")
    return Decline(
        party=row["party"],
        reason_code=row.get("reason_code"),
        reason=row.get("reason_text") or reason(row["party"], row.get("reason_code")).words,
        note=row.get("note"),
        scope=scope,
        scope_id=scope_id if scope != "unit" else None,
        until=until,
        holds=until is None or as_of is None or until >= as_of,
    )


def _workbooks(
    proposals: list[dict],
    by_proposal: dict[str, list[dict]],
    status: dict[tuple[str, str], dict[str, dict]],
    matches: list[Match],
    as_of: date | None,
) -> list[Workbook]:
    """The workbooks not back: per proposal and landlord (module docstring)."""
    state_of = {(m.client_id, m.unit_id): m for m in matches}
    found = []
    for proposal in proposals:
        pairs_of: dict[str, list[dict]] = defaultdict(list)
        for pair in by_proposal.get(proposal["proposal_id"], []):
            pairs_of[pair["landlord"]].append(pair)
        sent = proposal.get("import_id")
        for landlord, pairs in sorted(pairs_of.items()):
            answered = any(
                (row := status.get((p["client_id"], p["unit_id"]), {}).get("landlord")) is not None
                and (sent is None or row.get("import_id") is None or row["import_id"] > sent)
                for p in pairs
            )
            if answered:
                continue
            waiting = 0
            for p in pairs:
                match = state_of[(p["client_id"], p["unit_id"])]
                if match.proposal_id == proposal["proposal_id"] and "landlord" in match.waiting_for:
                    waiting += 1
            if not waiting:
                continue  # every match withdrawn or declined by its client: no answer needed
            return_by = proposal.get("return_by")
            if return_by is None:
                book_status, days_late = "no date", 0
            elif as_of is not None and return_by < as_of:
                book_status, days_late = "late", (as_of - return_by).days
            else:
                book_status, days_late = "due", 0
            found.append(
                Workbook(
                    proposal_id=proposal["proposal_id"],
                    week=proposal["period_start"],
                    landlord=landlord,
                    return_by=return_by,
                    status=book_status,
                    days_late=days_late,
                    matches=len(pairs),
                    waiting=waiting,
                )
            )
    found.sort(key=lambda b: (WORKBOOK_STATES.index(b.status), b.return_by or date.max, b.week, b.landlord))
    return found


def _conflict(row: dict, ledger: str) -> ConflictToDo:
    """A conflict, with the `matcher record --correct` command that takes the new decision."""
    command = [
        "matcher",
        "record",
        "--ledger",
        ledger,
        "--client",
        row["client_id"],
        "--unit",
        row["unit_id"],
        "--by",
        row["party"],
        "--decision",
        row["new_decision"],
    ]
    keep = [*command[:-1], row["existing_decision"]]
    if row.get("existing_reason_code"):
        keep += ["--reason", row["existing_reason_code"]]
    keep += ["--week", row["period_start"].isoformat(), "--correct"]
    if row.get("new_reason_code"):
        command += ["--reason", row["new_reason_code"]]
    command += ["--week", row["period_start"].isoformat(), "--correct"]
    return ConflictToDo(
        conflict_id=row["conflict_id"],
        client_id=row["client_id"],
        unit_id=row["unit_id"],
        party=row["party"],
        week=row["period_start"],
        recorded=row["existing_decision"],
        recorded_reason=row.get("existing_reason_code"),
        new=row["new_decision"],
        new_reason=row.get("new_reason_code"),
        source=row.get("source") or "",
        source_row=row.get("source_row"),
        take_new=shlex.join(command),
        keep_recorded=shlex.join(keep),
    )


def _refusals(decisions: Iterable[dict], matches: list[Match], max_refusals: int) -> list[RefusalClient]:
    """Clients whose refusals of suitable offers reached the limit, unless housed since."""
    rows = list(decisions)
    housed = {m.client_id for m in matches if m.state == "housed"}
    refused: dict[str, list[tuple[str, str | None, date]]] = defaultdict(list)
    for row in rows:
        if (
            row["party"] == "client"
            and row["decision"] == "decline"
            and counts_as_refusal(row.get("reason_code"))
        ):
            refused[row["client_id"]].append((row["unit_id"], row.get("reason_code"), row["period_start"]))
    clients = [
        RefusalClient(client_id=client, refusals=count, refused=tuple(sorted(refused[client])))
        for client, count in refusal_counts(rows).items()
        if count >= max_refusals and client not in housed
    ]
    clients.sort(key=lambda c: (-c.refusals, c.client_id))
    return clients
