"""The checklist's part of the release page: the running (else latest) checklist, its steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.checklist.board import FINISHED
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.asks.calendar import ChecklistView, PagePart, StepRow
from bot.release.models import Release


def page_part(session: Session, release: Release, now: datetime, limit: int) -> PagePart:
    """The release's running checklist, else its latest one; nothing before the first."""
    query = (
        select(Checklist)
        .where(Checklist.release_id == release.id)
        .order_by(col(Checklist.state) != "running", col(Checklist.id).desc())
    )
    checklist = session.exec(query).first()
    if checklist is None:
        return PagePart()
    steps = _steps(session, checklist.id) if checklist.id else ()
    return PagePart(checklist=ChecklistView(checklist.template, checklist.state, steps))


def _steps(session: Session, checklist_id: int) -> tuple[StepRow, ...]:
    query = (
        select(ChecklistStep)
        .where(ChecklistStep.checklist_id == checklist_id)
        .order_by(col(ChecklistStep.position))
    )
    return tuple(
        StepRow(
            position=step.position,
            title=step.title,
            owner=step.owner,
            state=step.state,
            finished=step.state in FINISHED,
            started_at=step.started_at,
            activated_at=step.activated_at,
            finished_at=step.finished_at,
            not_before=step.not_before,
            expected=timedelta(seconds=step.expected_seconds) if step.expected_seconds else None,
        )
        for step in session.exec(query)
    )
