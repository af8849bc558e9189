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
    `solve_week` does after the ledger, and what `audit` repeats from a run folder."""
    report: dict[str, Any] = {} if ledger_report is None else {"ledger": ledger_report}
    proposal = solve(solved, settings, keep=keep)
    if keep is not None:
        placed = {
            (row["client_id"], row["unit_id"]) for row in (ledger_report or {}).get("accepted_fixed", [])
        }
        declined = {(d.client_id, d.unit_id) for d in solved.declined}
        report["continuity"] = continuity_report(keep, proposal.pairs_chosen(), placed, declined)
    return Week(proposal, solved, keep, report)


def continuity_report(
    communicated: list[Match],
    proposed: list[Match],
    placed: set[Match] | frozenset = frozenset(),
    declined: set[Match] | frozenset = frozenset(),
) -> dict[str, Any]:
    """Which communicated matches stay, which were accepted (and so left the pool), which were
    declined, which the engine withdrew, and which matches are new."""
    before, after = set(communicated), set(proposed)
    open_before = before - placed - declined
    return {
        "communicated": len(before),
        "accepted": sorted(f"{client}->{unit}" for client, unit in before & placed),
        "declined": sorted(f"{client}->{unit}" for client, unit in before & declined),
        "kept": len(open_before & after),
        "withdrawn": sorted(f"{client}->{unit}" for client, unit in open_before - after),
        "new": sorted(f"{client}->{unit}" for client, unit in after - before),
    }


def read_matches(file: Path, purpose: str) -> list[Match]:
    """The (client_id, unit_id) matches of a proposals.csv or kept.csv written by `matcher solve`."""
    import pandas as pd

    if not file.is_file():
        raise InvalidInstance(
            [
                Problem(
                    file=str(file), message=f"not found: {purpose} needs a folder written by `matcher solve`"
                )
            ]
        )
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        raise InvalidInstance(
            [
                Problem(
                    file=file.name,
                    message="not a readable CSV file: give the file `matcher solve` wrote, unedited",
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
                    message="missing required column: give the file `matcher solve` wrote",
                )
                for column in missing
            ]
        )
    return list(zip(frame["client_id"], frame["unit_id"]))


def read_communicated(folder: Path) -> list[Match]:
    """The matches of a proposal folder written earlier (`--keep-proposal`)."""
    return read_matches(folder / "proposals.csv", "--keep-proposal")
