"""Go/no-go changes and what follows them: the messages they owe, and the timers.

The handlers call one function here per command or click; each runs the service in a
session and owes, in that same transaction, the messages that follow (the poll message,
its refresh, the result, the reminder: see `messages`). The front door (`bot.gonogo`)
gives Services the outbox hooks, the timers (reminder, deadline close), the `/release
status` section and the checklist guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.actor import SYSTEM, Actor
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.gonogo import messages, render, votes
from bot.gonogo import service as gonogo
from bot.gonogo.deadline import claim_ping, ping_due, with_deadline_before
from bot.gonogo.models import Poll
from bot.gonogo.votes import Voted
from bot.gonogo.writer import VoteWriter
from bot.release.models import Release

# --- commands and clicks ---------------------------------------------------------------------


def start(
    services: Services,
    channel_id: str,
    actor: Actor,
    *,
    question: str,
    users: list[str],
    role_names: list[str],
    deadline: datetime | None,
    now: datetime,
) -> gonogo.Started:
    """Open the channel's poll (a lead or an admin) and owe its message, in one transaction."""
    with services.db.session() as s:
        started = gonogo.start_in_channel(
            s,
            channel_id,
            question=question,
            users=users,
            role_names=role_names,
            deadline=deadline,
            actor=actor,
            now=now,
        )
        messages.owe_poll(services.outbox, s, started.tally.poll, now)
    services.scheduler.poke()  # its reminder and deadline close are to plan
    return started


def close(services: Services, channel_id: str, actor: Actor) -> Poll:
    """Close the channel's open poll now (a lead or an admin); the result is owed with it."""
    now = services.now()
    with services.db.session() as s:
        poll = gonogo.close_in_channel(s, channel_id, actor=actor, now=now)
        assert poll.id is not None
        messages.owe_result(services.outbox, s, poll.id, now)
        return poll


def close_poll(services: Services, poll_id: int, actor: Actor) -> Poll:
    """Close this poll now (a lead or an admin); the result is owed with it."""
    now = services.now()
    with services.db.session() as s:
        poll = gonogo.close_now(s, poll_id, actor=actor, now=now)
        messages.owe_result(services.outbox, s, poll_id, now)
        return poll


def votable(services: Services, poll_id: int, channel_id: str) -> Poll:
    """The poll, if a No-Go from this channel may be cast on it now (asked before the reason)."""
    with services.db.read() as s:
        return gonogo.votable(s, poll_id, channel_id)


def vote(
    writer: VoteWriter,
    poll_id: int,
    *,
    user: str,
    choice: str,
    reason: str | None = None,
    channel_id: str = "",
) -> Voted:
    """Store one vote; its batch's transaction also owes the refresh and any result."""
    return writer.cast(poll_id, votes.ballot(user, choice, reason, channel_id))


def tally_of(services: Services, poll_id: int) -> gonogo.Tally:
    """The poll's votes as stored now (for the *All votes* modal)."""
    with services.db.read() as s:
        return gonogo.tally(s, gonogo.get(s, poll_id))


# --- timers ----------------------------------------------------------------------------------


def remind(services: Services, poll_id: int, now: datetime) -> None:
    """Nudge every missing voter once, 15 minutes before the deadline."""
    with services.db.session() as s:
        claimed = claim_ping(s, poll_id, now)
        if claimed is not None and claimed.missing:
            messages.owe_reminder(services.outbox, s, claimed, now)


def expire(services: Services, poll_id: int, now: datetime) -> None:
    """Close the poll at its deadline, once, owing the result in the same transaction."""
    with services.db.session() as s:
        closed = gonogo.close(s, poll_id, actor=SYSTEM, now=now, why="deadline")
        if closed is not None:
            messages.owe_result(services.outbox, s, poll_id, now)


def planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> Iterator[Timer]:
    """The reminder and the deadline close of every open poll due before `until`."""
    for poll in with_deadline_before(session, until):
        assert poll.id is not None and poll.deadline is not None
        due = ping_due(poll)
        if due is not None and due <= until:
            yield Timer(f"gonogo:ping:{poll.id}", due, partial(remind, services, poll.id))
        if poll.deadline <= until:
            yield Timer(
                f"gonogo:close:{poll.id}", poll.deadline, partial(expire, services, poll.id)
            )


# --- registration ----------------------------------------------------------------------------


def status_section(session: Session, release: Release, now: datetime) -> Section:
    """`/release status`: the open poll with its tally and deadline, or the last result."""
    assert release.id is not None
    poll = gonogo.open_poll(session, release.id) or gonogo.last_poll(session, release.id)
    found = gonogo.tally(session, poll) if poll is not None else None
    return render.status_section(found, ZoneInfo(release.zone))
