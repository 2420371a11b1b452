"""The schedule's part of the retrospective: each milestone's first instant and its current one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.retro import MilestoneFigure, RetroPart
from bot.release.models import Release
from bot.schedule.service import milestones


def retro_part(session: Session, release: Release, until: datetime) -> RetroPart:
    """The release's milestones, soonest first, planned against actual."""
    assert release.id is not None
    return RetroPart(
        milestones=tuple(
            MilestoneFigure(m.name, m.planned_at, m.at) for m in milestones(session, release.id)
        )
    )
