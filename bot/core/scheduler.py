"""Timers planned from the database: the tables are the truth, APScheduler only keeps time.

Each feature registers a planner that, given a window, returns the timers that are due in
it and not yet done (also ones already overdue). Every action claims its work in the
database before any side effect, so a timer planned twice, by two replicas or across a
restart, still acts once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session

from bot.core import metrics
from bot.core.db import Database
from bot.core.leader import Leadership
from bot.core.models import utcnow

log = logging.getLogger(__name__)
# A standby looks again this often, so it plans soon after it takes the lead.
STANDBY_RETRY_SECONDS = 2.0


@dataclass(frozen=True)
class Timer:
    """Something to do at `due`; `key` is unique for the piece of work it stands for."""

    key: str
    due: datetime
    action: Callable[[datetime], None]


Planner = Callable[[Session, datetime, datetime], Iterable[Timer]]


class Scheduler:
    """Plans timers from registered planners, on the leader replica only."""

    def __init__(
        self,
        db: Database,
        leadership: Leadership,
        *,
        replan_seconds: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
        workers: int = 16,
    ) -> None:
        self.db = db
        self.leadership = leadership
        self.replan_seconds = replan_seconds
        self.horizon = timedelta(seconds=max(3 * replan_seconds, 30))
        self.clock = clock
        self._planners: dict[str, Planner] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._poke = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.heartbeat: float | None = None
        self._planned = False
        self._aps = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone="UTC",
        )
        leadership.on_change(self._leadership_changed)

    def add_planner(self, name: str, planner: Planner) -> None:
        """Register a feature's planner under a unique name."""
        self._planners[name] = planner

    def start(self) -> None:
        """Start keeping time, watching the leader lease and planning in the background."""
        self.leadership.start()
        self._aps.start()
        self._thread = threading.Thread(target=self._loop, name="planner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop planning; running actions finish, pending timers are dropped (replanned later)."""
        self._stop.set()
        self._poke.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._aps.running:
            self._aps.shutdown(wait=True)
        self.leadership.stop()

    def poke(self) -> None:
        """Replan soon: something changed that may add or move a timer."""
        self._poke.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.heartbeat = time.monotonic()  # /livez: the timer loop is turning
            try:
                self.replan()
            except Exception:
                log.exception("planning failed; trying again shortly")
            wait = self.replan_seconds if self.leadership.is_leader else STANDBY_RETRY_SECONDS
            self._poke.wait(timeout=min(self.replan_seconds, wait))
            self._poke.clear()

    def replan(self) -> int:
        """Plan every timer due within the horizon; returns how many are pending."""
        leading = self.leadership.is_leader
        if not self.leadership.watching:
            leading = self.leadership.acquire()
        if not leading:
            self._drop_all()
            return 0
        started = time.perf_counter()
        now = self.clock()
        until = now + self.horizon
        timers: list[Timer] = []
        with self.db.read() as session:
            for name, planner in self._planners.items():
                try:
                    timers.extend(planner(session, now, until))
                except Exception:
                    log.exception("planner %s failed", name)
        for timer in timers:
            self._schedule(timer, now)
        level = logging.DEBUG if self._planned else logging.INFO
        self._planned = True
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.log(level, "planned %d timers in %.1f ms", len(timers), elapsed_ms)
        return len(self._aps.get_jobs())

    def _schedule(self, timer: Timer, now: datetime) -> None:
        with self._lock:
            if timer.key in self._running:
                return
        run_at = max(timer.due, now)
        existing = self._aps.get_job(timer.key)
        # An overdue job already waiting for a worker keeps its place: re-adding it on every
        # replan would only churn APScheduler (its action re-checks the database anyway).
        if existing is not None and (
            existing.next_run_time == run_at or (timer.due <= now and existing.next_run_time <= now)
        ):
            return
        self._aps.add_job(
            self._run,
            "date",
            run_date=run_at,
            args=[timer],
            id=timer.key,
            replace_existing=True,
        )

    def _leadership_changed(self, leading: bool, epoch: int | None) -> None:
        if leading:
            self.poke()  # plan at once
        elif self._aps.running:
            self._drop_all()

    def _run(self, timer: Timer) -> None:
        if not self.leadership.is_leader:
            return  # the lead was lost after this was planned: the new leader plans it
        with self._lock:
            if timer.key in self._running:
                return
            self._running.add(timer.key)
        try:
            now = self.clock()
            metrics.TIMER_LAG.observe(max(0.0, (now - timer.due).total_seconds()))
            timer.action(now)
        except Exception:
            log.exception("timer %s failed; it will be planned again", timer.key)
        finally:
            with self._lock:
                self._running.discard(timer.key)

    def _drop_all(self) -> None:
        for job in self._aps.get_jobs():
            job.remove()
