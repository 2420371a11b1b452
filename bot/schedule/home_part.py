"""The schedule's part of App Home: a person's next milestones, and a release's phase."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.home import HomePart, Viewer
from bot.core.blocks import Blocks
from bot.release.models import Release
from bot.schedule import render
from bot.schedule import service as schedule


def next_milestones(session: Session, viewer: Viewer, now: datetime) -> Blocks:
    """The person's next milestones in their own time (empty when none)."""
    upcoming = schedule.next_for(session, viewer.user_id, now, render.HOME_SHOWN)
    return render.home_lines([(u.milestone, u.release, u.owned) for u in upcoming], now)


def phase(session: Session, release_id: int, now: datetime) -> str | None:
    """The release's phase from its milestones (None when they say nothing)."""
    release = session.get(Release, release_id)
    return schedule.phase_of(session, release, now) if release is not None else None


PART = HomePart(order=50, coming_up=next_milestones, phase=phase)
