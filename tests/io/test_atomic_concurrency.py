"""Concurrent writers of one output folder: the folder's lock (`.matcher.lock`) serialises them,
so a reader always gets one complete set, never files of two writers mixed, and the folder ends
with the last write complete and nothing of either writer left behind."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from pathlib import Path

from matcher.io.atomic import LOCK, MANIFEST, STAGED, verify_set, write_set

WRITES = 25


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def a_set(tag: bytes) -> dict[str, bytes]:
    return {"a.csv": tag * 2000, "b.csv": tag * 3000, "summary.json": tag}


def _writer(folder: str, name: str) -> None:
    for k in range(WRITES):
        write_set(Path(folder), a_set(f"{name}-{k}".encode()))
    os._exit(0)


def test_two_writers_never_mix_a_set(tmp_path):
    """Two processes each replace the set 25 times, interleaved; at every moment a reader looks,
    `verify_set` accepts only a set whose three files come from the same write (or says the set is
    being written), and afterwards the folder holds the last write, complete."""
    out = tmp_path / "out"
    write_set(out, a_set(b"start"))
    tags = [b"start"] + [f"{name}-{k}".encode() for name in "xy" for k in range(WRITES)]
    sets = {sha(tag): {name: sha(data) for name, data in a_set(tag).items()} for tag in tags}
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(str(out), name)) for name in ("x", "y")]
    for writer in writers:
        writer.start()
    looks = complete = 0
    while any(writer.is_alive() for writer in writers):
        check = verify_set(out)
        looks += 1
        if check.state == "complete":
            complete += 1
            assert check.files == sets[check.files["summary.json"]], "files of two writes accepted as one set"
        else:
            assert check.state == "incomplete" and str(out) in check.message
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    check = verify_set(out)
    assert check.state == "complete" and not check.differing
    tag = (out / "summary.json").read_bytes()
    assert (out / "a.csv").read_bytes() == tag * 2000 and (out / "b.csv").read_bytes() == tag * 3000
    assert tag in (b"x-24", b"y-24")
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["a.csv", "b.csv", "summary.json", MANIFEST, LOCK]
    )
    assert not [path for path in out.iterdir() if STAGED.fullmatch(path.name)]
    assert looks > 0 and complete > 0
