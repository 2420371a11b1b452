"""Which replica runs timers, the sender and gate checks: a lease on a Postgres advisory lock.

Leadership is a lease, not a belief. The leader checks its lock connection every
CHECK_SECONDS and leads only until LEASE_SECONDS after the start of its last check that
succeeded: a lost connection (database restart, network cut) or a check left hanging ends
its lead within a second, and everything leader-only asks `is_leader` before it acts. A
replica taking the lead bumps the epoch in `leader_term` (a fencing token) and waits one
lease before it acts, so the old leader's lease has run out by then. Work a leader claims
carries its epoch, and the write that finishes the work is refused for a stale epoch
(`fence()` in a WHERE clause, or `guard()` inside a transaction).

For leader-only work elsewhere: `services.leader.is_leader` before starting, the epoch
from `services.leader.epoch` kept with the claim, and `services.leader.guard(session,
epoch)` in the transaction that records the result (it raises StaleLeader, rolling back).
SQLite means one process: it always leads and fencing is a no-op.

The lock is a session lock: it lives as long as the leader's own connection. That connection
is set up so that a leader that vanishes (host gone, network cut) loses the lock in bounded
time: the server probes the idle connection with TCP keepalives (after KEEPALIVE_IDLE s, then
every KEEPALIVE_INTERVAL s, KEEPALIVE_COUNT times) and ends the session, releasing the lock,
within RELEASE_BOUND_SECONDS. A killed process releases it at once (its socket closes). The
leader's side uses the same keepalives and a TCP user timeout, so it notices too, and a
statement or transaction left hanging on that connection is cut by the server.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, text, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from bot.core import metrics
from bot.core.db import Database
from bot.core.models import LeaderTerm, utcnow

log = logging.getLogger(__name__)

LEADER_LOCK = 724_311_002
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3
RELEASE_BOUND_SECONDS = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT  # 25 s
LEASE_SECONDS = 1.0  # a leader leads this long after the start of its last good check
CHECK_SECONDS = 0.25  # how often the leader checks its lock connection
STANDBY_SECONDS = 0.5  # how often a standby asks for the lock
LOST_BACKOFF_SECONDS = 3.0  # a replica that just lost the lead lets the other one take it
_SERVER_SETTINGS = {
    # The server's side of this session: how it finds a vanished leader.
    "tcp_keepalives_idle": KEEPALIVE_IDLE,
    "tcp_keepalives_interval": KEEPALIVE_INTERVAL,
    "tcp_keepalives_count": KEEPALIVE_COUNT,
    # An answer the leader never acknowledges (it vanished mid-query) ends the session too.
    "tcp_user_timeout": RELEASE_BOUND_SECONDS * 1000,
    # The leader runs one short statement at a time and never stays in a transaction.
    "statement_timeout": "5s",
    "idle_in_transaction_session_timeout": "10s",
}
LEADER_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": KEEPALIVE_IDLE,
    "keepalives_interval": KEEPALIVE_INTERVAL,
    "keepalives_count": KEEPALIVE_COUNT,
    # Data sent and not acknowledged for this long drops the connection (milliseconds).
    "tcp_user_timeout": RELEASE_BOUND_SECONDS * 1000,
    "options": " ".join(f"-c {name}={value}" for name, value in _SERVER_SETTINGS.items()),
}


def leader_engine(db: Database) -> Engine:
    """An engine of unpooled connections for the lock, with keepalives and timeouts."""
    return create_engine(db.url, poolclass=NullPool, connect_args=dict(LEADER_CONNECT_ARGS))


class StaleLeader(Exception):
    """A write carried an epoch that is no longer the leader's: the work belongs to another."""

    def __init__(self, epoch: int | None) -> None:
        super().__init__(f"leader epoch {epoch} is stale")
        self.epoch = epoch


Listener = Callable[[bool, "int | None"], None]


class Leadership:
    """The leader lock held on a dedicated connection, as a lease that is renewed or lost."""

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = LEASE_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.lease_seconds = lease_seconds
        self.check_seconds = check_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self._engine: Engine | None = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self._epoch: int | None = None
        self._valid_until = 0.0
        self._acting_from = 0.0
        self._retry_at = 0.0
        self._reported = False
        self._last_epoch: int | None = None
        self._lost_reason: str | None = None
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what leader-only work asks -------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        """True while this replica holds an unexpired lease (and its takeover wait is over)."""
        if self._epoch is None:
            return False
        if self.db.is_sqlite or self._thread is None:
            return True  # one process, or nobody watching the lease (tools, unit tests)
        now = time.monotonic()
        return self._acting_from <= now < self._valid_until

    @property
    def epoch(self) -> int | None:
        """This replica's epoch while it leads, else None."""
        epoch = self._epoch
        return epoch if self.is_leader else None

    @property
    def last_epoch(self) -> int | None:
        """The epoch this replica holds or last held (None before it ever led)."""
        return self._last_epoch

    @property
    def watching(self) -> bool:
        """True while the lease is checked in the background."""
        return self._thread is not None

    def holds(self, epoch: int | None) -> bool:
        """True when this replica leads with exactly this epoch (a claim of its own)."""
        return epoch is not None and self.is_leader and self._epoch == epoch

    def fence(self, epoch: int | None) -> ColumnElement[bool]:
        """A WHERE condition true only while `epoch` is the current leader epoch."""
        if self.db.is_sqlite:
            return true()
        current = select(LeaderTerm.epoch).where(LeaderTerm.id == 1).scalar_subquery()
        return current == (epoch if epoch is not None else -1)

    def guard(self, session: Session, epoch: int | None) -> None:
        """Inside a write transaction: raise StaleLeader unless `epoch` is still current.

        On PostgreSQL the epoch row is share-locked, so a successor's bump waits for this
        transaction: the work either commits before the new epoch or is refused.
        """
        if self.db.is_sqlite:
            return
        query = select(LeaderTerm.epoch).where(LeaderTerm.id == 1).with_for_update(read=True)
        current = session.exec(query).first()
        if epoch is None or current != epoch:
            metrics.count_fenced()
            raise StaleLeader(epoch)

    def on_change(self, listener: Listener) -> None:
        """Call `listener(leading, epoch)` whenever this replica gains or loses the lead."""
        self._listeners.append(listener)

    # --- the lease ------------------------------------------------------------------------

    def start(self) -> None:
        """Check the lease in the background (takes the lead when nobody holds it)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="leader-lease", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and give up the lead (on shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.release()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if time.monotonic() >= self._retry_at:
                self.acquire()
            self._report()
            wait = self.check_seconds if self._epoch is not None else STANDBY_SECONDS
            self._stop.wait(wait)

    def acquire(self) -> bool:
        """Check the lock now (or try to take it); True while this replica leads."""
        if self.db.is_sqlite:
            if self._epoch is None:
                self._epoch = self._bump_sqlite()
            self._report()
            return True
        with self._lock:
            started = time.monotonic()
            try:
                conn = self._connection()
                if self._epoch is None:
                    got = conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}
                    ).scalar()
                    if not got:
                        return False
                    self._epoch = self._bump(conn)
                    self._lost_reason = None
                    self._acting_from = started + self.lease_seconds if self.watching else 0.0
                else:
                    conn.execute(text("SELECT 1"))
                self._valid_until = started + self.lease_seconds
            except Exception as err:
                self._lost(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                return False
        if not self.watching:
            self._report()
        return self.is_leader

    def release(self) -> None:
        """Give up the lead (on shutdown)."""
        with self._lock:
            self._close()
            self._epoch = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        self._report("shutting down")

    def _connection(self) -> Any:
        if self._conn is None:
            if self._engine is None:
                self._engine = leader_engine(self.db)
            self._conn = self._engine.connect()
            self._conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _bump(self, conn: Any) -> int:
        return int(conn.execute(self._bump_statement(pg_insert)).scalar_one())

    def _bump_sqlite(self) -> int:
        try:
            with self.db.session() as session:
                return int(session.execute(self._bump_statement(sqlite_insert)).scalar_one())
        except Exception:
            log.debug("no leader_term table yet: epoch 1", exc_info=True)
            return 1

    def _bump_statement(self, make: Any) -> Any:
        """Take the next epoch: insert the one row, or add one to its epoch."""
        table: Any = LeaderTerm.__table__  # type: ignore[attr-defined]
        stmt = make(table).values(id=1, epoch=1, holder=self.holder, since=utcnow())
        return stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "epoch": table.c.epoch + 1,
                "holder": stmt.excluded.holder,
                "since": stmt.excluded.since,
            },
        ).returning(table.c.epoch)

    def _lost(self, reason: str) -> None:
        """Called with self._lock held: the connection is gone, and the lead with it."""
        if self._epoch is not None:
            log.warning("lost the database connection that held the leader lock (%s)", reason)
            self._retry_at = time.monotonic() + LOST_BACKOFF_SECONDS
        self._close()
        self._epoch = None
        self._lost_reason = reason

    def _report(self, reason: str | None = None) -> None:
        """Log, count and tell listeners when leading changed since the last report."""
        leading = self.is_leader
        if leading == self._reported:
            return
        self._reported = leading
        epoch = self._epoch if leading else self._last_epoch
        if leading:
            self._last_epoch = self._epoch
            log.info("this replica now runs the timers (leader epoch %s)", epoch)
        else:
            why = reason or self._lost_reason or "its lease ran out"
            log.warning("this replica no longer runs the timers (leader epoch %s): %s", epoch, why)
        metrics.count_leader_change(leading)
        for listener in self._listeners:
            try:
                listener(leading, epoch)
            except Exception:
                log.exception("a leadership listener failed")

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)
            self._conn = None
