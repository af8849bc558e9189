"""Atomic writes: a reader sees the old complete state or the new complete state, never a mix.

`write_bytes` replaces one file (temporary file, fsync, rename). `write_set` replaces several
files together, such as a proposal's proposals.csv, unmatched.csv and summary.json: renaming
files one by one would leave, after a kill between two renames, a new proposals.csv beside an old
summary.json. So each name in the folder is a symbolic link `NAME -> .matcher-runs/current/NAME`,
`current` links to one complete generation folder, and a new generation is written and synced
beside the old one before one rename swaps `current`. Killed at any moment, the folder shows
the old set or the new set; leftovers of an interrupted write are removed by the next one.

`.matcher-runs` is ours alone, and only what we recognise as ours is ever removed from it. It is
created with a marker file (`.matcher-owned`); one that is a symbolic link, not a folder, or a
folder without the marker that holds anything we would not have put there, is refused
(`OutputFolderError`). Each generation records the names it holds (`.matcher-generation`);
a stale generation is removed only when it is a real folder named like ours holding nothing but
those names (regular files, and folders of regular files), and leftover links only when they are
links named like ours. Removal works on folder descriptors opened without following symbolic
links, so it never reaches outside `.matcher-runs`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

RUNS = ".matcher-runs"
CURRENT = "current"
LOCK = ".lock"
MARKER = ".matcher-owned"  # written into .matcher-runs when we create it
MANIFEST = ".matcher-generation"  # in each generation: the names it holds, one a line
GENERATION = re.compile(r"run-[a-z0-9_]{8}")  # tempfile.mkdtemp(prefix="run-")
LEFTOVER_LINK = re.compile(r"\..+\.link-\d+-[0-9a-f]{8}")  # _link's temporary name
MARKER_TEXT = (
    "This folder holds the output sets written by matcher (matcher.io.atomic.write_set).\n"
    "matcher removes the generations it no longer shows, and nothing else; keep your own files\n"
    "outside this folder.\n"
)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class OutputFolderError(OSError):
    """An output folder whose `.matcher-runs` is not ours: we write nothing and remove nothing."""

    def __init__(self, path: Path, message: str):
        super().__init__(errno.EEXIST, message, str(path))


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
    runs = _runs_folder(folder, set(files))
    with _locked(runs / LOCK):
        _adopt_plain_files(folder, runs, [name for name in files if "/" not in name])
        generation = _new_generation(runs, files)
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
        _remove_dangling_links(folder, generation, top)
        _remove_stale(runs)
        for name in top:
            _remove_leftover_links(folder, f".{name}.link-")


def _remove_dangling_links(folder: Path, generation: Path, top: list[str]) -> None:
    """Links of an earlier set to a name this set does not hold (say kept.csv after a run without
    kept matches) would point at nothing: remove them. Only our own links, `NAME ->
    .matcher-runs/current/NAME`, and only when the new generation has no NAME."""
    for entry in os.scandir(folder):
        if entry.name in top or not entry.is_symlink():
            continue
        if (
            os.readlink(entry.path) == f"{RUNS}/{CURRENT}/{entry.name}"
            and not (generation / entry.name).exists()
        ):
            os.unlink(entry.path)


def current_generation(folder: Path) -> Path | None:
    """The generation folder the set in `folder` shows now, if written by `write_set`."""
    link = folder / RUNS / CURRENT
    return folder / RUNS / os.readlink(link) if link.is_symlink() else None


def _adopt_plain_files(folder: Path, runs: Path, names: list[str]) -> None:
    """Turn plain files (from an older version, or an edit) into links, showing the same bytes."""
    plain = [name for name in names if (folder / name).is_file() and not (folder / name).is_symlink()]
    if not plain:
        return
    present = [name for name in names if (folder / name).is_file()]
    snapshot = _new_generation(runs, present)
    for name in present:
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


def _runs_folder(folder: Path, names: set[str]) -> Path:
    """`folder/.matcher-runs`, created with our marker, or checked to be ours.

    Refused (OutputFolderError): a symbolic link (its target is someone else's folder), anything
    that is not a folder, and a folder without our marker that holds what we would not have put
    there. A folder without the marker holding only our own entries (written before the marker
    existed, or by a writer killed between creating it and marking it) is marked and used; its
    generations from before manifests existed get one when they hold only `names`, the names of
    the set being written, so they can be removed once stale.
    """
    runs = folder / RUNS
    with suppress(FileExistsError):
        os.mkdir(runs, 0o700)
    info = os.lstat(runs)
    if stat.S_ISLNK(info.st_mode):
        raise OutputFolderError(
            runs,
            f"{RUNS} is a symbolic link (to {os.readlink(runs)}), not the folder matcher keeps its "
            f"output sets in: matcher writes and removes only inside its own folder. Remove the link "
            f"{runs}, or choose another --out folder",
        )
    if not stat.S_ISDIR(info.st_mode):
        raise OutputFolderError(
            runs, f"{RUNS} is not a folder: move {runs} away, or choose another --out folder"
        )
    marker = runs / MARKER
    try:
        marked = stat.S_ISREG(os.lstat(marker).st_mode)
    except FileNotFoundError:
        marked = False
    if not marked:
        foreign = sorted(name for name in os.listdir(runs) if not _ours_before_marking(runs, name))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
            raise OutputFolderError(
                runs,
                f"{RUNS} was not made by matcher (it has no {MARKER} and holds {shown}): matcher "
                f"keeps its output sets in that folder and removes old ones, so it will not use one "
                f"holding other files. Move {runs} away, or choose another --out folder",
            )
        _manifest_older_generations(runs, names)
        _write_marker(runs)
    return runs


def _manifest_older_generations(runs: Path, names: set[str]) -> None:
    """Give each generation written before manifests existed one, if it holds only `names`."""
    for generation in runs.iterdir():
        if not GENERATION.fullmatch(generation.name) or (generation / MANIFEST).exists():
            continue
        handle = os.open(generation, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW)
        try:
            plan = _generation_plan(handle, names)
        finally:
            os.close(handle)
        if plan is not None:
            files, folders = plan
            held = files + [f"{sub}/{entry}" for sub, entries in folders.items() for entry in entries]
            _write_synced(generation / MANIFEST, "".join(f"{name}\n" for name in held).encode("utf-8"))


def _ours_before_marking(runs: Path, name: str) -> bool:
    """An entry an unmarked .matcher-runs may hold: what write_set itself puts there."""
    try:
        mode = os.lstat(runs / name).st_mode
    except FileNotFoundError:
        return True
    if name == CURRENT or LEFTOVER_LINK.fullmatch(name):
        return stat.S_ISLNK(mode)
    if name in (LOCK, MARKER):
        return stat.S_ISREG(mode)
    return bool(GENERATION.fullmatch(name)) and stat.S_ISDIR(mode)


def _write_marker(runs: Path) -> None:
    handle = os.open(runs / MARKER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NO_FOLLOW, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(MARKER_TEXT)
        file.flush()
        os.fsync(file.fileno())
    _fsync_folder(runs)


def _new_generation(runs: Path, names: Iterable[str]) -> Path:
    """A new, empty generation folder (0700) whose manifest lists the names it will hold."""
    generation = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    _write_synced(generation / MANIFEST, "".join(f"{name}\n" for name in names).encode("utf-8"))
    return generation


def _remove_stale(runs: Path) -> None:
    """Generations no longer current and links left by an interrupted write: only what we
    recognise as ours, never following a symbolic link."""
    keep = os.readlink(runs / CURRENT)
    handle = os.open(runs, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW)
    try:
        for name in os.listdir(handle):
            if name == keep:
                continue
            if GENERATION.fullmatch(name):
                _remove_generation(handle, name)
            elif LEFTOVER_LINK.fullmatch(name):
                _unlink_link(handle, name)
    finally:
        os.close(handle)


def _remove_leftover_links(folder: Path, prefix: str) -> None:
    handle = os.open(folder, os.O_RDONLY | _DIRECTORY)
    try:
        for name in os.listdir(handle):
            if name.startswith(prefix) and LEFTOVER_LINK.fullmatch(name):
                _unlink_link(handle, name)
    finally:
        os.close(handle)


def _unlink_link(folder: int, name: str) -> None:
    """Remove `name` in the folder open as `folder` if it is a symbolic link (never its target)."""
    with suppress(FileNotFoundError):
        if stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
            os.unlink(name, dir_fd=folder)


def _remove_generation(runs: int, name: str) -> None:
    """Remove one stale generation if it holds nothing but its manifest and the names it lists
    (or nothing at all: a writer killed right after creating it). Anything else — no manifest, a
    symbolic link, a file we did not write, a deeper folder — leaves the whole generation as it is."""
    try:
        handle = os.open(name, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW, dir_fd=runs)
    except OSError:  # a symbolic link, or no longer there
        return
    try:
        plan = _generation_plan(handle)
        if plan is None:
            return
        files, folders = plan
        for sub, entries in folders.items():
            sub_handle = os.open(sub, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW, dir_fd=handle)
            try:
                for entry in entries:
                    os.unlink(entry, dir_fd=sub_handle)
            finally:
                os.close(sub_handle)
            os.rmdir(sub, dir_fd=handle)
        for entry in files:
            os.unlink(entry, dir_fd=handle)
        os.rmdir(name, dir_fd=runs)
    except OSError:  # changed under us (a new entry, a swapped folder): leave the rest for now
        return
    finally:
        os.close(handle)


def _generation_plan(
    handle: int, names: set[str] | None = None
) -> tuple[list[str], dict[str, list[str]]] | None:
    """The regular files and one-level folders of regular files in the generation open as
    `handle`, if every one is a name of its set — `names`, or else those its manifest lists (an
    empty generation needs none); None when anything is not."""
    entries = os.listdir(handle)
    if names is None:
        if not entries:
            return [], {}
        if MANIFEST not in entries:
            return None
        if not stat.S_ISREG(os.stat(MANIFEST, dir_fd=handle, follow_symlinks=False).st_mode):
            return None
        manifest = os.open(MANIFEST, os.O_RDONLY | _NO_FOLLOW, dir_fd=handle)
        with os.fdopen(manifest, "rb") as file:
            names = set(file.read(1_000_000).decode("utf-8", "replace").splitlines())
    tops = {name.split("/", 1)[0] for name in names}
    files: list[str] = []
    folders: dict[str, list[str]] = {}
    for entry in entries:
        mode = os.stat(entry, dir_fd=handle, follow_symlinks=False).st_mode
        if stat.S_ISREG(mode) and (entry in names or entry == MANIFEST):
            files.append(entry)
        elif stat.S_ISDIR(mode) and entry in tops and entry not in names:
            sub = os.open(entry, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW, dir_fd=handle)
            try:
                inner = os.listdir(sub)
                if not all(
                    f"{entry}/{item}" in names
                    and stat.S_ISREG(os.stat(item, dir_fd=sub, follow_symlinks=False).st_mode)
                    for item in inner
                ):
                    return None
            finally:
                os.close(sub)
            folders[entry] = inner
        else:
            return None
    files.sort(key=lambda entry: entry == MANIFEST)  # the manifest last: it names the rest
    return files, folders


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

    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT | _NO_FOLLOW, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
