"""Turn what people type into dates, times, zones, durations and weekday sets.

Everything here is pure: no Slack, no database, no clock. Callers pass in `today` or `now`.
Every failure is a `ParseError` whose message can be shown to the user as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

_MAX_ECHO = 60

_DATE_FORM = "Use YYYY-MM-DD, today, tomorrow or a weekday like fri."
_TIME_FORM = "Use 24-hour HH:MM like 16:00, or 10am, 4:30pm."
_ZONE_FORM = "Use an IANA name like America/Los_Angeles or an alias like PT, ET, UTC, CET."
_DURATION_FORM = "Use a number with d, h, m or s, like 45m, 1h30m, 24h."
_WEEKDAYS_FORM = "Use daily, weekdays, weekends, a list like mon,wed,fri or a range like mon-fri."
_MOMENT_EXAMPLE = "like `2026-12-09 16:00 PT`, `tomorrow 10am` or `fri 4:30pm Europe/Berlin`"


class ParseError(ValueError):
    """A user-facing message saying what was wrong and what the right form is."""


ALIASES: dict[str, str] = {
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MT": "America/Denver",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "CT": "America/Chicago",
    "CDT": "America/Chicago",
    "ET": "America/New_York",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "AKT": "America/Anchorage",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "ADT": "America/Halifax",
    "NT": "America/St_Johns",
    "NDT": "America/St_Johns",
    "BRT": "America/Sao_Paulo",
    "ART": "America/Argentina/Buenos_Aires",
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "MSK": "Europe/Moscow",
    "SAST": "Africa/Johannesburg",
    "PKT": "Asia/Karachi",
    "NPT": "Asia/Kathmandu",
    "ICT": "Asia/Bangkok",
    "WIB": "Asia/Jakarta",
    "SGT": "Asia/Singapore",
    "HKT": "Asia/Hong_Kong",
    "PHT": "Asia/Manila",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AWST": "Australia/Perth",
    "ACST": "Australia/Adelaide",
    "ACDT": "Australia/Adelaide",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "AET": "Australia/Sydney",
    "LHST": "Australia/Lord_Howe",
    "LHDT": "Australia/Lord_Howe",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
    "NZT": "Pacific/Auckland",
    "CHAST": "Pacific/Chatham",
    "CHADT": "Pacific/Chatham",
}

AMBIGUOUS: dict[str, list[str]] = {
    "IST": ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"],
    "CST": ["America/Chicago", "Asia/Shanghai", "America/Havana"],
    "BST": ["Europe/London", "Asia/Dhaka"],
    "AST": ["America/Halifax", "Asia/Riyadh"],
    "GST": ["Asia/Dubai", "Atlantic/South_Georgia"],
    "SST": ["Pacific/Pago_Pago", "Asia/Singapore"],
    "NST": ["America/St_Johns", "Pacific/Auckland"],
    "ECT": ["America/Guayaquil", "Pacific/Galapagos"],
}

_DAY_NAMES: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}

_DAY_SETS: dict[str, frozenset[int]] = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
}

# Zone names that exist in the database but must never be picked from user input.
_HIDDEN_ZONES = frozenset({"localtime", "Factory"})

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_SHAPED = re.compile(r"\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_TIME_24H = re.compile(r"(\d{1,2}):(\d{2})")
_TIME_12H = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?")
_TIME_SHAPED = re.compile(r"\d{1,2}([:.]\d{0,2})?\s*([ap]\.?m\.?)?|noon|midnight")
_DURATION = re.compile(r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")


def _echo(text: str) -> str:
    """Quote user text for Slack: in backticks, at most 60 chars, unable to break out or ping."""
    clean = " ".join(text.split()).replace("`", "'")
    if len(clean) > _MAX_ECHO:
        clean = clean[: _MAX_ECHO - 1] + "…"
    return "`" + clean.replace("<", "&lt;").replace(">", "&gt;") + "`"


# --- zones -----------------------------------------------------------------------------------


@cache
def _zone_names() -> dict[str, str]:
    """Map lower-cased IANA names to their proper spelling (built once)."""
    return {name.lower(): name for name in available_timezones() if name not in _HIDDEN_ZONES}


def parse_zone(text: str) -> ZoneInfo:
    """Return the zone named by an IANA name (any case) or an unambiguous alias."""
    word = text.strip()
    upper = word.upper()
    if upper in ALIASES:
        return ZoneInfo(ALIASES[upper])
    if upper in AMBIGUOUS:
        options = ", ".join(AMBIGUOUS[upper])
        raise ParseError(f"{_echo(word)} could mean several zones: {options}. Name one of them.")
    name = _zone_names().get(word.lower())
    if name is None:
        if not word:
            raise ParseError(f"A timezone is needed. {_ZONE_FORM}")
        raise ParseError(f"{_echo(word)} is not a timezone I know. {_ZONE_FORM}")
    return ZoneInfo(name)


def looks_like_zone(text: str) -> bool:
    """True if a token is meant as a zone: has a '/', or is a known (or ambiguous) alias."""
    word = text.strip()
    upper = word.upper()
    return "/" in word or upper in ALIASES or upper in AMBIGUOUS or upper == "UTC"


# --- dates and times -------------------------------------------------------------------------


def parse_date(text: str, *, today: date) -> date:
    """Return the date for YYYY-MM-DD, today, tomorrow, or the next weekday on or after today."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _DAY_NAMES:
        return today + timedelta(days=(_DAY_NAMES[word] - today.weekday()) % 7)
    match = _ISO_DATE.fullmatch(word)
    if match is None:
        if not word:
            raise ParseError(f"A date is needed. {_DATE_FORM}")
        raise ParseError(f"{_echo(text)} is not a date I understand. {_DATE_FORM}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(f"{_echo(text)} is not a real date. {_DATE_FORM}") from None


def _is_date_word(text: str) -> bool:
    """True if a token is meant as a date, even a wrongly written one like 2026-13-45."""
    word = text.strip().lower()
    return word in ("today", "tomorrow") or word in _DAY_NAMES or bool(_DATE_SHAPED.fullmatch(word))


def parse_time(text: str) -> time:
    """Return the time of day for 16:00, 9:05, 10am, 4:30pm, 12pm, 12am, noon or midnight."""
    word = text.strip().lower()
    if word == "noon":
        return time(12, 0)
    if word == "midnight":
        return time(0, 0)
    parts = _clock_parts(word)
    if parts is None or not (0 <= parts[0] <= 23 and 0 <= parts[1] <= 59):
        raise _time_error(text)
    return time(*parts)


def _clock_parts(word: str) -> tuple[int, int] | None:
    """Split a lower-cased 24-hour or am/pm time into 24-hour (hour, minute), or None."""
    match = _TIME_24H.fullmatch(word)
    if match is not None:
        return int(match[1]), int(match[2])
    match = _TIME_12H.fullmatch(word)
    if match is None or not 1 <= int(match[1]) <= 12:
        return None
    hour = int(match[1]) % 12 + (12 if match[3] == "p" else 0)
    return hour, int(match[2] or 0)


def _time_error(text: str) -> ParseError:
    """The error for text that is not a time of day."""
    if not text.strip():
        return ParseError(f"A time is needed. {_TIME_FORM}")
    return ParseError(f"{_echo(text)} is not a time of day. {_TIME_FORM}")


def _is_time_word(text: str) -> bool:
    """True if a token is meant as a time of day, even a wrong one like 27:99 or 10."""
    return bool(_TIME_SHAPED.fullmatch(text.strip().lower()))


# --- durations and weekday sets --------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Return a positive duration written like 45m, 1h30m, 2d, 30s or 24h."""
    word = text.strip().lower()
    match = _DURATION.fullmatch(word)
    if not word or match is None or not any(match.groups()):
        raise ParseError(f"{_echo(text)} is not a duration. {_DURATION_FORM}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    try:
        span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ParseError(f"{_echo(text)} is far too long. {_DURATION_FORM}") from None
    if span <= timedelta(0):
        raise ParseError(f"{_echo(text)} is not a positive duration. {_DURATION_FORM}")
    return span


def parse_weekdays(text: str) -> frozenset[int]:
    """Return weekday numbers (Monday=0) for daily, weekdays, weekends, mon,wed,fri or mon-fri."""
    word = text.strip().lower()
    if word in _DAY_SETS:
        return _DAY_SETS[word]
    days: set[int] = set()
    for item in word.split(","):
        item = item.strip()
        if item:
            days |= _weekday_item(item, text)
    if not days:
        raise ParseError(f"{_echo(text)} is not a set of days. {_WEEKDAYS_FORM}")
    return frozenset(days)


def _weekday_item(item: str, text: str) -> set[int]:
    """Days for one list item: a day name, or a range like mon-fri (may wrap, like fri-mon)."""
    first, sep, last = (part.strip() for part in item.partition("-"))
    if first not in _DAY_NAMES or (sep and last not in _DAY_NAMES):
        raise ParseError(f"{_echo(text)} is not a set of days. {_WEEKDAYS_FORM}")
    start = _DAY_NAMES[first]
    end = _DAY_NAMES[last] if sep else start
    return {(start + step) % 7 for step in range((end - start) % 7 + 1)}


# --- instants --------------------------------------------------------------------------------


def localize(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of wall time `day at` in `zone` (gap: skip past; overlap: first)."""
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the transition instant that opens the gap containing the nonexistent `wall`."""
    # In a gap, fold=0 reads the wall time with the old offset and fold=1 with the new one, so
    # the transition lies between the two readings. Offsets change on whole seconds; bisect.
    readings = [wall.replace(tzinfo=zone, fold=fold).timestamp() for fold in (0, 1)]
    low, high = int(min(readings)) - 1, int(max(readings)) + 1
    old_offset = _offset_at(low, zone)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, zone) == old_offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _offset_at(unix: int, zone: ZoneInfo) -> timedelta | None:
    """The UTC offset in force in `zone` at a Unix second."""
    return datetime.fromtimestamp(unix, zone).utcoffset()


@dataclass(frozen=True)
class Moment:
    """An instant, together with the zone the user meant it in."""

    instant: datetime
    zone: ZoneInfo


def parse_moment(
    tokens: list[str],
    *,
    now: datetime,
    default_zone: ZoneInfo,
    default_time: time | None = None,
    date_required: bool = True,
) -> tuple[Moment, list[str]]:
    """Read DATE [TIME] [TZ] from the front of tokens; return the Moment and the tokens left."""
    if now.tzinfo is None:
        raise ValueError("parse_moment needs an aware `now`")
    rest = list(tokens)
    date_text = _take_date(rest, date_required)
    at = parse_time(rest.pop(0)) if rest and _is_time_word(rest[0]) else None
    zone = parse_zone(rest.pop(0)) if rest and looks_like_zone(rest[0]) else default_zone
    today = now.astimezone(zone).date()
    if date_text is None:
        if at is None:
            raise ParseError(f"A time is needed, {_MOMENT_EXAMPLE}.")
        return Moment(_next_occurrence(today, at, zone, now), zone), rest
    day = parse_date(date_text, today=today)
    at = at if at is not None else default_time
    if at is None:
        raise ParseError(f"{_echo(date_text)} needs a time too, {_MOMENT_EXAMPLE}.")
    return Moment(localize(day, at, zone), zone), rest


def _take_date(rest: list[str], date_required: bool) -> str | None:
    """Pop and return the date token from the front of `rest`, or None if optional and absent."""
    if rest and (date_required or _is_date_word(rest[0])):
        return rest.pop(0)
    if date_required:
        raise ParseError(f"A date and time are needed, {_MOMENT_EXAMPLE}.")
    return None


def _next_occurrence(today: date, at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """The first instant after `now` that reads `at` in `zone`: today, else tomorrow."""
    instant = localize(today, at, zone)
    if instant <= now:
        instant = localize(today + timedelta(days=1), at, zone)
    return instant
