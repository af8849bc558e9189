"""Write a proposal: proposals.csv, unmatched.csv, unused_units.csv, the instance it solved, and
summary.json, together atomically.

The files are replaced as one set (`matcher.io.atomic.write_set`): killed at any moment, the
folder holds the previous proposal or the new one, never a mix. Beside the three tables (the
matches, the clients left unmatched and the units left unused, each with its reason) the set
holds `solved-instance/` (the instance after the decisions ledger, as CSV files and policy.yaml,
with contacts.csv when the instance has staff contacts)
and, when matches already communicated were kept, `kept.csv`: with them any week can be
explained, checked and audited later without the ledger as it was then. summary.json records the
sha256 of every other file of the set under "outputs", so anyone can check they belong together.

The tables are written in the user's language (headers and reasons, `matcher.io.headers`);
summary.json keeps its keys and reason codes, and records the language under "language", so an
audit re-runs the proposal in the language it was written in.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

import ortools

import matcher
from matcher import i18n
from matcher.io.atomic import write_set
from matcher.io.files import sha256_bytes, sha256_file, summary_digest
from matcher.io.headers import shown_columns, shown_match_reasons, shown_reasons
from matcher.io.read import instance_files
from matcher.io.run_folder import KEPT, SOLVED_INSTANCE
from matcher.io.safe_text import csv_rows_text
from matcher.io.write_instance import instance_files_bytes
from matcher.proposal import Proposal
from matcher.rules.agreements import progress
from matcher.rules.load import report as other_placements_report
from matcher.solver.settings import SolveSettings
from matcher.table import Table
from matcher.unmatched import REASONS
from matcher.unused import UNUSED_REASONS
from matcher.week import Week
from models import Instance


def _number(value: float) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 9)


def summary(
    proposal: Proposal,
    unmatched: Table,
    instance_path: Path,
    settings: SolveSettings,
    unused: Table | None = None,
) -> dict[str, Any]:
    """Everything needed to judge and reproduce the run (`unmatched`, `unused`: the proposal's
    tables of unmatched clients and unused units, worked out once by the caller); timings only
    under `seconds`."""
    unused = proposal.unused_table() if unused is None else unused
    unmatched_by_reason, unused_by_reason = Counter(unmatched["reason"]), Counter(unused["reason"])
    levels = {level.name: level for level in proposal.solution.levels}
    priority, preference = levels["priority"], levels["preference"]

    return {
        "instance": instance_path.name,
        "proven_optimal": proposal.proven_optimal,
        "counts": {
            "clients": proposal.arrays.n_clients,
            "units": proposal.arrays.n_units,
            "eligible_pairs": len(proposal.pairs),
            "candidate_pairs": len(proposal.candidates),
            "placed": len(proposal.chosen),
            "unmatched": len(unmatched),
            "unmatched_by_reason": {reason: unmatched_by_reason[reason] for reason in REASONS},
            "unused": len(unused),
            "unused_by_reason": {reason: unused_by_reason[reason] for reason in UNUSED_REASONS},
        },
        "objective": {
            "W": proposal.priority,
            "W_bound": _number(priority.bound),
            "P": proposal.preference,
            "P_bound": _number(preference.bound),
            "max_utilisation": _number(proposal.max_utilisation),
            "fair_share_deviation": _number(proposal.fair_share_deviation),
            "greedy_W": proposal.greedy_priority,
        },
        "levels": [
            {
                "name": level.name,
                "status": level.status,
                "value": _number(level.value),
                "bound": _number(level.bound),
            }
            for level in proposal.solution.levels
        ],
        # each agreement's progress with this proposal (issue 14), only when the instance has any
        **(
            {
                "agreements": [
                    found.as_dict() for found in progress(proposal.instance, proposal.pairs_chosen())
                ]
            }
            if proposal.instance.agreements
            else {}
        ),
        "settings": settings.model_dump(mode="json"),
        "policy": proposal.instance.policy.model_dump(mode="json"),
        "inputs": {file.name: sha256_file(file) for file in instance_files(instance_path)},
        "versions": {
            "matcher": matcher.__version__,
            # ortools ships py.typed only in subpackages, so mypy sees `ortools` as a namespace
            # package without its __init__.py, where __version__ is defined
            "ortools": ortools.__version__,  # type: ignore[attr-defined]
            "python": platform.python_version(),
        },
        "seconds": {
            **{phase: round(value, 4) for phase, value in proposal.seconds.items()},
            **{f"level_{level.name}": round(level.seconds, 4) for level in proposal.solution.levels},
        },
    }


UNUSED = "unused_units.csv"


def _table(table: Table) -> bytes:
    """One output table as written: headers in the user's language, spreadsheet-safe UTF-8."""
    shown = shown_columns(table)
    return csv_rows_text([shown.columns, *shown.rows()]).encode("utf-8")


def with_known_contacts(instance: Instance) -> Instance:
    """The instance with only the contacts whose landlord still has a unit: a landlord whose last
    unit was housed (the decisions ledger takes it out of the pool) is no longer in units.csv, and
    the solved instance must read back (contacts.csv names only landlords units.csv names)."""
    landlords = {unit.landlord for unit in instance.units}
    kept = tuple(c for c in instance.contacts if c.landlord is None or c.landlord in landlords)
    return instance if kept == instance.contacts else instance.model_copy(update={"contacts": kept})


def write_proposal(
    result: Proposal | Week,
    instance_path: str | Path,
    out: str | Path,
    settings: SolveSettings | None = None,
    extra: dict[str, Any] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Write a solved week (or a bare proposal) into `out` and return the summary (plus the week's
    ledger and continuity reports, and `extra` sections).

    The tables are in `language` ('nl' or 'en'; default: the user's, `matcher.i18n.language()`),
    recorded in summary.json: an audit passes the recorded one to write the same bytes."""
    with i18n.speaking(language or i18n.language()):  # for this set of files only
        return _write_proposal(result, instance_path, out, settings, extra)


def _write_proposal(
    result: Proposal | Week,
    instance_path: str | Path,
    out: str | Path,
    settings: SolveSettings | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    week = result if isinstance(result, Week) else Week(result, result.instance)
    proposal, settings = week.proposal, settings or SolveSettings()
    instance_path, out = Path(instance_path), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    unmatched = proposal.unmatched_table()
    seconds = {"unmatched_reasons": time.perf_counter() - began}
    began = time.perf_counter()
    unused = proposal.unused_table()
    seconds["unused_units"] = time.perf_counter() - began
    files = {
        "proposals.csv": _table(shown_match_reasons(proposal.match_table())),
        "unmatched.csv": _table(shown_reasons(unmatched)),
        UNUSED: _table(shown_reasons(unused)),
    }
    solved = with_known_contacts(week.solved)
    files |= {f"{SOLVED_INSTANCE}/{name}": data for name, data in instance_files_bytes(solved).items()}
    if week.keep is not None:
        kept = Table.from_rows(week.keep, ["client_id", "unit_id"])
        files[KEPT] = _table(kept)
    summary_ = summary(proposal, unmatched, instance_path, settings, unused)
    summary_["language"] = i18n.language()
    others = other_placements_report(week.solved)  # only when other_placements.csv has rows
    if others is not None:
        summary_["other_placements"] = others
    summary_["seconds"].update({phase: round(value, 4) for phase, value in seconds.items()})
    summary_.update(week.report)
    summary_.update(extra or {})
    summary_["outputs"] = {name: sha256_bytes(data) for name, data in files.items()}
    # the digest of the summary's own reproducible content (docs/reliability.md, section 8)
    summary_["summary_sha256"] = summary_digest(summary_)
    files["summary.json"] = (json.dumps(summary_, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_set(out, files)
    return summary_
