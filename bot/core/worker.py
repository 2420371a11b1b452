"""A background loop on the leader replica that hands work to a pool of threads.

The outbox sender and the webhook dispatcher both run this way: one loop wakes when poked
(or every `poll_seconds`), and while this replica leads (SQLite's only process always does)
it runs one pass, `tick`, that submits what is due to the pool, each job under a key (a
channel, an endpoint) that stays busy until the job releases it. Taking the lead first
calls `took_lead`, so claims a former leader left standing are dealt with.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from sqlmodel import Session

from bot.core.db import Database
from bot.core.leader import Leadership

K = TypeVar("K")


class LeaderLoop(ABC, Generic[K]):
    """The loop's thread, its pool and the keys in flight; subclasses say what a pass does."""

    thread_name = "worker"  # the loop's thread
    pool_name = "worker"  # the prefix of its pool's threads
    what = "the worker"  # how its log speaks of it
    tick_gap = 0.0  # seconds between two passes, however often it is poked

    def __init__(
        self, db: Database, leadership: Leadership, *, workers: int, poll_seconds: float
    ) -> None:
        self.db = db
        self.leadership = leadership
        self.workers = workers
        self.poll_seconds = poll_seconds
        self._pool = self._new_pool()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy: set[K] = set()  # the keys of the jobs in flight
        self._thread: threading.Thread | None = None

    @abstractmethod
    def tick(self) -> None:
        """One pass: start what is due now."""

    @abstractmethod
    def due(self, session: Session) -> bool:
        """True while something is due (what `flush` waits for, with the jobs in flight)."""

    def took_lead(self) -> None:
        """This replica just took the lead (or started alone on SQLite)."""

    def standing_by(self) -> None:
        """A pass on a replica that does not lead."""

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start in the background (again, after a stop)."""
        if self._stop.is_set():
            self._pool = self._new_pool()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Look now (something was just queued)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop starting jobs; let those in flight finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._pool.shutdown(wait=True)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due and nothing is in flight (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.read() as session:
                due = self.due(session)
            with self._lock:
                idle = not self._busy
            if not due and idle:
                return True
            self.poke()
            time.sleep(0.05)
        return False

    def leading(self) -> bool:
        """True on the replica that does the work (the leader; SQLite's only process)."""
        return self.db.is_sqlite or self.leadership.is_leader

    def _loop(self) -> None:
        leading = False
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self.leading():
                    if not leading:
                        self.took_lead()
                    leading = True
                    self.tick()
                    if self.tick_gap:
                        self._stop.wait(self.tick_gap)
                else:
                    leading = False
                    self.standing_by()
            except Exception:
                logging.getLogger(type(self).__module__).exception(
                    "%s stumbled; trying again shortly", self.what
                )
                time.sleep(0.5)

    # --- jobs ------------------------------------------------------------------------------

    def _take(self, key: K) -> bool:
        """Mark the key busy; False when a job of it is already in flight."""
        with self._lock:
            if key in self._busy:
                return False
            self._busy.add(key)
            return True

    def _release(self, key: K) -> None:
        """The key's job ended: it may be given another, and the loop looks again."""
        with self._lock:
            self._busy.discard(key)
        self._wake.set()

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.pool_name)
