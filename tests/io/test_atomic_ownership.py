"""`.matcher-runs` is ours alone (issue 12, finding 9): `solve --out` never removes a file that is
not its own.

The red team found two attacks on `write_set`, which used to delete everything in
`OUT/.matcher-runs/` that was not the current generation: a `.matcher-runs` that is a symbolic
link to a user's folder (its contents were deleted), and a user's file inside a real
`.matcher-runs` (deleted too). Now a link, or a folder matcher did not make, is refused, and only
our own stale generations and leftover links are removed, never following a symbolic link.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.atomic import MANIFEST, MARKER, RUNS, OutputFolderError, current_generation, write_set

pytestmark = pytest.mark.skipif(os.name == "nt", reason="generations need symbolic links")

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


def generations(out: Path) -> list[str]:
    return sorted(path.name for path in (out / RUNS).glob("run-*"))


# --- attack 1: .matcher-runs is a symbolic link ---------------------------------------------------------


def test_a_symbolic_link_named_matcher_runs_is_refused_and_its_target_untouched(tmp_path):
    """`OUT/.matcher-runs -> ~/my-documents`: nothing is written into or removed from the target."""
    folder, files = users_folder(tmp_path)
    before = sorted(path.name for path in folder.rglob("*"))
    out = tmp_path / "out"
    out.mkdir()
    (out / RUNS).symlink_to(folder, target_is_directory=True)
    with pytest.raises(OutputFolderError, match="is a symbolic link"):
        write_set(out, a_set(1))
    assert intact(files) and sorted(path.name for path in folder.rglob("*")) == before
    assert sorted(path.name for path in out.iterdir()) == [RUNS]  # no links to a set made either


def test_solve_refuses_a_linked_matcher_runs_with_a_clear_message(tmp_path):
    """Through `matcher solve --out`: exit 1, the link named, no traceback, the user's files kept."""
    folder, files = users_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / RUNS).symlink_to(folder, target_is_directory=True)
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "symbolic link" in text and str(out / RUNS) in text and "Traceback" not in text
    assert intact(files)


@pytest.mark.parametrize("what", ["file", "link to a file", "dangling link"])
def test_a_matcher_runs_that_is_not_a_folder_is_refused(tmp_path, what):
    """A plain file, or a link to one, where `.matcher-runs` should be: refused, left as it is."""
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
    with pytest.raises(OutputFolderError):
        write_set(out, a_set(1))
    assert target.read_text() == "keep me"
    if what == "file":
        assert (out / RUNS).read_text() == "keep me too"


def test_a_folder_matcher_did_not_make_is_refused(tmp_path):
    """A real `.matcher-runs` without our marker holding someone's files: refused, files kept."""
    out = tmp_path / "out"
    (out / RUNS / "holiday").mkdir(parents=True)
    (out / RUNS / "holiday" / "photo.jpg").write_text("beach")
    (out / RUNS / "notes.txt").write_text("mine")
    with pytest.raises(OutputFolderError, match="was not made by matcher"):
        write_set(out, a_set(1))
    assert (out / RUNS / "holiday" / "photo.jpg").read_text() == "beach"
    assert (out / RUNS / "notes.txt").read_text() == "mine"


# --- attack 2: a user's file inside a real .matcher-runs --------------------------------------------------


def test_files_put_into_our_folder_are_never_removed(tmp_path):
    """Our marked folder, with a user's file beside the generations, inside the current generation
    (which then goes stale), in a folder named like a generation, and a link to the user's folder
    inside a stale generation and named like one: after more writes all of it is still there, and
    every stale generation of our own is gone."""
    folder, files = users_folder(tmp_path)
    out = tmp_path / "out"
    write_set(out, a_set(1))
    runs = out / RUNS
    assert (runs / MARKER).is_file()

    (runs / "notes.txt").write_text("beside the generations")
    current = current_generation(out)
    (current / "diary.txt").write_text("inside the current generation")
    (runs / "run-mine1234").mkdir()
    (runs / "run-mine1234" / "summary.json").write_text("a user's folder named like a generation")
    (runs / "run-link1234").symlink_to(folder, target_is_directory=True)
    write_set(out, a_set(2))
    linked = current_generation(out)
    (linked / "shortcut").symlink_to(folder, target_is_directory=True)  # goes stale next
    for number in range(3, 6):
        write_set(out, a_set(number))

    assert intact(files)
    assert (runs / "notes.txt").read_text() == "beside the generations"
    assert (current / "diary.txt").read_text() == "inside the current generation"
    assert (runs / "run-mine1234" / "summary.json").is_file()
    assert (runs / "run-link1234").is_symlink() and (linked / "shortcut").is_symlink()
    ours = {current_generation(out).name, current.name, linked.name, "run-mine1234", "run-link1234"}
    assert set(generations(out)) == ours  # the stale generations of our own are gone
    assert (out / "proposals.csv").read_text() == "client_id,unit_id\nC5,U5\n"


def test_a_generation_is_removed_only_when_it_holds_just_its_own_names(tmp_path):
    """Stale generations holding their manifest's names (a complete one, or one a kill interrupted)
    are removed; one holding a name its manifest does not list, or a deeper folder, is kept."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    runs = out / RUNS
    interrupted = runs / "run-killed01"
    (interrupted / "solved-instance").mkdir(parents=True)
    (interrupted / MANIFEST).write_text("proposals.csv\nsolved-instance/clients.csv\n")
    (interrupted / "proposals.csv").write_text("half a fi")
    (interrupted / "solved-instance" / "clients.csv").write_text("")
    empty = runs / "run-killed02"  # killed right after creating it
    empty.mkdir()
    extra = runs / "run-extra001"
    extra.mkdir()
    (extra / MANIFEST).write_text("proposals.csv\n")
    (extra / "proposals.csv").write_text("ours")
    (extra / "budget.xlsx").write_text("not in the manifest")
    deep = runs / "run-deep0001"
    (deep / "solved-instance" / "sub").mkdir(parents=True)
    (deep / MANIFEST).write_text("solved-instance/clients.csv\n")
    write_set(out, a_set(2))
    assert not interrupted.exists() and not empty.exists()
    assert (extra / "budget.xlsx").read_text() == "not in the manifest" and (extra / "proposals.csv").exists()
    assert (deep / "solved-instance" / "sub").is_dir()


def test_leftover_links_are_removed_only_when_they_are_links(tmp_path):
    """`.NAME.link-PID-HEX` links an interrupted write left are removed; a user's regular file of
    that name is not, and a link's target is never touched."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (out / ".proposals.csv.link-123-0badc0de").symlink_to(target)
    (out / RUNS / ".current.link-456-deadbeef").symlink_to(target)
    (out / ".summary.json.link-789-00c0ffee").write_text("a user's file with a strange name")
    write_set(out, a_set(2))
    assert not (out / ".proposals.csv.link-123-0badc0de").is_symlink()
    assert not (out / RUNS / ".current.link-456-deadbeef").is_symlink()
    assert (out / ".summary.json.link-789-00c0ffee").read_text() == "a user's file with a strange name"
    assert target.read_text() == "keep"


def test_a_folder_written_before_the_marker_is_taken_over(tmp_path):
    """`.matcher-runs` from the version before the marker (its own entries only, no manifests) is
    marked and used; its stale generation is removed, as before."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    runs = out / RUNS
    (runs / MARKER).unlink()
    for generation in runs.glob("run-*"):
        (generation / MANIFEST).unlink()
    old = current_generation(out)
    write_set(out, a_set(2))
    assert (runs / MARKER).is_file() and not old.exists()
    assert generations(out) == [current_generation(out).name]


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW on this platform")
def test_a_lock_file_that_is_a_link_is_not_followed(tmp_path):
    """`.lock` replaced by a link to a user's file: the write fails; the file is not opened or changed."""
    out = tmp_path / "out"
    write_set(out, a_set(1))
    target = tmp_path / "important.txt"
    target.write_text("keep")
    (out / RUNS / ".lock").unlink()
    (out / RUNS / ".lock").symlink_to(target)
    with pytest.raises(OSError):
        write_set(out, a_set(2))
    assert target.read_text() == "keep"
    assert (out / "proposals.csv").read_text() == "client_id,unit_id\nC1,U1\n"


def test_the_marker_says_what_the_folder_is(tmp_path):
    """Anyone who opens `.matcher-runs` reads that matcher owns it and to keep their files elsewhere."""
    write_set(tmp_path / "out", a_set(1))
    text = (tmp_path / "out" / RUNS / MARKER).read_text()
    assert "matcher" in text and "outside this folder" in text
    assert sys.platform == "win32" or oct((tmp_path / "out" / RUNS).stat().st_mode & 0o777) == "0o700"
