"""Reading `/burndown` arguments: a series spec, a cadence, a day to skip, a meeting length."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.burndown import cadence
from bot.burndown.recurrence import days_mask
from bot.burndown.service import DEFAULT_REMIND, DEFAULT_STATUS_LEAD, SeriesSpec
from bot.core.text.escape import decode, quoted
from bot.core.text.timeparse import (
    ParseError,
    looks_like_zone,
    parse_date,
    parse_duration,
    parse_time,
    parse_weekdays,
    parse_zone,
)

MAX_LEAD = timedelta(days=7)
MAX_REMINDERS = 5
MAX_AREAS = 12
MAX_AREA = 40
MAX_LINK = 500
MAX_SUGGEST = timedelta(hours=4)
DEFAULT_SUGGEST = timedelta(minutes=30)
OPTIONS = ("from", "until", "remind", "link", "areas", "status")
OFF = ("none", "off", "no")
# The caller's zone, asked for only when a command names none (reading it may ask Slack).
CallerZone = Callable[[], ZoneInfo]
LINK = re.compile(r"^https?://[^\s<>|]+$", re.IGNORECASE)


@dataclass
class Parsed:
    """Options read from a command line, before they are checked against each other."""

    start: date | None = None
    end: date | None = None
    remind: tuple[int, ...] = DEFAULT_REMIND
    status_lead: int | None = DEFAULT_STATUS_LEAD
    link: str | None = None
    areas: tuple[str, ...] = ()
    weekly_day: int | None = None


def _value(tokens: list[str], key: str) -> str:
    """Pop an option's value; a comma-separated list may be split over several words."""
    if not tokens:
        raise ParseError(f"`{key}` needs a value after it.")
    parts = [tokens.pop(0)]
    while tokens and (parts[-1].endswith(",") or tokens[0].startswith(",")):
        parts.append(tokens.pop(0))
    return "".join(parts)


def _lead(text: str, what: str) -> int:
    span = parse_duration(text)
    if span > MAX_LEAD:
        raise ParseError(f"{what} can be at most 7 days before the meeting.")
    return int(span.total_seconds())


def parse_remind(text: str) -> tuple[int, ...]:
    """`60m,10m` as seconds before the meeting, largest first; `none` for no reminders."""
    if text.lower() in OFF:
        return ()
    offsets = {_lead(part, "A reminder") for part in text.split(",") if part.strip()}
    if not offsets:
        raise ParseError("`remind` takes durations like `60m,10m`, or `none`.")
    if len(offsets) > MAX_REMINDERS:
        raise ParseError(f"A series can have at most {MAX_REMINDERS} reminders.")
    return tuple(sorted(offsets, reverse=True))


def parse_link(text: str) -> str:
    """A meeting URL as Slack sends it (`<https://...>` or `<https://...|label>`) or bare."""
    url = text.strip()
    if url.startswith("<") and url.endswith(">"):  # Slack's link token keeps its entities
        url = decode(url[1:-1].split("|", 1)[0])
    if len(url) > MAX_LINK or not LINK.match(url):
        raise ParseError(
            f"{quoted(text)} is not a web link. Give one like `https://meet.example/x`."
        )
    return url


def parse_areas(text: str) -> tuple[str, ...]:
    """`a,b,c` as a list of distinct area names."""
    areas = [" ".join(part.split()) for part in text.split(",")]
    areas = list(dict.fromkeys(a for a in areas if a))
    if not areas:
        raise ParseError("`areas` takes names separated by commas, like `ci,docs,release-notes`.")
    if len(areas) > MAX_AREAS:
        raise ParseError(f"A series can have at most {MAX_AREAS} areas.")
    for area in areas:
        if len(area) > MAX_AREA:
            raise ParseError(f"Keep area names under {MAX_AREA} characters: {quoted(area)}.")
    return tuple(areas)


def parse_options(tokens: list[str], *, today: date, allowed: tuple[str, ...] = OPTIONS) -> Parsed:
    """Read `key value` options; anything else is refused, naming the options there are."""
    rest, found = list(tokens), Parsed()
    while rest:
        word = rest.pop(0)
        key = word.lower()
        if key not in allowed:
            names = ", ".join(f"`{name}`" for name in allowed)
            raise ParseError(f"I did not understand {quoted(word)}. The options are {names}.")
        value = _value(rest, key)
        if key == "from":
            found.start = parse_date(value, today=today)
        elif key == "until":
            found.end = parse_date(value, today=today)
        elif key == "remind":
            found.remind = parse_remind(value)
        elif key == "status":
            found.status_lead = None if value.lower() in OFF else _lead(value, "The status request")
        elif key == "link":
            found.link = parse_link(value)
        elif key == "areas":
            found.areas = parse_areas(value)
        elif key == "weekly":
            found.weekly_day = _weekday(value)
    return found


def _weekday(text: str) -> int:
    days = parse_weekdays(text)
    if len(days) != 1:
        raise ParseError("`weekly` takes one day, like `weekly tue`.")
    return next(iter(days))


def _time_and_zone(tokens: list[str]) -> tuple[time | None, ZoneInfo | None, list[str]]:
    """Pop an optional TIME and an optional TZ from the front of the tokens."""
    rest = list(tokens)
    at = None
    if rest and rest[0].lower() not in (*OPTIONS, "weekly") and not looks_like_zone(rest[0]):
        at = parse_time(rest.pop(0))
    zone = parse_zone(rest.pop(0)) if rest and looks_like_zone(rest[0]) else None
    return at, zone, rest


def parse_schedule(args: list[str], *, now: datetime, default_zone: CallerZone) -> SeriesSpec:
    """`DAYS TIME [TZ] [from DATE] [until DATE] [remind ..] [link ..] [areas ..] [status ..]`.

    `default_zone` is asked only when no zone is named (it may have to ask Slack).
    """
    if len(args) < 2:
        raise ParseError("Say which days and what time, like `mon,wed,fri 10:00 PT`.")
    days = parse_weekdays(args[0])
    at, named_zone, rest = _time_and_zone(args[1:])
    if at is None:
        raise ParseError("Say what time the meeting starts, like `10:00` or `4:30pm`.")
    zone = named_zone or default_zone()
    today = now.astimezone(zone).date()
    opts = parse_options(rest, today=today)
    return SeriesSpec(
        days=days_mask(days),
        at=at,
        zone=zone,
        start=opts.start or today,
        end=opts.end,
        remind=opts.remind,
        status_lead=opts.status_lead,
        link=opts.link,
        areas=opts.areas,
    )


def parse_cadence(
    args: list[str], *, now: datetime, caller_zone: CallerZone
) -> tuple[str, SeriesSpec, int]:
    """`NAME [TIME [TZ]] [weekly DAY] [remind ..] [link ..] [areas ..] [status ..]`.

    Returns the cadence's name, the template of its series, and the weekly meeting's day.
    Without a time the cadence's own default applies; a time without a zone is the caller's.
    """
    if not args:
        raise ParseError("Name the cadence, like `kubernetes`.")
    name = args[0].lower()
    at, named_zone, rest = _time_and_zone(args[1:])
    if at is None:
        at, zone = cadence.DEFAULT_TIME, named_zone or cadence.DEFAULT_ZONE
    else:
        zone = named_zone or caller_zone()
    today = now.astimezone(zone).date()
    allowed = ("weekly", "remind", "link", "areas", "status")
    opts = parse_options(rest, today=today, allowed=allowed)
    if name not in cadence.CADENCES:
        known = ", ".join(f"`{c}`" for c in cadence.CADENCES)
        raise ParseError(f"{quoted(name)} is not a cadence I know. I know {known}.")
    spec = SeriesSpec(days=0, at=at, zone=zone, start=today)
    spec = replace(
        spec, remind=opts.remind, status_lead=opts.status_lead, link=opts.link, areas=opts.areas
    )
    weekly_day = cadence.DEFAULT_WEEKLY_DAY if opts.weekly_day is None else opts.weekly_day
    return name, spec, weekly_day


def parse_series_id(text: str) -> int:
    """`12` or `#12` as a series id."""
    word = text.strip().lstrip("#")
    if not word.isdigit() or len(word) > 9:
        raise ParseError(f"{quoted(text)} is not a series number. `/burndown list` shows them.")
    return int(word)


def parse_skip(args: list[str], *, today: date) -> tuple[date, int | None]:
    """`DATE [ID]`: the local day to skip, and the one series to skip it in (None: all)."""
    if not args or len(args) > 2:
        raise ParseError("Name the day to skip, and optionally the series number.")
    day = parse_date(args[0], today=today)
    return day, parse_series_id(args[1]) if len(args) == 2 else None


def parse_cancel(args: list[str]) -> int:
    """`ID`: the series to cancel."""
    if len(args) != 1:
        raise ParseError("Name the series to cancel by its number (see `/burndown list`).")
    return parse_series_id(args[0])


def parse_suggest(args: list[str]) -> timedelta:
    """`[DURATION]`: how long the meeting to find a time for lasts (default 30 minutes)."""
    if len(args) > 1:
        raise ParseError("`suggest` takes at most a meeting length, like `45m`.")
    length = parse_duration(args[0]) if args else DEFAULT_SUGGEST
    if length > MAX_SUGGEST:
        raise ParseError("A burndown longer than 4 hours will not fit anyone's day.")
    return length
