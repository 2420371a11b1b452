"""How a checklist moves on: opening its next step or completing it, one guarded UPDATE each.

Every write here names the state it expects (`WHERE id=? AND state=?`) and checks that it
changed exactly one row, so racing clicks and timers move the checklist once. Starting a
checklist, clicking a step and a timer opening a waiting step all go through this module,
and each change is recorded in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col

from bot.checklist.board import ACTIVE, COMPLETE, PENDING, RUNNING, WAITING, Owners, owners_of
from bot.checklist.models import Checklist, ChecklistStep
from bot.core import audit
from bot.core.errors import Conflict
from bot.release.models import Release
from bot.release.service import REHEARSAL


def as_seen(step_id: int | None, state: str, attempt: int) -> ColumnElement[bool]:
    """The WHERE of a guarded write: the step is still in `state`, on attempt `attempt`."""
    return and_(
        col(ChecklistStep.id) == step_id,
        col(ChecklistStep.state) == state,
        col(ChecklistStep.activations) == attempt,
    )


def activation_values(now: datetime, *, first: bool) -> dict[str, Any]:
    """The column values that make a step active (again): a new attempt, nudges reset."""
    values: dict[str, Any] = {
        "state": ACTIVE,
        "activations": col(ChecklistStep.activations) + 1,
        "activated_at": now,
        "nudged": 0,
        "nudge_due_at": None,
    }
    if first:
        values["started_at"] = now
    return values


def open_step(
    session: Session,
    release: Release,
    checklist: Checklist,
    step: ChecklistStep | None,
    holders: dict[str, list[str]],
    actor: str,
    now: datetime,
) -> tuple[ChecklistStep | None, Owners | None, bool]:
    """Open `step` with one guarded UPDATE (waiting if its time has not come); None completes."""
    if step is None:
        _complete(session, release, checklist, actor, now)
        return None, None, True
    # A rehearsal shows the step's time but does not wait for it.
    waits = step.not_before is not None and step.not_before > now and not checklist.rehearsal
    values = {"state": WAITING} if waits else activation_values(now, first=True)
    stmt = (
        update(ChecklistStep)
        .where(col(ChecklistStep.id) == step.id, col(ChecklistStep.state) == PENDING)
        .values(**values)
        .returning(ChecklistStep)
    )
    opened = returned(session, stmt)
    if opened is None:
        raise Conflict("The checklist moved on meanwhile; nothing changed.")
    event = "step.waiting" if waits else "step.activated"
    record(session, release, actor, event, opened.title, PENDING, opened.state, now)
    return opened, owners_of(holders, opened.owner), False


def _complete(
    session: Session, release: Release, checklist: Checklist, actor: str, now: datetime
) -> None:
    """Mark the running checklist complete: its last step just finished."""
    if not stop_running(session, checklist, COMPLETE, now):
        raise Conflict("The checklist was stopped meanwhile; nothing changed.")
    template = checklist.template
    record(session, release, actor, "checklist.completed", template, RUNNING, COMPLETE, now)


def stop_running(session: Session, checklist: Checklist, state: str, now: datetime) -> bool:
    """End a running checklist as `state` with one guarded UPDATE; False if it had ended.

    On success `checklist` holds the row as written.
    """
    stmt = (
        update(Checklist)
        .where(col(Checklist.id) == checklist.id, col(Checklist.state) == RUNNING)
        .values(state=state, finished_at=now)
        .returning(Checklist)
    )
    return returned(session, stmt) is not None


def returned(session: Session, stmt: Any) -> Any:
    """Run a guarded UPDATE ... RETURNING of one row; the refreshed object, or None if unchanged."""
    options = {"synchronize_session": False, "populate_existing": True}
    rows = session.execute(stmt, execution_options=options).scalars().all()
    return rows[0] if len(rows) == 1 else None


def changed_one(session: Session, stmt: Any) -> bool:
    """Run a guarded UPDATE; True when it changed exactly one row."""
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0)) == 1


def record(
    session: Session,
    release: Release,
    actor: str,
    action: str,
    subject: str,
    before: str | None,
    after: str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """One audit event of the checklist: who did what to which step or checklist, when.

    A rehearsal keeps no trail: it must not reach the audit of any release.
    """
    if release.state == REHEARSAL:
        return
    audit.record(
        session,
        release,
        action,
        subject,
        before=before,
        after=after,
        detail=detail,
        actor=actor,
        at=now,
    )
