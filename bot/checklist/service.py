"""Release-day checklists as a whole: start one from a template, cancel it, read it to show it.

Starting and cancelling are for a lead. A started checklist copies its template's steps
(with `not_before` turned into an instant on release day) and opens its first step in the
same transaction; clicks on steps are in `steps`, what the clock does in `timers`.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.checklist.advance import open_step, record, stop_running
from bot.checklist.board import CANCELLED, PENDING, RUNNING, Board, Outcome, owners_of
from bot.checklist.models import Checklist, ChecklistJob, ChecklistStep
from bot.checklist.templates import Template
from bot.core.actor import Actor
from bot.core.errors import Conflict, NotFound
from bot.core.models import insert_once
from bot.core.text.timeparse import localize
from bot.release.models import Release
from bot.release.service import LEAD, active_release, require_lead, role_holders


def board(session: Session, checklist_id: int) -> Board:
    """A checklist, its release, its steps in order and their current owners."""
    checklist = session.get(Checklist, checklist_id, populate_existing=True)
    if checklist is None:
        raise NotFound("That checklist no longer exists.")
    release = session.get(Release, checklist.release_id)
    assert release is not None and release.id is not None
    holders = role_holders(session, release.id)
    steps = _steps(session, checklist_id)
    owners = {s.id: owners_of(holders, s.owner) for s in steps if s.id is not None}
    board = Board(release, checklist, steps, owners, list(holders.get(LEAD, [])))
    board.jobs = jobs_of(session, [s.id for s in steps if s.run and s.id is not None])
    return board


def jobs_of(session: Session, step_ids: list[int]) -> dict[int, ChecklistJob]:
    """The latest job of each of these steps (by attempt)."""
    if not step_ids:
        return {}
    query = (
        select(ChecklistJob)
        .where(col(ChecklistJob.step_id).in_(step_ids))
        .order_by(col(ChecklistJob.attempt))
    )
    return {job.step_id: job for job in session.exec(query)}


def _steps(session: Session, checklist_id: int) -> list[ChecklistStep]:
    query = (
        select(ChecklistStep)
        .where(ChecklistStep.checklist_id == checklist_id)
        .order_by(col(ChecklistStep.position))
    )
    return list(session.exec(query))


def running(session: Session, release_id: int) -> Checklist | None:
    """The release's running checklist, or None."""
    query = select(Checklist).where(Checklist.release_id == release_id, Checklist.state == RUNNING)
    return session.exec(query).first()


def latest(session: Session, release_id: int) -> Checklist | None:
    """The release's most recent checklist, running or not."""
    query = (
        select(Checklist)
        .where(Checklist.release_id == release_id)
        .order_by(col(Checklist.id).desc())
    )
    return session.exec(query).first()


def latest_board(session: Session, release: Release) -> Board | None:
    """The board of the release's most recent checklist, or None before the first one."""
    assert release.id is not None
    checklist = latest(session, release.id)
    if checklist is None or checklist.id is None:
        return None
    return board(session, checklist.id)


def channel_board(session: Session, channel_id: str) -> Board:
    """The board of the channel's release's checklist; NotFound says how to start one."""
    found = latest_board(session, active_release(session, channel_id))
    if found is None:
        raise NotFound(
            "No checklist has been started for this release yet. "
            "A lead starts one with `/checklist start [TEMPLATE]`."
        )
    return found


def start(
    session: Session,
    release: Release,
    template: Template,
    *,
    actor: Actor,
    now: datetime,
    rehearsal: bool = False,
) -> Outcome:
    """Start the release's checklist from a template (lead only); its first step opens.

    A `rehearsal` runs for a stand-in release (`rehearsal_release`), never the real one.
    """
    assert release.id is not None
    require_lead(session, release, actor, "start the release-day checklist")
    if running(session, release.id) is not None:
        raise Conflict(
            "A checklist is already running for this release. See it with `/checklist status`, "
            "or stop it with `/checklist cancel` before starting another."
        )
    checklist = Checklist(
        release_id=release.id,
        channel_id=release.channel_id,
        template=template.name,
        description=template.description[:300],
        started_by=actor.user,
        started_at=now,
        rehearsal=rehearsal,
    )
    insert_once(session, checklist, "Someone else just started this release's checklist.")
    rows = _step_rows(release, checklist, template, now)
    session.add_all(rows)
    session.flush()
    record(session, release, actor.user, "checklist.started", template.name, None, RUNNING, now)
    holders = role_holders(session, release.id)
    opened, owners, completed = open_step(
        session, release, checklist, rows[0] if rows else None, holders, actor.user, now
    )
    first = opened or rows[0]
    return Outcome(release, checklist, first, PENDING, actor.user, opened, owners, completed)


def _step_rows(
    release: Release, checklist: Checklist, template: Template, now: datetime
) -> list[ChecklistStep]:
    """The template's steps as rows, their `not_before` placed on release day (or today)."""
    assert checklist.id is not None
    zone = ZoneInfo(release.zone)
    day = (release.release_at or now).astimezone(zone).date()
    rows: list[ChecklistStep] = []
    for position, spec in enumerate(template.steps, start=1):
        not_before = None
        if spec.not_before is not None:
            not_before = localize(day, spec.not_before, ZoneInfo(spec.not_before_zone or zone.key))
        rows.append(
            ChecklistStep(
                checklist_id=checklist.id,
                position=position,
                title=spec.title,
                owner=spec.owner,
                not_before=not_before,
                expected_seconds=int(spec.expected.total_seconds()) if spec.expected else None,
                gates=",".join(spec.gates),
                requires=spec.requires,
                run=spec.run.dumps() if spec.run is not None else None,
            )
        )
    return rows


def cancel(
    session: Session,
    release: Release,
    *,
    actor: Actor,
    now: datetime,
) -> Checklist:
    """Stop the release's running checklist (lead only)."""
    assert release.id is not None
    require_lead(session, release, actor, "cancel the checklist")
    checklist = running(session, release.id)
    if checklist is None:
        raise NotFound("No checklist is running for this release.")
    if not stop_running(session, checklist, CANCELLED, now):
        raise Conflict("The checklist was stopped a moment ago.")
    record(
        session,
        release,
        actor.user,
        "checklist.cancelled",
        checklist.template,
        RUNNING,
        CANCELLED,
        now,
    )
    return checklist
