"""The poll's events for webhooks: a go/no-go poll opened or closed, with its tally."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.events import Event, PollData, release_info
from bot.gonogo import service as gonogo
from bot.release.models import Release


def of_poll(session: Session, poll_id: int, now: datetime) -> Event | None:
    """The poll's event as it now stands: opened, or closed with its outcome."""
    poll = gonogo.get(session, poll_id)
    release = session.get(Release, poll.release_id)
    if release is None or release.id is None:
        return None
    tally = gonogo.tally(session, poll)
    closed = poll.state != "open"
    data = PollData(
        release=release_info(release),
        poll=poll_id,
        question=poll.question,
        state=(poll.outcome or tally.outcome()).lower() if closed else "open",
        go=len(tally.go),
        nogo=len(tally.nogo),
        actor=(poll.closed_by if closed else poll.created_by) or "",
    )
    kind = "poll.closed" if closed else "poll.opened"
    return Event(kind, f"poll:{poll_id}:{kind}", release.id, data, now)
