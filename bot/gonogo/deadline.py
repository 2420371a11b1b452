"""A poll's deadline: the reminder to missing voters 15 minutes before, and when both fall due.

The planner in `flows` asks which open polls fall due; each reminder is claimed once with a
guarded UPDATE, so replicas and replanning never send it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import audit
from bot.gonogo.models import Poll
from bot.gonogo.service import Tally, get, tally
from bot.release.models import Release

PING_BEFORE = timedelta(minutes=15)


def claim_ping(session: Session, poll_id: int, now: datetime) -> Tally | None:
    """Claim the reminder of an open poll once, before its deadline; None if not to send."""
    claim = (
        update(Poll)
        .where(
            col(Poll.id) == poll_id,
            col(Poll.state) == "open",
            col(Poll.pinged_at).is_(None),
            col(Poll.deadline) > now,
        )
        .values(pinged_at=now)
    )
    if session.execute(claim).rowcount == 0:  # type: ignore[attr-defined]
        return None
    found = tally(session, get(session, poll_id))
    audit.record(
        session,
        session.get(Release, found.poll.release_id),
        "poll.reminded",
        found.poll.question,
        detail="missing: " + (" ".join(found.missing) or "nobody"),
        actor=audit.SYSTEM_ACTOR,
        at=now,
    )
    return found


def ping_due(poll: Poll) -> datetime | None:
    """When the missing voters get their reminder; None when the poll is too short for one."""
    if poll.deadline is None or poll.pinged_at is not None:
        return None
    due = poll.deadline - PING_BEFORE
    return due if due > poll.created_at else None


def with_deadline_before(session: Session, until: datetime) -> list[Poll]:
    """Open polls whose reminder or deadline falls before `until` (overdue ones included)."""
    query = select(Poll).where(
        Poll.state == "open",
        col(Poll.deadline).is_not(None),
        col(Poll.deadline) <= until + PING_BEFORE,
    )
    return list(session.exec(query))
