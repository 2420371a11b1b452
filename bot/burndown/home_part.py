"""The burndown's part of App Home: status updates a person owes, and their next meetings."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.burndown import render, status_updates
from bot.burndown import service as burndown
from bot.core.asks.home import HomePart, Viewer, Waiting
from bot.core.blocks import Blocks

MEETINGS_SHOWN = 5


def status_due(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    """Open status windows the person still owes, soonest meeting first."""
    return [
        Waiting(render.home_status_due(due), "status update", due.release.channel_id)
        for due in status_updates.status_due_for(session, viewer.user_id, now)
    ]


def next_meetings(session: Session, viewer: Viewer, now: datetime) -> Blocks:
    """The person's next meetings in the releases where they hold a role."""
    found = burndown.next_meetings_for(session, viewer.user_id, now, MEETINGS_SHOWN)
    return render.home_meetings(found)


PART = HomePart(order=40, waiting=status_due, coming_up=next_meetings)
