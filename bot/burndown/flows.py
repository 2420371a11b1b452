"""What follows a burndown change: messages owed, timers, the cadence, the status part.

Reminders and status requests are planned from the database; a timer claims its work and
owes the message in the outbox in one transaction (bot.burndown.messages), so each goes out
once, also through Slack outages and restarts. A lead's change to the series is made and
its announcement owed in one transaction. A posted status refreshes the reminders of its
meeting; a new release day moves the cadence. The front door (`bot.burndown`) gives the
timers, the outbox hooks and the `/release status` section to Services.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import partial

from sqlmodel import Session

from bot.burndown import (
    cadence,
    messages,
    reminders,
    render,
    status_updates,
)
from bot.burndown import service as meetings
from bot.burndown.models import MeetingSeries, MeetingStatus
from bot.burndown.reminders import Due, Stale
from bot.burndown.service import SeriesSpec, Upcoming
from bot.core.actor import Actor
from bot.core.asks.milestones import MILESTONES, MarksOf, marks_of
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.release import service as releases
from bot.release.models import Release

log = logging.getLogger(__name__)
PUSH_KEY = "burndown:push-forward"


def planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> Iterable[Timer]:
    """Timers for reminders and status requests due before `until` and not yet sent.

    Work due at the same instant (every series meeting at 10:00) is one timer, claimed in
    one transaction; its key names the work, so a replan that finds more gets a new timer.
    """
    work, stale = reminders.plan_window(session, now, until)
    together: dict[datetime, list[Due]] = {}
    for due in work:
        together.setdefault(due.item.due, []).append(due)
    timers = [
        Timer(_batch_key(at, dues), at, partial(deliver, services, dues))
        for at, dues in together.items()
    ]
    if stale:
        timers.append(Timer(PUSH_KEY, now, partial(push_forward, services, stale)))
    return timers


def _batch_key(at: datetime, dues: list[Due]) -> str:
    names = ",".join(sorted(due.key for due in dues))
    return f"burndown:{int(at.timestamp())}:{len(dues)}:{zlib.crc32(names.encode()):08x}"


def push_forward(services: Services, stale: list[Stale], now: datetime) -> None:
    """Store the real next due time of series whose work was dropped or finished."""
    with services.db.session() as s:
        reminders.push_forward(s, stale)
    services.scheduler.poke()  # the next pass sees what this one had no room for


def deliver(services: Services, dues: list[Due], now: datetime) -> None:
    """Claim the work and owe its messages in one transaction; what others claimed is skipped."""
    with services.db.session() as s:
        won = reminders.claim_all(s, dues, now)
        messages.owe_claimed(services.outbox, s, won, now)
    if dues:
        lag = (now - dues[0].item.due).total_seconds()
        log.info(
            "burndown: %d of %d pieces of work due %s owed to Slack %.2fs after their due time",
            len(won),
            len(dues),
            dues[0].item.due.isoformat(),
            lag,
        )


def save_status(
    services: Services,
    series_id: int,
    occurs_at: datetime,
    *,
    actor: Actor,
    area: str,
    colour: str,
    notes: str,
) -> MeetingStatus:
    """Store a person's status for a meeting; the reminders of that meeting show it."""
    now = services.now()
    with services.db.session() as s:
        meeting = status_updates.open_meeting(s, series_id, occurs_at, now)
        row = status_updates.post_status(
            s,
            meeting,
            actor=actor,
            area=area,
            colour=colour,
            notes=notes,
            now=now,
        )
        messages.owe_refresh(services.outbox, s, series_id, occurs_at, now)
    return row


def schedule(
    services: Services, channel_id: str, spec: SeriesSpec, *, actor: Actor, now: datetime
) -> tuple[MeetingSeries, datetime | None]:
    """A lead's new series, announced in the channel; returns it and its first meeting."""
    with releases.changing(services.db, channel_id) as (s, release):
        series = meetings.schedule(s, release, spec, actor=actor, now=now)
        first = meetings.next_of(series, now)
        message = render.scheduled(series, first, actor.user)
        _announce(services, s, release, f"series:{series.id}:scheduled", message, now)
    services.scheduler.poke()
    return series, first


def skip(
    services: Services,
    channel_id: str,
    day: date,
    *,
    series_id: int | None,
    actor: Actor,
    now: datetime,
) -> list[Upcoming]:
    """Skip a day's meetings (of one series or all), announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        found = meetings.skip(s, release, day, series_id=series_id, actor=actor, now=now)
        which = ",".join(str(item.series.id) for item in found)
        event = f"skip:{day.isoformat()}:{which}"
        _announce(services, s, release, event, render.skipped(found, actor.user), now)
    services.scheduler.poke()
    return found


def cancel(
    services: Services, channel_id: str, series_id: int, *, actor: Actor, now: datetime
) -> MeetingSeries:
    """End a series, announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        series = meetings.cancel(s, release, series_id, actor=actor, now=now)
        message = render.cancelled(series, actor.user)
        _announce(services, s, release, f"series:{series_id}:cancelled", message, now)
    services.scheduler.poke()
    return series


def lay_out_cadence(
    services: Services,
    channel_id: str,
    template: SeriesSpec,
    *,
    weekly_day: int,
    actor: Actor,
    now: datetime,
) -> list[MeetingSeries]:
    """Lay out the Kubernetes cadence (replacing an earlier one), announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        created, replaced = cadence.lay_out(
            s,
            release,
            template,
            weekly_day=weekly_day,
            actor=actor,
            now=now,
            milestones=services.answers_to(MILESTONES),
        )
        event = "cadence:" + ",".join(str(series.id) for series in created)
        marks = marks_of(services.answers_to(MILESTONES), s, release)
        anchors = cadence.anchors_of(marks, template.zone)
        basis = render.cadence_basis(anchors.mwf_milestone, anchors.daily_milestone)
        message = render.cadence_laid_out(release, created, replaced, actor.user, basis)
        _announce(services, s, release, event, message, now)
    services.scheduler.poke()
    return created


def _announce(
    services: Services,
    session: Session,
    release: Release,
    event: str,
    message: tuple[str, list[dict[str, object]]],
    now: datetime,
) -> None:
    key = f"burndown:{release.id}:{event}"
    messages.owe_announcement(services.outbox, session, key, release.channel_id, message, now)


def follow_release_day(
    session: Session,
    release: Release,
    *,
    actor: str,
    now: datetime,
    milestones: Sequence[MarksOf] = (),
) -> str | None:
    """Move the burndown cadence with a new release day; the line announcing it, if it moved.

    `milestones` (the answers to MILESTONES) are read after the schedule moved.
    """
    moved = cadence.move_with_release(session, release, actor=actor, now=now, milestones=milestones)
    return render.cadence_moved(moved) if moved else None


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The burndown part of `/release status`: the next meeting."""
    assert release.id is not None
    count = len(meetings.active_series(session, release.id))
    if not count:
        return None
    return render.status_section(meetings.next_meeting(session, release, now), count)
