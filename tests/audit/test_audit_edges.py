"""Audit edges (issue 12, finding 13): every malformed summary.json is refused with a reason
(exit 2), and an edit to the recorded settings, policy or inputs is found (exit 1).

Before: `"outputs": null` (and `"inputs": null`, `"versions": null`) ended in an internal error
(exit 70), and editing `settings.workers` or `seed` in summary.json still audited as "confirmed"
(the re-run used the edited values and echoed them). Now summary.json records
`summary_sha256`, the digest of its own reproducible content, and the audit checks it first.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher import audit_proposal as audit
from matcher.audit.rerun import summary_digest
from matcher.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edges") / "out"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def copy_of(solved, tmp_path) -> Path:
    """A private copy of the run folder (links copied as files), to damage or edit."""
    target = tmp_path / "proposal"
    shutil.copytree(solved, target, ignore=shutil.ignore_patterns(".matcher-runs"))
    return target


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def rewrite(folder: Path, change) -> None:
    """Edit summary.json by hand, as someone with a text editor would: the digest is left as it was."""
    summary = summary_of(folder)
    change(summary)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def run_audit(folder: Path):
    return CliRunner().invoke(main, ["audit", str(folder), "--instance", str(TINY)])


# --- the digest ------------------------------------------------------------------------------------------


def test_the_summary_records_the_digest_of_its_own_content_last(solved):
    """summary_sha256 is the last key and the sha256 of every other key but `seconds`, so anyone
    can check it with the three lines of docs/reliability.md section 8."""
    summary = summary_of(solved)
    assert list(summary)[-1] == "summary_sha256"
    assert summary["summary_sha256"] == summary_digest(summary)
    content = {key: value for key, value in summary.items() if key not in ("seconds", "summary_sha256")}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    import hashlib

    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == summary["summary_sha256"]


def test_an_untouched_run_is_confirmed_with_its_digest_checked(solved):
    report = audit(solved, TINY)
    assert report.status == "confirmed", report
    detail = next(check.detail for check in report.checks if check.name == "summary.json")
    assert "summary_sha256 matches" in detail


@pytest.mark.parametrize(
    "what, change",
    [
        ("workers", lambda s: s["settings"].update(workers=8)),
        ("seed", lambda s: s["settings"].update(seed=7)),
        ("backend", lambda s: s["settings"].update(backend="scip")),
        ("time limit added", lambda s: s["settings"].update(time_limit=30)),
        ("policy", lambda s: s["policy"].update(origin_rule="strict")),
        ("an input hash", lambda s: s["inputs"].update({"units.csv": "0" * 64})),
        ("the version", lambda s: s["versions"].update(matcher="9.9.9")),
        ("a ledger section added", lambda s: s.update(ledger={"accepted_fixed": []})),
        ("a key removed", lambda s: s.pop("levels")),
    ],
)
def test_an_edited_summary_differs(copy_of, what, change):
    """An edit to the recorded settings, policy, inputs or anything else but the timings: exit 1,
    "summary.json was edited", whatever the re-run would give."""
    rewrite(copy_of, change)
    report = audit(copy_of, TINY)
    assert report.status == "differs", (what, report)
    assert "summary.json was edited" in report.reason
    assert not next(check for check in report.checks if check.name == "summary.json").ok
    result = run_audit(copy_of)
    assert result.exit_code == 1, result.output
    assert "DIFFERS: summary.json was edited" in result.output and "Traceback" not in result.output


def test_a_time_limit_edited_away_is_not_passed_off_as_auditable(tmp_path):
    """A time-limited run (refused: not reproducible) whose time limit was edited out of the
    summary differs as edited; it is not re-run as if it had been proven."""
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out), "--time-limit", "30"]).exit_code == 0
    )
    assert audit(out, TINY).status == "refused"
    rewrite(out, lambda s: s["settings"].update(time_limit=None))
    report = audit(out, TINY)
    assert report.status == "differs" and "summary.json was edited" in report.reason


def test_only_the_timings_may_change(copy_of):
    """`seconds` is outside the digest: other timings still confirm."""
    rewrite(copy_of, lambda s: s.update(seconds={"total": 999.0}))
    assert audit(copy_of, TINY).status == "confirmed"


def test_a_summary_from_before_the_digest_is_audited_with_a_note(copy_of):
    """A summary written before summary_sha256 existed is still audited, with a note that an edit
    to its settings could not be detected."""
    rewrite(copy_of, lambda s: s.pop("summary_sha256"))
    report = audit(copy_of, TINY)
    assert report.status == "confirmed"
    assert any("records no summary_sha256" in warning for warning in report.warnings)


# --- malformed summaries: refused, exit 2, with the reason --------------------------------------------


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda s: s.update(outputs=None), "outputs is null"),
        (lambda s: s.update(inputs=None), "inputs is null"),
        (lambda s: s.update(policy=None), "policy is null"),
        (lambda s: s.update(settings=None), "settings is null"),
        (lambda s: s.update(versions=None), "versions is null"),
        (lambda s: s.update(instance=None), "instance is null"),
        (lambda s: s.update(seconds=None), "seconds is null"),
        (lambda s: s.update(summary_sha256=None), "summary_sha256 is null"),
        (lambda s: s.update(summary_sha256="abc"), "not a sha256"),
        (lambda s: s.update(inputs=[]), "inputs is []"),
        (lambda s: s.update(inputs={}), "inputs is {}"),
        (lambda s: s.update(outputs="proposals.csv"), 'outputs is "proposals.csv"'),
        (lambda s: s["outputs"].update({"proposals.csv": 5}), "outputs.proposals.csv is 5"),
        (lambda s: s["outputs"].update({"proposals.csv": "x" * 64}), "not a sha256"),
        (lambda s: s["outputs"].update({"../../etc/passwd": "0" * 64}), "not the name of a file"),
        (lambda s: s["outputs"].update({"/etc/passwd": "0" * 64}), "not the name of a file"),
        (lambda s: s["inputs"].update({"../clients.csv": "0" * 64}), "not the name of a file"),
        (lambda s: s.update(ledger=5), "ledger is 5"),
        (lambda s: s.update(continuity=[]), "continuity is []"),
        (lambda s: s.update(versions={"matcher": 1}), "versions.matcher is 1"),
    ],
)
def test_a_malformed_summary_is_refused_with_the_reason(copy_of, change, words):
    rewrite(copy_of, change)
    report = audit(copy_of, TINY)
    assert report.status == "refused", report
    assert words in report.reason and "not what `matcher solve` writes" in report.reason
    result = run_audit(copy_of)
    assert result.exit_code == 2, result.output
    assert "cannot audit" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "content, words",
    [
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),  # nesting deeper than the parser goes
        ('{"outputs": ' + "9" * 5000 + "}", "not valid JSON"),  # a number Python will not read
        ("\ufeff{}", "not valid JSON"),
        ("null", "not a JSON object"),
        ('"text"', "not a JSON object"),
        ("{}", "lacks settings, inputs, policy, outputs"),
    ],
)
def test_damaged_json_is_refused_with_the_reason(tmp_path, content, words):
    (tmp_path / "summary.json").write_text(content, encoding="utf-8")
    report = audit(tmp_path, TINY)
    assert report.status == "refused" and words in report.reason, report
    result = run_audit(tmp_path)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_undecodable_summary_is_refused(tmp_path):
    (tmp_path / "summary.json").write_bytes(b"\xff\xfe{\x00}")
    result = run_audit(tmp_path)
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_a_run_recorded_before_the_newer_policy_keys_is_still_confirmed(copy_of):
    """A run of an earlier version recorded its policy without the keys added since (the ledger's
    rolling window, the tenancy preferences, the share period): read with their defaults, it is
    the same policy, so the audit confirms it. A recorded policy that really differs still differs."""
    from matcher.audit.rerun import DIGEST

    def older(summary: dict) -> None:
        del summary["policy"]["spreading"]["window_weeks"]
        del summary["policy"]["preference"]["stay"], summary["policy"]["preference"]["permanent"]
        del summary["policy"]["fair_share"]
        summary.pop(DIGEST)
        summary[DIGEST] = summary_digest(summary)  # as that version wrote it, digest and all

    rewrite(copy_of, older)
    assert audit(copy_of, TINY).status == "confirmed"

    def other(summary: dict) -> None:
        summary["policy"]["spreading"]["window_weeks"] = 4
        summary.pop(DIGEST)
        summary[DIGEST] = summary_digest(summary)

    rewrite(copy_of, other)
    report = audit(copy_of, TINY)
    assert report.status == "differs" and not next(c for c in report.checks if c.name == "policy").ok
