"""VTIMEZONEs from tzdata: each change of a zone's reading over a span, a block per onset.

Pure and memoised. One onset per STANDARD/DAYLIGHT block, each with its own DTSTART and no
RDATE or RRULE, is the form every calendar client reads alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# Zones change their offset at most once within this step (tzdata has no closer changes).
ZONE_PROBE = timedelta(days=1)


@dataclass(frozen=True)
class Onset:
    """One change of a zone's reading: its instant, the offsets around it, the new name."""

    at: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def vtimezone(key: str, first: date, last: date) -> Timezone:
    """The zone's VTIMEZONE from `first` to `last`: a block per onset, each with its DTSTART.

    Not icalendar's `Timezone.from_tzinfo`: it lists a block's later onsets as one
    comma-separated RDATE (ical.js reads only the first value, and ignores DTSTART beside
    RDATEs), writes an onset into a gap at the wall time after the jump where RFC 5545 reads
    DTSTART in TZOFFSETFROM's time, and probes every 64 days, missing shorter-lived offsets
    (Casablanca's month without summer time). icalendar's components carry what is found here.
    """
    zone = Timezone()
    zone.add("tzid", key)
    for onset in onsets(key, first, last):
        block = TimezoneDaylight() if onset.daylight else TimezoneStandard()
        block.add("tzname", onset.name)
        block.add("tzoffsetfrom", onset.offset_from)
        block.add("tzoffsetto", onset.offset_to)
        # RFC 5545 3.8.2.4: the onset as a wall time in the offset before it.
        block.add("dtstart", (onset.at + onset.offset_from).replace(tzinfo=None))
        zone.add_component(block)
    return zone


@lru_cache(maxsize=512)
def onsets(key: str, first: date, last: date) -> tuple[Onset, ...]:
    """The zone's reading at `first`, then each change until `last`, from its tzdata (memoised)."""
    zone = ZoneInfo(key)
    at = datetime.combine(first, time(0), UTC)
    end = datetime.combine(last, time(0), UTC)
    before = _reading(at, zone)
    found = [Onset(at, before[0], *before)]
    while at < end:
        probe = at + ZONE_PROBE
        after = _reading(probe, zone)
        if after != before:
            change = _change(zone, at, probe, before)
            found.append(Onset(change, before[0], *_reading(change, zone)))
        at, before = probe, after
    return tuple(found)


def _reading(at: datetime, zone: ZoneInfo) -> tuple[timedelta, str, bool]:
    """The zone's offset, name and whether it is summer time at the instant `at`."""
    local = at.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    return offset, local.tzname() or _signed(offset), bool(local.dst())


def _change(
    zone: ZoneInfo, low: datetime, high: datetime, before: tuple[timedelta, str, bool]
) -> datetime:
    """The first whole second after `low` (and by `high`) whose reading differs from `before`."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle -= timedelta(microseconds=middle.microsecond)
        if _reading(middle, zone) == before:
            low = middle
        else:
            high = middle
    return high


def _signed(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
