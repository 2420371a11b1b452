"""Burndown's part of the release's calendar feed and page: its active meeting series.

In the feed each active series is one weekly meeting; its SEQUENCE is how often it changed
since it was scheduled (see `sequence`). On the page, the next meetings of all the series.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from heapq import merge
from itertools import islice

from sqlmodel import Session, col, func, select

from bot.burndown.models import MeetingSeries
from bot.burndown.recurrence import describe_days, mask_days, occurrences
from bot.burndown.series import areas_of, rule_of, skips_of
from bot.burndown.service import active_series
from bot.core.asks.calendar import FeedPart, Meeting, PagePart, Recurring
from bot.core.models import AuditEvent
from bot.release.models import Release

SERIES_AUDIT_PREFIX = "series "


def uid_of_series(series_id: int) -> str:
    """The stable UID of a series' event."""
    return f"series-{series_id}@releasebot"


def _active(session: Session, release_id: int) -> list[tuple[MeetingSeries, tuple[date, ...]]]:
    """The release's active series, oldest first, each with its skipped days in order."""
    found = active_series(session, release_id)
    skips = skips_of(session, [s.id for s in found if s.id is not None])
    return [(series, tuple(sorted(skips.get(series.id or 0, ())))) for series in found]


def feed_part(session: Session, release: Release, now: datetime) -> FeedPart:
    """Each active series as a weekly meeting of the feed."""
    assert release.id is not None
    changes = _changes(session, release.id)
    return FeedPart(
        recurring=tuple(
            _recurring(series, skips, changes.get(series.id or 0, 0), release)
            for series, skips in _active(session, release.id)
        )
    )


def _recurring(
    series: MeetingSeries, skips: tuple[date, ...], audited: int, release: Release
) -> Recurring:
    assert series.id is not None
    return Recurring(
        uid=uid_of_series(series.id),
        summary=f"Burndown: release {release.name}",
        description=_description(series, release),
        weekdays=tuple(mask_days(series.days)),
        at=time.fromisoformat(series.at_time),
        zone=series.zone,
        start=series.start_date,
        end=series.end_date,
        skips=skips,
        sequence=sequence(audited, len(skips)),
        link=series.link,
    )


def sequence(audited: int, skipped: int) -> int:
    """A series' SEQUENCE: how often it changed since it was scheduled.

    Every change of a series (scheduled, skipped a day, moved with release day, ended) is an
    audit event with subject `series <id>`, and the trail only grows, so the count minus the
    scheduling is monotonic. The number of skipped days is a floor in case the trail lacks
    events (a series made before the trail named series).
    """
    return max(audited - 1, skipped, 0)


def _description(series: MeetingSeries, release: Release) -> str:
    lines = [
        f"Burndown meeting of release {release.name}: "
        f"{describe_days(series.days)} at {series.at_time} ({series.zone})."
    ]
    if series.link:
        lines.append(f"Join: {series.link}")
    areas = areas_of(series)
    if areas:
        lines.append("Areas: " + ", ".join(areas))
    return "\n".join(lines)


def _changes(session: Session, release_id: int) -> dict[int, int]:
    """Audit events (`burndown.*`) per series id."""
    query = (
        select(AuditEvent.subject, func.count())
        .where(
            AuditEvent.release_id == release_id,
            col(AuditEvent.action).startswith("burndown."),
        )
        .group_by(col(AuditEvent.subject))
    )
    counts: dict[int, int] = {}
    for subject, count in session.exec(query):
        number = subject[len(SERIES_AUDIT_PREFIX) :]
        if subject.startswith(SERIES_AUDIT_PREFIX) and number.isdigit():
            counts[int(number)] = counts.get(int(number), 0) + count
    return counts


def page_part(session: Session, release: Release, now: datetime, limit: int) -> PagePart:
    """The next `limit` meetings of all the active series, soonest first."""
    assert release.id is not None
    streams = [_meetings_of(series, skips, now) for series, skips in _active(session, release.id)]
    return PagePart(meetings=tuple(islice(merge(*streams, key=lambda m: m.at), limit)))


def _meetings_of(
    series: MeetingSeries, skips: tuple[date, ...], now: datetime
) -> Iterator[Meeting]:
    label = f"{describe_days(series.days)} {series.at_time}"
    for at in occurrences(rule_of(series, skips), now):
        yield Meeting(at, series.zone, label, series.link)
