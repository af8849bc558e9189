"""Atomic writes of plain files: a reader sees the old complete set, the new complete set, or is
told the set is incomplete, never a mix accepted as valid.

`write_bytes` replaces one file: a temporary file in the same folder, fsync, `os.replace`, fsync
of the folder. `write_set` replaces a set of files together (proposals.csv, unmatched.csv,
unused_units.csv, kept.csv, summary.json and the folder `solved-instance/`). The files in the
output folder are plain files and plain folders, never symbolic links, so a set survives a
Windows share, a zip file and a copy by Explorer. No file system renames several files at once,
so the set carries a manifest, `manifest.json`, holding the sha256 of every file of the set and
a state:

1. Under the folder's lock (`.matcher.lock`), the manifest is replaced by one in state `writing`
   that lists the hashes of the set being written (`files`), those of the set the folder holds now
   (`previous`), and the temporary names about to be made (`staging`, `retired`).
2. Every file is written under a temporary name beside its final one (`.NAME.matcher-new-XXXXXXXX`;
   a folder as a whole new folder of that name) and fsynced, with the folder.
3. Each file is renamed over its old one (`os.replace`). A folder cannot be renamed over a folder:
   the old one is first renamed aside (`.NAME.matcher-old-XXXXXXXX`), then the new one into place;
   between those two renames the name is missing for a moment (a reader is told the set is
   incomplete, see below). Files of the old set that the new one does not have (kept.csv) are
   removed when they hold exactly what was written; the old folder is removed.
4. Only then is the manifest replaced by one in state `complete` listing `files`.

`verify_set` is what every reader of an output set calls first. `complete`: the set is the one
listed, and any file that differs was changed after the run (a hand edit; the readers decide what
they accept). `writing`: if every file has the hash `previous` records, the folder holds the old
complete set (the writer is still preparing, or was killed before its first rename); if every
file has the hash `files` records, the new complete set (killed just before the last step);
otherwise the set is incomplete and the reader says so ("… holds an incomplete set of outputs:
run solve again"), never a traceback. The manifest is read before and after hashing the files, so
a reader running beside a writer never takes two sets for one. A folder without a manifest was
written by an older version (below) and is `unverified`: its readers check it as before.

Why a separate manifest and not summary.json's `outputs` hashes: a coordinator may edit
proposals.csv by hand (`check` and `explain` read it as a hand-edited proposal), so a mismatch
with summary.json cannot tell an edit from a half-written set; only a manifest written before the
first rename and after the last can. summary.json cannot list its own hash either, and the
manifest covers it too.

What `write_set` removes is only what it recognises as its own: temporary names it listed in the
manifest before making them, holding only the files it would have put there; old files holding
exactly the bytes recorded; never following a symbolic link. The names of the set that are
something else (a folder where a file belongs, a `solved-instance/` holding a file of the user's)
are refused before anything is written (`OutputFolderError`). Files in the folder that are not
part of the set (a coordinator's notes) are never touched.

Older versions (until issue 15) showed each name as a symbolic link `NAME ->
.matcher-runs/current/NAME` into generation folders under `.matcher-runs`. Such a folder is still
read (through its links), and the next `write_set` into it replaces the links by plain files and
then removes `.matcher-runs`, but only when it is ours: a real folder (not a link) with our marker
`.matcher-owned` (or only our own entries), holding nothing but generations with their list of
names `.matcher-generation`, the `current` link, `.lock` and the marker; removal works on folder
descriptors opened without following symbolic links, so it never reaches outside it. Anything else
is left where it is (tests/io/test_atomic_ownership.py).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from matcher.i18n import _
from models import InvalidInstance, Problem

MANIFEST = "manifest.json"  # the hashes of every file of the set, and its state
LOCK = ".matcher.lock"  # one writer at a time per folder
FORMAT = 1  # manifest.json's "matcher_output_set"
STAGED = re.compile(r"\.(?P<name>.+)\.matcher-(?P<kind>new|old)-[0-9a-f]{8}")
VERIFY_ATTEMPTS = 5  # a reader beside a busy writer tries this often before saying so
MAX_MANIFEST_BYTES = 64 * 2**20

# --- the design before issue 15: links into .matcher-runs (read, then migrated away) ---------------
RUNS = ".matcher-runs"
CURRENT = "current"
RUNS_LOCK = ".lock"
MARKER = ".matcher-owned"  # written into .matcher-runs when it was created
GENERATION_NAMES = ".matcher-generation"  # in each generation: the names it holds, one a line
GENERATION = re.compile(r"run-[a-z0-9_]{8}")  # tempfile.mkdtemp(prefix="run-")
LEFTOVER_LINK = re.compile(r"\..+\.link-\d+-[0-9a-f]{8}")  # the old _link's temporary name

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class OutputFolderError(OSError):
    """An output folder holding something of someone else's where the set goes: nothing is written
    and nothing removed."""

    def __init__(self, path: Path, message: str):
        super().__init__(errno.EEXIST, message, str(path))


class IncompleteSet(InvalidInstance):
    """An output set that is half-written (a run killed between two renames) or whose manifest is
    damaged: the one problem says so and what to do."""

    def __init__(self, folder: Path, message: str):
        self.folder = folder
        super().__init__([Problem(file=str(folder), message=message)])


@dataclass(frozen=True)
class SetCheck:
    """What `verify_set` found in an output folder.

    `state`: `complete` (the set `files` lists; `differing` names its files changed since, hand
    edits), `incomplete` (`message` says what to do), `unverified` (no manifest: written by an
    older version, or not by `write_set`)."""

    folder: Path
    state: Literal["complete", "incomplete", "unverified"]
    files: dict[str, str] = field(default_factory=dict)
    differing: tuple[str, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.state != "incomplete"

    def require(self) -> SetCheck:
        """This check, or `IncompleteSet` when the set is incomplete."""
        if self.state == "incomplete":
            raise IncompleteSet(self.folder, self.message)
        return self


def write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename it over `path`."""
    import tempfile

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


# --- reading: is the set complete? -------------------------------------------------------------------


def verify_set(folder: str | Path) -> SetCheck:
    """Whether `folder` holds a complete output set (see the module's docstring). Never raises for
    what it finds: a missing, half-written or damaged set is described in the result."""
    folder = Path(folder)
    for attempt in range(VERIFY_ATTEMPTS):
        raw = _read_manifest_bytes(folder)
        if raw is None:
            return SetCheck(folder, "unverified")
        manifest = _parse_manifest(raw)
        if manifest is None:
            return SetCheck(folder, "incomplete", message=_damaged(folder))
        names = set(manifest["files"]) | set(manifest.get("previous") or {})
        hashes = {name: _hash_or_none(folder / name) for name in sorted(names)}
        if _read_manifest_bytes(folder) == raw:  # no writer changed the set while we looked
            check = _judge(folder, manifest, hashes)
            if check.ok or attempt == VERIFY_ATTEMPTS - 1:
                return check
            # mixed while a write is under way: a live writer finishes its renames in moments
        time.sleep(0.05)
    return SetCheck(
        folder,
        "incomplete",
        message=_(
            "{folder} is being written by another run right now: wait until it has finished, then try again",
            folder=folder,
        ),
    )


def _judge(folder: Path, manifest: dict[str, Any], hashes: dict[str, str | None]) -> SetCheck:
    files: dict[str, str] = manifest["files"]
    if manifest["state"] == "complete":
        differing = tuple(name for name in sorted(files) if hashes[name] != files[name])
        return SetCheck(folder, "complete", dict(files), differing)
    previous: dict[str, str] | None = manifest.get("previous")
    for candidate in (previous, files):
        if candidate and all(hashes[name] == digest for name, digest in candidate.items()):
            return SetCheck(folder, "complete", dict(candidate))
    return SetCheck(folder, "incomplete", message=incomplete_message(folder))


def incomplete_message(folder: Path) -> str:
    """What a reader tells a user about a half-written set."""
    return _(
        "{folder} holds an incomplete set of outputs (a run was stopped while writing them, so its files "
        "do not belong together): run solve again, e.g. matcher solve INSTANCE --out {folder}",
        folder=folder,
    )


def _damaged(folder: Path) -> str:
    return _(
        "{folder}: {manifest} is damaged or was edited, so it cannot be told whether the outputs belong "
        "together: run solve again, e.g. matcher solve INSTANCE --out {folder}",
        folder=folder,
        manifest=MANIFEST,
    )


def _read_manifest_bytes(folder: Path) -> bytes | None:
    try:
        handle = os.open(folder / MANIFEST, os.O_RDONLY | _NO_FOLLOW | _BINARY)
    except FileNotFoundError:
        return None
    except OSError:  # a link, a folder, unreadable: not ours
        return b""
    with os.fdopen(handle, "rb") as file:
        return file.read(MAX_MANIFEST_BYTES + 1)


def _parse_manifest(raw: bytes) -> dict[str, Any] | None:
    """manifest.json as `write_set` writes it, or None."""
    if len(raw) > MAX_MANIFEST_BYTES:
        return None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict) or manifest.get("matcher_output_set") != FORMAT:
        return None
    if manifest.get("state") not in ("complete", "writing") or not _hashes(manifest.get("files")):
        return None
    if manifest["state"] == "writing":
        previous = manifest.get("previous")
        if previous is not None and not _hashes(previous):
            return None
        for key in ("staging", "retired"):
            entries = manifest.get(key, {})
            if not isinstance(entries, dict) or not all(
                isinstance(name, str) and STAGED.fullmatch(name) and _set_name(target)
                for name, target in entries.items()
            ):
                return None
    return manifest


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _hashes(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _set_name(name) and isinstance(digest, str) and _SHA256.fullmatch(digest)
        for name, digest in value.items()
    )


def _set_name(name: Any) -> bool:
    """A name of a set: a file in the folder, or in one folder of it (`solved-instance/x.csv`)."""
    if not isinstance(name, str):
        return False
    parts = name.split("/")
    return 1 <= len(parts) <= 2 and all(
        part and part not in (".", "..") and "\\" not in part and "\x00" not in part and ":" not in part
        for part in parts
    )


def _hash_or_none(path: Path) -> str | None:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:  # missing, a folder, unreadable
        return None


# --- writing --------------------------------------------------------------------------------------


def write_set(folder: Path, files: dict[str, bytes]) -> None:
    """Replace the files named in `files` inside `folder` together (see the module's docstring).

    A name may hold one folder level (`solved-instance/clients.csv`): that folder is part of the set
    as a whole. `manifest.json` is written last and must not be one of the names. Other files in
    `folder` are never touched."""
    folder = Path(folder)
    for name in files:
        if not _set_name(name) or name.split("/", 1)[0] in (MANIFEST, LOCK, RUNS) or STAGED.fullmatch(name):
            raise ValueError(f"{name!r} cannot be the name of a file of an output set")
    if {n for n in files if "/" not in n} & {n.split("/", 1)[0] for n in files if "/" in n}:
        raise ValueError("a name of the set is both a file and a folder")
    new = {name: _sha256(data) for name, data in files.items()}
    tops = _tops(new)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / LOCK):
        _refuse_a_foreign_manifest(folder)
        _finish_interrupted(folder)
        manifest = _manifest(folder)
        recorded = {**(manifest.get("previous") or {}), **manifest["files"]} if manifest else {}
        previous = _current_set(folder, tops)
        _refuse_what_is_not_ours(folder, tops, recorded)
        on_disk = previous
        if not previous and manifest and manifest["state"] == "writing":
            # an interrupted write left an incomplete set: its files, old or new, are still ours to
            # replace or remove, but never listed as a complete `previous` set (they are a mix)
            on_disk = {name: digest for name in recorded if (digest := _hash_or_none(folder / name))}
        old_tops = _tops(on_disk)
        tag = os.urandom(4).hex()
        staging = {f".{top}.matcher-new-{tag}": top for top in tops}
        folders = [top for top, content in tops.items() if isinstance(content, dict)]
        folders += [top for top, content in old_tops.items() if isinstance(content, dict) and top not in tops]
        retired = {f".{top}.matcher-old-{tag}": top for top in folders if os.path.lexists(folder / top)}
        _write_manifest(
            folder,
            {
                "matcher_output_set": FORMAT,
                "state": "writing",
                "files": new,
                "previous": previous or None,
                "staging": staging,
                "retired": retired,
            },
        )
        for temporary, top in staging.items():
            if isinstance(tops[top], dict):
                os.mkdir(folder / temporary, 0o700)
                for sub in tops[top]:
                    _write_new(folder / temporary / sub, files[f"{top}/{sub}"])
                _fsync_folder(folder / temporary)
            else:
                _write_new(folder / temporary, files[top])
        _fsync_folder(folder)
        aside = {top: temporary for temporary, top in retired.items()}
        try:
            for temporary, top in staging.items():
                if top in aside:  # a folder cannot be renamed over a folder: the old one goes aside
                    os.replace(folder / top, folder / aside[top])
                os.replace(folder / temporary, folder / top)
            for top in sorted(set(old_tops) - set(tops)):  # names the new set does not have
                if top in aside:
                    os.replace(folder / top, folder / aside[top])
                else:
                    _remove_if_unchanged(folder / top, recorded.get(top))  # as we wrote it
            _fsync_folder(folder)
        except OSError as error:
            where = Path(error.filename or folder)
            raise OutputFolderError(
                where,
                _(
                    "could not replace {name} ({reason}; is it open in another program?): {folder} now "
                    "holds an incomplete set of outputs. Close the file and run solve again",
                    name=where.name,
                    reason=error.strerror or error,
                    folder=folder,
                ),
            ) from error
        for temporary, top in retired.items():
            _remove_ours(folder, temporary, _known_names(top, new, previous, recorded))
        _fsync_folder(folder)
        _write_manifest(folder, {"matcher_output_set": FORMAT, "state": "complete", "files": new})
        _remove_legacy_runs(folder)
        with suppress(OSError):
            for entry in os.scandir(folder):
                if LEFTOVER_LINK.fullmatch(entry.name):
                    _unlink_link_path(Path(entry.path))


def _manifest(folder: Path) -> dict[str, Any] | None:
    raw = _read_manifest_bytes(folder)
    return _parse_manifest(raw) if raw else None


def _refuse_a_foreign_manifest(folder: Path) -> None:
    """A manifest.json that is not ours (a file of the user's, or a folder or link): refused."""
    path = folder / MANIFEST
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    raw = _read_manifest_bytes(folder) if stat.S_ISREG(mode) else b""
    if not raw or b'"matcher_output_set"' not in raw[:4096]:
        raise OutputFolderError(
            path,
            _(
                "{name} in {folder} was not written by matcher, but matcher keeps the list of its outputs "
                "under that name: move it away, or choose another --out folder",
                name=MANIFEST,
                folder=folder,
            ),
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tops(names: dict[str, str]) -> dict[str, Any]:
    """The entries of a set in its folder: a file name → its hash, a folder name → {file: hash}."""
    tops: dict[str, Any] = {}
    for name, value in names.items():
        top, _slash, sub = name.partition("/")
        if sub:
            tops.setdefault(top, {})[sub] = value
        else:
            tops[top] = value
    return tops


def _known_names(top: str, *sets: dict[str, str] | None) -> set[str]:
    """The file names a folder `top` of these sets may hold."""
    return {name.split("/", 1)[1] for names in sets for name in (names or {}) if name.startswith(f"{top}/")}


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist; never through a link), write, fsync; 0600."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW | _BINARY, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Replace manifest.json (a temporary name we list in no manifest: `_finish_interrupted`
    removes such leftovers by their name and kind)."""
    temporary = folder / f".{MANIFEST}.matcher-new-{os.urandom(4).hex()}"
    try:
        _write_new(temporary, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8"))
        os.replace(temporary, folder / MANIFEST)
    except BaseException:
        with suppress(OSError):
            if stat.S_ISREG(os.lstat(temporary).st_mode):
                os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _current_set(folder: Path, tops: dict[str, Any]) -> dict[str, str]:
    """The hashes of the complete set the folder holds now ({} when it holds none we know of):
    the manifest's (the files as they are now, hand edits included), or for a folder of an older
    version the names of this set and our links into .matcher-runs, as they read now."""
    check = verify_set(folder)
    if check.state == "complete":  # (a reader's view; we hold the lock, so nothing changes under us)
        now = {name: _hash_or_none(folder / name) for name in check.files}
        return {name: digest for name, digest in now.items() if digest is not None}
    if check.state == "incomplete":
        return {}
    names = set(tops)
    with suppress(OSError):
        names |= {entry.name for entry in os.scandir(folder) if _is_legacy_link(Path(entry.path))}
    found: dict[str, str] = {}
    for top in sorted(names):
        path = folder / top
        if path.is_dir():
            for entry in sorted(os.listdir(path)):
                digest = _hash_or_none(path / entry) if (path / entry).is_file() else None
                if digest is not None:
                    found[f"{top}/{entry}"] = digest
        elif path.is_file():
            digest = _hash_or_none(path)
            if digest is not None:
                found[top] = digest
    return found


def _refuse_what_is_not_ours(folder: Path, tops: dict[str, Any], recorded: dict[str, str]) -> None:
    """Before anything is written: every name of the set is free, a file or a link where a file
    belongs, and a folder of only our own files (or a link) where a folder belongs: files the set
    has, or the manifest records, there."""
    for top, content in tops.items():
        path = folder / top
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            continue
        if not isinstance(content, dict):
            if not stat.S_ISREG(mode):
                raise OutputFolderError(
                    path,
                    _(
                        "{name} in {folder} is not a file, but matcher writes a file of that name there: "
                        "move it away, or choose another --out folder",
                        name=top,
                        folder=folder,
                    ),
                )
            continue
        known = _known_names(top, recorded) | set(content)
        foreign = [] if stat.S_ISDIR(mode) else [top]
        if stat.S_ISDIR(mode):
            foreign = sorted(
                entry.name
                for entry in os.scandir(path)
                if entry.name not in known or not entry.is_file(follow_symlinks=False)
            )
        if foreign:
            shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
            raise OutputFolderError(
                path,
                _(
                    "{name} in {folder} holds what matcher did not write there ({shown}), and matcher "
                    "replaces that folder as a whole: move those files away, or choose another --out folder",
                    name=f"{top}/",
                    folder=folder,
                    shown=shown,
                ),
            )


def _remove_if_unchanged(path: Path, digest: str | None) -> None:
    """A file of the old set the new one does not have: removed when it is our legacy link, or a
    regular file holding exactly what was recorded (an edited one is the user's now)."""
    unchanged = isinstance(digest, str) and path.is_file() and not path.is_symlink()
    if _is_legacy_link(path) or (unchanged and _hash_or_none(path) == digest):
        os.unlink(path)


def _is_legacy_link(path: Path) -> bool:
    """A link an older version made: `NAME -> .matcher-runs/current/NAME`."""
    try:
        return os.readlink(path) == f"{RUNS}/{CURRENT}/{path.name}"
    except OSError:
        return False


def _remove_ours(folder: Path, name: str, known: set[str]) -> None:
    """Remove the temporary entry `name` of `folder` if it is ours: a symbolic link (only the link),
    a regular file, or a real folder holding only regular files named in `known`. Anything else is
    left as it is. Never follows a symbolic link."""
    if os.name == "nt":  # pragma: no cover - no folder descriptors on Windows
        _remove_ours_by_path(folder / name, known)
        return
    handle = os.open(folder, os.O_RDONLY | _DIRECTORY)
    try:
        try:
            mode = os.stat(name, dir_fd=handle, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode) or stat.S_ISREG(mode):
            os.unlink(name, dir_fd=handle)
            return
        if not stat.S_ISDIR(mode):
            return
        try:
            inner = os.open(name, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW, dir_fd=handle)
        except OSError:
            return
        try:
            entries = os.listdir(inner)
            if not all(
                entry in known and stat.S_ISREG(os.stat(entry, dir_fd=inner, follow_symlinks=False).st_mode)
                for entry in entries
            ):
                return
            for entry in entries:
                os.unlink(entry, dir_fd=inner)
        finally:
            os.close(inner)
        os.rmdir(name, dir_fd=handle)
    except OSError:  # changed under us: leave the rest for the next write
        return
    finally:
        os.close(handle)


def _remove_ours_by_path(path: Path, known: set[str]) -> None:  # pragma: no cover - Windows
    """`_remove_ours` by path, where the platform has no folder descriptors."""
    with suppress(OSError):
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode) or stat.S_ISREG(mode):
            os.unlink(path)
        elif stat.S_ISDIR(mode):
            entries = list(os.scandir(path))
            if all(entry.name in known and entry.is_file(follow_symlinks=False) for entry in entries):
                for entry in entries:
                    os.unlink(entry.path)
                os.rmdir(path)


def _finish_interrupted(folder: Path) -> None:
    """Tidy what a writer killed before its last step left (we hold the lock, so it is dead): the
    temporary names its manifest lists (only if they are ours), files it had renamed into place when
    the folder still holds the old set (or the old set's files when it holds the new one), and
    leftover temporary manifests."""
    with suppress(OSError):
        for entry in os.scandir(folder):
            match = STAGED.fullmatch(entry.name)
            if match and match["name"] == MANIFEST and entry.is_file(follow_symlinks=False):
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)
    raw = _read_manifest_bytes(folder)
    manifest = _parse_manifest(raw) if raw else None
    if manifest is None or manifest["state"] != "writing":
        return
    files, previous = manifest["files"], manifest.get("previous") or {}
    for key in ("staging", "retired"):
        for name, top in manifest.get(key, {}).items():
            match = STAGED.fullmatch(name)
            if match and match["name"] == top:
                _remove_ours(folder, name, _known_names(top, files, previous))
    check = verify_set(folder)
    if check.state != "complete":
        return
    other = previous if check.files == files else files
    for name in sorted(set(other) - set(check.files)):
        if "/" not in name and (folder / name).is_file() and not (folder / name).is_symlink():
            _remove_if_unchanged(folder / name, other[name])


# --- the older design's .matcher-runs: removed once nothing shows it ----------------------------------


def current_generation(folder: Path) -> Path | None:
    """The generation folder an older version's set in `folder` shows, if any (`.matcher-runs`)."""
    link = Path(folder) / RUNS / CURRENT
    return Path(folder) / RUNS / os.readlink(link) if link.is_symlink() else None


def _remove_legacy_runs(folder: Path) -> None:
    """Remove `.matcher-runs` once no link in `folder` points into it, and only when it is ours
    (see the module's docstring); otherwise leave it, and anything in it that is not ours, as it is."""
    runs = folder / RUNS
    if os.name == "nt":  # pragma: no cover - older versions wrote plain files there, no .matcher-runs
        return
    try:
        if not stat.S_ISDIR(os.lstat(runs).st_mode):  # a link or a file: not ours, left alone
            return
        if any(
            os.readlink(entry.path).startswith(f"{RUNS}/")
            for entry in os.scandir(folder)
            if entry.is_symlink()
        ):
            return  # something still shows a generation (a link of the user's)
        marked = stat.S_ISREG(os.lstat(runs / MARKER).st_mode) if os.path.lexists(runs / MARKER) else False
        if not marked and not all(_ours_before_marking(runs, name) for name in os.listdir(runs)):
            return
        handle = os.open(runs, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW)
    except OSError:
        return
    try:
        for name in os.listdir(handle):
            if GENERATION.fullmatch(name):
                _remove_generation(handle, name)
            elif name == CURRENT or LEFTOVER_LINK.fullmatch(name):
                _unlink_link(handle, name)
        for name in (RUNS_LOCK, MARKER):  # the marker last: what is left stays recognisably ours
            with suppress(OSError):
                if stat.S_ISREG(os.stat(name, dir_fd=handle, follow_symlinks=False).st_mode):
                    os.unlink(name, dir_fd=handle)
    finally:
        os.close(handle)
    with suppress(OSError):  # not empty: a file of the user's is still in it
        os.rmdir(runs)
        _fsync_folder(folder)


def _ours_before_marking(runs: Path, name: str) -> bool:
    """An entry an unmarked .matcher-runs may hold: what the older write_set itself put there."""
    try:
        mode = os.lstat(runs / name).st_mode
    except FileNotFoundError:
        return True
    if name == CURRENT or LEFTOVER_LINK.fullmatch(name):
        return stat.S_ISLNK(mode)
    if name in (RUNS_LOCK, MARKER):
        return stat.S_ISREG(mode)
    return bool(GENERATION.fullmatch(name)) and stat.S_ISDIR(mode)


def _unlink_link(folder: int, name: str) -> None:
    """Remove `name` in the folder open as `folder` if it is a symbolic link (never its target)."""
    with suppress(FileNotFoundError):
        if stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
            os.unlink(name, dir_fd=folder)


def _unlink_link_path(path: Path) -> None:
    with suppress(FileNotFoundError):
        if path.is_symlink():
            os.unlink(path)


def _remove_generation(runs: int, name: str) -> None:
    """Remove one generation if it holds nothing but its list of names and the names it lists (or
    nothing at all). Anything else — no list, a symbolic link, a file we did not write, a deeper
    folder — leaves the whole generation as it is."""
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
    except OSError:  # changed under us: leave the rest
        return
    finally:
        os.close(handle)


def _generation_plan(handle: int) -> tuple[list[str], dict[str, list[str]]] | None:
    """The regular files and one-level folders of regular files in the generation open as
    `handle`, if every one is a name its list holds (an empty generation needs no list); None when
    anything is not."""
    entries = os.listdir(handle)
    if not entries:
        return [], {}
    if GENERATION_NAMES not in entries:
        return None
    if not stat.S_ISREG(os.stat(GENERATION_NAMES, dir_fd=handle, follow_symlinks=False).st_mode):
        return None
    listing = os.open(GENERATION_NAMES, os.O_RDONLY | _NO_FOLLOW, dir_fd=handle)
    with os.fdopen(listing, "rb") as file:
        names = set(file.read(1_000_000).decode("utf-8", "replace").splitlines())
    tops = {name.split("/", 1)[0] for name in names}
    files: list[str] = []
    folders: dict[str, list[str]] = {}
    for entry in entries:
        mode = os.stat(entry, dir_fd=handle, follow_symlinks=False).st_mode
        if stat.S_ISREG(mode) and (entry in names or entry == GENERATION_NAMES):
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
    files.sort(key=lambda entry: entry == GENERATION_NAMES)  # the list last: it names the rest
    return files, folders


# --- the file system ------------------------------------------------------------------------------


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
    """One writer at a time per folder; the lock dies with its process, even on kill -9. The lock
    file is never followed if it is a symbolic link, and stays (removing it would race)."""
    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT | _NO_FOLLOW | _BINARY, 0o600)
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                    break
                except OSError:
                    time.sleep(0.1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
