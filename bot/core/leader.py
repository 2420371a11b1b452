"""Which replica runs timers: the holder of a Postgres advisory lock (SQLite: the only one).

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
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bot.core.db import Database

log = logging.getLogger(__name__)

LEADER_LOCK = 724_311_002
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3
RELEASE_BOUND_SECONDS = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT  # 25 s
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


class Leadership:
    """Holds the leader lock on a dedicated connection; losing the connection loses the lock."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._engine: Engine | None = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self.is_leader = False

    def acquire(self) -> bool:
        """True while this replica leads; tries to take the lead when nobody holds it."""
        if self.db.is_sqlite:
            self.is_leader = True
            return True
        with self._lock:
            try:
                if self._conn is None:
                    if self._engine is None:
                        self._engine = leader_engine(self.db)
                    self._conn = self._engine.connect()
                    self._conn.execution_options(isolation_level="AUTOCOMMIT")
                if not self.is_leader:
                    # A standby keeps its connection and asks again: cheap enough to ask often.
                    got = self._conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}
                    ).scalar()
                    return self._changed(bool(got))
                self._conn.execute(text("SELECT 1"))
                return self._changed(True)
            except Exception:
                log.warning("lost the database connection that held the leader lock")
                self._close()
                return self._changed(False)

    def release(self) -> None:
        """Give up the lead (on shutdown)."""
        with self._lock:
            self._close()
            self.is_leader = False
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _changed(self, leading: bool) -> bool:
        if leading != self.is_leader:
            log.info("this replica %s the timers", "now runs" if leading else "no longer runs")
        self.is_leader = leading
        return leading

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)
            self._conn = None
