"""What the clock does to checklists: open waiting steps, nudge overdue ones; and who is up.

Nudges climb the release's escalation ladder (`bot.release.escalation`): owners, backup, lead.

Timers are planned from the step rows (so they survive restarts) and each one claims its
work with a guarded UPDATE before anything is posted, so it acts once however often it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.checklist.advance import activation_values, as_seen, changed_one, record
from bot.checklist.board import ACTIVE, RUNNING, WAITING, Outcome, owners_of
from bot.checklist.models import Checklist, ChecklistStep
from bot.core import audit
from bot.core.errors import DomainError
from bot.release.escalation import AwayOf, Told, ZoneOf, escalation_ladder, next_rungs
from bot.release.groups import MembersOf, holds
from bot.release.models import Release
from bot.release.service import role_holders


def _live_steps(session: Session, state: str) -> list[tuple[ChecklistStep, Checklist, Release]]:
    """Steps in `state` of running checklists of active releases."""
    query = (
        select(ChecklistStep, Checklist, Release)
        .join(Checklist, col(Checklist.id) == col(ChecklistStep.checklist_id))
        .join(Release, col(Release.id) == col(Checklist.release_id))
        .where(
            ChecklistStep.state == state,
            Checklist.state == RUNNING,
            Release.state == "active",
        )
    )
    return [(step, checklist, release) for step, checklist, release in session.exec(query)]


def _in_running_checklist() -> Any:
    """A timer planned before the checklist stopped must not act on it."""
    running = select(Checklist.id).where(Checklist.state == RUNNING)
    return col(ChecklistStep.checklist_id).in_(running)


def waiting_due(session: Session, until: datetime) -> list[ChecklistStep]:
    """Waiting steps whose time comes before `until` (or has already come)."""
    return [
        step
        for step, _, _ in _live_steps(session, WAITING)
        if step.not_before is not None and step.not_before < until
    ]


def open_waiting(session: Session, step_id: int, now: datetime) -> Outcome | None:
    """Open a waiting step whose time has come; None when it is not (or no longer) waiting."""
    stmt = (
        update(ChecklistStep)
        .where(
            col(ChecklistStep.id) == step_id,
            col(ChecklistStep.state) == WAITING,
            col(ChecklistStep.not_before) <= now,
            _in_running_checklist(),
        )
        .values(**activation_values(now, first=True))
    )
    if not changed_one(session, stmt):
        return None
    step, checklist, release = _claimed(session, step_id)
    assert release.id is not None
    record(session, release, audit.SYSTEM_ACTOR, "step.activated", step.title, WAITING, ACTIVE, now)
    owners = owners_of(role_holders(session, release.id), step.owner)
    return Outcome(release, checklist, step, WAITING, audit.SYSTEM_ACTOR, step, owners)


def _claimed(session: Session, step_id: int) -> tuple[ChecklistStep, Checklist, Release]:
    """A step a timer just changed, read afresh, with its checklist and release."""
    step = session.get(ChecklistStep, step_id, populate_existing=True)
    assert step is not None
    checklist = session.get(Checklist, step.checklist_id)
    assert checklist is not None
    release = session.get(Release, checklist.release_id)
    assert release is not None
    return step, checklist, release


@dataclass(frozen=True)
class NudgeDue:
    """A nudge to plan: the step, the attempt it is for, the rung it starts at and when."""

    step_id: int
    attempt: int
    level: int
    due: datetime


def nudges_due(session: Session, until: datetime) -> list[NudgeDue]:
    """The next nudge of each active step with an expected duration, due before `until`.

    The first is due when the step has been open for its expected duration; the next ones
    when the rung told last said (`nudge_due_at`), until the ladder's end.
    """
    found: list[NudgeDue] = []
    for step, _, _ in _live_steps(session, ACTIVE):
        if not step.expected_seconds or step.activated_at is None or step.id is None:
            continue
        if step.nudged == 0:
            due = step.activated_at + timedelta(seconds=step.expected_seconds)
        elif step.nudge_due_at is not None:
            due = step.nudge_due_at
        else:
            continue  # every rung was told
        if due < until:
            found.append(NudgeDue(step.id, step.activations, step.nudged + 1, due))
    return found


def ladder_for(
    session: Session,
    due: NudgeDue,
    now: datetime,
    zone_of: ZoneOf,
    members_of: MembersOf | None = None,
    away_of: AwayOf | None = None,
) -> Told | None:
    """Who the due nudge tells: its rung, and at once the next while they are all asleep.

    None when the step moved on or the ladder has no rung left.
    """
    step = session.get(ChecklistStep, due.step_id, populate_existing=True)
    if step is None or step.state != ACTIVE or step.activations != due.attempt:
        return None
    checklist = session.get(Checklist, step.checklist_id)
    release = session.get(Release, checklist.release_id) if checklist else None
    if release is None or step.expected_seconds is None:
        return None
    wait = timedelta(seconds=step.expected_seconds)
    ladder = escalation_ladder(
        session,
        release,
        step.owner,
        now,
        zone_of,
        default_wait=wait,
        members_of=members_of,
        away_of=away_of,
    )
    if due.level > len(ladder):
        return None
    return next_rungs(ladder, due.level - 1)


@dataclass(frozen=True)
class Nudge:
    """A nudge that was claimed and is now owed (its text is written when it is sent)."""

    checklist: Checklist
    step: ChecklistStep
    level: int
    told: Told


def nudge(session: Session, due: NudgeDue, told: Told, now: datetime) -> Nudge | None:
    """Claim one nudge of an active step; None when it was sent or the step moved on.

    The step remembers how many rungs were told and when the next one is due.
    """
    wait = told.wait
    stmt = (
        update(ChecklistStep)
        .where(
            as_seen(due.step_id, ACTIVE, due.attempt),
            col(ChecklistStep.nudged) == due.level - 1,
            _in_running_checklist(),
        )
        .values(
            nudged=due.level - 1 + len(told.rungs),
            nudge_due_at=now + wait if wait is not None else None,
        )
    )
    if not changed_one(session, stmt):
        return None
    step, checklist, release = _claimed(session, due.step_id)
    who = ", ".join(rung.label for rung in told.rungs)
    record(session, release, audit.SYSTEM_ACTOR, "step.nudged", step.title, None, who, now)
    return Nudge(checklist, step, due.level, told)


def _owns(user_id: str, owners: list[str], members_of: MembersOf | None) -> bool:
    """True when the person owns the step; a group whose members Slack cannot say owns nothing."""
    try:
        return holds(user_id, owners, members_of)
    except DomainError:
        return user_id in owners


@dataclass(frozen=True)
class ActiveStep:
    """An active step that waits on someone, for their App Home."""

    release_id: int
    release_name: str
    channel_id: str
    checklist_id: int
    message_ts: str | None
    step_id: int
    position: int
    title: str
    role: str
    activated_at: datetime | None


def active_steps_for(
    session: Session, user_id: str, members_of: MembersOf | None = None
) -> list[ActiveStep]:
    """The active steps `user_id` owns, through their role or as the lead of an empty role.

    A role held by a user group counts for its members when `members_of` can say who they are.
    """
    found: list[ActiveStep] = []
    holders_by_release: dict[int, dict[str, list[str]]] = {}
    for step, checklist, release in _live_steps(session, ACTIVE):
        assert release.id is not None and checklist.id is not None and step.id is not None
        if release.id not in holders_by_release:
            holders_by_release[release.id] = role_holders(session, release.id)
        owners = owners_of(holders_by_release[release.id], step.owner).users
        if not _owns(user_id, owners, members_of):
            continue
        found.append(
            ActiveStep(
                release_id=release.id,
                release_name=release.name,
                channel_id=release.channel_id,
                checklist_id=checklist.id,
                message_ts=checklist.message_ts,
                step_id=step.id,
                position=step.position,
                title=step.title,
                role=step.owner,
                activated_at=step.activated_at,
            )
        )
    return found
