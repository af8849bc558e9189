"""Atomic writes: a reader sees the old complete state or the new complete state, never a mix.

`write_bytes` replaces one file (temporary file, fsync, rename). `write_set` replaces several
files together, such as a proposal's proposals.csv, unmatched.csv and summary.json: renaming
files one by one would leave, after a kill between two renames, a new proposals.csv beside an old
summary.json. So each name in the folder is a symbolic link `NAME -> .matcher-runs/current/NAME`,
`current` links to one complete generation folder, and a new generation is written and synced
beside the old one before one rename swaps `current`. Killed at any moment, the folder shows
the old set or the new set; leftovers of an interrupted write are removed by the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUNS = ".matcher-runs"
CURRENT = "current"


def write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def write_set(folder: Path, files: dict[str, bytes]) -> None:
    """Replace the files named in `files` inside `folder` together, as one atomic change.

    A name may hold one folder level (`solved-instance/clients.csv`): that folder is part of the
    set as a whole. Other files in `folder` are never touched. Where the platform has no
    symbolic links (Windows without developer mode), the files are replaced one by one, the last
    one last: put the file that records the others' hashes last, so a reader can tell a mixed set.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "nt":
        for name, data in files.items():
            write_bytes(folder / name, data)
        return
    top = list(dict.fromkeys(name.split("/", 1)[0] for name in files))  # the entries of the set
    runs = folder / RUNS
    runs.mkdir(exist_ok=True)
    with _locked(runs / ".lock"):
        _adopt_plain_files(folder, runs, [name for name in files if "/" not in name])
        generation = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
        for name, data in files.items():
            (generation / name).parent.mkdir(parents=True, exist_ok=True)
            _write_synced(generation / name, data)
        for sub in {(generation / name).parent for name in files}:
            _fsync_folder(sub)
        # links first: while `current` is the old generation (or absent) they show the old set
        for name in top:
            _link(folder / name, f"{RUNS}/{CURRENT}/{name}")
        _fsync_folder(folder)
        _link(runs / CURRENT, generation.name)  # the one step that switches the whole set
        _fsync_folder(runs)
        _remove_stale(runs)
        for name in top:
            for leftover in folder.glob(f".{name}.link-*"):
                leftover.unlink(missing_ok=True)


def current_generation(folder: Path) -> Path | None:
    """The generation folder the set in `folder` shows now, if written by `write_set`."""
    link = folder / RUNS / CURRENT
    return folder / RUNS / os.readlink(link) if link.is_symlink() else None


def _adopt_plain_files(folder: Path, runs: Path, names: list[str]) -> None:
    """Turn plain files (from an older version, or an edit) into links, showing the same bytes."""
    plain = [name for name in names if (folder / name).is_file() and not (folder / name).is_symlink()]
    if not plain:
        return
    snapshot = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    for name in names:
        if (folder / name).is_file():
            _write_synced(snapshot / name, (folder / name).read_bytes())
    _fsync_folder(snapshot)
    _link(runs / CURRENT, snapshot.name)  # links already present now show the same bytes
    _fsync_folder(runs)
    for name in plain:
        _link(folder / name, f"{RUNS}/{CURRENT}/{name}")
    _fsync_folder(folder)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _link(path: Path, target: str) -> None:
    """Make `path` a symbolic link to `target`, replacing what was there in one rename."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    temporary = path.parent / f".{path.name}.link-{os.getpid()}-{os.urandom(4).hex()}"
    os.symlink(target, temporary)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_stale(runs: Path) -> None:
    """Generations no longer current and links left by an interrupted write."""
    keep = os.readlink(runs / CURRENT)
    for entry in runs.iterdir():
        if entry.name in (CURRENT, ".lock", keep):
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """One writer at a time per folder; the lock dies with its process, even on kill -9."""
    import fcntl

    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
