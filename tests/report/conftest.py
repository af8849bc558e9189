"""Run folders made once per module by the real `matcher solve` (read-only: copy before changing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from overview_pages import KENNEMERLAND, TINY, ledger_run, solve


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return solve(TINY, tmp_path_factory.mktemp("tiny") / "run")


@pytest.fixture(scope="module")
def ledger_week(tmp_path_factory) -> Path:
    return ledger_run(tmp_path_factory.mktemp("ledger"))


@pytest.fixture(scope="module")
def kennemerland_run(tmp_path_factory) -> Path:
    return solve(KENNEMERLAND, tmp_path_factory.mktemp("zk") / "run")
