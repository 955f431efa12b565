"""Engines for the job store: URL rules, SQLite settings, and read / write transactions.

SQLite: WAL (readers never block the writer), a busy timeout, and write transactions opened with
`BEGIN IMMEDIATE`, so a transaction that reads before it writes (claim, settling a batch) takes
the write lock up front instead of failing with "database is locked" half-way. Python's sqlite3
issues its own BEGIN only before DML, so we switch that off and emit BEGIN ourselves (the recipe
in SQLAlchemy's SQLite documentation).
PostgreSQL: psycopg 3; `postgresql://` and `postgres://` URLs mean `postgresql+psycopg://`.
"""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.engine import URL, make_url

# Execution option that marks a connection's transaction as a writer (SQLite: BEGIN IMMEDIATE).
_WRITE_OPTION = "jobs_write"
_SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
# Advisory lock id held while tables are created (any constant unique to this use).
_SCHEMA_LOCK = 0x6A6F6273


def normalise_url(url: str) -> URL:
    """Parse a database URL, choosing psycopg 3 for PostgreSQL and refusing in-memory SQLite."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # Each pooled connection would see its own empty database.
        raise ValueError("the job store needs a SQLite file, e.g. sqlite:///./data/jobs.db")
    return parsed


def create_job_engine(url: str) -> Engine:
    """A pooled engine for `url`, creating the SQLite file's directory if needed."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    assert parsed.database is not None
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see the module docstring
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    writer = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


class Database:
    """An engine plus read and write transactions suited to it.

    On SQLite, writers of this process also queue on a lock before `BEGIN IMMEDIATE`: SQLite's
    busy handler waits by sleeping (1, 2, 5, 10 ms...), a lock hands over at once.
    """

    def __init__(self, url: str) -> None:
        self.engine = create_job_engine(url)
        sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if sqlite else nullcontext()
        )

    def create_tables(self, metadata: MetaData, tables: list[Table] | None = None) -> None:
        """Create missing tables and indexes; existing ones are left as they are (no migration).
        Replicas starting together take turns: concurrent CREATEs collide in PostgreSQL."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            metadata.create_all(conn, tables=tables)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write; committed on success, rolled back on error."""
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: one snapshot on SQLite, and it never takes the write lock."""
        with self.engine.connect() as conn, conn.begin():
            yield conn
