"""`matcher check` on a run folder written by `matcher solve` (issue 13 item 5, issue 17), and the
run-folder reader behind it (`matcher.io.run_folder`): the folder's solved instance and proven
bounds are used, nothing is solved again, and a folder that is not what the run wrote is refused
saying what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io import run_folder as rf
from matcher.io.files import summary_digest
from matcher.io.read import read_instance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def invoke(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def copy(folder: Path, target: Path) -> Path:
    """A private copy of a run folder (its links into .matcher-runs copied as files)."""
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".matcher-runs"))
    return target


def rewrite_summary(folder: Path, change) -> None:
    """Change summary.json and record its digest again, as a run of an older version might have."""
    summary = json.loads((folder / "summary.json").read_text())
    change(summary)
    summary["summary_sha256"] = summary_digest(summary)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))


def pairs_of(folder: Path) -> list[tuple[str, str]]:
    return [tuple(line.split(",")[:2]) for line in (folder / "proposals.csv").read_text().splitlines()[1:]]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """The tiny instance solved once (proven optimal: W 751, P 120)."""
    out = tmp_path_factory.mktemp("check-run") / "week"
    invoke("solve", TINY, "--out", out)
    return out


@pytest.fixture
def no_solve(monkeypatch):
    """Any solve fails the test: the run's bounds must be enough."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("solved again although the run folder holds the proven optimum")

    monkeypatch.setattr("matcher.proposal.solve", refuse)


# --- the reader ----------------------------------------------------------------------------------


def test_reader_gives_solved_instance_pairs_and_bounds(week):
    """A run folder gives the instance it solved, its proposal and the proven W and P."""
    run = rf.read_run_folder(week)
    summary = json.loads((week / "summary.json").read_text())
    assert run.notes == () and not run.proposals_edited
    assert run.pairs() == pairs_of(week)
    assert run.solved_instance() == read_instance(TINY)  # no ledger: the input itself
    bounds = run.bounds()
    assert bounds is not None and bounds.proven and not bounds.kept
    assert (bounds.priority, bounds.preference) == (summary["objective"]["W"], summary["objective"]["P"])
    assert (bounds.priority, bounds.preference) == checker.objective(TINY, pairs_of(week))
    assert run.differing_inputs(TINY) == []
    assert run.kept_pairs() is None and run.ledger is None


def test_reader_names_each_differing_input(week, tmp_path):
    """The files of another instance that differ from the run's inputs are named, one by one."""
    other = tmp_path / "other"
    shutil.copytree(TINY, other)
    (other / "clients.csv").write_text((other / "clients.csv").read_text().replace("acute", "high"))
    (other / "declined.csv").unlink()
    assert rf.read_run_folder(week).differing_inputs(other) == [
        "clients.csv differs",
        "declined.csv is missing",
    ]


def test_names_match_what_solve_writes():
    """The reader looks for the files under the names the writer gives them."""
    from matcher.io import write

    assert (rf.SOLVED_INSTANCE, rf.KEPT) == (write.SOLVED_INSTANCE, write.KEPT)


def test_summary_digest_is_the_one_solve_records(week):
    """summary_digest (now in matcher.io.files) reproduces the digest `matcher solve` wrote."""
    from matcher.audit.rerun import summary_digest as audit_digest

    summary = json.loads((week / "summary.json").read_text())
    assert summary_digest(summary) == summary["summary_sha256"] == audit_digest(summary)


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda f: rewrite_summary(f, lambda s: None) or _edit(f, "summary.json", '"W": 751', '"W": 900'),
            "summary.json was edited after the run",
        ),
        (
            lambda f: _edit(f, "solved-instance/clients.csv", "acute", "high"),
            "solved-instance/clients.csv changed since the run wrote summary.json",
        ),
        (lambda f: (f / "solved-instance" / "units.csv").unlink(), "solved-instance/units.csv changed"),
        (lambda f: (f / "summary.json").write_text("{"), "summary.json is not valid JSON"),
    ],
    ids=["summary-edited", "solved-instance-edited", "solved-instance-file-gone", "summary-damaged"],
)
def test_a_folder_that_is_not_the_runs_is_refused(week, tmp_path, tamper, message):
    """An edited summary or solved instance is refused (exit 2) with what to do, never used."""
    folder = copy(week, tmp_path / "tampered")
    tamper(folder)
    with pytest.raises(rf.RunFolderRefused) as refused:
        rf.read_run_folder(folder)
    assert message in refused.value.problems[0].message
    result = invoke("check", folder, code=2)
    assert message in result.output and "cannot use the run folder" in result.output
    assert "solve the week again" in result.output.lower()


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    text = (folder / name).read_text()
    assert old in text, (name, old)
    (folder / name).write_text(text.replace(old, new))


# --- matcher check RUN ---------------------------------------------------------------------------


def test_check_a_run_folder_without_instance_and_without_solving(week, no_solve):
    """`matcher check RUN` needs no INSTANCE and takes the optimum from the run: nothing is solved."""
    report = json.loads(invoke("check", week, "--json").output)
    assert report["valid"] and report["optimum_source"] == "run" and report["optimum_proven"]
    assert (report["W"], report["P"], report["W_optimum"], report["P_optimum"]) == (751, 120, 751, 120)
    assert (report["W_bound"], report["P_bound"]) == (751, 120)
    assert report["notes"] == []
    text = invoke("check", week).output
    assert "against week/solved-instance (the instance the run solved)" in text
    assert "Against the run's proven optimum (W 751, P 120): no W lost, no P lost." in text
    assert "not solved again" in text


def test_hand_edit_in_the_run_folder_is_checked_against_the_runs_optimum(week, tmp_path, no_solve):
    """A coordinator who edits proposals.csv in the folder gets it checked against the run's
    instance and optimum, with a note that the file was edited."""
    folder = copy(week, tmp_path / "edited")
    kept = [pair for pair in pairs_of(week) if pair[0] != "C01"]
    (folder / "proposals.csv").write_text(
        "client_id,unit_id\n" + "".join(f"{c},{u}\n" for c, u in kept), encoding="utf-8"
    )
    report = json.loads(invoke("check", folder, "--json").output)
    assert report["valid"] and (report["W_loss"], report["P_loss"]) == (226, 30)
    assert (report["W"], report["P"]) == checker.objective(TINY, kept)
    assert report["notes"] == [
        "proposals.csv was edited after the run (its sha256 differs from the one summary.json records): "
        "it is read as a hand-edited proposal"
    ]
    broken = copy(week, tmp_path / "broken")
    (broken / "proposals.csv").write_text("client_id,unit_id\nC03,U02\n", encoding="utf-8")
    result = invoke("check", broken, "--json", code=1)
    assert json.loads(result.output)["rules_broken"] == ["eligibility:type"]


def test_instance_that_differs_is_named_and_the_solved_one_used(week, tmp_path, no_solve):
    """INSTANCE given with a run folder: files that differ from the run's are named, and the check
    runs against the instance the run solved (what was solved), with the run's optimum."""
    other = tmp_path / "next-week"
    shutil.copytree(TINY, other)
    (other / "units.csv").write_text((other / "units.csv").read_text().replace("U06,", "U16,"))
    report = json.loads(invoke("check", other, week, "--json").output)
    assert report["valid"] and report["W_optimum"] == 751
    assert report["notes"] == [
        f"{other} is not the instance this run read (units.csv differs); checked against the instance "
        "the run solved (week/solved-instance), which is what was solved"
    ]
    same = json.loads(invoke("check", TINY, week, "--json").output)
    assert same["notes"] == [] and same["optimum_source"] == "run"


def test_ledger_with_a_run_folder_is_noted_not_applied(week, tmp_path, no_solve):
    """--ledger with a run folder is not applied (not even opened): the run's instance is used."""
    report = json.loads(invoke("check", week, "--ledger", tmp_path / "nowhere.sqlite", "--json").output)
    assert report["valid"] and report["optimum_source"] == "run"
    assert report["notes"] == [
        "--ledger is not applied: the run folder keeps the instance it solved (week/solved-instance), "
        "and the run was made without a ledger"
    ]


def test_existing_invocations_still_work(week, tmp_path):
    """INSTANCE PROPOSAL.csv solves the optimum afresh as before; a CSV alone needs the INSTANCE."""
    edited = tmp_path / "edited.csv"
    edited.write_text("client_id,unit_id,note\nC02,U01,hand edit\n", encoding="utf-8")
    report = json.loads(invoke("check", TINY, edited, "--json").output)
    assert report["valid"] and report["optimum_source"] == "solve" and report["W_optimum"] == 751
    alone = invoke("check", edited, code=2)
    assert "give the instance too, e.g. matcher check INSTANCE" in alone.output
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(week / "proposals.csv", plain / "proposals.csv")
    folder = json.loads(invoke("check", TINY, plain, "--json").output)
    assert folder["valid"] and folder["optimum_source"] == "solve"
    assert invoke("check", TINY, plain, edited, code=2).output.count("at most two paths") == 1


def test_run_of_an_older_version_needs_the_instance(week, tmp_path, no_solve):
    """A run folder without solved-instance/ (an older version) is checked against INSTANCE; the
    run's bounds still hold when INSTANCE is the one it read and no ledger was used."""
    folder = copy(week, tmp_path / "older")
    shutil.rmtree(folder / "solved-instance")
    rewrite_summary(
        folder,
        lambda s: s.update(outputs={k: v for k, v in s["outputs"].items() if "/" not in k}),
    )
    assert "keeps no solved-instance/" in invoke("check", folder, code=2).output
    report = json.loads(invoke("check", TINY, folder, "--json").output)
    assert report["valid"] and report["optimum_source"] == "run" and report["W_optimum"] == 751


@pytest.fixture(scope="module")
def ledger_week(tmp_path_factory) -> Path:
    """Tiny solved with a ledger in which C03 accepted U03 and its landlord did too: the match is
    fixed, so C03 and U03 leave the pool of the instance the run solved."""
    root = tmp_path_factory.mktemp("ledger-week")
    ledger, out = root / "ledger.sqlite", root / "week"
    for by in ("client", "landlord"):
        invoke(
            "record",
            "--ledger",
            ledger,
            "--client",
            "C03",
            "--unit",
            "U03",
            "--decision",
            "accept",
            "--by",
            by,
            "--week",
            "2026-11-23",
        )
    invoke("solve", TINY, "--ledger", ledger, "--out", out)
    return out


def test_a_week_solved_with_a_ledger_needs_no_ledger(ledger_week, no_solve):
    """A week solved with --ledger is checked against the instance it solved (the fixed match out
    of the pool) by `matcher check RUN` alone, against the run's own optimum."""
    summary = json.loads((ledger_week / "summary.json").read_text())
    assert summary["ledger"]["accepted_fixed"][0]["client_id"] == "C03"
    report = json.loads(invoke("check", ledger_week, "--json").output)
    assert report["valid"] and report["notes"] == []
    assert (report["W_optimum"], report["P_optimum"]) == (
        summary["objective"]["W"],
        summary["objective"]["P"],
    )
    assert (report["W_loss"], report["P_loss"]) == (0, 0)
    solved = rf.read_run_folder(ledger_week).solved_instance()
    assert "C03" not in {c.client_id for c in solved.clients} and "U03" not in {
        u.unit_id for u in solved.units
    }
