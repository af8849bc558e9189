"""The `ledger` fixture: every ledger test runs on SQLite and, when MATCHER_TEST_POSTGRES names a
server, on a fresh PostgreSQL database (see ledger_backends.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ledger_backends import BACKENDS, NO_POSTGRES, POSTGRES, fresh_ledger


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """'sqlite', or 'postgresql' (skipped, saying why, without MATCHER_TEST_POSTGRES)."""
    if request.param == "postgresql" and not POSTGRES:
        pytest.skip(NO_POSTGRES)
    return request.param


@pytest.fixture
def ledger(backend, tmp_path) -> Iterator[str]:
    """Where a new ledger can be made: an SQLite path, or a new, empty PostgreSQL database."""
    with fresh_ledger(backend, tmp_path) as where:
        yield where
