"""Output sets of plain files (issue 15): no symbolic links, crash-safe through manifest.json.

A crash is simulated at every single step of `write_set` that changes the folder (each rename,
removal and folder removal): afterwards a reader gets the old complete set, the new complete set,
or is told — in the user's language, naming the folder — that the set is incomplete; never a mix
accepted as valid. The next write always leaves a clean, complete set. Folders of the older design
(links into `.matcher-runs`) are read as before and turned into plain files by the next solve.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io import atomic
from matcher.io.atomic import MANIFEST, RUNS, STAGED, IncompleteSet, verify_set, write_set
from matcher.io.run_folder import RunFolderRefused, read_run_folder

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"


class Killed(BaseException):
    """The process dies here (not an error anything may catch)."""


def a_set(number: int, kept: bool = False) -> dict[str, bytes]:
    files = {
        "proposals.csv": f"client_id,unit_id\nC{number},U{number}\n".encode(),
        "unmatched.csv": f"client_id,reason\nX{number},outranked\n".encode(),
        "solved-instance/clients.csv": f"client_id\nC{number}\n".encode(),
        "solved-instance/policy.yaml": b"same in every set\n",
        "summary.json": f'{{"generation": {number}}}'.encode(),
    }
    if kept:
        files["kept.csv"] = f"client_id,unit_id\nK{number},U{number}\n".encode()
    return files


def hashes(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def crash_at(monkeypatch: pytest.MonkeyPatch, step: int) -> list[int]:
    """Make the `step`-th change of the folder (rename, removal) kill the writer; count the steps."""
    count = [0]
    for name in ("replace", "unlink", "rmdir"):
        real = getattr(os, name)

        def changing(*args, _real=real, **kwargs):
            count[0] += 1
            if count[0] == step:
                raise Killed
            return _real(*args, **kwargs)

        monkeypatch.setattr(atomic.os, name, changing)
    return count


def steps_of_a_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    out = tmp_path / "count"
    write_set(out, a_set(1, kept=True))
    with monkeypatch.context() as patch:
        count = crash_at(patch, 0)
        write_set(out, a_set(2))
    return count[0]


def test_a_crash_at_any_step_leaves_the_old_set_the_new_set_or_says_incomplete(tmp_path, monkeypatch):
    """A set with a folder and a kept.csv replaced by one without kept.csv, crashed at each of its
    steps: verify_set accepts only a set whose files all have that set's hashes."""
    steps = steps_of_a_write(tmp_path, monkeypatch)
    assert steps >= 8  # the renames, the folder put aside and removed, kept.csv, the manifests
    old, new = hashes(a_set(1, kept=True)), hashes(a_set(2))
    seen = set()
    for step in range(1, steps + 1):
        out = tmp_path / f"out{step}"
        write_set(out, a_set(1, kept=True))
        with monkeypatch.context() as patch:
            crash_at(patch, step)
            with pytest.raises(Killed):
                write_set(out, a_set(2))
        check = verify_set(out)
        if check.state == "complete":
            assert check.files in (old, new) and not check.differing
            on_disk = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in check.files}
            assert on_disk == check.files, "a mix accepted as valid"
            seen.add("old" if check.files == old else "new")
        else:
            assert check.state == "incomplete" and str(out) in check.message
            with pytest.raises(RunFolderRefused) as refused:
                read_run_folder(out)
            assert "incomplete set of outputs" in refused.value.problems[0].message
            seen.add("incomplete")
        write_set(out, a_set(3))  # the next write recovers, and tidies what the crash left
        assert verify_set(out).files == hashes(a_set(3))
        assert not [path.name for path in out.iterdir() if STAGED.fullmatch(path.name)]
        assert not (out / "kept.csv").exists()
        assert sorted(os.listdir(out / "solved-instance")) == ["clients.csv", "policy.yaml"]
    assert seen == {"old", "new", "incomplete"}, seen


def test_a_set_is_plain_files_with_a_manifest_of_every_file(tmp_path):
    """After `matcher solve`: no symbolic link anywhere, manifest.json lists every file with its
    sha256 (summary.json and solved-instance/ included), and a copy or a zip of the folder is
    still complete."""
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)]).exit_code == 0
    assert not [path for path in out.rglob("*") if path.is_symlink()] and not (out / RUNS).exists()
    manifest = json.loads((out / MANIFEST).read_text())
    files = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert manifest["state"] == "complete"
    assert sorted(manifest["files"]) == sorted(set(files) - {MANIFEST, ".matcher.lock"})
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    copy = tmp_path / "copied by Explorer"
    shutil.copytree(out, copy)
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        for name in files:
            archive.write(out / name, name)
    with zipfile.ZipFile(tmp_path / "set.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    for folder in (out, copy, tmp_path / "unzipped"):
        assert verify_set(folder).state == "complete"
        assert read_run_folder(folder).pairs()


def half_written(out: Path) -> None:
    """Leave `out` as a kill between two renames would: proposals.csv new, the rest old."""
    manifest = json.loads((out / MANIFEST).read_text())
    new = dict(manifest["files"], **{"proposals.csv": hashlib.sha256(b"client_id,unit_id\n").hexdigest()})
    manifest.update(state="writing", previous=manifest["files"], files=new, staging={}, retired={})
    (out / MANIFEST).write_text(json.dumps(manifest))
    (out / "proposals.csv").write_text("client_id,unit_id\n")
    (out / "unmatched.csv").write_text("client_id,reason\n")  # neither the old nor the new one


@pytest.fixture
def solved(tmp_path) -> Path:
    out = tmp_path / "week"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)]).exit_code == 0
    return out


def test_every_reader_says_a_half_written_set_is_incomplete(solved, tmp_path):
    """check, explain, audit, --keep-proposal, review export and report on a half-written folder: a clear message naming the
    folder, no traceback, never a result from a mixed set."""
    half_written(solved)
    runs = {
        "check": ["check", str(solved)],
        "explain": ["explain", "--proposal", str(solved), "--client", "C01"],
        "audit": ["audit", str(solved), "--instance", str(TINY)],
        "keep": ["solve", str(TINY), "--out", str(tmp_path / "next"), "--keep-proposal", str(solved)],
        "review export": [
            "review", "export", str(TINY), "--proposal", str(solved), "--out", str(tmp_path / "books"),
            "--ledger", str(tmp_path / "ledger.sqlite"),
        ],
        "report": ["report", str(solved), "--out", str(tmp_path / "overview.html")],
    }  # fmt: skip
    for command, arguments in runs.items():
        result = CliRunner().invoke(main, arguments)
        text = " ".join(result.output.split())
        assert result.exit_code != 0, (command, result.output)
        assert "incomplete set of outputs" in text and str(solved) in text, (command, result.output)
        assert "Traceback" not in text
    with pytest.raises(IncompleteSet):
        verify_set(solved).require()


def test_the_message_is_dutch_by_default(solved, dutch):
    half_written(solved)
    message = verify_set(solved).message
    assert "onvolledige set uitvoerbestanden" in message and str(solved) in message
    assert "solve opnieuw" in message


def test_a_damaged_manifest_is_named(solved):
    (solved / MANIFEST).write_text('{"matcher_output_set": 1, "state": "comp')
    check = verify_set(solved)
    assert check.state == "incomplete" and MANIFEST in check.message and str(solved) in check.message
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(solved)]).exit_code == 0
    assert verify_set(solved).state == "complete"


def test_a_hand_edited_proposal_is_still_read_as_one(solved):
    """An edit after the run is not a half-written set: read as a hand-edited proposal, as before."""
    text = (solved / "proposals.csv").read_text(encoding="utf-8-sig")
    header, _first, *rest = text.splitlines()
    (solved / "proposals.csv").write_text("\n".join([header, *rest]) + "\n", encoding="utf-8")
    check = verify_set(solved)
    assert check.state == "complete" and check.differing == ("proposals.csv",)
    run = read_run_folder(solved)
    assert run.proposals_edited and len(run.pairs()) == len(rest)


def to_older_version(out: Path) -> None:
    """Turn a folder `matcher solve` wrote into what the version before issue 15 left: each name a
    link into `.matcher-runs/current`, no manifest."""
    generation = out / RUNS / "run-abcd1234"
    generation.mkdir(parents=True)
    names = [path.name for path in out.iterdir() if path.name not in (MANIFEST, ".matcher.lock", RUNS)]
    for name in names:
        shutil.move(out / name, generation / name)
        (out / name).symlink_to(f"{RUNS}/current/{name}")
    listed = [str(path.relative_to(generation)) for path in generation.rglob("*") if path.is_file()]
    (generation / ".matcher-generation").write_text("".join(f"{name}\n" for name in listed))
    (out / RUNS / "current").symlink_to("run-abcd1234")
    (out / RUNS / ".matcher-owned").write_text("matcher's")
    (out / MANIFEST).unlink()


@pytest.mark.skipif(os.name == "nt", reason="the older design needs symbolic links")
def test_an_older_versions_run_folder_is_read_and_the_next_solve_makes_it_plain(solved):
    to_older_version(solved)
    assert (solved / "proposals.csv").is_symlink() and verify_set(solved).state == "unverified"
    before = read_run_folder(solved).pairs()
    assert before and not read_run_folder(solved).proposals_edited
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(solved)])
    assert result.exit_code == 0, result.output
    assert not [path for path in solved.rglob("*") if path.is_symlink()]
    assert not (solved / RUNS).exists() and verify_set(solved).state == "complete"
    assert read_run_folder(solved).pairs() == before
