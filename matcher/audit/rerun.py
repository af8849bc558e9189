"""Audit a proposal: re-run it from its summary.json and confirm it comes out the same.

summary.json records everything a run depends on: the sha256 of every input file, the effective
policy, the settings (seed, workers, backend, time limit) and the versions. `audit` checks the
outputs still match their recorded hashes and the instance is the one the run read, re-runs it
with the recorded settings, and compares proposals.csv and unmatched.csv byte for byte and
summary.json key by key, ignoring only timings ("seconds"). The versions and the instance's
folder name are compared too, but a difference there is a warning: the proposal still counts as
reproduced when everything else is identical.

A run made with a time limit is refused: where the solver stopped depended on the machine's
speed and load at that moment, so no re-run can be expected to match. A run that read a decisions
ledger or kept a communicated proposal is repeated from what its folder keeps: the instance it
solved (`solved-instance/`, after the ledger) and the matches it kept (`kept.csv`), both under
the summary's hashes. The ledger itself has moved on since, so its application is not repeated;
the audit says so.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from matcher.io.files import sha256_file
from matcher.io.read import instance_files, read_instance
from matcher.io.write import KEPT, SOLVED_INSTANCE, write_proposal
from matcher.solver.settings import SolveSettings
from matcher.week import Week, read_matches, solve_solved
from models import Instance

OUTPUTS = ("proposals.csv", "unmatched.csv")
IGNORED = ("seconds",)  # timings differ on every run
WARN_ONLY = ("versions", "instance")  # reported, not counted as a difference
DECISIONS = ("ledger", "continuity")  # runs that read more than the instance


@dataclass(frozen=True)
class Check:
    """One thing the audit verified, and what it found."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class AuditReport:
    """The audit's verdict: confirmed, differs, or refused (with the reason)."""

    status: Literal["confirmed", "differs", "refused"]
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


def audit_proposal(out_dir: str | Path, instance_path: str | Path) -> AuditReport:
    """Check and re-run the proposal in `out_dir` made from `instance_path`.

    Raises `InvalidInstance` when the instance cannot be read (the CLI exits 2).
    """
    out_dir, instance_path = Path(out_dir), Path(instance_path)
    summary, refusal = _load_summary(out_dir)
    if refusal:
        return AuditReport("refused", reason=refusal)
    try:
        settings = SolveSettings.model_validate(summary["settings"])
    except ValidationError as error:
        return AuditReport(
            "refused", reason=f"the recorded settings are not readable here ({error.errors()[0]['msg']})"
        )
    if settings.time_limit is not None:
        return AuditReport(
            "refused",
            reason=(
                f"the run was made with a time limit of {settings.time_limit:g} s: where the solver stopped "
                "depended on the machine's speed and load, so a re-run cannot be expected to match. "
                "Solve again without --time-limit to get a proposal that can be audited"
            ),
        )
    decisions = [key for key in DECISIONS if key in summary]
    if decisions and not (out_dir / SOLVED_INSTANCE).is_dir():
        return AuditReport(
            "refused",
            reason=(
                "the run read a decisions ledger or kept a communicated proposal, and its folder does not "
                f"keep the instance it solved ({SOLVED_INSTANCE}/, written since version 0.1 of this "
                "redesign): solve the week again to get a run that can be audited"
            ),
        )

    report = AuditReport("confirmed")
    report.checks.append(_outputs_match(out_dir, summary))
    inputs = _inputs_match(instance_path, summary)
    report.checks.append(inputs)
    if not inputs.ok:
        report.status = "differs"
        return report

    instance = read_instance(instance_path)
    recorded_policy = summary["policy"]
    report.checks.append(
        Check(
            "policy",
            instance.policy.model_dump(mode="json") == recorded_policy,
            "the effective policy equals the recorded one",
        )
    )
    week = _week_to_repeat(instance, out_dir, summary, settings, report.warnings) if decisions else None
    report.checks += _rerun(instance, instance_path, out_dir, summary, settings, report.warnings, week)
    if not all(check.ok for check in report.checks):
        report.status = "differs"
    return report


def _load_summary(out_dir: Path) -> tuple[dict[str, Any], str]:
    file = out_dir / "summary.json"
    if not file.is_file():
        return {}, f"no summary.json in {out_dir}: give a folder written by `matcher solve`"
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return {}, f"summary.json is not valid JSON ({error}): it was damaged or edited"
    if not isinstance(summary, dict):
        return {}, "summary.json is not a JSON object: it was damaged or edited"
    missing = [key for key in ("settings", "inputs", "policy", "outputs") if key not in summary]
    if missing:
        return {}, f"summary.json lacks {', '.join(missing)}: written by an older version, or edited"
    return summary, ""


def _outputs_match(out_dir: Path, summary: dict[str, Any]) -> Check:
    recorded = summary["outputs"] if isinstance(summary["outputs"], dict) else {}
    names = sorted(set(OUTPUTS) | set(recorded))
    changed = [
        name
        for name in names
        if not (out_dir / name).is_file() or sha256_file(out_dir / name) != recorded.get(name)
    ]
    if changed:
        return Check("outputs", False, f"{', '.join(changed)} changed since the run wrote summary.json")
    return Check("outputs", True, f"all {len(names)} files of the run are the ones summary.json records")


def _week_to_repeat(
    instance: Instance, out_dir: Path, summary: dict[str, Any], settings: SolveSettings, warnings: list[str]
) -> Week:
    """The week as the run solved it: its solved instance and kept matches from the run folder."""
    solved = read_instance(out_dir / SOLVED_INSTANCE)
    keep = read_matches(out_dir / KEPT, "the audit") if "continuity" in summary else None
    if "ledger" in summary:
        warnings.append(
            "the run read a decisions ledger: it was repeated from the instance it solved "
            f"({SOLVED_INSTANCE}/), not by applying the ledger again (which has moved on since)"
        )
    return solve_solved(solved, settings, keep, summary.get("ledger"))


def _inputs_match(instance_path: Path, summary: dict[str, Any]) -> Check:
    recorded = summary["inputs"]
    present = {file.name: sha256_file(file) for file in instance_files(instance_path)}
    differences = [
        f"{name} differs" for name in sorted(set(recorded) & set(present)) if recorded[name] != present[name]
    ]
    differences += [f"{name} is missing" for name in sorted(set(recorded) - set(present))]
    differences += [f"{name} was not part of the run" for name in sorted(set(present) - set(recorded))]
    if differences:
        return Check(
            "inputs", False, "this is not the instance the proposal was made from: " + "; ".join(differences)
        )
    return Check("inputs", True, f"all {len(recorded)} input files have the recorded sha256")


def _rerun(
    instance: Instance,
    instance_path: Path,
    out_dir: Path,
    summary: dict[str, Any],
    settings: SolveSettings,
    warnings: list[str],
    week: Week | None = None,
) -> list[Check]:
    with tempfile.TemporaryDirectory(prefix="matcher-audit-") as folder:
        again = Path(folder)
        rerun = write_proposal(week or solve_solved(instance, settings), instance_path, again, settings)
        checks = [_same_file(name, out_dir / name, again / name) for name in OUTPUTS]
    recorded_versions, versions = summary.get("versions", {}), rerun.get("versions", {})
    warnings += [
        f"{name} was {recorded_versions.get(name)} for the run and is {versions[name]} now"
        for name in versions
        if recorded_versions.get(name) != versions[name]
    ]
    if rerun.get("instance") != summary.get("instance"):
        warnings.append(
            f"the instance folder was named {summary.get('instance')!r} for the run, "
            f"{rerun.get('instance')!r} now (its files are identical)"
        )
    skipped = (*IGNORED, *WARN_ONLY)
    keys = sorted((set(summary) | set(rerun)) - set(skipped))
    differing = [key for key in keys if summary.get(key) != rerun.get(key)]
    detail = (
        "identical apart from " + ", ".join(skipped)
        if not differing
        else "differs in " + "; ".join(_describe(key, summary.get(key), rerun.get(key)) for key in differing)
    )
    checks.append(Check("summary.json", not differing, detail))
    return checks


def _same_file(name: str, recorded: Path, again: Path) -> Check:
    old, new = recorded.read_bytes(), again.read_bytes()
    if old == new:
        return Check(name, True, "byte for byte identical on re-run")
    old_lines, new_lines = old.splitlines(), new.splitlines()
    line = next(
        (k for k, (a, b) in enumerate(zip(old_lines, new_lines), start=1) if a != b),
        min(len(old_lines), len(new_lines)) + 1,
    )
    return Check(
        name,
        False,
        f"the re-run differs from line {line} on ({len(old_lines)} lines recorded, {len(new_lines)} now)",
    )


def _describe(key: str, old: Any, new: Any) -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        inner = [
            f"{key}.{k}: {old.get(k)!r} → {new.get(k)!r}"
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        ]
        return ", ".join(inner[:5]) + (" …" if len(inner) > 5 else "")
    return f"{key}: {old!r} → {new!r}"
