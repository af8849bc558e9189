"""The decisions ledger: proposals sent out, and every accept or decline that came back.

One SQLite file by default (WAL journal, owner-only), or a PostgreSQL database by URL
(`postgresql+psycopg://...`); tests run against both. Each import is one transaction: it lands
completely or not at all, and writers take turns (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
transaction-scoped advisory lock), so two first imports into a ledger that does not exist yet
make its tables once. A decision is identified by its key `client_id|unit_id|party`; importing
the same decision again changes nothing, and a different decision for a key already decided is
stored as a *conflict* for the coordinator, never silently overwritten (`record --correct`
replaces one on purpose).

`apply_ledger` turns the ledger into next week's instance: accepted matches are fixed, declined
pairs are never proposed again and the refusal rule lapses the urgency of clients who refused
suitable offers too often. The schema is documented in docs/review-loop.md.

Every ledger has a secret that signs the landlords' review workbooks (HMAC-SHA256; see
`workbook_key`): an SQLite ledger keeps it in the file `<ledger>.key` beside it (0600), a
PostgreSQL ledger in `ledger_meta`. It never goes into a workbook.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from matcher.review.reasons import BOOK, SCOPES, default_until, reason
from matcher.rules.agreements import counts_record
from matcher.rules.capacity import load_of
from matcher.rules.load import window_start
from models import DeclinedPair, Instance, InvalidInstance, Problem
from models.fields import URGENCIES
from models.privacy import KINDS, personal_data_in_text

# 2: decline scope, scope_id, until and reason text; return-by dates; sites
# 3: each proposed pair's client source, target groups and care provider (agreements per target
#    group and the provider's hand-over count housed clients who have left the instance)
SCHEMA_VERSION = "3"
PARTIES = ("client", "landlord")
DECISIONS = ("accept", "decline")

# Reason codes for a decline (matcher/review/reasons.py is their one home). For clients, `counts`
# says whether the decline is a refusal of a suitable offer (counted by the refusal rule); a
# coordinator records a decline for a reason the client cannot be blamed for with a code that
# does not count.
LANDLORD_REASONS: dict[str, str] = {code: r.words for code, r in BOOK["landlord"].items()}
CLIENT_REASONS: dict[str, tuple[str, bool]] = {
    code: (r.words, r.refusal) for code, r in BOOK["client"].items()
}


def reason_codes(party: str) -> list[str]:
    """The decline reason codes a party may use, in the order they are shown."""
    return list(LANDLORD_REASONS if party == "landlord" else CLIENT_REASONS)


def counts_as_refusal(reason_code: str | None) -> bool:
    """True when a client's decline with this code is a refusal of a suitable offer."""
    return CLIENT_REASONS.get(reason_code or "other", ("", True))[1]


# --- schema ------------------------------------------------------------------------------------

# Ids, names and free text are unbounded (TEXT): PostgreSQL enforces a VARCHAR's length where
# SQLite does not, and a 300-character landlord or a long note is valid input.
metadata = MetaData()

ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # workbook | record | proposal
    Column("source", Text, nullable=False),  # file name, or "command line"
    Column("sha256", String(64), unique=True),  # of the file; null for command lines
    Column("imported_at", DateTime, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
)

proposals = Table(
    "proposals",
    metadata,
    Column("proposal_id", String(64), primary_key=True),  # sha256 prefix of proposals.csv
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("instance", Text, nullable=False),
    Column("pool_clients", Integer),  # clients in the week's pool
    Column("pool_units", Integer),
    Column("priority_w", Integer),
    Column("preference_p", Integer),
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("return_by", Date),  # the landlords' workbooks are due back by this date (schema 2)
)

proposed = Table(
    "proposed",
    metadata,
    Column("proposal_id", String(64), ForeignKey("proposals.proposal_id"), primary_key=True),
    Column("client_id", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("landlord", Text, nullable=False),
    Column("municipality_id", Text, nullable=False),
    Column("neighbourhood_id", Text, nullable=False),
    Column("unit_type", Text, nullable=False),
    Column("support_intensity", Text, nullable=False),
    Column("load", Integer, nullable=False),
    Column("site_id", Text),  # the unit's cluster or Skaeve Huse site (schema 2)
    Column("source", Text),  # the client's source: BW, MO, VO, jeugd (schema 3)
    Column("target_groups", Text),  # the client's target groups, `;`-separated (schema 3)
    Column("provider", Text),  # the client's care provider (schema 3)
    Column("persons", Integer),  # 2 when two clients share the home (schema 3)
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_key", Text, primary_key=True),  # client_id|unit_id|party
    Column("client_id", Text, nullable=False, index=True),
    Column("unit_id", Text, nullable=False, index=True),
    Column("party", String(16), nullable=False),  # client | landlord
    Column("decision", String(16), nullable=False),  # accept | decline
    Column("reason_code", String(64)),
    Column("note", Text),
    Column("period_start", Date, nullable=False, index=True),
    Column("proposal_id", String(64)),
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("source_row", Integer),
    Column("recorded_at", DateTime, nullable=False),
    # schema 2: what a decline rules out (history rule) and the reason's words at decision time
    Column("scope", String(16)),
    Column("scope_id", Text),
    Column("until", Date),
    Column("reason_text", Text),
)

decision_log = Table(
    "decision_log",
    metadata,
    Column("log_id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(16), nullable=False),  # added | corrected | kept
    Column("decision_key", Text, nullable=False, index=True),
    Column("decision", String(16), nullable=False),
    Column("reason_code", String(64)),
    Column("previous_decision", String(16)),
    Column("previous_reason_code", String(64)),
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("conflict_id", Integer, primary_key=True, autoincrement=True),
    Column("decision_key", Text, nullable=False, index=True),
    Column("client_id", Text, nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("party", String(16), nullable=False),
    Column("existing_decision", String(16), nullable=False),
    Column("existing_reason_code", String(64)),
    Column("new_decision", String(16), nullable=False),
    Column("new_reason_code", String(64)),
    Column("period_start", Date, nullable=False),
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("source", Text, nullable=False),
    Column("source_row", Integer),
    Column("resolved", Boolean, nullable=False, default=False),
    Column("recorded_at", DateTime, nullable=False),
)

TABLES = ("ledger_meta", "imports", "proposals", "proposed", "decisions", "decision_log", "conflicts")


# --- opening a ledger --------------------------------------------------------------------------

BUSY_SECONDS = 60  # how long a writer waits for another before the ledger counts as busy
WRITER_LOCK = zlib.crc32(b"matcher decisions ledger")  # PostgreSQL advisory lock: one writer at a time
KEY_META = "workbook_key"  # the ledger_meta row of a database server's workbook signing secret
NO_LEDGER = (
    "no ledger here: `matcher review export --ledger` or `matcher record` makes one "
    "(`matcher review import` needs the ledger the workbooks were exported with)"
)


def ledger_url(ledger: str | Path) -> str:
    """A SQLAlchemy URL: a plain path means an SQLite file."""
    given = str(ledger)
    if "://" in given:
        return given
    return f"sqlite:///{Path(given).expanduser().resolve()}"


def describe(ledger: str | Path) -> str:
    """The ledger's name for reports, without a password."""
    try:
        return make_url(ledger_url(ledger)).render_as_string(hide_password=True)
    except ArgumentError:
        return str(ledger)


def sqlite_path(ledger: str | Path) -> Path | None:
    """The file of an SQLite ledger; None for a database server (or an unreadable URL)."""
    try:
        parsed = make_url(ledger_url(ledger))
    except ArgumentError:
        return None
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def key_file(ledger: str | Path) -> Path | None:
    """Where an SQLite ledger keeps its workbook signing secret: `<ledger>.key`, beside it."""
    path = sqlite_path(ledger)
    return None if path is None else path.with_name(path.name + ".key")


def _problem(ledger: str | Path, message: str) -> InvalidInstance:
    return InvalidInstance([Problem(file=describe(ledger), message=message)])


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # a writer takes the write lock up front, so a check-then-insert cannot race another import
        mode = "IMMEDIATE" if connection.get_execution_options().get("ledger_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


def _private_file(path: Path) -> None:
    """Make an empty file that only its owner may read and write, unless the file exists.

    SQLite gives the -wal and -shm files it makes later the mode of the database file, so a new
    ledger and its journal are owner-only (0600), whatever the umask.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _make_sqlite_ledger(path: Path) -> None:
    """Make a new SQLite ledger whole under a private temporary name, then link it to `path`.

    Nobody ever opens a half-made ledger: its tables, its `ledger_meta` rows and its WAL journal
    mode are in place before it has its name. Two processes making it at once each build their
    own; the first link wins and the other's copy is dropped. (Converting a fresh file to WAL
    while another process wrote to it could stall both until the busy timeout: issue 12,
    finding 6.)
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    _private_file(temporary)
    try:
        engine = create_engine(ledger_url(temporary))
        _sqlite_events(engine)
        try:
            with _writer(engine) as connection:
                metadata.create_all(connection)
                _insert_absent(
                    connection,
                    ledger_meta,
                    [
                        {"key": "schema_version", "value": SCHEMA_VERSION},
                        {"key": "created_by", "value": "matcher"},
                    ],
                )
            with engine.connect() as connection:  # leave no -wal file beside the copy
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another process made the ledger first: that one is the ledger
        except OSError:  # a file system without hard links: a rename, checked first
            if not path.exists():
                os.replace(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            leftover.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextmanager
def open_ledger(ledger: str | Path, create: bool = False) -> Iterator[Engine]:
    """An engine on the ledger, with its tables checked (and made, with its key, when `create`)."""
    url = ledger_url(ledger)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _problem(
            ledger,
            "not a ledger: give a file path or a database URL such as postgresql+psycopg://user@host/ledger",
        ) from None
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        path = Path(parsed.database or "")
        if not create and not path.is_file():
            raise _problem(ledger, NO_LEDGER)
        if create and not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _make_sqlite_ledger(path)
            except OSError as error:
                raise _problem(ledger, f"cannot make the ledger file ({error.strerror or error})") from None
    try:
        # PostgreSQL: READ COMMITTED, so a writer that waited for the lock sees what the one
        # before it committed; writers take turns on the advisory lock (`_writer`)
        engine = create_engine(url) if is_sqlite else create_engine(url, isolation_level="READ COMMITTED")
    except (ArgumentError, ImportError) as error:
        raise _problem(ledger, f"cannot open this database ({error})") from None
    if is_sqlite:
        _sqlite_events(engine)
    try:
        _check_schema(engine, ledger, create)
        if create:
            _make_key(engine, ledger)
        yield engine
    except OperationalError as error:
        raise _problem(ledger, _unusable(error)) from None
    finally:
        engine.dispose()


def _unusable(error: OperationalError) -> str:
    """What to tell a coordinator whose ledger could not be used."""
    if "database is locked" in str(error.orig) or getattr(error.orig, "sqlstate", None) == "55P03":
        return (
            f"the ledger is busy: another import or record held it for more than {BUSY_SECONDS} s; "
            "nothing was changed, try again"
        )
    return f"the database cannot be used ({error.orig})"


def _check_schema(engine: Engine, ledger: str | Path, create: bool) -> None:
    try:
        present = set(inspect(engine).get_table_names())
    except OperationalError:
        raise  # cannot connect, or busy: reported by open_ledger
    except SQLAlchemyError as error:
        raise _problem(ledger, f"not a ledger database ({error.__class__.__name__})") from None
    if not present and create:
        _create_schema(engine)
        present = set(inspect(engine).get_table_names())
    if not present:
        raise _problem(ledger, NO_LEDGER)
    missing = [name for name in TABLES if name not in present]
    if missing:
        raise _problem(ledger, f"not a matcher ledger: tables {', '.join(missing)} are missing")
    with engine.connect() as connection:
        version = connection.execute(
            select(ledger_meta.c.value).where(ledger_meta.c.key == "schema_version")
        ).scalar()
    if version in MIGRATIONS:
        _migrate(engine)
    elif version != SCHEMA_VERSION:
        raise _problem(ledger, f"ledger schema version {version}, this matcher reads {SCHEMA_VERSION}")


# Columns added since a schema version: a ledger of that version gets them on first use, in one
# write transaction (every row keeps its values; the new columns start empty).
_SCHEMA_3 = [
    ("proposed", "source", "TEXT"),
    ("proposed", "target_groups", "TEXT"),
    ("proposed", "provider", "TEXT"),
    ("proposed", "persons", "INTEGER"),
]
MIGRATIONS: dict[str, list[tuple[str, str, str]]] = {
    "1": [
        ("decisions", "scope", "VARCHAR(16)"),
        ("decisions", "scope_id", "TEXT"),
        ("decisions", "until", "DATE"),
        ("decisions", "reason_text", "TEXT"),
        ("proposals", "return_by", "DATE"),
        ("proposed", "site_id", "TEXT"),
        *_SCHEMA_3,
    ],
    "2": _SCHEMA_3,
}


def _migrate(engine: Engine) -> None:
    """Bring a ledger of an older schema version to this one (once, whoever tries at once)."""
    with _writer(engine) as connection:
        version = connection.execute(
            select(ledger_meta.c.value).where(ledger_meta.c.key == "schema_version")
        ).scalar()
        if version == SCHEMA_VERSION:
            return  # another process migrated it while this one waited for its turn
        for table, column, kind in MIGRATIONS[str(version)]:
            present = {c["name"] for c in inspect(connection).get_columns(table)}
            if column not in present:
                connection.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{column}" {kind}')
        connection.execute(
            update(ledger_meta).where(ledger_meta.c.key == "schema_version").values(value=SCHEMA_VERSION)
        )
        _insert_absent(
            connection, ledger_meta, [{"key": f"migrated_from_{version}", "value": _now().isoformat()}]
        )


def _create_schema(engine: Engine) -> None:
    """Make the tables and `ledger_meta` once, however many processes try at the same moment.

    Writers take turns (`_writer`) and the tables are looked for again once it is this one's
    turn, so a process that waited finds them made and adds nothing. The ledger_meta rows go in
    only where absent; a unique-key clash that slips past both (a database without the writer
    lock) is retried once, in a fresh transaction, where it finds the rows there.
    """
    for attempt in (1, 2):
        try:
            with _writer(engine) as connection:
                if inspect(connection).get_table_names():
                    return  # made by another process while this one waited for its turn
                metadata.create_all(connection)
                rows = [
                    {"key": "schema_version", "value": SCHEMA_VERSION},
                    {"key": "created_by", "value": "matcher"},
                ]
                if connection.dialect.name != "sqlite":
                    rows.append({"key": KEY_META, "value": secrets.token_hex(32)})
                _insert_absent(connection, ledger_meta, rows)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _insert_absent(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is not there yet (INSERT ... ON CONFLICT DO NOTHING)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        connection.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        connection.execute(postgresql_insert(table).on_conflict_do_nothing(), rows)
    else:
        keys = [column.name for column in table.primary_key.columns]
        for row in rows:
            found = connection.execute(
                select(*[table.c[key] for key in keys]).where(*[table.c[key] == row[key] for key in keys])
            ).first()
            if found is None:
                connection.execute(table.insert().values(**row))


@contextmanager
def _writer(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on any error.

    Writers take turns: SQLite's `BEGIN IMMEDIATE` (`_sqlite_events`), PostgreSQL's
    transaction-scoped advisory lock, both waiting at most BUSY_SECONDS for the one before.
    """
    with engine.connect() as connection:
        connection.execution_options(ledger_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL lock_timeout = '{BUSY_SECONDS}s'"))
                connection.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))
            yield connection


@contextmanager
def _reader(engine: Engine) -> Iterator[Connection]:
    """One read transaction on a consistent snapshot (PostgreSQL: REPEATABLE READ)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


# --- the workbook signing key ------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A ledger's secret for signing review workbooks (HMAC-SHA256), and where it is kept."""

    secret: bytes = field(repr=False)
    kept_in: str

    @property
    def key_id(self) -> str:
        """A short public name of the key, written into workbooks to tell ledgers apart."""
        return hashlib.sha256(b"matcher workbook key id\0" + self.secret).hexdigest()[:12]

    def sign(self, content: bytes) -> str:
        return hmac.new(self.secret, content, hashlib.sha256).hexdigest()

    def signed(self, content: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(content), signature)


def workbook_key(ledger: str | Path, create: bool = False) -> SigningKey:
    """The ledger's workbook signing key; with `create`, the ledger and key are made if absent.

    An SQLite ledger keeps it in `<ledger>.key` beside the database file (0600); a database
    server keeps it in `ledger_meta` (row `workbook_key`), readable by whoever may read the
    ledger. Never in a workbook.
    """
    with open_ledger(ledger, create=create) as engine:
        return _read_key(engine, ledger)


def _make_key(engine: Engine, ledger: str | Path) -> None:
    """Give the ledger its signing key, once, whoever else tries at the same moment."""
    file = key_file(ledger)
    if file is not None:
        if not file.exists():
            _write_key_file(file)
        return
    with engine.connect() as connection:
        present = connection.execute(
            select(ledger_meta.c.value).where(ledger_meta.c.key == KEY_META)
        ).scalar()
    if present is None:  # a ledger made before workbooks were signed
        with _writer(engine) as connection:
            _insert_absent(connection, ledger_meta, [{"key": KEY_META, "value": secrets.token_hex(32)}])


def _write_key_file(file: Path) -> None:
    """Write a new secret to `file` (0600) unless another process got there first.

    The secret is written and flushed to a private temporary file that is then linked to its
    name, so nobody ever reads half a key and two processes never make two keys.
    """
    temporary = file.with_name(f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, file)
        except FileExistsError:
            return  # another process made the key first: that one is the ledger's key
        except OSError:  # a file system without hard links: a rename, checked first
            if not file.exists():
                os.replace(temporary, file)
    finally:
        temporary.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):
        folder = os.open(file.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _read_key(engine: Engine, ledger: str | Path) -> SigningKey:
    file = key_file(ledger)
    if file is not None:
        kept_in = str(file)
        try:
            value: str | None = file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            value = None
        except (OSError, UnicodeDecodeError) as error:
            raise _problem(ledger, f"cannot read the workbook signing key {file} ({error})") from None
    else:
        kept_in = "ledger_meta"
        with engine.connect() as connection:
            value = connection.execute(
                select(ledger_meta.c.value).where(ledger_meta.c.key == KEY_META)
            ).scalar()
    if value is None:
        raise _problem(
            ledger,
            f"this ledger has no workbook signing key ({kept_in}): it signed no workbook. "
            "Export the workbooks with `matcher review export --ledger` and import them into the same ledger",
        )
    try:
        secret = bytes.fromhex(value)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise _problem(ledger, f"the workbook signing key in {kept_in} is damaged: it is not 64 hex digits")
    return SigningKey(secret, kept_in)


# --- what goes in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedPair:
    """One match of a proposal, with what the ledger needs to count it against caps later."""

    client_id: str
    unit_id: str
    landlord: str
    municipality_id: str
    neighbourhood_id: str
    unit_type: str
    support_intensity: str
    load: int
    site_id: str | None = None
    source: str | None = None  # the client's (schema 3)
    target_groups: str | None = None  # `;`-separated (schema 3)
    provider: str | None = None  # the client's care provider (schema 3)
    persons: int | None = None  # 2 when two clients share the home (schema 3)


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal that went out for one week."""

    proposal_id: str
    period_start: date
    period_end: date
    instance: str
    pool_clients: int | None
    pool_units: int | None
    priority_w: int | None
    preference_p: int | None
    pairs: tuple[ProposedPair, ...]
    return_by: date | None = None  # the landlords' workbooks are due back by this date


@dataclass(frozen=True)
class Decision:
    """An accept or decline of one proposed match by the client or the landlord."""

    client_id: str
    unit_id: str
    party: str
    decision: str
    reason_code: str | None = None
    note: str | None = None
    period_start: date | None = None  # None: the week of the latest proposal with this pair
    proposal_id: str | None = None
    source_row: int | None = None
    # a decline's scope and end (history rule); None: the reason code's default, filled in on import
    scope: str | None = None
    scope_id: str | None = None
    until: date | None = None
    reason_text: str | None = None  # the reason code's words at decision time, filled in on import

    @property
    def key(self) -> str:
        return decision_key(self.client_id, self.unit_id, self.party)


def decision_key(client_id: str, unit_id: str, party: str) -> str:
    """The identity of a decision: one per client, unit and party."""
    return f"{client_id}|{unit_id}|{party}"


def decision_problems(decision: Decision, file: str, columns: dict[str, str] | None = None) -> list[Problem]:
    """What is wrong with a decision's values, with the column a person should correct."""
    columns = columns or {}
    row = decision.source_row
    problems = []
    if decision.party not in PARTIES:
        problems.append(
            Problem(
                file=file,
                row=row,
                column=columns.get("party", "decided_by"),
                message=f"must be one of: {', '.join(PARTIES)}",
            )
        )
        return problems
    if decision.decision not in DECISIONS:
        problems.append(
            Problem(
                file=file,
                row=row,
                column=columns.get("decision", "decision"),
                message="must be accept or decline",
            )
        )
    codes = reason_codes(decision.party)
    if decision.reason_code and decision.reason_code not in codes:
        problems.append(
            Problem(
                file=file,
                row=row,
                column=columns.get("reason_code", "reason_code"),
                message=f"unknown reason code {decision.reason_code!r}; use one of: {', '.join(codes)}",
            )
        )
    if decision.decision == "decline" and not decision.reason_code:
        problems.append(
            Problem(
                file=file,
                row=row,
                column=columns.get("reason_code", "reason_code"),
                message="a decline needs a reason code",
            )
        )
    problems += _scope_problems(decision, file, row, columns)
    kind = personal_data_in_text(decision.note or "")
    if kind:
        problems.append(
            Problem(
                file=file,
                row=row,
                column=columns.get("note", "note"),
                message=f"the note looks like it holds {KINDS[kind]}: remove it (notes are kept in the "
                "ledger and shown back to the corporation); refer to the client by pseudonym only",
            )
        )
    for name in ("client_id", "unit_id", "note", "scope_id"):
        if "\x00" in (getattr(decision, name) or ""):  # PostgreSQL keeps no NUL character in text
            problems.append(
                Problem(
                    file=file,
                    row=row,
                    column=columns.get(name, name),
                    message="holds a NUL character (\\x00): remove it",
                )
            )
    return problems


def _scope_problems(decision: Decision, file: str, row: int | None, columns: dict[str, str]) -> list[Problem]:
    """A scope, scope_id or until given by the coordinator must fit a decline."""
    given = [name for name in ("scope", "scope_id", "until") if getattr(decision, name) is not None]
    if not given:
        return []
    if decision.decision != "decline":
        return [
            Problem(
                file=file,
                row=row,
                column=columns.get(given[0], given[0]),
                message="a scope or end date belongs to a decline only: leave it empty for an accept",
            )
        ]
    if decision.scope is not None and decision.scope not in SCOPES:
        return [
            Problem(
                file=file,
                row=row,
                column=columns.get("scope", "scope"),
                message=f"must be one of: {', '.join(SCOPES)}",
            )
        ]
    if decision.scope_id is not None and (decision.scope or "unit") == "unit":
        message = (
            "a unit decline rules out the declined unit only and takes no scope id: leave it empty, "
            "or give a wider scope (site, neighbourhood, landlord, municipality)"
            if decision.scope == "unit"
            else "a scope id names the site, neighbourhood, landlord or municipality ruled out: "
            "give the scope too, or leave it empty"
        )
        return [Problem(file=file, row=row, column=columns.get("scope_id", "scope_id"), message=message)]
    if (
        decision.until is not None
        and decision.period_start is not None
        and decision.until < decision.period_start
    ):
        return [
            Problem(
                file=file,
                row=row,
                column=columns.get("until", "until"),
                message=f"{decision.until} is before the decision's week ({decision.period_start}): "
                "the decline would never apply; give a later date or leave it empty (for good)",
            )
        ]
    return []


def _applied(connection: Connection, decision: Decision) -> Decision:
    """The decision as the ledger stores it: a decline gets its reason code's default scope and
    end where the coordinator gave none, the scope's id from the proposed unit, and the code's
    words as they are now. A site scope for a unit without a site falls back to the unit."""
    code = reason(decision.party, decision.reason_code)
    if decision.decision != "decline":
        return Decision(**{**decision.__dict__, "reason_text": None})
    scope = decision.scope or code.scope
    scope_id = decision.scope_id
    if scope != "unit" and scope_id is None:
        record = (
            connection.execute(
                select(proposed)
                .where(proposed.c.client_id == decision.client_id, proposed.c.unit_id == decision.unit_id)
                .order_by(proposed.c.proposal_id)
            )
            .mappings()
            .first()
        )
        column = {"site": "site_id", "neighbourhood": "neighbourhood_id", "landlord": "landlord"}.get(
            scope, "municipality_id"
        )
        scope_id = record[column] if record is not None else None
        if not scope_id:
            scope, scope_id = "unit", None  # nothing known to widen the decline to
    until = decision.until
    if until is None and decision.scope is None and decision.period_start is not None:
        until = default_until(code, decision.period_start)
    return Decision(
        **{
            **decision.__dict__,
            "scope": scope,
            "scope_id": scope_id,
            "until": until,
            "reason_text": code.words,
        }
    )


@dataclass
class Conflict:
    """A decision that differs from the one already in the ledger; the ledger kept the old one."""

    client_id: str
    unit_id: str
    party: str
    existing: str
    existing_reason: str | None
    new: str
    new_reason: str | None
    source: str
    source_row: int | None

    def __str__(self) -> str:
        where = self.source + (f", row {self.source_row}" if self.source_row else "")
        old = self.existing + (f" ({self.existing_reason})" if self.existing_reason else "")
        new = self.new + (f" ({self.new_reason})" if self.new_reason else "")
        return (
            f"{where}: {self.party} decision for {self.client_id} -> {self.unit_id} is already "
            f"'{old}'; '{new}' was NOT recorded (use `matcher record --correct` to replace it)"
        )


@dataclass(frozen=True)
class Signed:
    """What a review workbook's hidden record says was sent, and the keyed signature over it."""

    landlord: str
    proposal_id: str
    content: bytes  # the text the signature covers: the record's header and every row sent
    signature: str  # hex HMAC-SHA256 with the ledger's key; "" when the workbook is not signed
    key_id: str  # the SigningKey.key_id it was signed with
    sheet: str  # where a refused row is named: "file.xlsx [Review]"
    record_sheet: str  # where the signature is: "file.xlsx [_matcher]"
    client_column: str  # the column letter of the client in the Review sheet


@dataclass
class Batch:
    """What one source (a workbook, a decisions file or a command line) brings in."""

    kind: str
    source: str
    sha256: str | None = None
    proposals: list[ProposalRecord] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    signed: Signed | None = None  # a workbook's record of what was sent, checked on import


@dataclass
class ImportResult:
    """What an import did, per source."""

    source: str
    skipped: bool = False
    skipped_because: str = ""
    rows_read: int = 0
    added: int = 0
    corrected: int = 0
    kept: int = 0  # `--correct` with the recorded decision: kept, its conflicts settled
    unchanged: int = 0
    proposals_added: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def import_batches(
    ledger: str | Path, batches: list[Batch], correct: bool = False, create: bool = True
) -> list[ImportResult]:
    """Write every batch in ONE transaction; raise InvalidInstance (nothing written) on bad input.

    A batch whose file (sha256) was imported before is skipped. Decisions already in the ledger
    are unchanged; a different decision for the same key is a conflict unless `correct`.
    A workbook batch must be signed with this ledger's key, and every match decided in it must
    be one the ledger recorded as proposed to the workbook's landlord. With `create`, a ledger
    that does not exist yet is made (with its signing key).
    """
    with open_ledger(ledger, create=create) as engine:
        key = _read_key(engine, ledger) if any(batch.kind == "workbook" for batch in batches) else None
        with _writer(engine) as connection:
            problems = [
                problem
                for batch in batches
                if batch.kind == "workbook"
                for problem in _workbook_problems(connection, batch, key)
            ]
            if problems:
                raise InvalidInstance(problems)
            results = [_import_batch(connection, batch, correct) for batch in batches]
    return results


def _workbook_problems(connection: Connection, batch: Batch, key: SigningKey | None) -> list[Problem]:
    """Why a returned workbook cannot be trusted: its signature, or a match not proposed to its landlord."""
    signed = batch.signed
    if signed is None or not signed.signature or key is None:
        return [
            Problem(
                file=batch.source,
                message="this workbook is not signed (exported by an older matcher): "
                "ask the coordinator for a fresh export (`matcher review export --ledger`)",
            )
        ]
    if signed.key_id != key.key_id:
        return [
            Problem(
                file=signed.record_sheet,
                message=f"signed with another ledger's key ({signed.key_id}; this ledger's is "
                f"{key.key_id}): import it into the ledger it was exported with",
            )
        ]
    if not key.signed(signed.content, signed.signature):
        return [
            Problem(
                file=signed.record_sheet,
                message="the record of what was sent does not match its signature: it was changed "
                "after export. Nothing in it can be trusted; ask the coordinator for a fresh export",
            )
        ]
    known = connection.execute(
        select(proposals.c.proposal_id).where(proposals.c.proposal_id == signed.proposal_id)
    ).first()
    if known is None:
        return [
            Problem(
                file=signed.record_sheet,
                message=f"its proposal {signed.proposal_id} is not recorded in this ledger: run "
                "`matcher review export ... --ledger` for that proposal again (it records it), then import",
            )
        ]
    landlord_of = {
        (row.client_id, row.unit_id): row.landlord
        for row in connection.execute(
            select(proposed.c.client_id, proposed.c.unit_id, proposed.c.landlord).where(
                proposed.c.proposal_id == signed.proposal_id
            )
        )
    }
    return [
        Problem(
            file=signed.sheet,
            row=decision.source_row,
            column=signed.client_column,
            message=f"{decision.client_id} -> {decision.unit_id} was not proposed to {signed.landlord} "
            f"in proposal {signed.proposal_id}: a landlord decides only on its own matches",
        )
        for decision in batch.decisions
        if landlord_of.get((decision.client_id, decision.unit_id)) != signed.landlord
    ]


def _import_batch(connection: Connection, batch: Batch, correct: bool) -> ImportResult:
    result = ImportResult(source=batch.source, rows_read=len(batch.decisions))
    if batch.sha256:
        earlier = connection.execute(
            select(imports.c.imported_at).where(imports.c.sha256 == batch.sha256)
        ).scalar()
        if earlier is not None:
            result.skipped = True
            result.skipped_because = f"already imported on {earlier:%Y-%m-%d %H:%M} UTC"
            result.unchanged = len(batch.decisions)
            return result
    now = _now()
    inserted = connection.execute(
        imports.insert().values(
            kind=batch.kind,
            source=batch.source,
            sha256=batch.sha256,
            imported_at=now,
            rows_read=len(batch.decisions),
            added=0,
            unchanged=0,
            conflicts=0,
        )
    ).inserted_primary_key
    if inserted is None:  # None only when no row was inserted; a single-row insert always is
        raise TypeError("the ledger recorded no import row")
    import_id = inserted[0]

    for proposal in batch.proposals:
        result.proposals_added += _write_proposal(connection, proposal, import_id)

    problems: list[Problem] = []
    stored = 0  # conflicts new to the ledger
    for decision in batch.decisions:
        found = decision_problems(decision, batch.source)
        if found:  # never written, not even for a moment: a value may not fit its column
            problems += found
            continue
        resolved = _resolve_week(connection, decision, batch.source, problems)
        if resolved is None:
            continue
        late = _scope_problems(resolved, batch.source, resolved.source_row, {}) if resolved.until else []
        if late:  # an end date before the week the decision was filled in for
            problems += late
            continue
        decision = _applied(connection, resolved)
        existing = (
            connection.execute(select(decisions).where(decisions.c.decision_key == decision.key))
            .mappings()
            .first()
        )
        if existing is None:
            _write_decision(connection, decision, import_id, now)
            result.added += 1
        elif _stored(existing) == _stored(decision.__dict__):
            if correct and _keep_decision(connection, decision, import_id, now):
                result.kept += 1  # the recorded decision stays; its waiting conflicts are settled
            else:
                result.unchanged += 1
        elif correct:
            _correct_decision(connection, decision, existing, import_id, now)
            result.corrected += 1
        else:
            conflict = Conflict(
                decision.client_id,
                decision.unit_id,
                decision.party,
                existing["decision"],
                existing["reason_code"],
                decision.decision,
                decision.reason_code,
                batch.source,
                decision.source_row,
            )
            stored += _write_conflict(connection, conflict, decision, import_id, now)
            result.conflicts.append(conflict)
    if problems:
        raise InvalidInstance(problems)  # rolls the whole transaction back

    changed = result.added + result.corrected + result.kept + result.proposals_added + stored
    if changed == 0:
        # nothing new: leave no trace, so a repeat import changes nothing at all
        connection.execute(imports.delete().where(imports.c.import_id == import_id))
    else:
        connection.execute(
            imports.update()
            .where(imports.c.import_id == import_id)
            .values(
                added=result.added + result.corrected,
                unchanged=result.unchanged,
                conflicts=len(result.conflicts),
            )
        )
    return result


def _stored(row: Any) -> tuple:
    """What makes two decisions on one key the same: the decision, its reason and its scope."""
    return tuple(row[name] or None for name in ("decision", "reason_code", "scope", "scope_id", "until"))


def _resolve_week(
    connection: Connection, decision: Decision, source: str, problems: list[Problem]
) -> Decision | None:
    """Fill in the week (and proposal) a decision belongs to from the proposals on record."""
    if decision.period_start is not None:
        return decision
    row = connection.execute(
        select(proposals.c.period_start, proposals.c.proposal_id)
        .join(proposed, proposed.c.proposal_id == proposals.c.proposal_id)
        .where(proposed.c.client_id == decision.client_id, proposed.c.unit_id == decision.unit_id)
        .order_by(proposals.c.period_start.desc(), proposals.c.proposal_id)
    ).first()
    if row is None:
        problems.append(
            Problem(
                file=source,
                row=decision.source_row,
                column="unit_id",
                message=(
                    f"{decision.client_id} -> {decision.unit_id} was never proposed in this ledger: "
                    "give the week (--week YYYY-MM-DD, or a period_start column)"
                ),
            )
        )
        return None
    return Decision(
        **{
            **decision.__dict__,
            "period_start": row.period_start,
            "proposal_id": decision.proposal_id or row.proposal_id,
        }
    )


def _write_proposal(connection: Connection, proposal: ProposalRecord, import_id: int) -> int:
    known = connection.execute(
        select(proposals.c.proposal_id).where(proposals.c.proposal_id == proposal.proposal_id)
    ).first()
    if known is not None:
        return 0
    connection.execute(
        proposals.insert().values(
            proposal_id=proposal.proposal_id,
            period_start=proposal.period_start,
            period_end=proposal.period_end,
            instance=proposal.instance,
            pool_clients=proposal.pool_clients,
            pool_units=proposal.pool_units,
            priority_w=proposal.priority_w,
            preference_p=proposal.preference_p,
            import_id=import_id,
            return_by=proposal.return_by,
        )
    )
    if proposal.pairs:
        connection.execute(
            proposed.insert(),
            [{"proposal_id": proposal.proposal_id, **pair.__dict__} for pair in proposal.pairs],
        )
    return 1


def _write_decision(connection: Connection, decision: Decision, import_id: int, now: datetime) -> None:
    """Insert one new decision and its log line."""
    connection.execute(
        decisions.insert().values(
            decision_key=decision.key,
            client_id=decision.client_id,
            unit_id=decision.unit_id,
            party=decision.party,
            decision=decision.decision,
            reason_code=decision.reason_code or None,
            note=decision.note or None,
            period_start=decision.period_start,
            proposal_id=decision.proposal_id,
            import_id=import_id,
            source_row=decision.source_row,
            recorded_at=now,
            **_scope_values(decision),
        )
    )
    connection.execute(
        decision_log.insert().values(
            action="added",
            decision_key=decision.key,
            decision=decision.decision,
            reason_code=decision.reason_code or None,
            import_id=import_id,
            recorded_at=now,
        )
    )


def _scope_values(decision: Decision) -> dict[str, Any]:
    return {
        "scope": decision.scope,
        "scope_id": decision.scope_id,
        "until": decision.until,
        "reason_text": decision.reason_text,
    }


def _keep_decision(connection: Connection, decision: Decision, import_id: int, now: datetime) -> bool:
    """`record --correct` with the decision already recorded: settle the conflicts that wait on
    it (the coordinator chose the recorded one) and log that; False when none was waiting."""
    settled = connection.execute(
        update(conflicts)
        .where(conflicts.c.decision_key == decision.key, conflicts.c.resolved.is_(False))
        .values(resolved=True)
    ).rowcount
    if not settled:
        return False
    connection.execute(
        decision_log.insert().values(
            action="kept",
            decision_key=decision.key,
            decision=decision.decision,
            reason_code=decision.reason_code or None,
            previous_decision=decision.decision,
            previous_reason_code=decision.reason_code or None,
            import_id=import_id,
            recorded_at=now,
        )
    )
    return True


def _correct_decision(
    connection: Connection, decision: Decision, existing: Any, import_id: int, now: datetime
) -> None:
    connection.execute(
        decisions.update()
        .where(decisions.c.decision_key == decision.key)
        .values(
            decision=decision.decision,
            reason_code=decision.reason_code or None,
            note=decision.note or None,
            import_id=import_id,
            source_row=decision.source_row,
            recorded_at=now,
            **_scope_values(decision),
        )
    )
    connection.execute(
        decision_log.insert().values(
            action="corrected",
            decision_key=decision.key,
            decision=decision.decision,
            reason_code=decision.reason_code or None,
            previous_decision=existing["decision"],
            previous_reason_code=existing["reason_code"],
            import_id=import_id,
            recorded_at=now,
        )
    )
    connection.execute(
        update(conflicts).where(conflicts.c.decision_key == decision.key).values(resolved=True)
    )


def _write_conflict(
    connection: Connection, conflict: Conflict, decision: Decision, import_id: int, now: datetime
) -> int:
    """Store a conflict for the coordinator, once; return 1 when it was new."""
    same = connection.execute(
        select(conflicts.c.conflict_id).where(
            conflicts.c.decision_key == decision.key,
            conflicts.c.resolved.is_(False),
            conflicts.c.new_decision == decision.decision,
            (conflicts.c.new_reason_code == decision.reason_code)
            if decision.reason_code
            else conflicts.c.new_reason_code.is_(None),
        )
    ).first()
    if same is not None:
        return 0  # this conflict is already waiting for the coordinator
    connection.execute(
        conflicts.insert().values(
            decision_key=decision.key,
            client_id=decision.client_id,
            unit_id=decision.unit_id,
            party=decision.party,
            existing_decision=conflict.existing,
            existing_reason_code=conflict.existing_reason,
            new_decision=decision.decision,
            new_reason_code=decision.reason_code or None,
            period_start=decision.period_start,
            import_id=import_id,
            source=conflict.source,
            source_row=conflict.source_row,
            resolved=False,
            recorded_at=now,
        )
    )
    return 1


# --- what comes out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerState:
    """Everything in the ledger, as plain rows."""

    decisions: list[dict]
    proposals: list[dict]
    proposed: list[dict]
    open_conflicts: int


def read_ledger(ledger: str | Path) -> LedgerState:
    """Read the whole ledger (one consistent snapshot)."""
    with open_ledger(ledger) as engine, _reader(engine) as connection:
        rows = [
            dict(r)
            for r in connection.execute(
                select(decisions).order_by(decisions.c.period_start, decisions.c.decision_key)
            ).mappings()
        ]
        props = [
            dict(r)
            for r in connection.execute(
                select(proposals).order_by(
                    proposals.c.period_start, proposals.c.import_id, proposals.c.proposal_id
                )
            ).mappings()
        ]
        pairs = [
            dict(r)
            for r in connection.execute(
                select(proposed).order_by(proposed.c.proposal_id, proposed.c.client_id, proposed.c.unit_id)
            ).mappings()
        ]
        open_conflicts = len(
            connection.execute(select(conflicts.c.conflict_id).where(conflicts.c.resolved.is_(False))).all()
        )
    return LedgerState(rows, props, pairs, open_conflicts)


def open_conflicts(ledger: str | Path) -> list[dict]:
    """Conflicts still waiting for the coordinator."""
    with open_ledger(ledger) as engine, engine.connect() as connection:
        return [
            dict(r)
            for r in connection.execute(
                select(conflicts).where(conflicts.c.resolved.is_(False)).order_by(conflicts.c.conflict_id)
            ).mappings()
        ]


def pair_status(rows: Iterable[dict]) -> dict[tuple[str, str], dict[str, dict]]:
    """Per (client, unit): the decision row of each party that decided."""
    status: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for row in rows:
        status[(row["client_id"], row["unit_id"])][row["party"]] = row
    return status


def is_declined(parties: dict[str, dict]) -> bool:
    """A pair is declined when either party declined it."""
    return any(row["decision"] == "decline" for row in parties.values())


def is_placed(parties: dict[str, dict]) -> bool:
    """A pair is placed (fixed) when both the client and the landlord accepted it."""
    return all(parties.get(party, {}).get("decision") == "accept" for party in PARTIES)


def refusal_counts(rows: Iterable[dict]) -> Counter:
    """Per client: how many suitable offers (distinct units) they refused."""
    refused = {
        (row["client_id"], row["unit_id"])
        for row in rows
        if row["party"] == "client" and row["decision"] == "decline" and counts_as_refusal(row["reason_code"])
    }
    return Counter(client for client, _ in refused)


def _open_matches(
    state: LedgerState,
    status: dict[tuple[str, str], dict[str, dict]],
    start: date,
    clients: dict,
    units: dict,
    taken_clients: set[str],
    taken_units: set[str],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The matches this week's solve keeps stable (decisions 52 and 53), all from the latest
    proposal sent out up to this week (an earlier proposal's match that the latest one dropped
    was withdrawn or released then, and an old acceptance of it holds nothing):

    - held: its matches one side accepted, the other has not decided, nobody declined, as
      (client, unit, who accepted);
    - communicated: its matches nobody has decided yet.
    Only matches whose client and unit are still in the pool.
    """
    sent = [p for p in state.proposals if p["period_start"] <= start]
    if not sent:
        return [], []
    latest = max(sent, key=lambda p: (p["period_start"], p["import_id"]))["proposal_id"]
    held: list[tuple[str, str, str]] = []
    communicated: list[tuple[str, str]] = []
    for pair in state.proposed:
        client, unit = pair["client_id"], pair["unit_id"]
        if pair["proposal_id"] != latest or client not in clients or unit not in units:
            continue
        if client in taken_clients or unit in taken_units:
            continue
        parties = status.get((client, unit), {})
        if not parties:
            communicated.append((client, unit))
        elif len(parties) == 1 and not is_declined(parties):
            held.append((client, unit, next(iter(parties))))
    return sorted(held), sorted(communicated)


def _without_unit(decline: DeclinedPair, units: dict) -> DeclinedPair | None:
    """A decline whose unit leaves the pool: a scoped one named by its scope's id, so it still
    holds; None when it rules out nothing else (unit scope, or a site scope of a unit without one)."""
    if decline.scope == "unit":
        return None
    if decline.scope_id is not None:
        return decline
    unit = units.get(decline.unit_id)
    if unit is None:
        return None
    value = {"site": unit.site_id, "neighbourhood": unit.neighbourhood_id, "landlord": unit.landlord}.get(
        decline.scope, unit.municipality_id
    )
    return decline.model_copy(update={"scope_id": value}) if value else None


def _declined_pairs(
    row: dict, start: date, units: dict, taken_units: set[str], neighbourhoods: dict, municipalities: dict
) -> tuple[list[DeclinedPair], str | None]:
    """The history-rule rows of a stored decline this week, and a note for the coordinator.

    Nothing once its end passed. The declined unit itself is always ruled out while it is in the
    pool, whatever the scope (a scope id typed wrong, or naming another site, never lets the
    declined pair come back); the wider scope too, unless its neighbourhood or municipality is
    not in this week's instance: then the note says so.
    """
    scope, scope_id, until = row.get("scope") or "unit", row.get("scope_id"), row.get("until")
    if until is not None and until < start:
        return [], None
    found: list[DeclinedPair] = []
    note = None
    common = {
        "client_id": row["client_id"],
        "unit_id": row["unit_id"],
        "declined_by": row["party"],
        "until": until,
    }
    in_pool = row["unit_id"] in units and row["unit_id"] not in taken_units
    if in_pool:
        found.append(DeclinedPair(**common))
    if scope != "unit" and scope_id is not None:
        if (scope == "neighbourhood" and scope_id not in neighbourhoods) or (
            scope == "municipality" and scope_id not in municipalities
        ):
            note = (
                f"{row['client_id']} declined {row['unit_id']} for every unit of {scope} {scope_id}, "
                f"which is not in this week's instance: only the unit itself is ruled out; "
                "correct the scope with `matcher record --correct` if it was mistyped"
            )
        else:
            found.append(DeclinedPair(**common, scope=scope, scope_id=scope_id))
    return found, note


def _as_recorded(record: dict, clients: dict, units: dict, client_id: str, unit_id: str) -> dict:
    """A housed pair as an agreement counts it: the unit's municipality and landlord, the client's
    source and target groups — from the instance where it still lists them, else from the
    ledger's record of the proposed pair (a ledger before schema 3 has no source: such a pair
    counts only for agreements without a target group)."""
    client, unit = clients.get(client_id), units.get(unit_id)
    found = dict(record)
    if unit is not None:
        found |= {"municipality_id": unit.municipality_id, "landlord": unit.landlord}
    if client is not None:
        found |= {"source": client.source, "target_groups": ";".join(client.target_groups)}
    return found


def apply_ledger(instance: Instance, ledger: str) -> tuple[Instance, dict]:
    """This week's instance after every decision up to and including this period, and a report.

    - a match accepted by both client and landlord is fixed: its client and unit leave the pool,
      its load is added to the neighbourhood's recent_load while its week lies in the rolling
      window (`policy.spreading.window_weeks` weeks before this period, and this period), whether
      or not the client or unit is still listed, and, when it was accepted for this period, it
      uses one of the municipality's intake and one support slot; when it was accepted in the
      share period before this period (from `policy.fair_share.since`, default 1 January of
      this period's year), it adds one to its municipality's `placed_so_far` (on top of the
      typed value, which holds placements the ledger does not know); likewise, when it was
      accepted in an agreement's period before this period and the agreement counts it, it adds
      one to the agreement's `placed_so_far` (matcher.rules.agreements);
    - a pair declined by either party is added to `declined` (never proposed again);
    - a client whose refusals of suitable offers reach `policy.refusals.max_refusals` has their
      urgency lapsed to `policy.refusals.lapse_to`, and is flagged for the coordinator.
    """
    state = read_ledger(ledger)
    policy = instance.policy
    start, end = policy.period.start, policy.period.end
    rows = [row for row in state.decisions if row["period_start"] <= start]
    future = len(state.decisions) - len(rows)
    status = pair_status(rows)
    proposed_pair = {(p["client_id"], p["unit_id"]): p for p in state.proposed}

    clients = {c.client_id: c for c in instance.clients}
    units = {u.unit_id: u for u in instance.units}
    neighbourhoods = {n.neighbourhood_id: n for n in instance.neighbourhoods}
    municipalities = {m.municipality_id: m for m in instance.municipalities}
    slots = {(s.municipality_id, s.support_intensity): s for s in instance.support_capacity}

    # fix accepted matches, latest week first; a client or unit is fixed at most once
    placed = sorted(
        (pair for pair, parties in status.items() if is_placed(parties) and not is_declined(parties)),
        key=lambda pair: (-max(r["period_start"] for r in status[pair].values()).toordinal(), pair),
    )
    fixed, ignored, flagged = [], [], []
    taken_clients: set[str] = set()
    taken_units: set[str] = set()
    load_added: Counter = Counter()
    load_expired: Counter = Counter()  # placed before the rolling window: no longer counted
    oldest = window_start(policy)  # the rolling window's first day (matcher.rules.load)
    intake_used: Counter = Counter()
    slots_used: Counter = Counter()
    providers_used: Counter = Counter()  # (provider, municipality) accepted this period (rule 6)
    # the fair-share level's placements so far: housed in the share period, before this period
    share_since = policy.fair_share.start(start)
    placed_so_far: Counter = Counter()
    # the agreements' placements so far: housed in the agreement's period, before this period
    agreed_so_far: Counter = Counter()
    for client_id, unit_id in placed:
        week = max(r["period_start"] for r in status[(client_id, unit_id)].values())
        if client_id in taken_clients or unit_id in taken_units:
            ignored.append(f"{client_id}->{unit_id}")
            flagged.append(
                f"{client_id} -> {unit_id} was accepted, but the client or unit was already "
                "placed by another accepted match: correct one of them"
            )
            continue
        taken_clients.add(client_id)
        taken_units.add(unit_id)
        if instance.agreements and week < start:
            recorded = _as_recorded(
                proposed_pair.get((client_id, unit_id), {}), clients, units, client_id, unit_id
            )
            for agreement in instance.agreements:
                if agreement.start <= week <= agreement.end and counts_record(agreement, recorded):
                    agreed_so_far[agreement.agreement_id] += 1
        if share_since <= week < start:
            record = proposed_pair.get((client_id, unit_id), {})
            unit = units.get(unit_id)
            housed_in = unit.municipality_id if unit else record.get("municipality_id")
            if housed_in in municipalities:
                placed_so_far[housed_in] += 1
        listed = client_id in clients or unit_id in units
        in_window = week >= oldest  # its load still counts against the neighbourhood (decision 96)
        if not listed and not in_window:
            continue  # both left the instance, and the placement left the rolling window
        record = proposed_pair.get((client_id, unit_id), {})
        client, unit = clients.get(client_id), units.get(unit_id)
        intensity = client.support_intensity if client else record.get("support_intensity")
        unit_type = unit.type if unit else record.get("unit_type")
        neighbourhood = unit.neighbourhood_id if unit else record.get("neighbourhood_id")
        municipality = unit.municipality_id if unit else record.get("municipality_id")
        if listed:
            fixed.append({"client_id": client_id, "unit_id": unit_id, "period_start": week.isoformat()})
        if intensity is None or neighbourhood is None:
            flagged.append(
                f"{client_id} -> {unit_id}: accepted, but its load cannot be counted "
                "(client or unit not in the instance and never proposed in the ledger)"
            )
            continue
        stays = client is not None and client.stays_in(unit_id)
        persons = client.persons if client is not None else int(record.get("persons") or 1)
        load = load_of(policy, intensity, unit_type, stays=stays, persons=persons)
        if load and neighbourhood in neighbourhoods and in_window:
            load_added[neighbourhood] += load
        elif load and neighbourhood in neighbourhoods:
            load_expired[neighbourhood] += load
        if start <= week <= end:
            if municipality in municipalities and municipalities[municipality].max_intake is not None:
                intake_used[municipality] += 1
            if (municipality, intensity) in slots:
                slots_used[(municipality, intensity)] += 1
            # rule 6: one of the care provider's slots in the municipality (issue 14, item 5)
            provider = client.provider if client else record.get("provider")
            if provider:
                providers_used[(provider, municipality)] += 1

    # declines still in play, each with the scope and end the ledger applied
    known_declined = set(instance.declined)
    new_declined = []
    narrowed: list[str] = []
    for (client_id, _unit_id), parties in sorted(status.items()):
        if client_id not in clients or client_id in taken_clients:
            continue
        for party in PARTIES:
            row = parties.get(party)
            if row is None or row["decision"] != "decline":
                continue
            found, note = _declined_pairs(row, start, units, taken_units, neighbourhoods, municipalities)
            if note:
                flagged.append(note)
                narrowed.append(note)
            for decline in found:
                if decline not in known_declined:
                    known_declined.add(decline)
                    new_declined.append(decline)

    held, communicated = _open_matches(state, status, start, clients, units, taken_clients, taken_units)

    # the refusal rule
    rule = policy.refusals
    refusals = refusal_counts(rows)
    lapsed, at_limit = [], []
    new_clients = []
    for client in instance.clients:
        if client.client_id in taken_clients:
            continue
        count = refusals.get(client.client_id, 0)
        if count >= rule.max_refusals:
            at_limit.append(client.client_id)
            if URGENCIES.index(client.urgency) > URGENCIES.index(rule.lapse_to):
                lapsed.append(
                    {
                        "client_id": client.client_id,
                        "from": client.urgency,
                        "to": rule.lapse_to,
                        "refusals": count,
                    }
                )
                flagged.append(
                    f"{client.client_id}: urgency lapsed from {client.urgency} to "
                    f"{rule.lapse_to} after {count} refusals of suitable offers"
                )
                client = client.model_copy(update={"urgency": rule.lapse_to})
            else:
                flagged.append(
                    f"{client.client_id}: {count} refusals of suitable offers "
                    f"(urgency already {client.urgency})"
                )
        new_clients.append(client)

    updated = Instance(
        municipalities=tuple(
            m.model_copy(
                update={
                    "placed_so_far": m.placed_so_far + placed_so_far[m.municipality_id],
                    **(
                        {"max_intake": max(0, m.max_intake - intake_used[m.municipality_id])}
                        if intake_used[m.municipality_id] and m.max_intake is not None
                        else {}  # counted only under a limit
                    ),
                }
            )
            if placed_so_far[m.municipality_id]
            or (intake_used[m.municipality_id] and m.max_intake is not None)
            else m
            for m in instance.municipalities
        ),
        neighbourhoods=tuple(
            n.model_copy(update={"recent_load": n.recent_load + load_added[n.neighbourhood_id]})
            if load_added[n.neighbourhood_id]
            else n
            for n in instance.neighbourhoods
        ),
        units=tuple(u for u in instance.units if u.unit_id not in taken_units),
        clients=tuple(new_clients),
        support_capacity=tuple(
            s.model_copy(
                update={"slots": max(0, s.slots - slots_used[(s.municipality_id, s.support_intensity)])}
            )
            if slots_used[(s.municipality_id, s.support_intensity)]
            else s
            for s in instance.support_capacity
        ),
        provider_capacity=tuple(
            s.model_copy(update={"slots": max(0, s.slots - providers_used[(s.provider, s.municipality_id)])})
            if providers_used[(s.provider, s.municipality_id)]
            else s
            for s in instance.provider_capacity
        ),
        declined=tuple(
            kept
            for d in instance.declined
            if d.client_id not in taken_clients
            and (kept := (_without_unit(d, units) if d.unit_id in taken_units else d)) is not None
        )
        + tuple(new_declined),
        agreements=tuple(
            a.model_copy(update={"placed_so_far": a.placed_so_far + agreed_so_far[a.agreement_id]})
            if agreed_so_far[a.agreement_id]
            else a
            for a in instance.agreements
        ),
        policy=policy,
        contacts=instance.contacts,
        other_placements=instance.other_placements,  # counted apart from the cell, never twice
    )
    report = {
        "source": describe(ledger),
        "period_start": start.isoformat(),
        "decisions_read": len(rows),
        "decisions_for_later_weeks_ignored": future,
        "accepted_fixed": fixed,
        "clients_removed": len(taken_clients & set(clients)),
        "units_removed": len(taken_units & set(units)),
        "load_added": dict(sorted(load_added.items())),
        "load_window": {"weeks": policy.spreading.window_weeks, "from": oldest.isoformat()},
        "load_expired": dict(sorted(load_expired.items())),
        "intake_used": dict(sorted(intake_used.items())),
        # per municipality: placements so far in the share period (the ledger's and the typed ones)
        "placed_so_far": {
            m.municipality_id: m.placed_so_far + placed_so_far[m.municipality_id]
            for m in instance.municipalities
            if m.placed_so_far + placed_so_far[m.municipality_id]
        },
        "share_period": {"from": share_since.isoformat(), "before": start.isoformat()},
        # per agreement: placements the ledger housed under it in its period, before this period
        "agreements_placed": dict(sorted(agreed_so_far.items())),
        "slots_used": {f"{m}/{s}": k for (m, s), k in sorted(slots_used.items())},
        "provider_slots_used": {
            f"{p}/{m}": k
            for (p, m), k in sorted(providers_used.items())
            if any((s.provider, s.municipality_id) == (p, m) for s in instance.provider_capacity)
        },
        "declined_pairs_added": len(new_declined),
        "declines_not_widened": narrowed,
        "declines_added": [
            {
                "client_id": d.client_id,
                "unit_id": d.unit_id,
                "declined_by": d.declined_by,
                "scope": d.scope,
                "scope_id": d.scope_id,
                "until": d.until.isoformat() if d.until else None,
            }
            for d in new_declined
        ],
        "refusals": dict(sorted(refusals.items())),
        "refusal_limit_reached": at_limit,
        "urgency_lapsed": [entry["client_id"] for entry in lapsed],
        "urgency_lapsed_detail": lapsed,
        "accepted_ignored": ignored,
        "held": [{"client_id": c, "unit_id": u, "accepted_by": by} for c, u, by in held],
        "communicated": [{"client_id": c, "unit_id": u} for c, u in communicated],
        "open_conflicts": state.open_conflicts,
        "flagged_for_coordinator": flagged
        + (
            [
                f"{state.open_conflicts} conflicting decision(s) wait for the coordinator "
                "(`matcher review import` listed them)"
            ]
            if state.open_conflicts
            else []
        ),
    }
    return updated, report
