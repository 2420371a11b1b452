"""What follows a schedule change: announcements owed, the countdown timers, the status part.

A lead's change and its channel announcement are one transaction (outbox key
`schedule:<release>:<audit event>`). Countdown notices are planned from the database; a timer
claims its notice and owes the message in one transaction (`milestone:<id>:<instant>:<offset>`),
worth sending until the milestone's instant and rendered when it is sent, so one sent late
says so and one whose milestone moved or went away is dropped. The front door
(`bot.schedule`) gives the planner, the renderer, the status section and the doctor check to
Services.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core.actor import Actor
from bot.core.errors import Conflict
from bot.core.models import AuditEvent
from bot.core.outbox import Message, Outbox
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.release import service as releases
from bot.release.models import Release
from bot.schedule import (
    countdown,
    events,
    options,
    render,
    templates,
)
from bot.schedule import service as schedule
from bot.schedule.countdown import Due, forget_notices
from bot.schedule.models import Milestone, MilestoneNotice
from bot.schedule.render import Owner, Rendered
from bot.schedule.service import Applied, When

log = logging.getLogger(__name__)
NOTICE = "schedule.notice"
FINISHED_KEY = "schedule:forget-finished"


@dataclass(frozen=True)
class Change:
    """A milestone as a change left it, with its release (for the answer to the caller)."""

    release: Release
    milestone: Milestone
    when: When | None = None
    before: datetime | None = None
    was_relative: bool = False


# --- the countdown -------------------------------------------------------------------------


def planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> Iterable[Timer]:
    """Timers for the countdown notices due before `until` and not yet claimed."""
    timers = [
        Timer(due.key, due.due, partial(deliver, services, due))
        for due in countdown.plan_window(session, now, until)
    ]
    finished = countdown.finished(session, now, until)
    if finished:
        timers.append(Timer(FINISHED_KEY, now, partial(forget_finished, services, finished)))
    return timers


def forget_finished(services: Services, ids: list[int], now: datetime) -> None:
    """Stop planning milestones that passed, or whose release ended, with notices unsent."""
    with services.db.session() as s:
        countdown.forget_finished(s, ids, now)


def deliver(services: Services, due: Due, now: datetime) -> None:
    """Claim the notice and owe its message in one transaction; a lost claim: done elsewhere."""
    with services.db.session() as s:
        won = countdown.claim(s, due, now)
        if won is None:
            return
        services.outbox.queue(
            s,
            Message(
                key=due.key,
                channel=won.release.channel_id,
                useful_until=won.milestone.at,
                render=(NOTICE, {"notice": won.notice_id}),
            ),
            now=now,
        )
    log.info(
        "milestone notice %s owed %.1fs after its due time",
        due.key,
        (now - due.due).total_seconds(),
    )


def render_notice(session: Session, args: dict[str, Any], now: datetime) -> Rendered | None:
    """The notice as it reads now; None when its milestone moved, went away or has passed."""
    notice = session.get(MilestoneNotice, int(args["notice"]))
    milestone = session.get(Milestone, notice.milestone_id) if notice else None
    release = session.get(Release, milestone.release_id) if milestone else None
    if notice is None or milestone is None or release is None:
        return None
    if milestone.at != notice.at or now >= milestone.at or release.state != "active":
        return None
    due = notice.at - timedelta(seconds=notice.offset_seconds)
    late = now - due if now - due > countdown.LATE_AFTER else None
    return render.countdown(
        release,
        milestone,
        owner_of(session, release, milestone),
        offset=notice.offset_seconds,
        now=now,
        late_by=late,
    )


def owner_of(session: Session, release: Release, milestone: Milestone) -> Owner | None:
    """Who the milestone's owner role mentions: its holders, else the leads."""
    if not milestone.owner_role or release.id is None:
        return None
    holders = releases.role_holders(session, release.id)
    users = holders.get(milestone.owner_role, [])
    if users:
        return Owner(milestone.owner_role, users)
    return Owner(milestone.owner_role, holders.get(releases.LEAD, []), fell_to_lead=True)


# --- a lead's changes ----------------------------------------------------------------------


def add(
    services: Services,
    channel_id: str,
    args: list[str],
    description: str,
    *,
    actor: Actor,
    now: datetime,
) -> Change:
    """Add a milestone (leads only), announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        spec = options.parse_add(args, description, release, now=now)
        milestone = schedule.add(s, release, spec, actor=actor, now=now)
        message = render.added(release, milestone, owner_of(s, release, milestone), actor.user, now)
        announce(services.outbox, s, release, "milestone.added", message, now)
        services.outbox.emit(
            s, events.of_milestone(release, milestone, "added", actor=actor.user, now=now)
        )
    services.scheduler.poke()
    return Change(release, milestone, spec.when)


def move(
    services: Services,
    channel_id: str,
    args: list[str],
    reason: str,
    *,
    actor: Actor,
    now: datetime,
) -> Change:
    """Move a milestone (leads only): announced as moved, with the reason; counted down anew."""
    with releases.changing(services.db, channel_id) as (s, release):
        name, when = options.parse_move(args, reason, release, now=now)
        change = _move(services, s, release, name, when, reason, actor=actor, now=now)
    services.scheduler.poke()
    return change


def move_to(
    services: Services,
    release_id: int,
    name: str,
    at: datetime,
    reason: str,
    *,
    actor: Actor,
    now: datetime,
) -> Change:
    """Move a milestone of a release to an instant (the API's move), as `move` does."""
    with services.db.session() as s:
        release = releases.get(s, release_id)
        if release.state != "active":
            raise Conflict(f"Release {release.name} is {release.state}; its schedule is final.")
        when = When(at, ZoneInfo(release.zone))
        change = _move(services, s, release, name, when, reason, actor=actor, now=now)
    services.scheduler.poke()
    return change


def _move(
    services: Services,
    s: Session,
    release: Release,
    name: str,
    when: When,
    reason: str,
    *,
    actor: Actor,
    now: datetime,
) -> Change:
    done = schedule.move(s, release, name, when, reason=reason, actor=actor, now=now)
    milestone = done.milestone
    forget_notices(s, milestone, "the milestone moved")
    owner = owner_of(s, release, milestone)
    message = render.moved(release, milestone, done.before, owner, actor.user, reason, now)
    announce(services.outbox, s, release, "milestone.moved", message, now)
    moved = events.of_milestone(
        release, milestone, "moved", actor=actor.user, now=now, before=done.before, reason=reason
    )
    services.outbox.emit(s, moved)
    return Change(release, milestone, when, done.before, done.was_relative)


def remove(
    services: Services, channel_id: str, name: str, *, actor: Actor, now: datetime
) -> Change:
    """Remove a milestone (leads only), announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        milestone = schedule.remove(s, release, name, actor=actor, now=now)
        forget_notices(s, milestone, "the milestone was removed")
        announce(
            services.outbox,
            s,
            release,
            "milestone.removed",
            render.removed(release, milestone, actor.user),
            now,
        )
        services.outbox.emit(
            s, events.of_milestone(release, milestone, "removed", actor=actor.user, now=now)
        )
    services.scheduler.poke()
    return Change(release, milestone)


def apply(
    services: Services, channel_id: str, name: str, *, actor: Actor, now: datetime
) -> tuple[Release, Applied]:
    """Lay out a schedule template (leads only); the channel sees the whole schedule."""
    template = templates.named(services.settings.templates_dir, name)
    with releases.changing(services.db, channel_id) as (s, release):
        done = schedule.apply(s, release, template, actor=actor, now=now)
        for milestone in [*done.updated, *done.removed]:
            forget_notices(s, milestone, "the schedule was laid out again")
        notify = countdown.notify_of(s, release.id or 0)
        message = render.applied(
            release,
            template,
            [*done.created, *done.updated],
            done.kept,
            len(done.removed),
            actor.user,
            notify,
            now,
        )
        announce(services.outbox, s, release, "schedule.applied", message, now)
        laid = [("added", done.created), ("moved", done.updated), ("removed", done.removed)]
        for kind, found in laid:
            for milestone in found:
                event = events.of_milestone(release, milestone, kind, actor=actor.user, now=now)
                services.outbox.emit(s, event)
    services.scheduler.poke()
    return release, done


def set_notify(
    services: Services, channel_id: str, offsets: tuple[int, ...], *, actor: Actor, now: datetime
) -> tuple[Release, tuple[int, ...]]:
    """Change when milestones are announced (leads only), told to the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        before, after = schedule.set_notify(s, release, offsets, actor=actor, now=now)
        if before != after:
            message = render.notify_changed(release, after, actor.user)
            announce(services.outbox, s, release, "schedule.notify", message, now)
    services.scheduler.poke()
    return release, after


def follow_release_day(
    session: Session,
    release: Release,
    *,
    actor: str,
    now: datetime,
    outbox: Outbox | None = None,
) -> str | None:
    """Move the milestones relative to release day with it; the line announcing them.

    With the outbox, each move is owed to the release's webhooks too.
    """
    moved = schedule.move_with_release(session, release, actor=actor, now=now)
    for done in moved:
        forget_notices(session, done.milestone, "release day moved")
        if outbox is not None:
            event = events.of_milestone(
                release, done.milestone, "moved", actor=actor, now=now, before=done.before,
                reason="release day moved",
            )  # fmt: skip
            outbox.emit(session, event)
    return render.postponed_line(release, [(m.milestone, m.before) for m in moved])


def announce(
    outbox: Outbox,
    session: Session,
    release: Release,
    action: str,
    message: Rendered,
    now: datetime,
) -> None:
    """Owe the channel a note about the change this transaction just recorded (as `action`)."""
    session.flush()
    event = session.exec(
        select(AuditEvent.id)
        .where(AuditEvent.release_id == release.id, AuditEvent.action == action)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    text, blocks = message
    key = f"schedule:{release.id}:{action}:{event}"
    outbox.queue(
        session, Message(key=key, channel=release.channel_id, text=text, blocks=blocks), now=now
    )


# --- what others show ------------------------------------------------------------------------


def phase(session: Session, release: Release, now: datetime) -> str:
    """The release's phase: from its milestones when it has them, else from its day."""
    return schedule.phase_of(session, release, now) or releases.phase(release, now)


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The schedule part of `/release status`: the next milestones."""
    if release.id is None:
        return None
    found = schedule.milestones(session, release.id)
    return render.status_section(release, found, now) if found else None
