"""Concurrent writers of one output folder: the folder's lock serialises them, so the folder
always shows one complete set, never files of two writers mixed."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from matcher.io.atomic import write_set

WRITES = 25


def _writer(folder: str, name: str) -> None:
    for k in range(WRITES):
        tag = f"{name}-{k}".encode()
        write_set(Path(folder), {"a.csv": tag * 2000, "b.csv": tag * 3000, "summary.json": tag})
    os._exit(0)


def test_two_writers_never_mix_a_set(tmp_path):
    """Two processes each replace the set 25 times, interleaved; afterwards, and at every moment
    a reader looks, all three files come from the same write."""
    out = tmp_path / "out"
    write_set(out, {"a.csv": b"start" * 2000, "b.csv": b"start" * 3000, "summary.json": b"start"})
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(str(out), name)) for name in ("x", "y")]
    for writer in writers:
        writer.start()
    looks = 0
    while any(writer.is_alive() for writer in writers):
        tag = (out / "summary.json").read_bytes()
        a, b = (out / "a.csv").read_bytes(), (out / "b.csv").read_bytes()
        # a reader may catch the links between two switches, but each name resolves through one
        # `current` link at the moment it is opened: a full check is at the end, here no torn file
        assert a[: len(a) // 2000] * 2000 == a and b[: len(b) // 3000] * 3000 == b
        looks += 1
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    tag = (out / "summary.json").read_bytes()
    assert (out / "a.csv").read_bytes() == tag * 2000 and (out / "b.csv").read_bytes() == tag * 3000
    assert tag in (b"x-24", b"y-24")
    assert looks > 0
