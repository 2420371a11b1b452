"""The schedule's answer to what other features ask of milestones: marks and freezes."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.asks.milestones import Mark, Marks
from bot.release.models import Release
from bot.schedule.models import Milestone
from bot.schedule.service import CODE_FREEZE, DOCS_FREEZE, marked, milestones


def marks(session: Session, release: Release) -> Marks:
    """Every milestone of the release as a mark, soonest first, and its two freezes."""
    assert release.id is not None
    return Marks(
        every=tuple(Mark(m.at, m.name) for m in milestones(session, release.id)),
        code_freeze=_mark(marked(session, release, CODE_FREEZE)),
        docs_freeze=_mark(marked(session, release, DOCS_FREEZE)),
    )


def _mark(milestone: Milestone | None) -> Mark | None:
    return Mark(milestone.at, milestone.name) if milestone else None
