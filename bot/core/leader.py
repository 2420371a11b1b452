"""Which replica runs timers: the holder of a Postgres advisory lock (SQLite: the only one)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import text

from bot.core.db import Database

log = logging.getLogger(__name__)

LEADER_LOCK = 724_311_002


class Leadership:
    """Holds the leader lock on a dedicated connection; losing the connection loses the lock."""

    def __init__(self, db: Database) -> None:
        self.db = db
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
                    self._conn = self.db.engine.connect()
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
