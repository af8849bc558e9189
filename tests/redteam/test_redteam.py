"""The red-team suite: every bad input of the catalogue is refused with exit 2, a message naming
the file (or sheet) and the cell, no traceback, and nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from catalogue import ROOT, Case, all_cases
from click.testing import CliRunner

from matcher.cli import main

CASES = all_cases()


def run(case: Case, folder: Path) -> tuple[int, str, Path]:
    target = case.build(folder)
    out = folder / "out"
    if case.family == "scenario":
        args = ["stress", str(target), "--out", str(out)]
    else:
        args = ["solve", str(target), "--out", str(out)]
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    return result.exit_code, result.output + (str(result.exception) if result.exception else ""), out


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}:{c.name}" for c in CASES])
def test_bad_input_is_refused_clearly(case: Case, tmp_path: Path) -> None:
    code, text, out = run(case, tmp_path)
    assert code == 2, f"exit {code}: {text[-600:]}"
    assert "Traceback" not in text and "internal error" not in text
    lowered = text.lower()
    for word in case.names:
        assert word.lower() in lowered, f"{word!r} not named in: {text[-600:]}"
    assert not out.exists() or not any(out.iterdir()), "a refused input must write nothing"


def test_the_count_in_the_docs_is_the_catalogue():
    """docs/reliability.md states how many bad inputs the suite holds: the catalogue's size."""
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    found = re.search(r"red-team catalogue holds \*\*(\d+) bad inputs\*\*", text)
    assert found, "docs/reliability.md section 9 must state the catalogue's size"
    assert int(found.group(1)) == len(CASES)
