"""What follows a burndown change: timers, refreshed reminders, the cadence, the status part.

Reminders and status requests are planned from the database and claimed before they are
sent, so each goes out once; a posted status refreshes the reminders already in the channel;
a new release day moves the cadence. `register` adds the timers and the `/release status`
section to Services.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session

from bot.burndown import cadence, reminders, render, status_updates
from bot.burndown import service as meetings
from bot.burndown.models import MeetingDelivery, MeetingSeries, MeetingStatus
from bot.burndown.recurrence import REMIND
from bot.burndown.reminders import Due, Stale
from bot.burndown.status_render import status_request
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.release.models import Release

log = logging.getLogger(__name__)
PUSH_KEY = "burndown:push-forward"


def planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> Iterable[Timer]:
    """Timers for reminders and status requests due before `until` and not yet sent."""
    work, stale = reminders.plan_window(session, now, until)
    timers = [Timer(due.key, due.item.due, partial(deliver, services, due)) for due in work]
    if stale:
        timers.append(Timer(PUSH_KEY, now, partial(push_forward, services, stale)))
    return timers


def push_forward(services: Services, stale: list[Stale], now: datetime) -> None:
    """Store the real next due time of series whose work was dropped or finished."""
    with services.db.session() as s:
        reminders.push_forward(s, stale)
    services.scheduler.poke()  # the next pass sees what this one had no room for


def deliver(services: Services, due: Due, now: datetime) -> None:
    """Claim the work in the database, then post it; a lost claim means someone else did."""
    with services.db.session() as s:
        won = reminders.claim(s, due, now)
        if won is None:
            return
        if won.item.kind == REMIND:
            sent_at = now if won.late else won.item.due  # on time: "in 10m", not "in 9m 59s"
            text, blocks = _reminder(
                s, won.release, won.series, won.item.occurs_at, sent_at, won.late
            )
            recipients: list[str] = []
        else:
            text, blocks = status_request(won.release, won.series, won.item.occurs_at)
            recipients = status_updates.holders(s, won.release)
    if won.item.kind == REMIND:
        lag = (now - due.item.due).total_seconds()
        log.info("burndown reminder %s posted %.2fs after its due time", due.key, lag)
        ts = services.notifier.post(won.release.channel_id, text, blocks)
        if ts:
            with services.db.session() as s:
                reminders.remember_message(s, won.delivery_id, ts)
        return
    for user in recipients:
        services.notifier.dm(user, text, blocks)


def _reminder(
    s: Session,
    release: Release,
    series: MeetingSeries,
    occurs_at: datetime,
    sent_at: datetime,
    late: bool,
) -> tuple[str, list[dict[str, object]]]:
    assert series.id is not None
    return render.reminder(
        release,
        series,
        occurs_at,
        sent_at=sent_at,
        late=late,
        posted=status_updates.statuses(s, series.id, occurs_at),
        missing=status_updates.missing(s, release, series.id, occurs_at),
    )


def _sent(row: MeetingDelivery) -> datetime:
    """The send moment of a posted reminder, for re-rendering it."""
    due = row.occurs_at - timedelta(seconds=row.offset_s)
    return row.claimed_at if row.late else due


def refresh_reminders(services: Services, series_id: int, occurs_at: datetime) -> None:
    """Re-render every reminder already posted for a meeting with the latest digest."""
    with services.db.read() as s:
        series = s.get(MeetingSeries, series_id)
        release = s.get(Release, series.release_id) if series else None
        if series is None or release is None:
            return
        posted: list[MeetingDelivery] = reminders.reminder_deliveries(s, series_id, occurs_at)
        rendered = [
            (
                row.message_ts,
                _reminder(s, release, series, occurs_at, _sent(row), row.late),
            )
            for row in posted
        ]
    for ts, (text, blocks) in rendered:
        if ts:
            services.notifier.update(release.channel_id, ts, text, blocks)


def save_status(
    services: Services,
    series_id: int,
    occurs_at: datetime,
    *,
    user_id: str,
    area: str,
    colour: str,
    notes: str,
) -> MeetingStatus:
    """Store a person's status for a meeting, then refresh the reminders posted for it."""
    now = services.now()
    with services.db.session() as s:
        meeting = status_updates.open_meeting(s, series_id, occurs_at, now)
        row = status_updates.post_status(
            s,
            meeting,
            user_id=user_id,
            area=area,
            colour=colour,
            notes=notes,
            admins=services.settings.admins,
            now=now,
        )
    services.refresher.request(
        f"burndown:{series_id}:{int(occurs_at.timestamp())}",
        lambda: refresh_reminders(services, series_id, occurs_at),
    )
    return row


def follow_release_day(
    session: Session, release: Release, *, actor: str, now: datetime
) -> str | None:
    """Move the burndown cadence with a new release day; the line announcing it, if it moved."""
    moved = cadence.move_with_release(session, release, actor=actor, now=now)
    return render.cadence_moved(moved) if moved else None


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The burndown part of `/release status`: the next meeting."""
    assert release.id is not None
    count = len(meetings.active_series(session, release.id))
    if not count:
        return None
    return render.status_section(meetings.next_meeting(session, release, now), count)


def register(services: Services) -> None:
    """Plan burndown timers on the leader replica; show the next meeting in release status."""
    services.scheduler.add_planner("burndown", partial(planner, services))
    services.add_section("burndown", 30, status_section)
