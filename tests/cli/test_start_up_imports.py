"""What a weekly run loads (issue 17, start-up): `matcher solve` reads, solves and writes a week
without pandas (0.45 s of imports; `matcher.table.Table` holds the three output tables, the
solver calls OR-Tools' compiled model builder directly) and without the heavy libraries of other
commands. A fresh process is the only honest place to look, so the command runs in one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from matcher.generate.instance import generate_instance, write_instance

ROOT = Path(__file__).resolve().parents[2]

NOT_FOR_A_WEEK = (
    "pandas",
    "ortools.linear_solver.python.model_builder",
    "scipy.optimize",
    "matplotlib",
    "openpyxl",
    "dask",
    "sqlalchemy",
)


def test_a_weekly_run_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    week = write_instance(generate_instance("west-friesland", 60, 40, 3, family="strict"), tmp_path / "week")
    out = tmp_path / "out"
    script = (
        "import json, sys\n"
        "from matcher.cli import main\n"
        "try:\n"
        f"    main(['solve', {str(week)!r}, '--out', {str(out)!r}])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        f"print(json.dumps(sorted(m for m in {NOT_FOR_A_WEEK!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["placed"] > 0  # a real week was solved and written
    assert (out / "proposals.csv").read_text(encoding="utf-8").count("\n") == summary["counts"]["placed"] + 1
