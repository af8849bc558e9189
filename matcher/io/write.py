"""Write a proposal: proposals.csv, unmatched.csv and summary.json, together atomically.

The three files are replaced as one set (`matcher.io.atomic.write_set`): killed at any moment, the
folder holds the previous proposal or the new one, never a mix. summary.json records the sha256
of the two CSV files under "outputs", so anyone can check that all three belong to the same run.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from pathlib import Path
from typing import Any

import ortools
import pandas as pd

import matcher
from matcher.io.atomic import write_set
from matcher.proposal import Proposal
from matcher.io.read import instance_files
from matcher.solver.settings import SolveSettings
from matcher.io.safe_text import neutralise_frame


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _number(value: float) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 9)


def summary(proposal: Proposal, unmatched: pd.DataFrame, instance_path: Path,
            settings: SolveSettings) -> dict[str, Any]:
    """Everything needed to judge and reproduce the run (`unmatched`: the proposal's unmatched
    table, worked out once by the caller); timings only under `seconds`."""
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
            "unmatched_by_reason": {
                reason: int((unmatched["reason"] == reason).sum())
                for reason in ("no_eligible_unit", "capacity_full", "outranked")
            },
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
            {"name": level.name, "status": level.status, "value": _number(level.value),
             "bound": _number(level.bound)}
            for level in proposal.solution.levels
        ],
        "settings": settings.model_dump(mode="json"),
        "policy": proposal.instance.policy.model_dump(mode="json"),
        "inputs": {file.name: sha256(file) for file in instance_files(instance_path)},
        "versions": {
            "matcher": matcher.__version__,
            "ortools": ortools.__version__,
            "python": platform.python_version(),
        },
        "seconds": {
            **{phase: round(value, 4) for phase, value in proposal.seconds.items()},
            **{f"level_{level.name}": round(level.seconds, 4) for level in proposal.solution.levels},
        },
    }


def write_proposal(proposal: Proposal, instance_path: Path, out: Path, settings: SolveSettings,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the three output files into `out` and return the summary (plus `extra` sections)."""
    out.mkdir(parents=True, exist_ok=True)
    proposals_csv = neutralise_frame(proposal.matches()).to_csv(index=False, lineterminator="\n")
    unmatched = proposal.unmatched()
    unmatched_csv = neutralise_frame(unmatched).to_csv(index=False, lineterminator="\n")
    result = summary(proposal, unmatched, instance_path, settings)
    result.update(extra or {})
    result["outputs"] = {
        "proposals.csv": hashlib.sha256(proposals_csv.encode()).hexdigest(),
        "unmatched.csv": hashlib.sha256(unmatched_csv.encode()).hexdigest(),
    }
    write_set(out, {
        "proposals.csv": proposals_csv.encode("utf-8"),
        "unmatched.csv": unmatched_csv.encode("utf-8"),
        "summary.json": (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    })
    return result
