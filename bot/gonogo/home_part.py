"""Go/no-go's part of App Home: the polls missing a person's vote, and who votes at all."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.home import HomePart, Viewer, Waiting
from bot.gonogo import render
from bot.gonogo import service as gonogo
from bot.release.models import Release


def missing_votes(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    """Open polls still missing the person's required vote, with the Go and No-Go buttons."""
    groups = gonogo.voting_groups_for(session, viewer.user_id)
    found = []
    for poll in gonogo.missing_votes_for(session, viewer.user_id):
        release = session.get(Release, poll.release_id)
        if release is not None:
            blocks = render.home_vote(poll, release, groups.get(poll.id or 0))
            found.append(Waiting(blocks, "vote", release.channel_id))
    return found


PART = HomePart(order=30, waiting=missing_votes, involved=gonogo.voters_in)
