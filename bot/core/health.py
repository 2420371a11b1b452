"""Liveness and readiness, for GET /livez and GET /readyz.

Live: the process serves and its timer loop still turns; a failure means "restart me".
Ready: the database answers and its schema is the one this code expects; a failure means
"send me no traffic for now" and must not restart the process (a database blip would
otherwise restart every replica at once).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alembic.script import ScriptDirectory

from bot.core import migrate
from bot.core.db import Database

MIGRATIONS_TTL = 30.0  # seconds a migration answer is reused: probes come every few seconds
MIN_STALE_SECONDS = 120.0


@dataclass(frozen=True)
class Verdict:
    """A probe's answer: ok, and what is wrong when not."""

    ok: bool
    detail: str = ""

    def body(self) -> bytes:
        """The JSON body served with the answer."""
        found: dict[str, Any] = {"ok": self.ok}
        if self.detail:
            found["detail" if self.ok else "error"] = self.detail
        return json.dumps(found).encode() + b"\n"


class Health:
    """Answers the probes for one app: its database and (when given) its timer loop."""

    def __init__(
        self,
        db: Database,
        scheduler: Any = None,
        *,
        migrations_ttl: float = MIGRATIONS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.migrations_ttl = migrations_ttl
        self.clock = clock
        replan = float(getattr(scheduler, "replan_seconds", 10.0))
        # A replan that takes long (a slow database) is not a dead loop: be generous.
        self.stale_after = max(MIN_STALE_SECONDS, 6 * replan)
        self._migrations: tuple[float, Verdict] | None = None
        self._lock = threading.Lock()

    def live(self) -> Verdict:
        """Whether the timer loop is alive (the request being answered shows the server is)."""
        if self.scheduler is None:
            return Verdict(True)
        heartbeat = getattr(self.scheduler, "heartbeat", None)
        if isinstance(heartbeat, int | float):
            silent = self.clock() - heartbeat
            if silent > self.stale_after:
                return Verdict(False, f"timer loop silent for {silent:.0f}s")
            return Verdict(True)
        # A scheduler without a heartbeat: its loop thread must at least still run.
        thread = getattr(self.scheduler, "_thread", None)
        if isinstance(thread, threading.Thread) and not thread.is_alive():
            return Verdict(False, "timer loop has stopped")
        return Verdict(True)

    def ready(self) -> Verdict:
        """Whether the database answers and its schema is current."""
        if not self.db.ping():
            return Verdict(False, "database unreachable")
        if not isinstance(self.db, Database):  # a stand-in without a schema (benchmarks)
            return Verdict(True)
        with self._lock:
            cached = self._migrations
        if cached is not None and self.clock() - cached[0] < self.migrations_ttl:
            return cached[1]
        try:
            verdict = self._check_migrations()
        except Exception:
            return Verdict(False, "database unreachable")
        with self._lock:
            self._migrations = (self.clock(), verdict)
        return verdict

    def _check_migrations(self) -> Verdict:
        current, head = migrate.pending(self.db)
        if current == head:
            return Verdict(True)
        if current is None:
            return Verdict(False, "database has no schema: run `releasebot migrate`")
        script = ScriptDirectory.from_config(migrate.alembic_config(self.db))
        try:
            known = script.get_revision(current) is not None
        except Exception:
            known = False
        if not known:
            # A newer release migrated the database during a rolling update: keep serving
            # until this replica is replaced (migrations only add to the schema).
            return Verdict(True, f"database schema {current} is newer than this code's {head}")
        return Verdict(False, f"migrations pending: database at {current}, code expects {head}")
