"""Clicks on checklist steps: done, failed, retry, skip, each refused with the reason or done once.

A click names the step, the state and the attempt its button was rendered for. It is checked
(who clicked, is the step still as shown, does its go/no-go or gates allow it) and then carried
out as one guarded UPDATE with a checked row count, so of racing clicks exactly one wins and
the others are told who did it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.checklist import rehearsal
from bot.checklist.advance import activation_values, as_seen, open_step, record, returned
from bot.checklist.board import (
    ACTIVE,
    DONE,
    FAILED,
    FINISHED,
    MAX_REASON,
    PENDING,
    RUNNING,
    SKIPPED,
    WAITING,
    Outcome,
    owners_of,
)
from bot.checklist.ids import StepRef
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.permissions import require_step_actor
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.guards import Hold, StepGuard
from bot.core.payloads import NotMine
from bot.core.text.escape import escape
from bot.core.text.timefmt import when
from bot.release.models import Release, RoleAssignment
from bot.release.service import LEAD


@dataclass(frozen=True)
class Action:
    """One kind of click: the states it starts from, where it goes, who may do it."""

    sources: tuple[str, ...]
    target: str
    verb: str
    lead_only: bool = False


ACTIONS = {
    "done": Action((ACTIVE,), DONE, "mark it done"),
    "fail": Action((ACTIVE,), FAILED, "mark it failed"),
    "retry": Action((FAILED,), ACTIVE, "retry it"),
    "skip": Action((ACTIVE, FAILED), SKIPPED, "skip a step", lead_only=True),
    # Checked only: pressing Run claims the step's job (`jobs.rules`), the job moves it.
    "run": Action((ACTIVE,), ACTIVE, "run its job"),
}


@dataclass(frozen=True)
class Loaded:
    """A clicked step with what is read to check it (and to open the step after it)."""

    release: Release
    checklist: Checklist
    step: ChecklistStep
    following: ChecklistStep | None
    holders: dict[str, list[str]]


def _load_query() -> Any:
    """Step, checklist, release, next step and role holders; one row per role assignment.

    Built once: aliasing the next step costs about a millisecond a time.
    """
    following = aliased(ChecklistStep)
    return (
        select(ChecklistStep, Checklist, Release, following)
        .add_columns(col(RoleAssignment.role), col(RoleAssignment.user_id))
        .join(Checklist, col(Checklist.id) == col(ChecklistStep.checklist_id))
        .join(Release, col(Release.id) == col(Checklist.release_id))
        .outerjoin(
            following,
            and_(
                col(following.checklist_id) == col(ChecklistStep.checklist_id),
                col(following.position) == col(ChecklistStep.position) + 1,
            ),
        )
        .outerjoin(RoleAssignment, col(RoleAssignment.release_id) == col(Release.id))
        .where(col(ChecklistStep.id) == bindparam("step_id"))
        .order_by(col(RoleAssignment.id))
        .execution_options(populate_existing=True)
    )


_LOAD = _load_query()


def _load(session: Session, step_id: int) -> Loaded:
    """The step, its checklist, its release, the step after it and the role holders."""
    rows = session.exec(_LOAD, params={"step_id": step_id}).all()
    if not rows:
        raise NotFound("That checklist step no longer exists; nothing changed.")
    holders: dict[str, list[str]] = {}
    for row in rows:
        if row[4] is not None:
            holders.setdefault(row[4], []).append(row[5])
    step, checklist, release, following = rows[0][:4]
    return Loaded(release, checklist, step, following, holders)


def _checked(
    session: Session,
    kind: Action,
    step_id: int,
    state: str,
    attempt: int,
    actor: Actor,
) -> Loaded:
    """The clicked step, loaded; refused unless it is as rendered and `actor` may act."""
    found = _load(session, step_id)
    release, checklist, step = found.release, found.checklist, found.step
    if state not in kind.sources:
        raise NotMine()
    _expect(session, release, step, state, attempt)
    if checklist.state != RUNNING:
        raise Conflict(f"This checklist is {checklist.state}; nothing changed.")
    require_step_actor(
        session,
        release,
        step,
        found.holders,
        actor=actor,
        verb=kind.verb,
        lead_only=kind.lead_only,
    )
    return found


def check(session: Session, action: str, ref: StepRef, actor: Actor) -> ChecklistStep:
    """The step, unless (with the reason) `actor` may not do `action` on it as it was rendered."""
    kind = ACTIONS[action]
    return _checked(session, kind, ref.step_id, ref.state, ref.attempt, actor).step


def transition(
    session: Session,
    *,
    action: str,
    step_id: int,
    state: str,
    attempt: int,
    actor: Actor,
    now: datetime,
    reason: str = "",
    guards: Sequence[StepGuard] = (),
) -> Outcome:
    """Carry out a click on a step: one guarded UPDATE, then open the next step if finished.

    Done asks every guard first (an open go/no-go, a red gate): a hold refuses it (`Held`).
    Owners and leads may act through a user group they are in now.
    """
    kind = ACTIONS[action]
    found = _checked(session, kind, step_id, state, attempt, actor)
    release, checklist, step = found.release, found.checklist, found.step
    reason = _reason(kind, reason)
    if kind.target == DONE and checklist.rehearsal:  # a simulated GO stands in for the poll
        rehearsal.simulated_go(step)
    elif kind.target == DONE:
        refuse_held(session, release, checklist, step, guards)
    stmt = (
        update(ChecklistStep)
        .where(as_seen(step_id, state, attempt))
        .values(**_values(kind, actor.user, reason, now))
        .returning(ChecklistStep)
    )
    # The audit rows wait for the commit, so both go out in one INSERT.
    with session.no_autoflush:
        if returned(session, stmt) is None:
            session.refresh(step)
            _expect(session, release, step, state, attempt)
            raise Conflict("The step changed meanwhile; nothing changed.")
        event = "step.retried" if action == "retry" else f"step.{kind.target}"
        record(
            session, release, actor.user, event, step.title, state, kind.target, now, reason or None
        )
        if kind.target == ACTIVE:  # reopened: its owners are up again
            up = owners_of(found.holders, step.owner)
            return Outcome(release, checklist, step, state, actor.user, step, up)
        if kind.target == FAILED:  # the owners and the leads are pulled in
            pulled = owners_of(found.holders, step.owner)
            leads = found.holders.get(LEAD, [])
            return Outcome(release, checklist, step, state, actor.user, owners=pulled, leads=leads)
        if kind.target not in FINISHED:
            return Outcome(release, checklist, step, state, actor.user)
        opened, owners, completed = open_step(
            session, release, checklist, found.following, found.holders, actor.user, now
        )
    return Outcome(release, checklist, step, state, actor.user, opened, owners, completed)


class Held(Conflict):
    """A step a guard holds back: the click is refused with the hold's reason.

    It carries the hold, and the step and checklist it held, so that whom the hold names
    can be asked in the checklist thread (`bot.checklist.holding`).
    """

    def __init__(self, checklist: Checklist, step: ChecklistStep, hold: Hold) -> None:
        super().__init__(hold.reason)
        self.checklist = checklist
        self.step = step
        self.hold = hold


def refuse_held(
    session: Session,
    release: Release,
    checklist: Checklist,
    step: ChecklistStep,
    guards: Sequence[StepGuard],
) -> None:
    """Raise `Held` with the first hold a guard puts on the step, asking them in order."""
    assert release.id is not None
    for guard in guards:
        hold = guard(session, release.id, step)
        if hold is not None:
            raise Held(checklist, step, hold)


SIMULATE = Action((ACTIVE,), ACTIVE, "simulate its go/no-go")


def simulate(
    session: Session,
    *,
    step_id: int,
    state: str,
    attempt: int,
    actor: Actor,
) -> Outcome | None:
    """*Simulate GO* on a rehearsal's step (its owners or a lead); None if it was already."""
    found = _checked(session, SIMULATE, step_id, state, attempt, actor)
    if not found.checklist.rehearsal:
        raise DomainError("Only a rehearsal simulates a go/no-go; ask the team with `/gonogo`.")
    if not rehearsal.simulate(session, found.step, attempt):
        return None
    return Outcome(found.release, found.checklist, found.step, ACTIVE, actor.user)


def _reason(kind: Action, reason: str) -> str:
    """The reason, trimmed; failing and skipping need one, of a sensible length."""
    reason = reason.strip()
    if kind.target in (FAILED, SKIPPED):
        if not reason:
            raise DomainError("Say why, so the team knows what happened.")
        if len(reason) > MAX_REASON:
            raise DomainError(
                f"The reason is {len(reason):,} characters; a reason can have at most "
                f"{MAX_REASON:,}. Shorten it; nothing changed."
            )
    return reason


def _values(kind: Action, actor: str, reason: str, now: datetime) -> dict[str, Any]:
    """The column values a step takes when `kind` is carried out."""
    values: dict[str, Any] = {"state": kind.target, "acted_by": actor}
    if kind.target in FINISHED:
        values["finished_at"] = now
    if kind.target in (FAILED, SKIPPED):
        values["reason"] = reason
    if kind.target == ACTIVE:
        values.update(activation_values(now, first=False))
    return values


def _expect(
    session: Session, release: Release, step: ChecklistStep, state: str, attempt: int
) -> None:
    """Raise Conflict saying what happened when the step is not as the button showed it."""
    title = f"*{escape(step.title)}*"
    by = f"<@{step.acted_by}>" if step.acted_by else "someone"
    if step.state == state and step.activations == attempt:
        return
    if step.state == DONE:
        raise Conflict(f"{title} was already marked done by {by}; nothing changed.")
    if step.state == SKIPPED:
        raise Conflict(f"{title} was already skipped by {by}; nothing changed.")
    if step.state == FAILED and state != FAILED:
        raise Conflict(f"{title} was marked failed by {by}; retry it first. Nothing changed.")
    if step.state == WAITING:
        assert step.not_before is not None
        opens = when(step.not_before, ZoneInfo(release.zone))
        raise Conflict(f"{title} opens at {opens}; nothing changed before then.")
    if step.state == PENDING:
        current = _current(session, step.checklist_id)
        first = f"step {current.position}, *{escape(current.title)}*" if current else "another"
        raise Conflict(f"{title} is not open yet: {first} comes first. Nothing changed.")
    if step.state == ACTIVE and state == FAILED:
        raise Conflict(f"{title} was already reopened by {by}; nothing changed.")
    raise Conflict(
        f"That button is from an earlier attempt at {title}; use the checklist as it is now. "
        "Nothing changed."
    )


def _current(session: Session, checklist_id: int) -> ChecklistStep | None:
    """The first unfinished step of the checklist."""
    query = (
        select(ChecklistStep)
        .where(
            ChecklistStep.checklist_id == checklist_id,
            col(ChecklistStep.state).not_in(FINISHED),
        )
        .order_by(col(ChecklistStep.position))
    )
    return session.exec(query).first()
