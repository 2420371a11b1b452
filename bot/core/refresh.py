"""Coalesced message refreshes: at most one per interval per message, always the latest state."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Refresher:
    """Runs a render-and-update function for a key, coalescing bursts of requests.

    The function reads the database when it runs, so the last run after a burst shows the
    final state; requests during a run or within `interval` of the last one fold into one.
    """

    def __init__(self, interval: float = 1.0, workers: int = 8) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._due: dict[str, float] = {}
        self._fns: dict[str, Callable[[], None]] = {}
        self._running: set[str] = set()
        self._dirty: set[str] = set()
        self._heap: list[tuple[float, str]] = []
        self._cv = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh")
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="refresher", daemon=True)
        self._thread.start()

    def request(self, key: str, fn: Callable[[], None]) -> None:
        """Ask for `fn` to run soon for `key`; folds into a pending or running refresh."""
        with self._cv:
            self._fns[key] = fn
            if key in self._running:
                self._dirty.add(key)
                return
            if key in self._due:
                return
            self._enqueue(key)

    def _enqueue(self, key: str) -> None:
        at = max(time.monotonic(), self._last.get(key, 0.0) + self.interval)
        self._due[key] = at
        heapq.heappush(self._heap, (at, key))
        self._cv.notify()

    def _loop(self) -> None:
        with self._cv:
            while not self._stopped:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    _, key = heapq.heappop(self._heap)
                    if self._due.pop(key, None) is None:
                        continue
                    self._running.add(key)
                    self._last[key] = now
                    self._pool.submit(self._run, key, self._fns[key])
                    continue
                timeout = self._heap[0][0] - now if self._heap else None
                self._cv.wait(timeout=timeout)

    def _run(self, key: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("refreshing %s failed", key)
        finally:
            with self._cv:
                # Space the next run from this one's end, so Slack sees them >= interval apart.
                self._last[key] = time.monotonic()
                self._running.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self._enqueue(key)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until nothing is pending or running (for shutdown and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cv:
                if not self._due and not self._running:
                    return
            time.sleep(0.02)

    def stop(self) -> None:
        """Finish pending refreshes and stop."""
        self.flush()
        with self._cv:
            self._stopped = True
            self._cv.notify()
        self._pool.shutdown(wait=True)
