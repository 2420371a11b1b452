"""The gate checks' own workers: a few threads, apart from everything that posts or plans.

A check may wait on a slow or hanging CI server for the whole gate timeout, so checks never
run on the scheduler's or the notifier's threads: the timers and `/gate check` only hand
them here. At most `workers` checks run at once, the rest wait their turn; a check asked
for a gate whose check is already waiting or running joins that one (the same answer for
everyone who asked) instead of sending the CI server another request. The threads are
started on demand and end when idle, so an idle bot holds none; `stop()` ends them at once,
once the checks already asked for are done.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKERS = 8
IDLE_SECONDS = 5.0
STOP_SECONDS = 30.0


class CheckPool(Generic[T]):
    """Runs at most `workers` checks at a time, one per gate; a repeated ask joins the first."""

    def __init__(self, workers: int = WORKERS, idle_seconds: float = IDLE_SECONDS) -> None:
        self.workers = max(1, workers)
        self.idle_seconds = idle_seconds
        self._cv = threading.Condition()
        self._waiting: deque[tuple[int, Callable[[], T], Future[T]]] = deque()
        self._by_gate: dict[int, Future[T]] = {}
        self._threads = 0
        self._idle = 0
        self._stopping = False

    def submit(self, gate_id: int, check: Callable[[], T]) -> tuple[Future[T], bool]:
        """Queue the gate's check; (its future, True) when one was already waiting or running."""
        with self._cv:
            found = self._by_gate.get(gate_id)
            if found is not None:
                return found, True
            future: Future[T] = Future()
            self._by_gate[gate_id] = future
            self._waiting.append((gate_id, check, future))
            if len(self._waiting) > self._idle and self._threads < self.workers:
                self._threads += 1
                name = f"gate-check-{self._threads}"
                threading.Thread(target=self._work, name=name, daemon=True).start()
            else:
                self._cv.notify()
        return future, False

    def busy(self, gate_id: int) -> bool:
        """True while a check of the gate is waiting or running."""
        with self._cv:
            return gate_id in self._by_gate

    def in_flight(self) -> int:
        """How many checks are waiting or running."""
        with self._cv:
            return len(self._by_gate)

    def threads(self) -> int:
        """How many worker threads are alive (none once idle for a while)."""
        with self._cv:
            return self._threads

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """End the worker threads once the checks waiting or running are done (or `timeout`)."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
            self._cv.wait_for(lambda: self._threads == 0, timeout)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._waiting:
                    if not self._stopping:
                        self._idle += 1
                        woken = self._cv.wait(self.idle_seconds)
                        self._idle -= 1
                        if woken or self._waiting:
                            continue
                    self._threads -= 1  # idle too long, or stopping: this worker ends
                    self._cv.notify_all()  # stop() may be waiting for the last one
                    return
                gate_id, check, future = self._waiting.popleft()
            if not future.set_running_or_notify_cancel():
                self._forget(gate_id, future)
                continue
            try:
                result = check()
            except Exception as err:  # the future carries it to whoever waits
                log.exception("a gate check failed unexpectedly")
                self._forget(gate_id, future)
                future.set_exception(err)
            else:
                self._forget(gate_id, future)  # before the waiters hear: a new ask starts anew
                future.set_result(result)

    def _forget(self, gate_id: int, future: Future[T]) -> None:
        with self._cv:
            if self._by_gate.get(gate_id) is future:
                del self._by_gate[gate_id]
