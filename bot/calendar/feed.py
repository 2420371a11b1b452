"""The release as an iCalendar (RFC 5545) subscription: meetings, milestones and release day.

Pure: FeedData in, bytes out; the events are what the features answer (FEED_PART). Each
recurring meeting (a burndown series) is one recurring VEVENT in its own zone
(`RRULE:FREQ=WEEKLY;BYDAY=..`, `UNTIL` in UTC, skipped days as `EXDATE` in the form of
`DTSTART`); cancelled and ended series are not answered, so subscribed clients drop them.
Each moment (a milestone) is one VEVENT at its instant, without an end, as free time.

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

SEQUENCE grows with every change of the event (each feature counts its own).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.calendar.service import FeedData
from bot.calendar.zones import vtimezone
from bot.core.asks.calendar import Moment, Recurring
from bot.core.text.timeparse import localize
from bot.release.models import Release

PRODID = "-//releasebot//release calendar 1.0//EN"
MEETING_LENGTH = timedelta(minutes=30)  # a meeting has no length of its own yet
RELEASE_LENGTH = timedelta(hours=1)
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How far ahead an open-ended meeting is planned for gap overrides and zone definitions.
OPEN_ENDED = timedelta(days=3 * 366)
ZONE_MARGIN = timedelta(days=31)
LAST_SECOND = time(23, 59, 59)


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
    for entry in data.recurring:
        events = recurring_events(entry, stamp)
        for event in events:
            cal.add_component(event)
        if events:
            first = events[0].decoded("dtstart").date()
            span += [first, _last_day(entry, first, stamp.date())]
    for moment in data.moments:
        event = moment_event(moment, stamp)
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


def first_day(entry: Recurring) -> date | None:
    """The first meeting day by its weekdays (skips aside), or None if it never meets."""
    if not entry.weekdays:
        return None
    day = entry.start
    while day.weekday() not in entry.weekdays:
        day += timedelta(days=1)
    if entry.end is not None and day > entry.end:
        return None
    return day


def recurring_events(entry: Recurring, stamp: datetime) -> list[Event]:
    """The meeting's recurring event, then an override for each day the bot moves."""
    start_day = first_day(entry)
    if start_day is None:
        return []
    zone = ZoneInfo(entry.zone)
    main = _meeting(entry, stamp)
    main.add("summary", entry.summary)
    main.add("dtstart", _wall(start_day, entry.at, zone))
    main.add("dtend", _wall(start_day, entry.at, zone) + MEETING_LENGTH)
    rule: dict[str, object] = {"FREQ": "WEEKLY", "BYDAY": [BYDAY[d] for d in entry.weekdays]}
    if entry.end is not None:
        # UNTIL is inclusive; the end of the last local day covers that day's meeting.
        rule["UNTIL"] = datetime.combine(entry.end, LAST_SECOND, zone).astimezone(UTC)
    main.add("rrule", vRecur(rule))
    if entry.skips:
        main.add("exdate", [_wall(day, entry.at, zone) for day in entry.skips])
    _describe(main, entry)
    events = [main]
    for day in _moved_days(entry, start_day, stamp.date()):
        events.append(_override(entry, stamp, day))
    return events


def _meeting(entry: Recurring, stamp: datetime) -> Event:
    """An event of the meeting with what every one of its events begins with."""
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", entry.sequence)
    return event


def _describe(event: Event, entry: Recurring) -> None:
    """What every event of the meeting ends with: its description, link and status."""
    event.add("description", entry.description)
    if entry.link:
        event.add("location", entry.link)
        event.add("url", entry.link)
    event.add("status", "CONFIRMED")


def _override(entry: Recurring, stamp: datetime, day: date) -> Event:
    """The occurrence of `day`, at the instant the bot holds it (the end of a DST gap)."""
    zone = ZoneInfo(entry.zone)
    instant = localize(day, entry.at, zone).astimezone(zone)
    if _repeated(day, entry.at, zone):
        instant = instant.astimezone(UTC)  # a wall time read alike only in UTC
    event = _meeting(entry, stamp)
    event.add("recurrence-id", _wall(day, entry.at, zone))
    event.add("summary", entry.summary)
    event.add("dtstart", instant)
    event.add("dtend", instant + MEETING_LENGTH)
    _describe(event, entry)
    return event


def moment_event(moment: Moment, stamp: datetime) -> Event:
    """The moment as one event at its instant, in its zone, without an end and as free time."""
    event = Event()
    event.add("uid", moment.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", moment.sequence)
    event.add("summary", moment.summary)
    event.add("dtstart", moment.at)
    event.add("transp", "TRANSPARENT")
    event.add("categories", [moment.category])
    event.add("description", moment.description)
    event.add("status", "CANCELLED" if moment.cancelled else "CONFIRMED")
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


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The wall time `day at` in `zone`, as written in the feed (TZID form)."""
    return datetime.combine(day, at, zone)


def _last_day(entry: Recurring, first: date, today: date) -> date:
    """The meeting's end, or for an open-ended one the end of the span planned from today."""
    return entry.end or max(first, today) + OPEN_ENDED


def _moved_days(entry: Recurring, first: date, today: date) -> list[date]:
    """Meeting days (skips aside) whose wall time falls in a DST gap or is repeated."""
    zone = ZoneInfo(entry.zone)
    last = _last_day(entry, first, today)
    found = []
    for year in range(first.year, last.year + 1):
        for day in _transition_days(entry.zone, year):
            if first <= day <= last and entry.meets_on(day):
                wall = datetime.combine(day, entry.at)
                instant = localize(day, entry.at, zone)
                moved = instant.astimezone(zone).replace(tzinfo=None) != wall
                if moved or _repeated(day, entry.at, zone):
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
