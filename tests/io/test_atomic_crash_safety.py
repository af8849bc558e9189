"""Crash safety of outputs: kill -9 a real writer at random moments, then inspect the folder.

After every kill a reader (`verify_set`, what every reader of an output set calls first) sees the
last set completed, the one being written, or is told the set is incomplete; whenever it accepts a
set, summary.json's "outputs" hashes match the CSV files, so a mix is never accepted as valid. The
files are plain files: no symbolic link is ever left in the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.io.atomic import MANIFEST, RUNS, STAGED, verify_set, write_set
from matcher.io.read import instance_files

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
MATCHER = Path(sys.executable).with_name("matcher")

# Writes generation after generation of a three-file set, printing each number once it is done.
SET_WRITER = """
import hashlib, json, sys
from pathlib import Path
from matcher.io.atomic import write_set
out, generation = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
while True:
    pad = ("x" * 99 + "\\n") * (1000 + 37 * (generation % 50))
    proposals = f"client_id,unit_id\\nC{generation},U{generation}\\n{pad}".encode()
    unmatched = f"client_id,reason\\nC{generation},outranked\\n{pad}".encode()
    summary = {"generation": generation, "outputs": {
        "proposals.csv": hashlib.sha256(proposals).hexdigest(),
        "unmatched.csv": hashlib.sha256(unmatched).hexdigest()}}
    write_set(out, {"proposals.csv": proposals, "unmatched.csv": unmatched,
                    "summary.json": json.dumps(summary).encode()})
    print(generation, flush=True)
    generation += 1
"""

# Solves two versions of the tiny instance once, then writes their proposals in turn for ever.
PROPOSAL_WRITER = """
import sys
from pathlib import Path
from matcher.proposal import solve
from matcher.io.write import write_proposal
from matcher.io.read import read_instance
from matcher.solver.settings import SolveSettings
out, folders = Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]]
settings = SolveSettings()
proposals = [(folder, solve(read_instance(folder), settings)) for folder in folders]
print("ready", flush=True)
turn = 0
while True:
    folder, proposal = proposals[turn % len(proposals)]
    write_proposal(proposal, folder, out, settings)
    print(turn, flush=True)
    turn += 1
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_hashes(folder: Path) -> dict[str, str]:
    """The "inputs" section a summary of this instance records."""
    return {file.name: sha256(file) for file in instance_files(folder)}


def complete_set(out: Path) -> dict | None:
    """The summary of the set `out` holds, after checking the CSVs match it; None if there is no
    set yet, "incomplete" when the reader is told the set is incomplete."""
    names = ("proposals.csv", "unmatched.csv", "summary.json")
    if not any((out / name).is_file() for name in names) and not (out / MANIFEST).exists():
        return None
    check = verify_set(out)
    if check.state == "incomplete":
        assert str(out) in check.message and "incomplete set of outputs" in check.message
        return "incomplete"
    assert check.state == "complete" and not check.differing, check
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for name in ("proposals.csv", "unmatched.csv"):
        assert sha256(out / name) == summary["outputs"][name], f"{name} does not belong to summary.json"
        assert check.files[name] == summary["outputs"][name]
    return summary


def mid_write(out: Path) -> bool:
    """Whether the folder shows a write in progress (its manifest is not the final one)."""
    manifest = out / MANIFEST
    return manifest.is_file() and json.loads(manifest.read_text())["state"] == "writing"


def no_leftovers(out: Path) -> bool:
    """No temporary name of a write, no `.matcher-runs` and no symbolic link left in the folder."""
    left = [path.name for path in out.rglob("*") if STAGED.fullmatch(path.name) or path.is_symlink()]
    return not left and not (out / RUNS).exists()


def start(script: str, *arguments: str) -> subprocess.Popen:
    """A writer subprocess, once it has said it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line.strip() == "ready", process.stderr.read()
    return process


def kill(process: subprocess.Popen) -> list[str]:
    """kill -9 the process and return the progress lines it printed."""
    os.kill(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=30)
    return output.split()


def test_kill_during_repeated_set_writes_leaves_old_or_new_set(tmp_path):
    """40 kills at random moments of a writer replacing a three-file set: a reader always gets the
    last complete set, the one being written, or is told the set is incomplete."""
    out = tmp_path / "out"
    rng = random.Random(20261123)
    generation, kills_mid_write, incomplete = 0, 0, 0
    for _ in range(40):
        process = start(SET_WRITER, str(out), str(generation))
        time.sleep(rng.uniform(0, 0.25))
        done = [int(line) for line in kill(process)]
        kills_mid_write += mid_write(out)
        summary = complete_set(out)
        last_done = done[-1] if done else generation - 1
        if summary is None:
            assert not done and generation == 0
            continue
        if summary == "incomplete":
            incomplete += 1
            generation = last_done + 2  # the next writer starts afresh
            continue
        assert summary["generation"] in (last_done, last_done + 1), (summary["generation"], last_done)
        generation = summary["generation"] + 1
    assert generation > 40
    write_set(out, {"proposals.csv": b"a", "unmatched.csv": b"b", "summary.json": b"{}"})
    assert verify_set(out).state == "complete" and no_leftovers(out)
    assert kills_mid_write > 0, "no kill landed inside a write: the test proves nothing"


@pytest.mark.parametrize("older", ["plain files", "links into .matcher-runs"])
def test_kill_while_replacing_an_older_versions_set_keeps_it_or_says_so(tmp_path, older):
    """Killed while writing over an older version's set (plain files without a manifest, or links
    into .matcher-runs), the folder shows it, the new set, or is told it is incomplete."""
    rng = random.Random(7)
    for attempt in range(10):
        out = tmp_path / f"out{attempt}"
        out.mkdir()
        old = {"proposals.csv": b"old proposals\n", "unmatched.csv": b"old unmatched\n"}
        old["summary.json"] = json.dumps(
            {
                "generation": -1,
                "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in old.items()},
            }
        ).encode()
        if older == "plain files":
            for name, data in old.items():
                (out / name).write_bytes(data)
        else:
            generation = out / RUNS / "run-abcd1234"
            generation.mkdir(parents=True)
            for name, data in old.items():
                (generation / name).write_bytes(data)
                (out / name).symlink_to(f"{RUNS}/current/{name}")
            (out / RUNS / "current").symlink_to("run-abcd1234")
            (generation / ".matcher-generation").write_text("".join(f"{name}\n" for name in old))
            (out / RUNS / ".matcher-owned").write_text("ours")
        (out / "notes.txt").write_text("the coordinator's own file")
        process = start(SET_WRITER, str(out), "0")
        time.sleep(rng.uniform(0, 0.05))
        kill(process)
        if verify_set(out).state == "unverified":  # killed before its first step: the older set, as it was
            assert all((out / name).read_bytes() == data for name, data in old.items())
        else:
            summary = complete_set(out)
            # the older set (-1) or any set the writer finished (0, 1, …: how many it finishes
            # before the kill depends on the machine's speed, not on the writing)
            assert summary == "incomplete" or (
                isinstance(summary["generation"], int) and summary["generation"] >= -1
            )
        assert (out / "notes.txt").read_text() == "the coordinator's own file"
        write_set(out, {"proposals.csv": b"a", "unmatched.csv": b"b", "summary.json": b"{}"})
        assert verify_set(out).state == "complete" and (out / "proposals.csv").read_bytes() == b"a"
        assert no_leftovers(out)


def _second_instance(tmp_path: Path) -> Path:
    """The tiny instance one week later: a different, equally valid proposal."""
    folder = tmp_path / "later"
    shutil.copytree(TINY, folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("2026-11-23", "2026-11-30"))
    return folder


def test_kill_during_repeated_write_proposal_leaves_a_complete_proposal(tmp_path):
    """8 kills of a process writing real proposals in turn: summary.json always matches the CSVs."""
    out, later = tmp_path / "out", _second_instance(tmp_path)
    inputs = {folder: input_hashes(folder) for folder in (TINY, later)}
    rng = random.Random(11)
    for _ in range(8):
        process = start(PROPOSAL_WRITER, str(out), str(TINY), str(later))
        time.sleep(rng.uniform(0, 0.15))
        kill(process)
        summary = complete_set(out)
        if summary not in (None, "incomplete"):
            assert summary["inputs"] in inputs.values()


@pytest.mark.skipif(not MATCHER.exists(), reason="the matcher command is not installed beside this Python")
def test_kill_matcher_solve_leaves_the_previous_or_the_new_proposal(tmp_path):
    """`matcher solve` killed at random moments leaves the previous proposal, the new one, or a set
    its readers call incomplete; the last, completed run leaves the new one."""
    out, later = tmp_path / "out", _second_instance(tmp_path)
    subprocess.run([str(MATCHER), "solve", str(TINY), "--out", str(out)], check=True, capture_output=True)
    expected = {"tiny": input_hashes(TINY), "later": input_hashes(later)}
    seen = set()
    rng = random.Random(3)
    for delay in [rng.uniform(0.3, 2.5) for _ in range(4)] + [None]:
        process = subprocess.Popen(
            [str(MATCHER), "solve", str(later), "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if delay is None:
            assert process.wait(timeout=120) == 0
        else:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        summary = complete_set(out)
        if summary == "incomplete":
            continue
        assert summary["inputs"] in expected.values()
        seen.add(summary["instance"])
    assert "later" in seen and no_leftovers(out)
