"""One week of the regional scheme: the coordinator's decisions carried into this week's solve.

`solve_week` is what `matcher solve` does: it applies the decisions ledger (accepted matches
fixed, declined pairs never proposed again, the refusal rule) to the instance, keeps matches
already communicated where that costs no priority (`keep`), solves, and reports what the ledger
and the continuity level changed. The instance it solved (after the ledger) and the kept matches
go into the run folder (`matcher.io.write`), so `audit`, `check` and `explain` can repeat any week
without the ledger as it was then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.i18n import N_, _
from matcher.proposal import Proposal, solve
from matcher.solver.settings import SolveSettings
from models import Instance, InvalidInstance, Problem

Match = tuple[str, str]  # (client_id, unit_id)


@dataclass
class Week:
    """A solved week: the proposal, the instance it solved, and what the decisions changed."""

    proposal: Proposal
    solved: Instance  # the instance after the ledger (the input without one)
    keep: list[Match] | None = None  # matches already communicated, kept where possible
    report: dict[str, Any] = field(default_factory=dict)  # "ledger" and "continuity" sections


def solve_week(
    instance: Instance,
    settings: SolveSettings | None = None,
    ledger: str | None = None,
    keep: list[Match] | None = None,
) -> Week:
    """Apply the ledger (if any), solve, and report what the decisions and `keep` changed."""
    if not ledger:
        return solve_solved(instance, settings, keep)
    from matcher.review.ledger import apply_ledger

    solved, ledger_report = apply_ledger(instance, ledger)
    return solve_solved(solved, settings, keep, ledger_report)


def solve_solved(
    solved: Instance,
    settings: SolveSettings | None = None,
    keep: list[Match] | None = None,
    ledger_report: dict[str, Any] | None = None,
) -> Week:
    """Solve an instance the decisions were already applied to (`ledger_report` says how): what
    `solve_week` does after the ledger, and what `audit` repeats from a run folder.

    The ledger's open matches stay stable: those one side accepted are `held`, those sent out
    and undecided are kept with the ones given in `keep` (`--keep-proposal`) as communicated
    (see `solve_lexicographic`); `report["continuity"]` says which stayed, which moved and why.
    """
    ledger = ledger_report or {}
    report: dict[str, Any] = {} if ledger_report is None else {"ledger": ledger_report}
    held = [(row["client_id"], row["unit_id"]) for row in ledger.get("held", [])]
    held_clients, held_units = {c for c, _ in held}, {u for _, u in held}
    sent = [(row["client_id"], row["unit_id"]) for row in ledger.get("communicated", [])]
    communicated = sorted(
        {(c, u) for c, u in [*(keep or []), *sent] if c not in held_clients and u not in held_units}
    )
    proposal = solve(solved, settings, keep=communicated or None, hold=held or None)
    if keep is not None or communicated or held:
        placed = {(row["client_id"], row["unit_id"]) for row in ledger.get("accepted_fixed", [])}
        declined = {(d.client_id, d.unit_id) for d in solved.declined}
        report["continuity"] = continuity_report(
            communicated + [m for m in keep or [] if m not in communicated],
            proposal.pairs_chosen(),
            placed,
            declined,
            held=held if ledger_report is not None else None,
            proposal=proposal,
        )
    return Week(proposal, solved, communicated if (keep is not None or communicated) else None, report)


def continuity_report(
    communicated: list[Match],
    proposed: list[Match],
    placed: set[Match] | frozenset = frozenset(),
    declined: set[Match] | frozenset = frozenset(),
    held: list[Match] | None = None,
    proposal: Proposal | None = None,
) -> dict[str, Any]:
    """Which communicated matches stay, which were accepted (and so left the pool), which were
    declined, which the engine withdrew (with why, when the proposal is given), and which
    matches are new; and which matches one side accepted were held or released."""
    before, after = set(communicated), set(proposed)
    open_before = before - placed - declined
    withdrawn = sorted(open_before - after)
    report: dict[str, Any] = {
        "communicated": len(before),
        "accepted": sorted(f"{client}->{unit}" for client, unit in before & placed),
        "declined": sorted(f"{client}->{unit}" for client, unit in before & declined),
        "kept": len(open_before & after),
        "withdrawn": [f"{client}->{unit}" for client, unit in withdrawn],
        "new": sorted(f"{client}->{unit}" for client, unit in after - before - set(held or [])),
    }
    if held is not None:
        report["held"] = sorted(f"{c}->{u}" for c, u in set(held) & after)
        report["released"] = sorted(f"{c}->{u}" for c, u in set(held) - after)
    if proposal is not None:
        report["why_moved"] = {
            f"{c}->{u}": why_moved(proposal, c, u)
            for c, u in sorted(set(withdrawn) | (set(held or []) - after))
        }
    return report


def why_moved(proposal: Proposal, client_id: str, unit_id: str) -> str:
    """Why a match that was kept stable last time is not in this proposal, in a coordinator's words."""
    arrays = proposal.arrays
    client_of = {u: c for c, u in proposal.pairs_chosen()}
    unit_of = dict(proposal.pairs_chosen())
    clients = {cid: k for k, cid in enumerate(arrays.client_ids)}
    units = {uid: k for k, uid in enumerate(arrays.unit_ids)}
    if client_id not in clients or unit_id not in units:
        return _("the client or the unit is no longer in this week's pool")
    eligible = {
        (arrays.client_ids[a], arrays.unit_ids[b]) for a, b in zip(proposal.pairs.client, proposal.pairs.unit)
    }
    if (client_id, unit_id) not in eligible:
        return _broken_rule(proposal, clients[client_id], units[unit_id])
    weight = int(arrays.client_weight[clients[client_id]])
    taker = client_of.get(unit_id)
    words: dict[str, object] = {
        "unit": unit_id,
        "client": client_id,
        "weight": weight,
        "other": unit_of.get(client_id),
    }
    elsewhere = client_id in unit_of  # proposed another unit now (else unmatched)
    if taker is not None:
        taker_weight = int(arrays.client_weight[clients[taker]])
        words.update(taker=taker, taker_weight=taker_weight)
        if taker_weight <= weight:
            # not for priority: matches held or communicated are kept first (solve_lexicographic's
            # held and continuity levels), so they did not all fit together (the limits, or a held
            # match of the client or of the unit)
            if elsewhere:
                return _(
                    "{unit} went to {taker}, priority {taker_weight}, not higher than {client}'s {weight}: "
                    "matches already accepted or communicated are kept before priority counts, and not all "
                    "of them fit together; {client} is now proposed {other}",
                    **words,
                )
            return _(
                "{unit} went to {taker}, priority {taker_weight}, not higher than {client}'s {weight}: "
                "matches already accepted or communicated are kept before priority counts, and not all "
                "of them fit together; {client} is now unmatched",
                **words,
            )
        if elsewhere:
            return _(
                "{unit} went to {taker}, priority {taker_weight} (higher than {client}'s {weight}); "
                "{client} is now proposed {other}",
                **words,
            )
        return _(
            "{unit} went to {taker}, priority {taker_weight} (higher than {client}'s {weight}); "
            "{client} is now unmatched",
            **words,
        )
    if elsewhere:
        return _(
            "{unit} stays empty: a cap, intake or support-slot limit is full with the other held matches; "
            "{client} is now proposed {other}",
            **words,
        )
    return _(
        "{unit} stays empty: a cap, intake or support-slot limit is full with the other held matches; "
        "{client} is now unmatched",
        **words,
    )


def read_matches(file: Path, purpose: str) -> list[Match]:
    """The (client_id, unit_id) matches of a proposals.csv or kept.csv written by `matcher solve`."""
    import pandas as pd

    if not file.is_file():
        message = (
            _(_NOT_FOUND[purpose])
            if purpose in _NOT_FOUND
            else _("not found: {purpose} needs a folder written by `matcher solve`", purpose=purpose)
        )
        raise InvalidInstance([Problem(file=str(file), message=message)])
    from matcher.io.headers import internal_columns

    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame = internal_columns(frame)  # headers in either language
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        raise InvalidInstance(
            [
                Problem(
                    file=file.name,
                    message=_("not a readable CSV file: give the file `matcher solve` wrote, unedited"),
                )
            ]
        ) from None
    missing = [column for column in ("client_id", "unit_id") if column not in frame.columns]
    if missing:
        raise InvalidInstance(
            [
                Problem(
                    file=file.name,
                    row=1,
                    column=column,
                    message=_("missing required column: give the file `matcher solve` wrote"),
                )
                for column in missing
            ]
        )
    return list(zip(frame["client_id"], frame["unit_id"]))


# what needs the matches `read_matches` did not find: one whole sentence each (each language orders its words)
_NOT_FOUND = {
    "--keep-proposal": N_("not found: --keep-proposal needs a folder written by `matcher solve`"),
    "the audit": N_("not found: the audit needs a folder written by `matcher solve`"),
}


def read_communicated(folder: Path) -> list[Match]:
    """The matches of a proposal folder written earlier (`--keep-proposal`); a folder a run was
    killed while writing (`matcher.io.atomic.verify_set`) is refused, never read as a mix."""
    from matcher.io.atomic import verify_set

    verify_set(folder).require()
    return read_matches(folder / "proposals.csv", "--keep-proposal")


def _broken_rule(proposal: Proposal, client: int, unit: int) -> str:
    """Why the rules no longer allow the pair: the first eligibility rule it breaks now, by its name
    as a coordinator reads it (`rule_name`: the code in English, the rule's label in Dutch) and in
    the words `matcher check` uses."""
    from matcher.rules.eligibility import RULE_BOOK, rule_name

    rule_of = proposal.instance.policy.origin_rule
    for rule in RULE_BOOK:
        if not rule.allows(proposal.arrays, proposal.sets, slice(client, client + 1), rule_of)[0, unit]:
            return _(
                "the rules no longer allow this match: {rule}: {violation}",
                rule=rule_name(rule.name),
                violation=rule.violation(proposal.instance, client, unit),
            )
    return _(
        "the rules no longer allow this match: a cap, intake or support-slot limit has no room for it on "
        "its own"
    )
