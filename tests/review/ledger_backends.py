"""The two ledger backends the review tests run against, and what they share.

SQLite always; PostgreSQL when the environment variable MATCHER_TEST_POSTGRES holds a server URL
(`.ci/run` starts a local server and sets it), e.g.

    MATCHER_TEST_POSTGRES='postgresql+psycopg:///matcher_test?host=/var/run/postgresql'

That URL names a database the tests may connect to; each test gets a database of its own,
created from it with a unique name and dropped afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from matcher.review.ledger import TABLES, ledger_url

POSTGRES = os.environ.get("MATCHER_TEST_POSTGRES", "").strip()
BACKENDS = ("sqlite", "postgresql")
NO_POSTGRES = (
    "PostgreSQL not tested: set MATCHER_TEST_POSTGRES to a server URL "
    "(e.g. postgresql+psycopg:///matcher_test?host=/var/run/postgresql; .ci/run does)"
)


@contextmanager
def postgres_database(base: str = POSTGRES) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; its URL. Dropped afterwards."""
    url = make_url(base)
    name = f"matcher_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str) -> None:
    """Drop a test database. An autovacuum worker that just started on it cannot be terminated
    without pg_signal_backend (`.ci/run` grants it), so a refusal is retried for a few seconds;
    a database that still cannot be dropped is left with a warning, not a failed test."""
    for attempt in range(20):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as error:
            if attempt == 19:
                warnings.warn(f"test database {name} left behind: {error.orig}", stacklevel=2)
                return
            time.sleep(0.25)


@contextmanager
def fresh_ledger(backend: str, folder: Path, name: str = "ledger.sqlite") -> Iterator[str]:
    """Where a new ledger of `backend` can be made: an SQLite path in `folder`, or a new database."""
    if backend == "sqlite":
        yield str(folder / name)
    else:
        with postgres_database() as url:
            yield url


def dump(ledger: str | Path) -> dict[str, list[tuple]]:
    """Every row of every ledger table, read with plain SQL (not through the ledger module)."""
    engine = create_engine(ledger_url(ledger), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    (tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))), key=repr
                )
                for table in TABLES
            }
    finally:
        engine.dispose()


def tables(ledger: str | Path) -> set[str]:
    """The tables in the ledger's database (none for a ledger not made yet)."""
    from sqlalchemy import inspect

    engine = create_engine(ledger_url(ledger), poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def decisions(ledger: str | Path) -> list[tuple]:
    """(client, unit, party, decision) of every decision, sorted."""
    engine = create_engine(ledger_url(ledger), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return sorted(
                tuple(row)
                for row in connection.execute(
                    text("SELECT client_id, unit_id, party, decision FROM decisions")
                )
            )
    finally:
        engine.dispose()
