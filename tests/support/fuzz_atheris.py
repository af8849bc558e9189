"""Coverage-guided fuzzing of every reader with atheris (optional: `pip install atheris`).

Run: `python tests/fuzz_atheris.py -atheris_runs=100000` (libFuzzer flags pass through; without a
corpus folder it starts from the tiny instance's files). The first input byte picks the target: one of the CSV files, policy.yaml or the
.xlsx workbook of the tiny instance; the rest replaces it. An input that raises anything but
`InvalidInstance`, or runs past the time bound, stops the run with the traceback and leaves a
crash file: add it to tests/fuzz_corpus/ as `<what-it-broke>__<target file>` once fixed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    import matcher.io.read  # noqa: F401 - instrumented for coverage
    import models  # noqa: F401

from fuzzing import FILES, TINY, WORKBOOK, judge, tiny_workbook

TARGETS = [*FILES, WORKBOOK]
ORIGINAL = {name: (TINY / name).read_bytes() for name in FILES} | {WORKBOOK: tiny_workbook()}
FOLDER = Path(tempfile.mkdtemp(prefix="matcher-atheris-")) / "instance"
shutil.copytree(TINY, FOLDER)


def one_input(data: bytes) -> None:
    """Judge one input; any exception other than `InvalidInstance` is a finding."""
    if not data:
        return
    name = TARGETS[data[0] % len(TARGETS)]
    (FOLDER / name).write_bytes(data[1:])
    try:
        judge(FOLDER / name if name == WORKBOOK else FOLDER)
    finally:
        if name != WORKBOOK:
            (FOLDER / name).write_bytes(ORIGINAL[name])


def write_seeds(folder: Path) -> None:
    """The tiny instance's files as starting inputs, each behind the byte that targets it."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(TARGETS):
        (folder / f"seed-{number}").write_bytes(bytes([number]) + ORIGINAL[name])


if __name__ == "__main__":
    arguments = sys.argv
    if not any(not argument.startswith("-") for argument in arguments[1:]):
        seeds = FOLDER.parent / "seeds"
        write_seeds(seeds)
        arguments = [*arguments, str(seeds)]
    atheris.Setup(arguments, one_input)
    atheris.Fuzz()
