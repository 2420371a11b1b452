"""Milestone times: offsets from release day, a date alone, and the countdown offsets. Pure.

An offset counts days or weeks from release day, read in the release's zone:

- `R` (or `+0d`): release day's own instant.
- `-33d`, `+2d`: that many days from release day; `-5w`: five weeks.
- `-5w thu`: the Thursday of the week (Monday to Sunday) five weeks before release week,
  the way OpenStack names its weeks (R-5).
- any of these followed by a time, and optionally a zone: `-33d 02:00 UTC`.

Without a time, a milestone falls at the end of its day (23:59 in the release's zone), as a
date alone does in `/release milestone add`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.text.escape import quoted
from bot.core.text.timeparse import ParseError, localize, looks_like_zone, parse_time, parse_zone

END_OF_DAY = time(23, 59)
OFFSET_FORM = "like `R-33d`, `-68d 02:00 UTC`, `-5w thu` or `R` for release day itself"
NOTIFY_FORM = "like `4w,1w,1d,1h` (w, d, h, m), or `off`"
DEFAULT_NOTIFY: tuple[int, ...] = (28 * 86400, 7 * 86400, 86400, 3600)
MAX_NOTIFY = 8
MIN_NOTICE = 60
MAX_NOTICE = 26 * 7 * 86400
MAX_OFFSET_DAYS = 3 * 366

_OFFSET = re.compile(r"(?:r)?([+-])(\d{1,4})([dw])", re.IGNORECASE)
_NOTICE = re.compile(r"(\d{1,4})([wdhm])")
_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY_NAMES = tuple(_WEEKDAYS)
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_SHAPED = re.compile(r"\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_TIME_SHAPED = re.compile(r"\d{1,2}([:.]\d{0,2})?\s*([ap]\.?m\.?)?|noon|midnight", re.IGNORECASE)
_DATE_WORDS = frozenset(
    {"today", "tomorrow", "mon", "monday", "tue", "tues", "tuesday", "wed", "weds"}
    | {"wednesday", "thu", "thur", "thurs", "thursday", "fri", "friday", "sat", "saturday"}
    | {"sun", "sunday"}
)


@dataclass(frozen=True)
class Offset:
    """Where a milestone falls relative to release day."""

    amount: int = 0  # days, or weeks when `weeks`
    weeks: bool = False
    weekday: int | None = None  # with weeks: that day of the week
    at: time | None = None  # None: end of day (or release day's instant for `R`)
    zone: str | None = None  # None: the release's zone

    @property
    def is_release(self) -> bool:
        """True for release day's own instant (`R`)."""
        return self.amount == 0 and self.weekday is None and self.at is None

    def text(self) -> str:
        """The canonical form kept with the milestone: `-33d 02:00 UTC`, `-5w thu`, `R`."""
        if self.is_release:
            return "R"
        parts = [f"{'-' if self.amount < 0 else '+'}{abs(self.amount)}{'w' if self.weeks else 'd'}"]
        if self.weekday is not None:
            parts.append(_WEEKDAY_NAMES[self.weekday])
        if self.at is not None:
            parts.append(f"{self.at:%H:%M}")
            if self.zone:
                parts.append(self.zone)
        return " ".join(parts)

    def resolve(self, release_at: datetime, release_zone: ZoneInfo) -> tuple[datetime, ZoneInfo]:
        """The instant for this release day, and the zone its time is meant in."""
        if self.is_release:
            return release_at, release_zone
        day = release_at.astimezone(release_zone).date()
        if self.weeks and self.weekday is not None:
            day = day - timedelta(days=day.weekday()) + timedelta(weeks=self.amount)
            day += timedelta(days=self.weekday)
        else:
            day += timedelta(weeks=self.amount) if self.weeks else timedelta(days=self.amount)
        zone = ZoneInfo(self.zone) if self.zone else release_zone
        return localize(day, self.at or END_OF_DAY, zone), zone


def is_offset_word(word: str) -> bool:
    """True for a word that starts an offset: `R`, `R-3d`, `-3d`, `+1w`."""
    return word.lower() == "r" or bool(_OFFSET.fullmatch(word))


def is_date_word(word: str) -> bool:
    """True for a word meant as a milestone's date: a date, a weekday, or an offset."""
    lowered = word.lower()
    return lowered in _DATE_WORDS or bool(_DATE_SHAPED.fullmatch(lowered)) or is_offset_word(word)


def is_time_word(word: str) -> bool:
    """True for a word meant as a time of day, even a wrong one like 27:99."""
    return bool(_TIME_SHAPED.fullmatch(word.strip()))


def parse_offset(words: list[str]) -> tuple[Offset, list[str]]:
    """Read an offset from the front of `words`; return it and the words left."""
    if not words:
        raise ParseError(f"An offset is needed, {OFFSET_FORM}.")
    rest = list(words)
    first = rest.pop(0)
    amount, weeks = 0, False
    if first.lower() != "r":
        match = _OFFSET.fullmatch(first)
        if match is None:
            raise ParseError(f"{quoted(first)} is not an offset from release day, {OFFSET_FORM}.")
        amount = int(match[2]) * (-1 if match[1] == "-" else 1)
        weeks = match[3].lower() == "w"
    if abs(amount) * (7 if weeks else 1) > MAX_OFFSET_DAYS:
        raise ParseError(f"{quoted(first)} is more than three years from release day.")
    weekday = None
    if rest and rest[0].lower()[:3] in _WEEKDAYS and rest[0].isalpha():
        if not weeks:
            raise ParseError(
                f"A weekday goes with an offset in weeks, like `-5w {rest[0].lower()[:3]}`."
            )
        weekday = _WEEKDAYS[rest.pop(0).lower()[:3]]
    at = parse_time(rest.pop(0)) if rest and is_time_word(rest[0]) else None
    zone = None
    if rest and looks_like_zone(rest[0]):
        if at is None:
            raise ParseError("A timezone goes after a time, like `-33d 02:00 UTC`.")
        zone = parse_zone(rest.pop(0)).key
    return Offset(amount, weeks, weekday, at, zone), rest


def offset_of(text: str) -> Offset:
    """The offset kept with a milestone, read back."""
    offset, rest = parse_offset(text.split())
    if rest:
        raise ParseError(f"{quoted(text)} has more than an offset in it, {OFFSET_FORM}.")
    return offset


def parse_notify(text: str) -> tuple[int, ...]:
    """`4w,1w,1d,1h` as seconds, largest first; `off` (or `none`) for no countdown."""
    word = text.strip().lower()
    if word in ("off", "none"):
        return ()
    if word == "default":
        return DEFAULT_NOTIFY
    found: set[int] = set()
    for item in (part.strip() for part in word.split(",")):
        match = _NOTICE.fullmatch(item)
        if not item or match is None:
            raise ParseError(
                f"{quoted(item or text)} is not a time before a milestone, {NOTIFY_FORM}."
            )
        seconds = int(match[1]) * _UNITS[match[2]]
        if not MIN_NOTICE <= seconds <= MAX_NOTICE:
            raise ParseError(f"{quoted(item)} is out of range: from 1m to 26w before.")
        found.add(seconds)
    if len(found) > MAX_NOTIFY:
        raise ParseError(f"At most {MAX_NOTIFY} announcements per milestone.")
    return tuple(sorted(found, reverse=True))


def stored_notify(text: str | None) -> tuple[int, ...]:
    """Offsets as kept in the database ("" means none); None means the default."""
    if text is None:
        return DEFAULT_NOTIFY
    return tuple(sorted((int(part) for part in text.split(",") if part), reverse=True))


def notice_label(seconds: int) -> str:
    """`4w`, `1d`, `90m`: an offset in its largest whole unit."""
    for unit, size in _UNITS.items():
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe_notify(offsets: tuple[int, ...]) -> str:
    """`4w, 1w, 1d and 1h before`, or that there is no countdown."""
    if not offsets:
        return "not announced ahead (the countdown is off)"
    labels = [notice_label(o) for o in offsets]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"announced {listed} before"


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The instant's date in a zone."""
    return instant.astimezone(zone).date()


def short_day(instant: datetime, zone: ZoneInfo, today: date | None = None) -> str:
    """`Tue 21 Mar` in the zone (with the year when it is not this year's)."""
    local = instant.astimezone(zone)
    text = f"{_DAY_ABBR[local.weekday()]} {local.day} {_MONTH_ABBR[local.month - 1]}"
    if today is not None and local.year != today.year:
        text += f" {local.year}"
    return text
