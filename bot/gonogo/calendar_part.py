"""Go/no-go's part of the release page: the open poll's counts (who voted stays in Slack)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.core.asks.calendar import PagePart, Tally
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.models import Release


def page_part(session: Session, release: Release, now: datetime, limit: int) -> PagePart:
    """The open poll's tally, or nothing when no poll is open."""
    poll = session.exec(
        select(Poll).where(Poll.release_id == release.id, Poll.state == "open")
    ).first()
    if poll is None:
        return PagePart()
    required = set(session.exec(select(PollVoter.user_id).where(PollVoter.poll_id == poll.id)))
    counts = {"go": 0, "nogo": 0, "advisory_go": 0, "advisory_nogo": 0}
    for user, choice in session.exec(
        select(PollVote.user_id, PollVote.choice).where(PollVote.poll_id == poll.id)
    ):
        if choice not in ("go", "nogo"):
            continue
        counts[choice if user in required else f"advisory_{choice}"] += 1
    tally = Tally(question=poll.question, deadline=poll.deadline, required=len(required), **counts)
    return PagePart(poll=tally)
