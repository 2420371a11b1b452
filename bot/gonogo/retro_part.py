"""Go/no-go's part of the retrospective: when each required voter of each poll voted."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.asks.retro import RetroPart, VoteFigure
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.models import Release


def retro_part(session: Session, release: Release, until: datetime) -> RetroPart:
    """Every required voter of every poll of the release, polls numbered in the order opened."""
    polls = list(
        session.exec(
            select(Poll).where(Poll.release_id == release.id).order_by(col(Poll.created_at))
        )
    )
    ids = [p.id for p in polls if p.id is not None]
    if not ids:
        return RetroPart()
    voters: dict[int, list[str]] = {}
    for voter in session.exec(
        select(PollVoter)
        .where(col(PollVoter.poll_id).in_(ids))
        .order_by(col(PollVoter.poll_id), col(PollVoter.position))
    ):
        voters.setdefault(voter.poll_id, []).append(voter.user_id)
    votes = {
        (vote.poll_id, vote.user_id): vote
        for vote in session.exec(select(PollVote).where(col(PollVote.poll_id).in_(ids)))
    }
    found = []
    for number, poll in enumerate(polls, start=1):
        assert poll.id is not None
        for user in voters.get(poll.id, []):
            vote = votes.get((poll.id, user))
            found.append(
                VoteFigure(
                    poll=number,
                    question=poll.question,
                    opened_at=poll.created_at,
                    user_id=user,
                    choice=vote.choice if vote else None,
                    voted_at=vote.voted_at if vote else None,
                )
            )
    return RetroPart(votes=tuple(found))
