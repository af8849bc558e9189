"""Smoke test of the benchmark script (benchmarks/run.py) on a tiny size: it runs end to end,
writes bench.json with every column and bench.md with the table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import run as bench  # noqa: E402  (benchmarks/run.py)


def test_bench_tiny_writes_every_column(tmp_path: Path) -> None:
    report = bench.run_benchmark(
        [(30, 20)],
        runs=1,
        plain_time_limit=5.0,
        run_timeout=120.0,
        out=tmp_path / "results",
        cache=tmp_path / "cache",
        log=lambda text: None,
    )
    saved = json.loads((tmp_path / "results" / "bench.json").read_text())
    assert saved["columns"] == list(bench.COLUMNS)
    assert len(saved["rows"]) == 1
    row = saved["rows"][0]
    assert set(row) == set(bench.COLUMNS)
    assert row["size"] == "30x20" and row["runs_completed"] == 1 and row["timeouts"] == 0
    assert row["status_W"] == "optimal" and row["status_P"] == "optimal"
    assert row["W"] == row["W_bound"] and row["P"] == row["P_bound"] and row["gap_pct"] == 0
    assert row["pairs"] > 0 and row["peak_mb"] > 0 and row["end_to_end_s"] > 0
    assert 0 < row["greedy_W"] <= row["W"]
    for phase in bench.PHASES:
        assert row[f"{phase}_s"] is not None
    for backend in ("cpsat", "highs", "scip"):
        # a tiny instance: every plain backend proves the same W as the engine
        assert row[f"{backend}_status"] == "optimal", (backend, saved["details"][0]["plain"])
        assert row[f"{backend}_W"] == row["W"]
        assert row[f"{backend}_seconds"] is not None and row[f"{backend}_ratio"] is not None
    assert saved["meta"]["options"]["runs"] == 1
    table = (tmp_path / "results" / "bench.md").read_text()
    assert "| 30x20 |" in table and "plain CP-SAT" in table
    assert report["rows"][0]["W"] == row["W"]
