"""Go/no-go votes and the poll message: Go and No-Go clicks, the reason modal, refreshes.

Votes use group commit: a burst of clicks is written in a few transactions.

Each click hands its ballot to one writer thread and waits until the transaction holding
it has committed, so a vote is stored before its click is acknowledged. While one batch
is being written the next clicks queue up and go together in the next transaction: per
vote that costs a row in two multi-row statements instead of a transaction of its own,
and on SQLite no writer sleeps in the busy handler waiting for the lock.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from functools import partial
from zoneinfo import ZoneInfo

from bot.core.blocks import modal_value
from bot.core.db import retry_transient
from bot.core.errors import DomainError
from bot.core.services import Services
from bot.gonogo import render
from bot.gonogo import service as polls
from bot.gonogo import votes as poll_votes
from bot.gonogo.votes import Ballot, Voted
from bot.release.models import Release
from handlers.interactions import Click, Submission

log = logging.getLogger(__name__)
MAX_BATCH = 500
IDLE_SECONDS = 5.0
WAIT_SECONDS = 10.0

Item = tuple[int, Ballot, "Future[Voted | DomainError]"]


class VoteWriter:
    """Writes queued ballots in batches on one thread, started on demand, gone when idle."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
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

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

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
        with self.services.db.session() as s:
            return poll_votes.vote_batch(s, poll_id, ballots, self.services.now())


def post_poll(services: Services, poll_id: int, text: str, blocks: render.Blocks) -> None:
    """Post the poll message and remember it; a vote that came first shows at the refresh."""
    with services.db.read() as s:
        poll = polls.get(s, poll_id)
    ts = services.notifier.post(poll.channel_id, text, blocks)
    if ts:
        with services.db.session() as s:
            polls.set_message(s, poll_id, ts)
        refresh(services, poll_id)


def _state(services: Services, poll_id: int) -> tuple[polls.Tally, ZoneInfo] | None:
    with services.db.read() as s:
        poll = s.get(polls.Poll, poll_id)
        release = s.get(Release, poll.release_id) if poll else None
        if poll is None or release is None:
            return None
        return polls.tally(s, poll), ZoneInfo(release.zone)


def refresh(services: Services, poll_id: int) -> None:
    """Bring the poll message up to the stored tally; bursts coalesce to one update a second."""

    def run() -> None:
        state = _state(services, poll_id)
        if state is None or not state[0].poll.message_ts:
            return
        poll = state[0].poll
        text, blocks = render.poll_message(*state)
        services.notifier.update(poll.channel_id, str(poll.message_ts), text, blocks)

    services.refresher.request(f"poll:{poll_id}", run)


def announce(services: Services, poll_id: int) -> None:
    """Tell the channel the result, in the poll's thread and in the channel."""
    refresh(services, poll_id)
    state = _state(services, poll_id)
    if state is None:
        return
    poll = state[0].poll
    text, blocks = render.announcement(*state)
    services.notifier.post(poll.channel_id, text, blocks, thread_ts=poll.message_ts, broadcast=True)


def poll_id_of(data: dict[str, object]) -> int:
    """The poll id a button or modal carries, or a refusal for anything else."""
    value = data.get("p")
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError("That button is not one of mine; nothing changed.")
    return value


def _cast(writer: VoteWriter, poll_id: int, ballot: Ballot) -> str | None:
    services = writer.services
    voted = writer.cast(poll_id, ballot)
    refresh(services, poll_id)
    if voted.closed:
        services.notifier.later(announce, services, poll_id)
    label = poll_votes.CHOICES[ballot.choice]
    if not voted.required:
        return f"Your {label} is recorded as advisory: you are not one of the required voters."
    if voted.before and voted.before != ballot.choice:
        return f"You changed your vote from {poll_votes.CHOICES[voted.before]} to {label}."
    return None


def click_go(writer: VoteWriter, click: Click) -> str | None:
    """Go: stored before the click is acknowledged."""
    poll_id = poll_id_of(click.data())
    return _cast(writer, poll_id, poll_votes.ballot(click.user_id, "go", None, click.channel_id))


def click_nogo(click: Click) -> str | None:
    """No-Go: ask for the reason first (the vote is stored when the modal is submitted)."""
    poll_id = poll_id_of(click.data())
    with click.services.db.read() as s:
        poll = polls.get(s, poll_id)
    if poll.state != "open":
        raise polls.refused(poll)
    if click.channel_id and poll.channel_id != click.channel_id:
        raise DomainError("That button belongs to a poll in another channel; nothing changed.")
    view = render.nogo_modal(poll_id, poll.channel_id, poll.question)
    click.client.views_open(trigger_id=click.trigger_id, view=view)
    return None


def submit_reason(writer: VoteWriter, sub: Submission) -> str | None:
    """The No-Go modal: the reason is required; the vote counts when stored."""
    meta = sub.metadata()
    poll_id, channel = poll_id_of(meta), str(meta.get("c", ""))
    reason = modal_value(sub.view, "reason", "text")
    return _cast(writer, poll_id, poll_votes.ballot(sub.user_id, "nogo", reason, channel))
