"""Sweeps: the same numbers serially and on a Dask cluster, and the `matcher stress` command."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.stress import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "scenarios" / "tiny.yaml"


@pytest.fixture(scope="module")
def serial():
    """The tiny sweep run in this process, without Dask."""
    return run_sweep(load_sweep(TINY), serial=True, progress=False)


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as local:
        yield local


def test_local_cluster_gives_the_serial_numbers(serial, cluster):
    """The same sweep on a two-worker LocalCluster gives exactly the serial KPI tables."""
    from distributed import Client

    with Client(cluster) as client:
        parallel = run_sweep(load_sweep(TINY), client=client, progress=False)
    pd.testing.assert_frame_equal(parallel.kpis, serial.kpis)
    pd.testing.assert_frame_equal(parallel.placements, serial.placements)
    pd.testing.assert_frame_equal(parallel.summary, serial.summary)
    pd.testing.assert_frame_equal(parallel.neighbourhoods, serial.neighbourhoods)


def test_kpi_table_is_tidy_and_complete(serial):
    """kpis.csv has one value per scenario, policy, seed, week, KPI and key, for every run and week."""
    kpis = serial.kpis
    assert list(kpis.columns) == ["scenario", "label", "allocation", "seed", "week", "kpi", "key", "value"]
    assert not kpis.duplicated(["scenario", "allocation", "seed", "week", "kpi", "key"]).any()
    runs = kpis.groupby(["scenario", "allocation", "seed"])["week"].nunique()
    assert len(runs) == 2 * 2 * 2 and (runs == 4).all()
    expected = {
        "placements",
        "wait_mean",
        "wait_p90",
        "origin_share",
        "util_max",
        "util_gini",
        "unmatched",
        "intake",
        "refusals",
        "instroom",
        "waiting_start",
        "uitstroom",
        "queue_open",
    }
    assert expected <= set(kpis["kpi"])


def test_cli_writes_every_output(tmp_path):
    """`matcher stress --workers 0` writes the tables, the pictures, a self-contained report and sweep.json."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["stress", str(TINY), "--out", str(out), "--workers", "0", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    for name in (
        "kpis.csv",
        "summary.csv",
        "placements.csv",
        "neighbourhoods.csv",
        "intake.csv",
        "scenarios.csv",
        "tradeoff.png",
        "waiting.png",
        "utilisation_map.png",
        "queue.png",
        "paired.png",
        "people.csv",
        "vacancies.csv",
        "runs.csv",
        "paired.csv",
        "waiting.csv",
        "report.html",
        "sweep.json",
    ):
        assert (out / name).is_file(), name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 5
    assert "Supply bounds placements" in page and "95 % CI" in page
    assert 'src="http' not in page and "<script" not in page
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["scenario_weeks"] == 32 and set(meta["files"]) >= {"kpis.csv", "report.html"}


def test_cli_bad_scenario_file_exits_2_without_traceback(tmp_path):
    """A bad scenario file exits with code 2 and names the file and the key, with no traceback."""
    file = tmp_path / "bad.yaml"
    file.write_text(
        "name: bad\nbase: {region: west-friesland, clients: 5, units: 1}\nhorizon_weeks: -3\n"
        "arrivals: {clients_per_week: 1, units_per_week: 1}\nseeds: [1]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["stress", str(file), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert result.exit_code == 2
    assert "horizon_weeks" in result.output and "bad.yaml" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_cli_missing_scenario_file_exits_2(tmp_path):
    """A scenario file that does not exist exits with code 2 and says so."""
    result = CliRunner().invoke(main, ["stress", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_cli_workers_and_scheduler_are_exclusive(tmp_path):
    """--workers and --scheduler together are refused with exit code 2."""
    result = CliRunner().invoke(
        main,
        [
            "stress",
            str(TINY),
            "--out",
            str(tmp_path / "o"),
            "--workers",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:1",
        ],
    )
    assert result.exit_code == 2


def test_cli_runs_on_an_existing_scheduler(tmp_path, serial, cluster):
    """--scheduler runs the sweep on an existing Dask cluster with the serial numbers."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["stress", str(TINY), "--out", str(out), "--scheduler", cluster.scheduler_address, "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / "kpis.csv", keep_default_na=False, na_values=[""])
    expected = pd.read_csv(
        __import__("io").StringIO(serial.kpis.to_csv(index=False, float_format="%.10g")),
        keep_default_na=False,
        na_values=[""],
    )
    pd.testing.assert_frame_equal(written, expected)


def test_folder_base_with_resampled_arrivals(tmp_path):
    """A sweep on an instance folder resamples arrivals from it and runs every grid value."""
    file = tmp_path / "folder.yaml"
    file.write_text(
        f"name: folder\nbase: {{instance: {ROOT / 'instances' / 'tiny'}}}\nhorizon_weeks: 3\n"
        "arrivals: {clients_per_week: 1, units_per_week: 1}\nseeds: [1]\n"
        "grid: {origin_rule: [prefer, strict]}\n",
        encoding="utf-8",
    )
    result = run_sweep(load_sweep(file), serial=True, progress=False)
    assert set(result.summary["label"]) == {"origin=prefer", "origin=strict"}
    tiny_clients = {"C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08"}
    placed = set(result.placements["client_id"])
    assert placed and placed <= tiny_clients | {c for c in placed if c.startswith("C-W")}
