"""Smoke test of the families benchmark (benchmarks/families.py, `make bench`): every family at a
tiny size, each instance in a fresh process; the report has every column, the median and the
worst, how many instances ran, and every level's status."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import families  # noqa: E402  (benchmarks/families.py)


def test_families_tiny_report_median_worst_and_statuses(tmp_path: Path) -> None:
    report = families.run_families(
        list(families.FAMILIES),
        {"30x20": 2},
        run_timeout=120.0,
        cache=tmp_path / "cache",
        out=tmp_path / "results",
        log=lambda text: None,
    )
    saved = json.loads((tmp_path / "results" / "families.json").read_text())
    assert saved["columns"] == list(families.COLUMNS)
    assert [(row["family"], row["size"]) for row in saved["rows"]] == [
        (family, "30x20") for family in families.FAMILIES
    ]
    for row in saved["rows"]:
        assert set(row) == set(families.COLUMNS)
        assert row["asked"] == row["ran"] == row["completed"] == 2 and row["timeouts"] == 0
        assert 0 < row["process_s_median"] <= row["process_s_worst"]
        assert row["worst_seed"] in (1, 2)
        assert 0 < row["cpu_s_median"] <= row["cpu_s_worst"]  # the process's CPU seconds, from wait4
        assert row["end_to_end_s_median"] <= row["end_to_end_s_worst"] <= row["process_s_worst"]
        # W and P are proven on every instance; each level's statuses add up to the instances run
        for level in families.LEVELS:
            assert sum(row["status_counts"][level].values()) == 2
        assert row["status_counts"]["priority"] == {"optimal": 2}
        assert row["status_counts"]["preference"] == {"optimal": 2}
        assert row["target"] is None and row["target_met"] is None  # no target at 30x20
    details = saved["details"][0]["runs"]
    assert [run["seed"] for run in details] == [1, 2]
    assert {level["name"] for level in details[0]["levels"]} == set(families.LEVELS)
    assert set(details[0]["work"]) == {"lp_solves", "mip_solves", "mip_nodes", "steps"}
    table = (tmp_path / "results" / "families.md").read_text()
    assert "| strict | 30x20 | 2/2 |" in table and "end to end s, worst (seed)" in table
    # each instance is cached once, with its marker written last
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len([name for name in cached if name.endswith(".done")]) == 2 * len(families.FAMILIES)
    assert report["rows"][0]["family"] == "plain"


def test_summarise_counts_a_timeout_as_the_worst() -> None:
    """A run killed at the timeout is infinitely slow: it is the worst, and the target is not met."""
    ok = {
        "outcome": "ok",
        "seed": 1,
        "process_s": 0.5,
        "pairs": 10,
        "seconds": {"end_to_end": 0.3, "solve": 0.2},
        "levels": [
            {"name": name, "status": "optimal", "seconds": 0.01, "method": "lp", "work": {}}
            for name in families.LEVELS
        ],
        "work": {"lp_solves": 2, "mip_solves": 0, "mip_nodes": 0, "steps": 0},
    }
    row = families.summarise(
        "strict", "300x200", 2, [ok, {"outcome": "timeout", "seed": 2, "process_s": 900.0}]
    )
    assert row["timeouts"] == 1 and row["worst_seed"] == 2
    assert row["process_s_worst"] == float("inf") and row["target_met"] is False
    alone = families.summarise("strict", "300x200", 1, [ok])
    assert alone["target_met"] is True and alone["process_s_worst"] == 0.5
