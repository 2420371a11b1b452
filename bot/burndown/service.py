"""Burndown meeting series: schedule, list, skip a day, cancel, and what comes next.

Scheduling, skipping and cancelling are for the release's leads (and workspace admins);
each of those functions takes the actor and checks it before changing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.burndown.models import MeetingSeries, MeetingSkip
from bot.burndown.recurrence import next_occurrence, occurrences
from bot.burndown.series import refresh_due, rule_of, rule_words, skips_of
from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.release.models import Release, RoleAssignment
from bot.release.service import require_lead

MAX_SERIES = 40
MAX_SKIPS = 200
MAX_AHEAD = timedelta(days=3 * 366)
DEFAULT_REMIND = (3600, 600)
DEFAULT_STATUS_LEAD = 86400


@dataclass(frozen=True)
class SeriesSpec:
    """What a new series looks like, as the user asked for it."""

    days: int
    at: time
    zone: ZoneInfo
    start: date
    end: date | None = None
    remind: tuple[int, ...] = DEFAULT_REMIND
    status_lead: int | None = DEFAULT_STATUS_LEAD
    link: str | None = None
    areas: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Upcoming:
    """One meeting to come: its release, its series, its instant."""

    release: Release
    series: MeetingSeries
    occurs_at: datetime


def schedule(
    session: Session,
    release: Release,
    spec: SeriesSpec,
    *,
    actor: Actor,
    now: datetime,
) -> MeetingSeries:
    """Add the series a lead (or an admin) asked for."""
    require_lead(session, release, actor, "schedule burndown meetings")
    return create_series(session, release, spec, actor=actor.user, now=now)


def create_series(
    session: Session,
    release: Release,
    spec: SeriesSpec,
    *,
    actor: str,
    now: datetime,
    cadence: str | None = None,
    piece: str | None = None,
) -> MeetingSeries:
    """Add a series to the release; refuses one that would never meet.

    The actor's authority is checked by the callers (`schedule`, the cadence's `lay_out`).
    """
    assert release.id is not None
    if spec.end is not None and spec.end < spec.start:
        raise DomainError("The last day comes before the first: check `from` and `until`.")
    if spec.start > now.date() + MAX_AHEAD:
        raise DomainError("A series can start at most three years from now.")
    count = session.exec(
        select(func.count()).where(
            MeetingSeries.release_id == release.id, MeetingSeries.state == "active"
        )
    ).one()
    if count >= MAX_SERIES:
        raise DomainError(f"A release can have at most {MAX_SERIES} series; cancel one first.")
    series = MeetingSeries(
        release_id=release.id,
        channel_id=release.channel_id,
        days=spec.days,
        at_time=spec.at.strftime("%H:%M"),
        zone=spec.zone.key,
        start_date=spec.start,
        end_date=spec.end,
        remind=",".join(str(offset) for offset in spec.remind),
        status_lead=spec.status_lead,
        link=spec.link,
        areas="\n".join(spec.areas),
        cadence=cadence,
        piece=piece,
        created_by=actor,
        created_at=now,
        plan_from=now,
    )
    if next_occurrence(rule_of(series), now) is None:
        raise DomainError("No meeting of that series falls after now; check the days and dates.")
    detail = f"cadence {cadence} ({piece})" if cadence else None
    save_series(session, release, series, "burndown.scheduled", actor, now, detail=detail)
    return series


def save_series(
    session: Session,
    release: Release,
    series: MeetingSeries,
    action: str,
    actor: str,
    now: datetime,
    *,
    before: str | None = None,
    detail: str | None = None,
) -> None:
    """Write a new or changed series, plan its next meeting, and say so in the trail."""
    session.add(series)
    session.flush()
    refresh_due(session, series, now)
    audit.record(
        session,
        release,
        action,
        f"series {series.id}",
        before=before,
        after=describe(series),
        detail=detail,
        actor=actor,
        at=now,
    )


def describe(series: MeetingSeries) -> str:
    """'Mon, Wed, Fri at 10:00 America/Los_Angeles from 2027-01-04 until 2027-02-26'."""
    return rule_words(series, " from", "until")


def active_series(session: Session, release_id: int) -> list[MeetingSeries]:
    """The release's active series, oldest first."""
    query = (
        select(MeetingSeries)
        .where(MeetingSeries.release_id == release_id, MeetingSeries.state == "active")
        .order_by(col(MeetingSeries.id))
    )
    return list(session.exec(query))


def next_of(series: MeetingSeries, now: datetime, skips: Iterable[date] = ()) -> datetime | None:
    """The series' next meeting after `now`, or None when it has none left."""
    return next_occurrence(rule_of(series, skips), now)


def listing(
    session: Session, release: Release, now: datetime
) -> list[tuple[MeetingSeries, datetime | None]]:
    """The release's active series, each with its next meeting (for `/burndown list`)."""
    assert release.id is not None
    found = active_series(session, release.id)
    skips = skips_of(session, [series.id for series in found if series.id is not None])
    return [(series, next_of(series, now, skips[series.id or 0])) for series in found]


def upcoming(
    session: Session, releases: list[Release], now: datetime, limit: int
) -> list[Upcoming]:
    """The next `limit` meetings of the given releases, soonest first."""
    by_id = {release.id: release for release in releases if release.id is not None}
    if not by_id:
        return []
    query = select(MeetingSeries).where(
        col(MeetingSeries.release_id).in_(list(by_id)), MeetingSeries.state == "active"
    )
    series_list = list(session.exec(query))
    skips = skips_of(session, [s.id for s in series_list if s.id is not None])
    found: list[Upcoming] = []
    for series in series_list:
        assert series.id is not None
        rule = rule_of(series, skips[series.id])
        for _, instant in zip(range(limit), occurrences(rule, now), strict=False):
            found.append(Upcoming(by_id[series.release_id], series, instant))
    found.sort(key=lambda item: (item.occurs_at, item.series.id or 0))
    return found[:limit]


def next_meeting(session: Session, release: Release, now: datetime) -> Upcoming | None:
    """The release's next meeting, or None."""
    found = upcoming(session, [release], now, 1)
    return found[0] if found else None


def next_meetings_for(session: Session, user_id: str, now: datetime, limit: int) -> list[Upcoming]:
    """The next meetings of every active release where the user holds a role (for App Home)."""
    query = (
        select(Release)
        .join(RoleAssignment, col(RoleAssignment.release_id) == col(Release.id))
        .where(RoleAssignment.user_id == user_id, Release.state == "active")
        .distinct()
    )
    return upcoming(session, list(session.exec(query)), now, limit)


def get_series(session: Session, release: Release, series_id: int) -> MeetingSeries:
    """An active series of the release by id, or NotFound naming how to list them."""
    series = session.get(MeetingSeries, series_id)
    if series is None or series.release_id != release.id or series.state != "active":
        raise NotFound(f"This release has no active series #{series_id}. See `/burndown list`.")
    return series


def cancel(
    session: Session,
    release: Release,
    series_id: int,
    *,
    actor: Actor,
    now: datetime,
) -> MeetingSeries:
    """End a series now (leads only): one guarded update, so two cancels make one change."""
    require_lead(session, release, actor, "cancel burndown series")
    series = get_series(session, release, series_id)
    result = session.execute(
        update(MeetingSeries)
        .where(col(MeetingSeries.id) == series_id, col(MeetingSeries.state) == "active")
        .values(state="cancelled", ended_at=now, next_due_at=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"Series #{series_id} was just cancelled by someone else.")
    series.state, series.ended_at, series.next_due_at = "cancelled", now, None
    audit.record(
        session,
        release,
        "burndown.cancelled",
        f"series {series_id}",
        before="active",
        after="cancelled",
        detail=describe(series),
        actor=actor.user,
        at=now,
    )
    return series


def skip(
    session: Session,
    release: Release,
    day: date,
    *,
    series_id: int | None,
    actor: Actor,
    now: datetime,
) -> list[Upcoming]:
    """Skip the meetings on a local date (of one series, or all; leads only); returns them."""
    require_lead(session, release, actor, "skip burndown meetings")
    assert release.id is not None
    chosen = (
        [get_series(session, release, series_id)]
        if series_id is not None
        else active_series(session, release.id)
    )
    skips = skips_of(session, [s.id for s in chosen if s.id is not None])
    found: list[Upcoming] = []
    for series in chosen:
        assert series.id is not None
        instant = rule_of(series, skips[series.id]).on(day)
        if instant is None:
            continue
        if instant <= now:
            raise DomainError(f"The meeting of series #{series.id} on {day} already started.")
        if len(skips[series.id]) >= MAX_SKIPS:
            raise DomainError(f"Series #{series.id} has too many skipped days already.")
        found.append(Upcoming(release, series, instant))
    if not found:
        already = any(day in skips[s.id] for s in chosen if s.id is not None)
        if already:
            raise Conflict(f"The meeting on {day.isoformat()} is already skipped.")
        raise NotFound(f"No burndown meeting falls on {day.isoformat()}. See `/burndown list`.")
    for item in found:
        _add_skip(session, release, item, day, actor.user, now)
    return found


def _add_skip(
    session: Session, release: Release, item: Upcoming, day: date, actor: str, now: datetime
) -> None:
    assert item.series.id is not None
    try:
        with session.begin_nested():
            session.add(MeetingSkip(series_id=item.series.id, day=day, created_by=actor))
    except IntegrityError:
        raise Conflict(f"The meeting on {day.isoformat()} was just skipped.") from None
    refresh_due(session, item.series, now)
    audit.record(
        session,
        release,
        "burndown.skipped",
        f"series {item.series.id}",
        before=item.occurs_at,
        after="skipped",
        actor=actor,
        at=now,
    )
