"""The release as an iCalendar (RFC 5545) subscription: its burndown series and release day.

Pure: FeedData in, bytes out. Each active series is one recurring VEVENT in its own zone
(`RRULE:FREQ=WEEKLY;BYDAY=..`, `UNTIL` in UTC, skipped days as `EXDATE` in the form of
`DTSTART`); cancelled and ended series are left out, so subscribed clients drop them.

Where the bot and RFC 5545 read a wall time differently, the feed says what the bot does:
a meeting time that falls in a spring-forward gap is held, by the bot, at the first instant
after the gap (RFC 5545 would read it with the offset from before the gap, an hour later),
so each such day gets an override VEVENT (same UID, `RECURRENCE-ID`) at the bot's instant.
A time repeated at fall-back is its first occurrence for the bot and for RFC 5545, but
ical.js reads the second, so such a day gets an override too, its DTSTART in UTC.

Each zone the feed names gets a VTIMEZONE made from the zone's tzdata transitions over the
span the feed covers (see `zones.vtimezone`), one onset per block, so that every client
reads the same offsets: Mozilla's ical.js reads only the first value of a comma-separated
RDATE list.

SEQUENCE grows with every change of the event (see `service.series_sequence`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.burndown.recurrence import describe_days, mask_days
from bot.calendar.service import FeedData, SeriesEntry
from bot.calendar.zones import vtimezone
from bot.core.text.timeparse import localize
from bot.release.models import Release
from bot.schedule.ical import milestone_events

PRODID = "-//releasebot//release calendar 1.0//EN"
MEETING_LENGTH = timedelta(minutes=30)  # a series has no length of its own yet
RELEASE_LENGTH = timedelta(hours=1)
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How far ahead an open-ended series is planned for gap overrides and zone definitions.
OPEN_ENDED = timedelta(days=3 * 366)
ZONE_MARGIN = timedelta(days=31)
LAST_SECOND = time(23, 59, 59)


def uid_of_series(series_id: int) -> str:
    """The stable UID of a series' event."""
    return f"series-{series_id}@releasebot"


def uid_of_release(release_id: int) -> str:
    """The stable UID of release day's event."""
    return f"release-{release_id}@releasebot"


def feed(data: FeedData) -> bytes:
    """The release's calendar as iCalendar bytes (CRLF lines, folded at 75 octets)."""
    release = data.release
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Release {release.name}")
    cal.add(
        "x-wr-caldesc", f"Burndown meetings, milestones and release day of release {release.name}"
    )
    stamp = data.now.astimezone(UTC)
    span: list[date] = []
    for entry in data.series:
        events = series_events(entry, release, stamp)
        for event in events:
            cal.add_component(event)
        if events:
            first = events[0].decoded("dtstart").date()
            span += [first, _last_day(entry, first, stamp.date())]
    for event in milestone_events(release, data.milestones, stamp):
        cal.add_component(event)
        span.append(event.decoded("dtstart").date())
    day = release_event(release, data.release_sequence, stamp)
    if day is not None:
        cal.add_component(day)
        span.append(day.decoded("dtstart").date())
    if span:
        first, last = min(span) - ZONE_MARGIN, max(span) + ZONE_MARGIN
        for at, key in enumerate(sorted(cal.get_missing_tzids())):
            cal.subcomponents.insert(at, vtimezone(key, first, last))
    return cal.to_ical()


def first_day(entry: SeriesEntry) -> date | None:
    """The series' first meeting day by its weekdays (skips aside), or None if it never meets."""
    series = entry.series
    if not series.days:
        return None
    day = series.start_date
    while not series.days & (1 << day.weekday()):
        day += timedelta(days=1)
    if series.end_date is not None and day > series.end_date:
        return None
    return day


def series_events(entry: SeriesEntry, release: Release, stamp: datetime) -> list[Event]:
    """The series' recurring event, then an override for each day the bot moves."""
    series = entry.series
    assert series.id is not None
    start_day = first_day(entry)
    if start_day is None:
        return []
    zone = entry.rule.zone
    at = entry.rule.at
    main = Event()
    main.add("uid", uid_of_series(series.id))
    main.add("dtstamp", stamp)
    main.add("sequence", entry.sequence)
    main.add("summary", f"Burndown: release {release.name}")
    main.add("dtstart", _wall(start_day, at, zone))
    main.add("dtend", _wall(start_day, at, zone) + MEETING_LENGTH)
    rule: dict[str, object] = {
        "FREQ": "WEEKLY",
        "BYDAY": [BYDAY[d] for d in mask_days(series.days)],
    }
    if series.end_date is not None:
        # UNTIL is inclusive; the end of the last local day covers that day's meeting.
        rule["UNTIL"] = datetime.combine(series.end_date, LAST_SECOND, zone).astimezone(UTC)
    main.add("rrule", vRecur(rule))
    if entry.skips:
        main.add("exdate", [_wall(day, at, zone) for day in entry.skips])
    main.add("description", _description(entry, release))
    if series.link:
        main.add("location", series.link)
        main.add("url", series.link)
    main.add("status", "CONFIRMED")
    events = [main]
    for day in _moved_days(entry, start_day, stamp.date()):
        events.append(_override(entry, release, stamp, day, main))
    return events


def _override(
    entry: SeriesEntry, release: Release, stamp: datetime, day: date, main: Event
) -> Event:
    """The occurrence of `day`, at the instant the bot holds it (the end of a DST gap)."""
    series = entry.series
    assert series.id is not None
    zone = entry.rule.zone
    instant = localize(day, entry.rule.at, zone).astimezone(zone)
    if _repeated(day, entry.rule.at, zone):
        instant = instant.astimezone(UTC)  # a wall time read alike only in UTC
    event = Event()
    event.add("uid", uid_of_series(series.id))
    event.add("dtstamp", stamp)
    event.add("sequence", entry.sequence)
    event.add("recurrence-id", _wall(day, entry.rule.at, zone))
    event.add("summary", main["summary"])
    event.add("dtstart", instant)
    event.add("dtend", instant + MEETING_LENGTH)
    event.add("description", main["description"])
    if series.link:
        event.add("location", series.link)
        event.add("url", series.link)
    event.add("status", "CONFIRMED")
    return event


def release_event(release: Release, sequence: int, stamp: datetime) -> Event | None:
    """Release day at its target time (an hour, shown as free time), or None if unset."""
    if release.release_at is None or release.id is None:
        return None
    zone = ZoneInfo(release.zone)
    start = release.release_at.astimezone(zone)
    event = Event()
    event.add("uid", uid_of_release(release.id))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("summary", f"Release day: {release.name}")
    event.add("dtstart", start)
    event.add("dtend", start + RELEASE_LENGTH)
    event.add("transp", "TRANSPARENT")
    event.add(
        "description",
        f"Target time of release {release.name} ({release.zone}). "
        "It moves here when the release is postponed.",
    )
    event.add("status", "CANCELLED" if release.state == "cancelled" else "CONFIRMED")
    return event


def _description(entry: SeriesEntry, release: Release) -> str:
    series = entry.series
    lines = [
        f"Burndown meeting of release {release.name}: "
        f"{describe_days(series.days)} at {series.at_time} ({series.zone})."
    ]
    if series.link:
        lines.append(f"Join: {series.link}")
    if entry.areas:
        lines.append("Areas: " + ", ".join(entry.areas))
    return "\n".join(lines)


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The wall time `day at` in `zone`, as written in the feed (TZID form)."""
    return datetime.combine(day, at, zone)


def _last_day(entry: SeriesEntry, first: date, today: date) -> date:
    """The series' end, or for an open-ended one the end of the span planned from today."""
    return entry.series.end_date or max(first, today) + OPEN_ENDED


def _moved_days(entry: SeriesEntry, first: date, today: date) -> list[date]:
    """Meeting days (skips aside) whose wall time falls in a DST gap or is repeated."""
    rule = entry.rule
    last = _last_day(entry, first, today)
    found = []
    for year in range(first.year, last.year + 1):
        for day in _transition_days(rule.zone.key, year):
            if first <= day <= last and rule.meets_on(day):
                wall = datetime.combine(day, rule.at)
                instant = localize(day, rule.at, rule.zone)
                moved = instant.astimezone(rule.zone).replace(tzinfo=None) != wall
                if moved or _repeated(day, rule.at, rule.zone):
                    found.append(day)
    return found


def _repeated(day: date, at: time, zone: ZoneInfo) -> bool:
    """True when the wall time `day at` happens twice in `zone` (the hour of a fall-back)."""
    wall = datetime.combine(day, at)
    first, second = (wall.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
    again = second.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return first.utcoffset() != second.utcoffset() and again == wall


@lru_cache(maxsize=512)
def _transition_days(zone_key: str, year: int) -> tuple[date, ...]:
    """Local days of `year` on which the zone's UTC offset changes (a pure lookup, memoised)."""
    zone = ZoneInfo(zone_key)
    found = []
    day = date(year, 1, 1)
    before = datetime.combine(day, time(0), zone).utcoffset()
    while day.year == year:
        after = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
        if after != before:
            found += [day, day + timedelta(days=1)]  # a change at midnight opens the next day
        before = after
        day += timedelta(days=1)
    return tuple(found)
