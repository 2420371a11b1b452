"""Go/no-go changes and what follows them: the poll message posted and refreshed, timers.

The handlers call one function here per command or click; each runs the service in a
session and then refreshes, announces or plans. `register(services)` adds the timers
(reminder, deadline close), the `/release status` section and the checklist guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import audit
from bot.core.blocks import Blocks
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.gonogo import render, votes
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
    actor: str,
    *,
    question: str,
    users: list[str],
    role_names: list[str],
    deadline: datetime | None,
    now: datetime,
) -> gonogo.Started:
    """Open the channel's poll (a lead or an admin); post it with `post_poll`."""
    with services.db.session() as s:
        started = gonogo.start_in_channel(
            s,
            channel_id,
            question=question,
            users=users,
            role_names=role_names,
            deadline=deadline,
            actor=actor,
            admins=services.settings.admins,
            now=now,
        )
    services.scheduler.poke()  # its reminder and deadline close are to plan
    return started


def close(services: Services, channel_id: str, actor: str) -> Poll:
    """Close the channel's open poll now (a lead or an admin); tell it with `announce`."""
    with services.db.session() as s:
        return gonogo.close_in_channel(
            s, channel_id, actor=actor, admins=services.settings.admins, now=services.now()
        )


def close_poll(services: Services, poll_id: int, actor: str) -> Poll:
    """Close this poll now (a lead or an admin); tell it with `announce`."""
    with services.db.session() as s:
        return gonogo.close_now(
            s, poll_id, actor=actor, admins=services.settings.admins, now=services.now()
        )


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
    """Store one vote (committed before this returns), refresh the poll, announce a close."""
    services = writer.services
    voted = writer.cast(poll_id, votes.ballot(user, choice, reason, channel_id))
    refresh(services, poll_id)
    if voted.closed:
        services.notifier.later(announce, services, poll_id)
    return voted


# --- the poll message ------------------------------------------------------------------------


def post_poll(services: Services, poll_id: int, text: str, blocks: Blocks) -> None:
    """Post the poll message and remember it; a vote that came first shows at the refresh."""
    with services.db.read() as s:
        poll = gonogo.get(s, poll_id)
    ts = services.notifier.post(poll.channel_id, text, blocks)
    if ts:
        with services.db.session() as s:
            gonogo.set_message(s, poll_id, ts)
        refresh(services, poll_id)


def _state(services: Services, poll_id: int) -> tuple[gonogo.Tally, ZoneInfo] | None:
    with services.db.read() as s:
        poll = s.get(Poll, poll_id)
        release = s.get(Release, poll.release_id) if poll else None
        if poll is None or release is None:
            return None
        return gonogo.tally(s, poll), ZoneInfo(release.zone)


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


# --- timers ----------------------------------------------------------------------------------


def remind(services: Services, poll_id: int, now: datetime) -> None:
    """Nudge the missing voters once, 15 minutes before the deadline."""
    with services.db.session() as s:
        claimed = claim_ping(s, poll_id, now)
        release = s.get(Release, claimed.poll.release_id) if claimed else None
    if claimed is None or release is None or not claimed.missing:
        return
    text, blocks = render.reminder(claimed, ZoneInfo(release.zone))
    poll = claimed.poll
    services.notifier.post(poll.channel_id, text, blocks, thread_ts=poll.message_ts, broadcast=True)


def expire(services: Services, poll_id: int, now: datetime) -> None:
    """Close the poll at its deadline, once, and announce the result."""
    with services.db.session() as s:
        closed = gonogo.close(s, poll_id, actor=audit.SYSTEM_ACTOR, now=now, why="deadline")
    if closed is not None:
        announce(services, poll_id)


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


def register(services: Services) -> None:
    """Add the poll timers, the status section and the `requires: gonogo` step guard."""
    services.add_step_guard(gonogo.require_go)
    services.scheduler.add_planner("gonogo", partial(planner, services))
    services.add_section("gonogo", 40, status_section)
