"""Only what matcher recognises as its own is ever removed from an output folder (issue 12,
finding 9; issue 15).

The red team found two attacks on the older `write_set`, which deleted everything in
`OUT/.matcher-runs/` that was not the current generation: a `.matcher-runs` that is a symbolic link
to a user's folder, and a user's file inside a real `.matcher-runs`. Output sets are plain files
now (issue 15) and `.matcher-runs` is only removed when migrating an older version's folder: a
link, a file, or a folder matcher did not make is left exactly as it is, and from our own folder
only our own generations go. The new design's temporary names are removed only when they hold what
a write put there; a name of the set holding the user's things is refused before anything is
written.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.atomic import (
    GENERATION_NAMES,
    LOCK,
    MANIFEST,
    MARKER,
    RUNS,
    OutputFolderError,
    verify_set,
    write_set,
)

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the attacks need symbolic links")

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"


def a_set(number: int) -> dict[str, bytes]:
    return {
        "proposals.csv": f"client_id,unit_id\nC{number},U{number}\n".encode(),
        "unmatched.csv": b"client_id,reason\n",
        "solved-instance/clients.csv": f"client_id\nC{number}\n".encode(),
        "summary.json": f'{{"generation": {number}}}'.encode(),
    }


def users_folder(tmp_path: Path) -> tuple[Path, dict[Path, str]]:
    """A folder of someone's own files, one level deep, and what each holds."""
    folder = tmp_path / "my-documents"
    (folder / "letters").mkdir(parents=True)
    files = {
        folder / "thesis.docx": "four years of work",
        folder / "summary.json": "not a matcher summary",
        folder / "letters" / "2026.txt": "dear housing team",
    }
    for path, text in files.items():
        path.write_text(text)
    return folder, files


def intact(files: dict[Path, str]) -> bool:
    return all(path.is_file() and path.read_text() == text for path, text in files.items())


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def legacy_folder(out: Path, number: int = 1, marked: bool = True) -> Path:
    """A folder as the version before issue 15 left it: links into `.matcher-runs/current`."""
    generation = out / RUNS / "run-abcd1234"
    (generation / "solved-instance").mkdir(parents=True)
    for name, data in a_set(number).items():
        (generation / name).write_bytes(data)
    (generation / GENERATION_NAMES).write_text("".join(f"{name}\n" for name in a_set(number)))
    (out / RUNS / "current").symlink_to("run-abcd1234")
    for name in ("proposals.csv", "unmatched.csv", "summary.json", "solved-instance"):
        (out / name).symlink_to(f"{RUNS}/current/{name}")
    (out / RUNS / ".lock").write_text("")
    if marked:
        (out / RUNS / MARKER).write_text("This folder holds the output sets written by matcher")
    return generation


# --- .matcher-runs that is not ours ------------------------------------------------------------------


def test_a_symbolic_link_named_matcher_runs_is_left_alone_and_its_target_untouched(tmp_path):
    """`OUT/.matcher-runs -> ~/my-documents`: the set is written as plain files beside it; nothing is
    written into or removed from the target, and the link stays."""
    folder, files = users_folder(tmp_path)
    before = tree(folder)
    out = tmp_path / "out"
    out.mkdir()
    (out / RUNS).symlink_to(folder, target_is_directory=True)
    write_set(out, a_set(1))
    write_set(out, a_set(2))
    assert intact(files) and tree(folder) == before
    assert (out / RUNS).is_symlink() and verify_set(out).state == "complete"


def test_solve_beside_a_linked_matcher_runs_keeps_the_users_files(tmp_path):
    """Through `matcher solve --out`: the run succeeds, writes plain files, and the user's files
    behind the link are kept."""
    folder, files = users_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / RUNS).symlink_to(folder, target_is_directory=True)
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert intact(files) and (out / RUNS).is_symlink()
    assert (out / "proposals.csv").is_file() and not (out / "proposals.csv").is_symlink()


@pytest.mark.parametrize("what", ["file", "link to a file", "dangling link"])
def test_a_matcher_runs_that_is_not_a_folder_is_left_as_it_is(tmp_path, what):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    if what == "file":
        (out / RUNS).write_text("keep me too")
    elif what == "link to a file":
        (out / RUNS).symlink_to(target)
    else:
        (out / RUNS).symlink_to(tmp_path / "nowhere")
    write_set(out, a_set(1))
    assert target.read_text() == "keep me" and os.path.lexists(out / RUNS)
    if what == "file":
        assert (out / RUNS).read_text() == "keep me too"


def test_a_matcher_runs_folder_matcher_did_not_make_is_kept(tmp_path):
    """A real `.matcher-runs` without our marker holding someone's files: nothing in it removed."""
    out = tmp_path / "out"
    (out / RUNS / "holiday").mkdir(parents=True)
    (out / RUNS / "holiday" / "photo.jpg").write_text("beach")
    (out / RUNS / "run-abcd1234").mkdir()
    (out / RUNS / "notes.txt").write_text("mine")
    write_set(out, a_set(1))
    assert (out / RUNS / "holiday" / "photo.jpg").read_text() == "beach"
    assert (out / RUNS / "notes.txt").read_text() == "mine" and (out / RUNS / "run-abcd1234").is_dir()


# --- migrating our own .matcher-runs -----------------------------------------------------------------------


@pytest.mark.parametrize("marked", [True, False])
def test_an_older_versions_folder_becomes_plain_files_and_its_matcher_runs_goes(tmp_path, marked):
    """Links into our own `.matcher-runs` (with the marker, or from before it) are read, replaced by
    plain files, and `.matcher-runs` is removed."""
    out = tmp_path / "out"
    legacy_folder(out, marked=marked)
    assert (out / "proposals.csv").read_text() == "client_id,unit_id\nC1,U1\n"  # read through the link
    write_set(out, a_set(2))
    assert not os.path.lexists(out / RUNS)
    assert not [path for path in out.rglob("*") if path.is_symlink()]
    assert (out / "solved-instance" / "clients.csv").read_text() == "client_id\nC2\n"
    assert verify_set(out).state == "complete"


def test_files_put_into_our_matcher_runs_are_never_removed(tmp_path):
    """Our marked folder with a user's file beside the generations, inside a generation, in a folder
    named like a generation, and a link to the user's folder named like one: every one of them is
    still there after the migration; our own generation is gone."""
    folder, files = users_folder(tmp_path)
    out = tmp_path / "out"
    generation = legacy_folder(out)
    runs = out / RUNS
    (runs / "notes.txt").write_text("beside the generations")
    (runs / "run-mine1234").mkdir()
    (runs / "run-mine1234" / "summary.json").write_text("a user's folder named like a generation")
    (runs / "run-link1234").symlink_to(folder, target_is_directory=True)
    stale = runs / "run-stale123"
    stale.mkdir()
    (stale / GENERATION_NAMES).write_text("proposals.csv\n")
    (stale / "proposals.csv").write_text("ours")
    (stale / "diary.txt").write_text("inside a generation")
    write_set(out, a_set(2))
    assert intact(files)
    assert (runs / "notes.txt").read_text() == "beside the generations"
    assert (runs / "run-mine1234" / "summary.json").is_file()
    assert (runs / "run-link1234").is_symlink() and (stale / "diary.txt").is_file()
    assert not generation.exists()  # ours, and no longer shown
    assert (out / "proposals.csv").read_text() == "client_id,unit_id\nC2,U2\n"


def test_leftover_links_are_removed_only_when_they_are_links(tmp_path):
    """`.NAME.link-PID-HEX` links an older interrupted write left are removed; a user's regular file
    of that name is not, and a link's target is never touched."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (out / ".proposals.csv.link-123-0badc0de").symlink_to(target)
    (out / ".summary.json.link-789-00c0ffee").write_text("a user's file with a strange name")
    write_set(out, a_set(2))
    assert not (out / ".proposals.csv.link-123-0badc0de").is_symlink()
    assert (out / ".summary.json.link-789-00c0ffee").read_text() == "a user's file with a strange name"
    assert target.read_text() == "keep"


# --- the plain-file design's own names ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW on this platform")
def test_a_lock_file_that_is_a_link_is_not_followed(tmp_path):
    """`.matcher.lock` replaced by a link to a user's file: the write fails; the file is not opened
    or changed, and the set is still the old one."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    target = tmp_path / "important.txt"
    target.write_text("keep")
    (out / LOCK).unlink()
    (out / LOCK).symlink_to(target)
    with pytest.raises(OSError):
        write_set(out, a_set(2))
    assert target.read_text() == "keep"
    assert (out / "proposals.csv").read_text() == "client_id,unit_id\nC1,U1\n"


def test_a_users_file_inside_solved_instance_is_refused_before_anything_is_written(tmp_path):
    """matcher replaces `solved-instance/` as a whole: one holding a file it did not write is
    refused, naming it; the user's file and the old set stay."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    (out / "solved-instance" / "my-notes.txt").write_text("mine")
    with pytest.raises(OutputFolderError, match=r"my-notes\.txt"):
        write_set(out, a_set(2))
    assert (out / "solved-instance" / "my-notes.txt").read_text() == "mine"
    assert verify_set(out).state == "complete" and (out / "proposals.csv").read_text().endswith("C1,U1\n")


def test_a_users_manifest_json_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text('{"my": "own manifest"}')
    with pytest.raises(OutputFolderError, match=MANIFEST):
        write_set(out, a_set(1))
    assert (out / MANIFEST).read_text() == '{"my": "own manifest"}'
    assert not (out / "proposals.csv").exists()


def test_temporary_names_an_interrupted_write_lists_are_removed_only_when_ours(tmp_path):
    """A manifest left `writing` (a write killed, or a forged one) lists temporary names: a folder of
    such a name holding a file no set has, and a link's target, are kept; our own are removed."""
    folder, files = users_folder(tmp_path)
    out = tmp_path / "out"
    write_set(out, a_set(1))
    manifest = json.loads((out / MANIFEST).read_text())
    ours, foreign, linked = (
        f".solved-instance.matcher-{kind}" for kind in ("new-00000001", "old-00000002", "old-00000003")
    )
    (out / ours).mkdir()
    (out / ours / "clients.csv").write_text("half")
    (out / foreign).mkdir()
    (out / foreign / "budget.xlsx").write_text("not ours")
    (out / linked).symlink_to(folder, target_is_directory=True)
    manifest.update(
        state="writing",
        previous=manifest["files"],
        staging={ours: "solved-instance"},
        retired={foreign: "solved-instance", linked: "solved-instance"},
    )
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert verify_set(out).state == "complete"  # every file still has its previous hash
    write_set(out, a_set(2))
    assert not (out / ours).exists() and not os.path.lexists(out / linked)
    assert (out / foreign / "budget.xlsx").read_text() == "not ours"
    assert intact(files)


def test_an_old_file_the_new_set_lacks_is_removed_only_when_unchanged(tmp_path):
    """kept.csv of the previous run goes when the new run keeps none; an edited one is the user's."""
    out = tmp_path / "out"
    write_set(out, a_set(1) | {"kept.csv": b"client_id,unit_id\n"})
    write_set(out, a_set(2))
    assert not (out / "kept.csv").exists()
    write_set(out, a_set(3) | {"kept.csv": b"client_id,unit_id\n"})
    (out / "kept.csv").write_text("client_id,unit_id\nC9,U9\n")
    write_set(out, a_set(4))
    assert (out / "kept.csv").read_text() == "client_id,unit_id\nC9,U9\n"


def test_outputs_are_readable_by_their_owner_only(tmp_path):
    """The set's files are 0600 and its folder 0700 (readable by the user who ran the engine)."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    assert sys.platform == "win32" or (
        oct((out / "proposals.csv").stat().st_mode & 0o777) == "0o600"
        and oct((out / "solved-instance").stat().st_mode & 0o777) == "0o700"
    )
