"""Engine and sessions: SQLite with WAL and BEGIN IMMEDIATE, Postgres with a checked pool."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

T = TypeVar("T")
CHANGED_RELEASES = "releasebot_changed_releases"
# Pooled PostgreSQL connections per replica (RELEASEBOT_DB_POOL); the pool opens as many again
# in a burst. Two replicas, and a third during a rolling update, stay well inside the 100
# connections PostgreSQL allows by default.
DEFAULT_POOL = 10
# Every PostgreSQL connection: give up connecting after 5 s (a probe or request must not hang
# on an unreachable server), and let TCP keepalives find a dead peer on an idle connection.
PG_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def normalize_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// for the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    """True for a SQLite database URL."""
    return normalize_url(url).startswith("sqlite")


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=40,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read followed by a write in a deferred transaction fails with "database is
        # locked" under concurrency; taking the write lock up front makes writers queue.
        readonly = conn.get_execution_options().get("releasebot_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def make_engine(url: str, pool_size: int = DEFAULT_POOL) -> Engine:
    """Create the engine for a database URL with the settings each backend needs.

    On PostgreSQL the pool keeps up to `pool_size` connections and opens as many again in a
    burst, so one replica holds at most 2 * pool_size of them (plus the leader's own).
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # No pre-ping round trip per checkout: a connection found dead after a database restart
    # invalidates the pool, and the request is retried (db.retry_transient).
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        connect_args=dict(PG_CONNECT_ARGS),
    )


def retry_transient(work: Callable[[], T], *, budget: float = 2.0) -> T:
    """Run `work`, retrying while the database is briefly unreachable, for up to `budget` s.

    Each attempt is a whole transaction that rolled back on failure, so a retry cannot
    apply a change twice. Slack waits 3 s for an answer; the budget stays inside that.
    """
    deadline = time.monotonic() + budget
    pause = 0.1
    while True:
        try:
            return work()
        except OperationalError:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def unreachable(err: BaseException) -> str | None:
    """What the database said when it could not be reached; None when `err` is not that."""
    if not isinstance(err, OperationalError):
        return None
    return str(err.orig or err).splitlines()[0][:200]


class Database:
    """The database handle shared by handlers, the scheduler and the CLI."""

    def __init__(
        self, url: str, engine: Engine | None = None, *, pool_size: int = DEFAULT_POOL
    ) -> None:
        self.url = normalize_url(url)
        self.engine = engine or make_engine(self.url, pool_size)
        self._write_lock: AbstractContextManager[object]
        self._readonly = self.engine.execution_options(releasebot_readonly=True)
        self._on_change: list[Callable[[set[int]], object]] = []
        self._before_commit: list[Callable[[Session, set[int]], object]] = []
        # SQLite has one writer at a time anyway; queueing writers on a lock here wakes the
        # next one the moment the last commits, where SQLite's busy handler would sleep and
        # poll (and starve some writers for seconds under load).
        self._write_lock = threading.RLock() if self.is_sqlite else nullcontext()

    @property
    def is_sqlite(self) -> bool:
        """True when the backing store is SQLite."""
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: commits on success, rolls back on any exception."""
        with self._write_lock, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                changed_now = session.info.get(CHANGED_RELEASES)
                if changed_now:
                    for hook in self._before_commit:
                        hook(session, set(changed_now))
                session.commit()
            except BaseException:
                session.rollback()
                raise
            changed = session.info.pop(CHANGED_RELEASES, None)
        if changed:
            for listener in self._on_change:
                listener(set(changed))

    def before_commit(self, hook: Callable[[Session, set[int]], object]) -> None:
        """Call `hook(session, release_ids)` inside a session that changed releases, before it
        commits: what the hook writes commits (or rolls back) with the change itself."""
        self._before_commit.append(hook)

    def on_change(self, listener: Callable[[set[int]], object]) -> None:
        """Call `listener` with the ids of releases whose state a committed session changed."""
        self._on_change.append(listener)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (no write lock on SQLite)."""
        with Session(self._readonly, expire_on_commit=False) as session:
            yield session  # closing ends the transaction and keeps loaded objects usable

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
