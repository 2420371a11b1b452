"""Rehearsals of a release-day checklist (seed 002's mock run the day before), as rules.

A rehearsal is an ordinary checklist (`checklist.rehearsal`) run for a stand-in release of
its own (`rehearsal_release`: the channel's release copied, the caller leading it), so the
same steps, buttons, order and permissions apply while the channel's real release, checklist,
poll and gates are only read. It waits for no `not_before` time, asks no gate and no real
go/no-go (`requires: gonogo` is simulated with a button), keeps no audit trail and has no
timers; what it shows is marked REHEARSAL and mentions nobody (see `messages`). Anyone may
rehearse; several may run in one channel; a lead of the rehearsal (its starter) stops it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.checklist import service as checklists
from bot.checklist.advance import as_seen, changed_one, stop_running
from bot.checklist.board import ACTIVE, CANCELLED, RUNNING, Outcome
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.templates import Template
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.text.escape import escape
from bot.release.groups import mentions
from bot.release.models import Release
from bot.release.service import is_lead, leads, rehearsal_release

GO = "GO"
NUMBERS_SHOWN = 10


def start(
    session: Session,
    channel_id: str,
    template: Template,
    *,
    actor: Actor,
    zone: ZoneInfo,
    now: datetime,
) -> Outcome:
    """Start a rehearsal of `template` in the channel; its first step opens at once."""
    release = rehearsal_release(session, channel_id, actor=actor.user, zone=zone, now=now)
    # The actor leads the stand-in release in person, so no group needs reading.
    return checklists.start(session, release, template, actor=actor, now=now, rehearsal=True)


def running_in(session: Session, channel_id: str) -> list[Checklist]:
    """The channel's running rehearsals, oldest first."""
    query = (
        select(Checklist)
        .where(
            Checklist.channel_id == channel_id,
            col(Checklist.rehearsal).is_(True),
            Checklist.state == RUNNING,
        )
        .order_by(col(Checklist.id))
    )
    return list(session.exec(query))


def stop(
    session: Session,
    channel_id: str,
    number: int | None,
    *,
    actor: Actor,
    now: datetime,
) -> Checklist:
    """End one running rehearsal of the channel (its leads or an admin).

    Without a number: the only one, or the caller's latest when several run.
    """
    checklist = _chosen(running_in(session, channel_id), number, actor.user)
    release = session.get(Release, checklist.release_id)
    assert release is not None and release.id is not None
    if not is_lead(session, release, actor):
        who = mentions(leads(session, release.id))
        raise Forbidden(f"Only a lead of rehearsal #{checklist.id} can stop it: {who}.")
    if not stop_running(session, checklist, CANCELLED, now):
        raise Conflict("That rehearsal ended a moment ago.")
    release.closed_at = now
    session.add(release)
    return checklist


def _chosen(running: list[Checklist], number: int | None, actor: str) -> Checklist:
    """The rehearsal `number` names, else the only one, else the caller's latest."""
    if not running:
        raise NotFound("No rehearsal is running in this channel.")
    if number is not None:
        found = next((c for c in running if c.id == number), None)
        if found is None:
            raise NotFound(f"No rehearsal #{number} is running here. {_numbers(running)}")
        return found
    if len(running) == 1:
        return running[0]
    mine = [c for c in running if c.started_by == actor]
    if len(mine) >= 1:
        return mine[-1]
    raise DomainError(f"Several rehearsals run here; say which. {_numbers(running)}")


def _numbers(running: list[Checklist]) -> str:
    shown = ", ".join(f"`{c.id}` ({escape(c.template)})" for c in running[:NUMBERS_SHOWN])
    more = f" and {len(running) - NUMBERS_SHOWN} more" if len(running) > NUMBERS_SHOWN else ""
    return f"Running: {shown}{more}. Stop one with `/checklist rehearse stop NUMBER`."


def simulated_go(step: ChecklistStep) -> None:
    """The rehearsal's stand-in for the go/no-go guard: a GO simulated on the step."""
    if step.requires != "gonogo" or step.simulated == GO:
        return
    raise DomainError(
        f"*{escape(step.title)}* needs a GO. In a rehearsal no real poll is asked: press "
        "*Simulate GO* on the checklist first."
    )


def simulate(session: Session, step: ChecklistStep, attempt: int) -> bool:
    """Record a simulated GO on an active rehearsal step; False if it was simulated already."""
    if step.requires != "gonogo":
        raise DomainError(f"*{escape(step.title)}* does not wait for a go/no-go.")
    stmt = (
        update(ChecklistStep)
        .where(
            as_seen(step.id, ACTIVE, attempt),
            col(ChecklistStep.simulated).is_(None),
        )
        .values(simulated=GO)
    )
    if not changed_one(session, stmt):
        return False
    session.refresh(step)
    return True
