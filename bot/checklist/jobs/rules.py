"""The rules of a step's job: who may press Run, the claim, and how a run moves the step.

The claim row (`ChecklistJob`, one per attempt at a step) is written and committed before
anything is sent, so Run pressed twice, or on two replicas, sends once: the second press
finds the claim and is told who started it. Every later move of a job is one guarded UPDATE
naming the state it expects, so a dispatch answer, the leader's lookup and a person's click
that race each other move it once. No function here speaks HTTP or Slack.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checklist import steps
from bot.checklist.advance import as_seen, open_step, record, returned
from bot.checklist.board import ACTIVE, DONE, FAILED, RUNNING, Outcome, owners_of
from bot.checklist.ids import StepRef
from bot.checklist.jobs.spec import WEBHOOK, RunSpec, fields_of, filled
from bot.checklist.models import Checklist, ChecklistJob, ChecklistStep
from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError
from bot.core.guards import StepGuard
from bot.core.text.escape import escape
from bot.release.models import Release
from bot.release.service import LEAD, role_holders

SENDING, GOING, UNKNOWN, SUCCEEDED, FAILED_RUN = (
    "sending",
    "running",
    "unknown",
    "success",
    "failed",
)
OPEN_STATES = (SENDING, GOING)
SIMULATED_OUTCOMES = ("success", "failure")


@dataclass(frozen=True)
class Job:
    """A job with the step, checklist and release it belongs to, and what it runs."""

    job: ChecklistJob
    step: ChecklistStep
    checklist: Checklist
    release: Release
    spec: RunSpec


def claim(
    session: Session,
    ref: StepRef,
    *,
    actor: Actor,
    now: datetime,
    first_check: timedelta,
    guards: Sequence[StepGuard] = (),
    simulated: str | None = None,
) -> Job:
    """Claim the run of `ref`'s step for `actor` (its owners or a lead), once per attempt.

    A rehearsal's claim is `simulated` (success unless the press asked for a failure) and
    sends nothing. The gates and go/no-go that would hold Done back hold Run back too.
    """
    step = steps.check(session, "run", ref, actor)
    checklist, release = _owners_of_step(session, step)
    if not step.run:
        raise DomainError(f"*{escape(step.title)}* runs no job; mark it Done when it is.")
    spec = RunSpec.loads(step.run)
    if simulated is not None and not checklist.rehearsal:
        raise DomainError("Only a rehearsal simulates a run; press *Run* to start the job.")
    if checklist.rehearsal:
        simulated = simulated if simulated in SIMULATED_OUTCOMES else "success"
    else:
        steps.refuse_held(session, release, checklist, step, guards)
    job = _insert(session, step, spec, release, actor.user, now, first_check, simulated)
    what = f"simulated: {simulated}" if simulated else spec.what()
    record(session, release, actor.user, "step.run", step.title, ACTIVE, ACTIVE, now, what)
    return Job(job, step, checklist, release, spec)


def _insert(
    session: Session,
    step: ChecklistStep,
    spec: RunSpec,
    release: Release,
    actor: str,
    now: datetime,
    first_check: timedelta,
    simulated: str | None,
) -> ChecklistJob:
    """The claim row; Conflict naming who pressed Run first when there is one already."""
    assert step.id is not None
    correlation = uuid.uuid4().hex
    inputs = filled(spec.inputs, fields_of(release.name, release.zone, release.release_at))
    if spec.correlation:
        inputs[spec.correlation] = correlation
    job = ChecklistJob(
        step_id=step.id,
        attempt=step.activations,
        kind=spec.kind,
        # A webhook's event is owed in this very transaction: it needs no lookup.
        state=GOING if simulated or spec.kind == WEBHOOK else SENDING,
        simulated=simulated,
        started_by=actor,
        claimed_at=now,
        correlation=correlation,
        inputs=json.dumps(inputs, sort_keys=True),
        next_check_at=now
        + (spec.timeout if spec.kind == WEBHOOK and not simulated else first_check),
        deadline_at=now + spec.timeout,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        first = session.exec(
            select(ChecklistJob).where(
                ChecklistJob.step_id == step.id, ChecklistJob.attempt == step.activations
            )
        ).first()
        by = f"<@{first.started_by}>" if first is not None else "someone"
        raise Conflict(
            f"{by} already pressed Run on *{escape(step.title)}*; it runs once."
        ) from None
    return job


def _owners_of_step(session: Session, step: ChecklistStep) -> tuple[Checklist, Release]:
    checklist = session.get(Checklist, step.checklist_id)
    assert checklist is not None
    release = session.get(Release, checklist.release_id)
    assert release is not None
    return checklist, release


def load(session: Session, job_id: int) -> Job | None:
    """A job with its step, checklist and release, read afresh; None if it is gone."""
    job = session.get(ChecklistJob, job_id, populate_existing=True)
    if job is None:
        return None
    step = session.get(ChecklistStep, job.step_id, populate_existing=True)
    assert step is not None and step.run is not None
    checklist, release = _owners_of_step(session, step)
    return Job(job, step, checklist, release, RunSpec.loads(step.run))


def live(found: Job) -> bool:
    """True while the job still decides its step: the attempt it ran for is open."""
    step = found.step
    return (
        step.state == ACTIVE
        and step.activations == found.job.attempt
        and found.checklist.state == RUNNING
    )


def moved(session: Session, job_id: int, expected: Sequence[str], **values: Any) -> bool:
    """One guarded UPDATE of a job from one of the `expected` states; True if it changed."""
    stmt = (
        update(ChecklistJob)
        .where(col(ChecklistJob.id) == job_id, col(ChecklistJob.state).in_(expected))
        .values(**values)
        .returning(ChecklistJob)
    )
    return returned(session, stmt) is not None


def due(session: Session, until: datetime) -> list[ChecklistJob]:
    """Jobs still deciding their step whose next look (or deadline) comes before `until`."""
    query = (
        select(ChecklistJob)
        .join(ChecklistStep, col(ChecklistStep.id) == col(ChecklistJob.step_id))
        .join(Checklist, col(Checklist.id) == col(ChecklistStep.checklist_id))
        .where(
            col(ChecklistJob.state).in_(OPEN_STATES),
            col(ChecklistStep.state) == ACTIVE,
            col(ChecklistStep.activations) == col(ChecklistJob.attempt),
            col(Checklist.state) == RUNNING,
            col(ChecklistJob.next_check_at) < until,
        )
    )
    return list(session.exec(query))


def conclude(session: Session, found: Job, ok: bool, reason: str, now: datetime) -> Outcome | None:
    """The job decided its step: done (and the next one opens) or failed; None if it moved on.

    The step is marked by the job for the person who started it; a failure pulls in the
    owners and the lead as any failed step does.
    """
    job, step, release, checklist = found.job, found.step, found.release, found.checklist
    target = DONE if ok else FAILED
    values: dict[str, Any] = {"state": target, "acted_by": job.started_by, "finished_at": now}
    if not ok:
        values["reason"] = reason
    stmt = (
        update(ChecklistStep)
        .where(as_seen(step.id, ACTIVE, job.attempt))
        .values(**values)
        .returning(ChecklistStep)
    )
    with session.no_autoflush:
        if returned(session, stmt) is None:
            return None
        detail = f"by the job ({reason}), started by {job.started_by}"
        record(
            session,
            release,
            audit.SYSTEM_ACTOR,
            f"step.{target}",
            step.title,
            ACTIVE,
            target,
            now,
            detail,
        )
        holders = role_holders(session, release.id or 0)
        if not ok:
            owners = owners_of(holders, step.owner)
            leads = holders.get(LEAD, [])
            return Outcome(
                release, checklist, step, ACTIVE, job.started_by, owners=owners, leads=leads
            )
        following = session.exec(
            select(ChecklistStep).where(
                ChecklistStep.checklist_id == step.checklist_id,
                ChecklistStep.position == step.position + 1,
            )
        ).first()
        opened, up, completed = open_step(
            session, release, checklist, following, holders, audit.SYSTEM_ACTOR, now
        )
    return Outcome(release, checklist, step, ACTIVE, job.started_by, opened, up, completed)
