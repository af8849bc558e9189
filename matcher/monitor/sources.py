"""What the monitoring figures are computed from, gathered once: the ledger, the weekly pools and
the clients' and municipalities' details.

The ledger (read only, through `read_ledger` and its public tables) records per proposal its
week, the instance folder's *name* and the size of the week's pool, and per proposed match the
unit's corporatie, gemeente, wijk, type and the client's begeleiding; it records nothing else of
the client (no doelgroep, no gemeente of origin). Those come from

1. the solved instance of each proposal's run folder (`<run folder>/solved-instance/`): the
   ledger's `imports` table keeps the path of the proposals.csv a proposal was recorded from; a
   relative path is tried from the working folder and from the ledger's folder, and the folder
   is used only when its proposals.csv still has the proposal's fingerprint (its sha256 prefix is
   the proposal id), so a run folder written again later is never taken for the old one;
2. the instances given with `--instance` (a week's instance as the coordinator gave it to
   `matcher solve`), matched to a week by their period start.

A week's *pool* (the clients and units waiting that week) is its solved instance, else its
`--instance` with the ledger applied as `solve --ledger` applies it (`apply_ledger`: the housed
leave, the declines hold), else unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from matcher.io.files import sha256_file
from matcher.review.ledger import (
    LedgerState,
    apply_ledger,
    describe,
    imports,
    open_ledger,
    proposals,
    read_ledger,
    sqlite_path,
)
from models import Client, Instance, InvalidInstance, Unit

POOL_SOLVED = "solved"  # the week's pool is the solved instance of its run folder
POOL_GIVEN = "given"  # the week's pool is the --instance of that week with the ledger applied


@dataclass(frozen=True)
class Week:
    """One week of the run: its proposal (the latest recorded for it) and its pool, when known."""

    start: date
    end: date
    proposal_id: str | None
    pool_clients: int | None  # as the ledger recorded it
    pool: Instance | None  # the clients and units waiting that week
    pool_from: str | None  # POOL_SOLVED | POOL_GIVEN | None
    given: Instance | None  # the --instance of this week, as given


@dataclass(frozen=True)
class Sources:
    """Everything the figures are computed from."""

    ledger: str  # the ledger's name, without a password
    state: LedgerState
    weeks: tuple[Week, ...]  # oldest first
    clients: dict[str, Client] = field(default_factory=dict)  # latest known details per client
    units: dict[str, Unit] = field(default_factory=dict)  # latest known details per unit
    municipality_names: dict[str, str] = field(default_factory=dict)
    run_folders: int = 0  # proposals whose run folder (solved instance) was found
    run_folders_sought: int = 0  # proposals of the weeks the period needs


def proposal_sources(ledger: str | Path) -> dict[str, str]:
    """Per proposal id: the path of the proposals.csv it was recorded from (as recorded)."""
    with open_ledger(ledger) as engine, engine.connect() as connection:
        rows = connection.execute(
            select(proposals.c.proposal_id, imports.c.source).join(
                imports, proposals.c.import_id == imports.c.import_id
            )
        ).all()
    return {row.proposal_id: row.source for row in rows}


def run_folder(recorded: str, proposal_id: str, ledger: str | Path) -> Path | None:
    """The run folder a proposal was recorded from, if it is still there and unchanged."""
    path = Path(recorded)
    candidates = [path]
    if not path.is_absolute():
        database = sqlite_path(ledger)
        if database is not None:
            candidates.append(database.parent / path)
    for candidate in candidates:
        try:
            if candidate.is_file() and sha256_file(candidate)[:16] == proposal_id:
                return candidate.parent
        except OSError:
            continue
    return None


def _solved_instance(folder: Path | None) -> Instance | None:
    if folder is None or not (folder / "solved-instance").is_dir():
        return None
    from matcher.io.read import read_instance

    try:
        return read_instance(folder / "solved-instance")
    except InvalidInstance:
        return None  # a damaged copy: the week's pool stays unknown, the ledger's figures hold


def _wanted(starts: list[date], first: date | None, last: date | None) -> set[date]:
    """The weeks whose pools a period needs: those in it, and the one just before it."""
    inside = [day for day in starts if (first is None or day >= first) and (last is None or day <= last)]
    before = [day for day in starts if first is not None and day < first]
    return set(inside) | ({max(before)} if before else set())


def gather(
    ledger: str | Path,
    instances: list[Instance] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Sources:
    """Read the ledger, find each proposal's solved instance and match the given instances.

    With `first` and/or `last`, only the pools the period needs are read (a year of weekly run
    folders is not read for one month)."""
    state = read_ledger(ledger)
    recorded = proposal_sources(ledger)
    given = {instance.policy.period.start: instance for instance in instances or []}

    latest: dict[date, dict] = {}
    for recorded_proposal in state.proposals:  # ordered by week, then as recorded: the last one wins
        latest[recorded_proposal["period_start"]] = recorded_proposal
    found = sought = 0
    weeks = []
    starts = sorted(set(latest) | set(given))
    wanted = _wanted(starts, first, last)
    for start in starts:
        proposal = latest.get(start)
        pool, pool_from = None, None
        if proposal is not None and start in wanted:
            sought += 1
            folder = run_folder(recorded.get(proposal["proposal_id"], ""), proposal["proposal_id"], ledger)
            pool = _solved_instance(folder)
            if pool is not None:
                pool_from = POOL_SOLVED
                found += 1
        if pool is None and start in given and start in wanted:
            pool, _report = apply_ledger(given[start], str(ledger))  # as `solve --ledger` would
            pool_from = POOL_GIVEN
        end = proposal["period_end"] if proposal is not None else given[start].policy.period.end
        weeks.append(
            Week(
                start=start,
                end=end,
                proposal_id=proposal["proposal_id"] if proposal is not None else None,
                pool_clients=proposal.get("pool_clients") if proposal is not None else None,
                pool=pool,
                pool_from=pool_from,
                given=given.get(start),
            )
        )

    clients: dict[str, Client] = {}
    units: dict[str, Unit] = {}
    names: dict[str, str] = {}
    for week in weeks:  # oldest first: a later week's details win
        for instance in (week.given, week.pool):
            if instance is None:
                continue
            clients.update({c.client_id: c for c in instance.clients})
            units.update({u.unit_id: u for u in instance.units})
            names.update({m.municipality_id: m.name for m in instance.municipalities})
    return Sources(
        ledger=describe(ledger),
        state=state,
        weeks=tuple(weeks),
        clients=clients,
        units=units,
        municipality_names=names,
        run_folders=found,
        run_folders_sought=sought,
    )
