"""The checklist's part of the retrospective: each step's expected against actual duration."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.checklist.models import Checklist, ChecklistStep
from bot.core.asks.retro import RetroPart, StepFigure
from bot.release.models import Release


def retro_part(session: Session, release: Release, until: datetime) -> RetroPart:
    """The steps of every checklist the release ran, in order."""
    query = (
        select(Checklist.template, ChecklistStep)
        .join(ChecklistStep, col(ChecklistStep.checklist_id) == Checklist.id)
        .where(Checklist.release_id == release.id)
        .order_by(col(Checklist.id), col(ChecklistStep.position))
    )
    return RetroPart(steps=tuple(_figure(template, step) for template, step in session.exec(query)))


def _figure(template: str, step: ChecklistStep) -> StepFigure:
    began = step.started_at or step.activated_at
    took = step.finished_at - began if began and step.finished_at else None
    return StepFigure(
        checklist=template,
        position=step.position,
        title=step.title,
        owner=step.owner,
        state=step.state,
        expected=timedelta(seconds=step.expected_seconds) if step.expected_seconds else None,
        actual=took if step.state == "done" else None,
        activations=step.activations,
    )
