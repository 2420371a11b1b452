"""The vote writer: group commit, so a burst of clicks is written in a few transactions.

Each vote hands its ballot to one writer thread and waits until the transaction holding
it has committed, so a vote is stored before its click is acknowledged. While one batch
is being written the next votes queue up and go together in the next transaction: per
vote that costs a row in two multi-row statements instead of a transaction of its own,
and on SQLite no writer sleeps in the busy handler waiting for the lock. The same
transaction owes one refresh of the poll message per batch (and the result, when a vote
closed the poll), so a burst costs Slack at most one `chat.update` a second.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from functools import partial

from bot.core.db import retry_transient
from bot.core.errors import DomainError
from bot.core.services import Services
from bot.gonogo import messages, votes
from bot.gonogo.votes import Ballot, Voted

log = logging.getLogger(__name__)
MAX_BATCH = 500
IDLE_SECONDS = 5.0
WAIT_SECONDS = 10.0

Item = tuple[int, Ballot, "Future[Voted | DomainError]"]


class VoteWriter:
    """Writes queued ballots in batches on one thread, started on demand, gone when idle."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # None is queued by stop(): the thread ends once what was queued before it is written.
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def cast(self, poll_id: int, ballot: Ballot) -> Voted:
        """Queue a ballot and wait until it is committed; a refusal is raised."""
        done: Future[Voted | DomainError] = Future()
        self._queue.put((poll_id, ballot, done))
        self._ensure_thread()
        result = done.result(timeout=WAIT_SECONDS)
        if isinstance(result, DomainError):
            raise result
        return result

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="votes", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the writer thread once the ballots queued so far are written."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=WAIT_SECONDS)

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                first = None
            if first is None:  # idle, or stopped: the thread ends unless a ballot came meanwhile
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch, stopped = [first], False
            while len(batch) < MAX_BATCH and not stopped:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopped = True
                else:
                    batch.append(item)
            self._write(batch)
            if stopped:
                self._queue.put(None)

    def _write(self, batch: list[Item]) -> None:
        by_poll: dict[int, list[Item]] = {}
        for item in batch:
            by_poll.setdefault(item[0], []).append(item)
        for poll_id, items in by_poll.items():
            ballots = [ballot for _, ballot, _ in items]
            try:
                results = retry_transient(partial(self._commit, poll_id, ballots))
            except Exception as err:
                log.warning("writing %d votes on poll %s failed: %s", len(items), poll_id, err)
                for _, _, done in items:
                    done.set_exception(err)
                continue
            for (_, _, done), result in zip(items, results, strict=True):
                done.set_result(result)

    def _commit(self, poll_id: int, ballots: list[Ballot]) -> list[Voted | DomainError]:
        now = self.services.now()
        with self.services.db.session() as s:
            results = votes.vote_batch(s, poll_id, ballots, now)
            messages.owe_votes(self.services.outbox, s, poll_id, results, now)
            return results
