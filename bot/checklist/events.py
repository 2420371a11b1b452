"""The checklist's events for webhooks: a step became active, done, failed or skipped."""

from __future__ import annotations

from datetime import datetime

from bot.checklist.board import ACTIVE, DONE, FAILED, SKIPPED, Outcome
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.events import Event, StepData, release_info
from bot.release.models import Release
from bot.release.service import REHEARSAL

TYPES = {ACTIVE: "step.active", DONE: "step.done", FAILED: "step.failed", SKIPPED: "step.skipped"}


def of_step(
    release: Release,
    checklist: Checklist,
    step: ChecklistStep,
    before: str,
    actor: str,
    now: datetime,
) -> Event | None:
    """The event of a step that just changed state (None for a rehearsal or a waiting step)."""
    kind = TYPES.get(step.state)
    if kind is None or release.state == REHEARSAL or release.id is None:
        return None
    data = StepData(
        release=release_info(release),
        checklist=checklist.template,
        position=step.position,
        title=step.title,
        state=step.state,
        before=before,
        owner=step.owner,
        actor=actor,
        reason=step.reason or "" if step.state in (FAILED, SKIPPED) else "",
    )
    key = f"step:{step.id}:{step.activations}:{step.state}"
    return Event(kind, key, release.id, data, now)


def of_outcome(outcome: Outcome, now: datetime) -> list[Event]:
    """The events of a transition: the step that moved, then the one it opened."""
    found = [
        of_step(
            outcome.release, outcome.checklist, outcome.step, outcome.before, outcome.actor, now
        )
    ]
    opened = outcome.opened
    if opened is not None and opened.id != outcome.step.id:
        found.append(
            of_step(outcome.release, outcome.checklist, opened, "pending", outcome.actor, now)
        )
    return [event for event in found if event is not None]
