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

The folder's set must be complete first (`matcher.io.atomic.verify_set`): a folder a run was
killed while writing is refused ("holds an incomplete set of outputs: run solve again").

summary.json records `summary_sha256`, the digest of its own reproducible content (every key but
`seconds`; `matcher.io.files.summary_digest`). The audit recomputes it first: a mismatch means the summary was
edited after the run (a seed, the workers, the policy or the input hashes changed by hand) and
the proposal is reported as differing, before anything is re-run with the edited values. A
summary that is not what `matcher solve` writes — a key of the wrong type, a hash that is not
one, an output name outside the folder — is refused with the reason, never an internal error.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from matcher import i18n
from matcher.i18n import LANGUAGES
from matcher.io.atomic import verify_set
from matcher.io.files import DIGEST, sha256_file, summary_digest
from matcher.io.read import read_instance
from matcher.io.run_folder import differing_inputs, load_summary
from matcher.io.write import KEPT, SOLVED_INSTANCE, write_proposal
from matcher.solver.settings import SolveSettings
from matcher.week import Week, read_matches, solve_solved
from models import Instance

OUTPUTS = ("proposals.csv", "unmatched.csv", "unused_units.csv")
IGNORED = ("seconds", DIGEST)  # timings differ on every run; the digest is checked first
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
    check = verify_set(out_dir)
    if not check.ok:  # a run was killed while writing the folder: its files do not belong together
        return AuditReport("refused", reason=check.message)
    summary, refusal = load_summary(out_dir)
    if refusal:
        return AuditReport("refused", reason=refusal)
    edited = _edited(summary)
    warnings = (
        [
            f"summary.json records no {DIGEST} (written by an older version): an edit to its settings "
            "cannot be detected"
        ]
        if DIGEST not in summary
        else []
    )
    try:
        settings = SolveSettings.model_validate(summary["settings"])
    except ValidationError as error:
        if edited:
            return _edited_report(edited)
        return AuditReport(
            "refused", reason=f"the recorded settings are not readable here ({error.errors()[0]['msg']})"
        )
    if settings.time_limit is not None:
        if edited:
            return _edited_report(edited)
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
        if edited:
            return _edited_report(edited)
        return AuditReport(
            "refused",
            reason=(
                "the run read a decisions ledger or kept a communicated proposal, and its folder does not "
                f"keep the instance it solved ({SOLVED_INSTANCE}/, written since version 0.1 of this "
                "redesign): solve the week again to get a run that can be audited"
            ),
        )

    report = AuditReport("confirmed", warnings=warnings, reason=edited)
    report.checks.append(_outputs_match(out_dir, summary))
    inputs = _inputs_match(instance_path, summary)
    report.checks.append(inputs)
    if not inputs.ok:
        if edited:
            report.checks.append(Check("summary.json", False, edited))
        report.status = "differs"
        return report

    instance = read_instance(instance_path)
    report.checks.append(
        Check(
            "policy",
            instance.policy.model_dump(mode="json") == _recorded_policy(summary["policy"]),
            "the effective policy equals the recorded one",
        )
    )
    week = _week_to_repeat(instance, out_dir, summary, settings, report.warnings) if decisions else None
    report.checks += _rerun(
        instance, instance_path, out_dir, summary, settings, report.warnings, week, edited
    )
    if not all(check.ok for check in report.checks):
        report.status = "differs"
    return report


def _recorded_policy(recorded: Any) -> Any:
    """The policy a run recorded, with the keys added since then at their defaults (a run of an
    earlier version recorded no `spreading.window_weeks`, `preference.stay`, `fair_share`, …;
    their defaults keep the earlier behaviour on the instances of then). A policy that no longer
    reads is compared as it was recorded (and differs)."""
    from pydantic import ValidationError

    from models import Policy

    try:
        return Policy.model_validate(recorded).model_dump(mode="json")
    except (ValidationError, TypeError, ValueError):
        return recorded


def _edited(summary: dict[str, Any]) -> str:
    """Why summary.json is not as the run wrote it ("" when its digest matches, or it has none)."""
    recorded = summary.get(DIGEST)
    if recorded is None or summary_digest(summary) == recorded:
        return ""
    return (
        "summary.json was edited after the run: its content no longer has the summary_sha256 the run "
        "recorded, so its settings, policy, inputs or results are not the run's own (only the timings "
        "under `seconds` may change). Audit the folder as the run wrote it, or solve again"
    )


def _edited_report(edited: str) -> AuditReport:
    """An edited summary whose recorded values cannot even be re-run."""
    return AuditReport("differs", checks=[Check("summary.json", False, edited)], reason=edited)


def _outputs_match(out_dir: Path, summary: dict[str, Any]) -> Check:
    recorded = summary["outputs"]
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
    with i18n.speaking(_recorded_language(summary)):  # why_moved is in the run's language
        week = solve_solved(solved, settings, keep, summary.get("ledger"))
    _earlier_english_reasons(week, summary)
    return week


def _earlier_english_reasons(week: Week, summary: dict[str, Any]) -> None:
    """A run of an earlier version wrote `why_moved` in English whatever its language: when the
    recorded reasons are the re-run's in English, they are compared in English."""
    from matcher.week import why_moved

    continuity, recorded = week.report.get("continuity"), summary.get("continuity")
    if not (isinstance(continuity, dict) and isinstance(recorded, dict)):
        return
    again, before = continuity.get("why_moved"), recorded.get("why_moved")
    if not again or before == again or not isinstance(before, dict) or set(before) != set(again):
        return
    with i18n.speaking("en"):
        english = {match: why_moved(week.proposal, *match.split("->", 1)) for match in again}
    if english == before:
        continuity["why_moved"] = english


def _recorded_language(summary: dict[str, Any]) -> str | None:
    """The language the run was made in (summary.json `language`); None for a summary without one
    (an older version), which keeps the user's."""
    recorded = summary.get("language")
    return recorded if isinstance(recorded, str) and recorded in LANGUAGES else None


def _inputs_match(instance_path: Path, summary: dict[str, Any]) -> Check:
    differences = differing_inputs(instance_path, summary)
    if differences:
        return Check(
            "inputs", False, "this is not the instance the proposal was made from: " + "; ".join(differences)
        )
    return Check("inputs", True, f"all {len(summary['inputs'])} input files have the recorded sha256")


def _rerun(
    instance: Instance,
    instance_path: Path,
    out_dir: Path,
    summary: dict[str, Any],
    settings: SolveSettings,
    warnings: list[str],
    week: Week | None = None,
    edited: str = "",
) -> list[Check]:
    with tempfile.TemporaryDirectory(prefix="matcher-audit-") as folder:
        again = Path(folder)
        rerun = write_proposal(  # the tables in the run's language, so the bytes compare
            week or solve_solved(instance, settings),
            instance_path,
            again,
            settings,
            language=_recorded_language(summary),
        )
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
    if "policy" in summary:  # keys added to the policy since the run count at their defaults
        summary = {**summary, "policy": _recorded_policy(summary["policy"])}
    keys = sorted((set(summary) | set(rerun)) - set(skipped))
    differing = [key for key in keys if summary.get(key) != rerun.get(key)]
    detail = (
        "identical apart from " + ", ".join(skipped)
        if not differing
        else "differs in " + "; ".join(_describe(key, summary.get(key), rerun.get(key)) for key in differing)
    )
    if edited:
        detail = f"{edited}; {detail}"
    elif DIGEST in summary:
        detail += f"; its {DIGEST} matches (not edited since the run)"
    checks.append(Check("summary.json", not differing and not edited, detail))
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
