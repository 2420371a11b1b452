"""Meeting slots that are fair to a team spread over timezones (`/burndown suggest`). Pure.

The members' zones come from their Slack profiles (`team_zones`); members whose zone is not
known are counted apart. Every 30-minute start over a week is scored by how many members
would be inside their working hours (08:00-18:00 local, Monday to Friday in their own zone)
for the whole meeting. Slots are grouped by their UTC time of day (a recurring meeting keeps
it); when no time reaches everyone, the best pair of times to alternate between is proposed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.holidays import Holiday, country_of, holiday

STEP = timedelta(minutes=30)
WEEK = timedelta(days=7)
WORK_START = time(8, 0)
WORK_END = time(18, 0)
REGIONS = ("America", "Europe", "Africa", "Asia", "Australia", "Pacific")


def team_zones(
    members: Sequence[str], profiles: Mapping[str, Mapping[str, Any]]
) -> tuple[list[ZoneInfo], int]:
    """The zones of the members who are people, and how many members have no known zone.

    `profiles` holds Slack user records (`tz`, `is_bot`, `deleted`) by user id; bots and
    deactivated accounts are left out, a member without a record or a valid zone is unknown.
    """
    people, unknown = team_of(members, profiles)
    return [zone for _, zone in people], unknown


def team_of(
    members: Sequence[str], profiles: Mapping[str, Mapping[str, Any]]
) -> tuple[list[tuple[str, ZoneInfo]], int]:
    """Like `team_zones`, with each zone's member: (user id, zone) pairs, and the unknown."""
    people: list[tuple[str, ZoneInfo]] = []
    unknown = 0
    for member in members:
        profile = profiles.get(member) or {}
        if profile.get("is_bot") or profile.get("deleted"):
            continue
        zone = _zone(profile.get("tz"))
        if zone is None:
            unknown += 1
        else:
            people.append((member, zone))
    return people, unknown


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def region_of(zone: ZoneInfo) -> str:
    """The continent part of a zone name (America/Europe/...), else 'Other'."""
    prefix = zone.key.split("/", 1)[0]
    return prefix if prefix in REGIONS else "Other"


def in_hours(zone: ZoneInfo, start: datetime, length: timedelta) -> bool:
    """True when [start, start + length) lies inside one local working day in `zone`."""
    first = start.astimezone(zone)
    last = (start + length).astimezone(zone)
    if first.weekday() >= 5 or first.time() < WORK_START:
        return False
    if last.date() == first.date():
        return last.time() <= WORK_END
    return False


def first_slot(now: datetime) -> datetime:
    """The next half-hour boundary at or after `now`."""
    base = now.replace(minute=0, second=0, microsecond=0)
    while base < now:
        base += STEP
    return base


@dataclass(frozen=True)
class Slot:
    """A time of day (UTC) and how well it reaches the team."""

    first: datetime
    weekdays: tuple[int, ...]
    mask: int

    @property
    def count(self) -> int:
        """How many members the slot reaches."""
        return self.mask.bit_count()


@dataclass(frozen=True)
class Suggestion:
    """The best times, and a pair to alternate between when no single time fits everyone."""

    members: int
    top: list[Slot]
    pair: tuple[Slot, Slot] | None
    regions: dict[str, list[int]]

    def reached(self, slot: Slot, region: str) -> int:
        """How many members of a region the slot reaches."""
        return sum(1 for i in self.regions[region] if slot.mask >> i & 1)

    @property
    def pair_count(self) -> int:
        """How many members the pair reaches together."""
        return (self.pair[0].mask | self.pair[1].mask).bit_count() if self.pair else 0


def score(zones: Sequence[ZoneInfo], start: datetime, length: timedelta) -> list[Slot]:
    """Every UTC time of day over the week from `start`, with its best weekday coverage."""
    unique = sorted(set(zones), key=lambda z: z.key)
    members_of = {z: [i for i, m in enumerate(zones) if m == z] for z in unique}
    best: dict[time, Slot] = {}
    instant = start
    while instant < start + WEEK:
        mask = 0
        for zone in unique:
            if in_hours(zone, instant, length):
                for i in members_of[zone]:
                    mask |= 1 << i
        key = instant.time()
        seen = best.get(key)
        if seen is None or mask.bit_count() > seen.count:
            best[key] = Slot(instant, (instant.weekday(),), mask)
        elif mask == seen.mask and mask:
            best[key] = Slot(seen.first, (*seen.weekdays, instant.weekday()), mask)
        instant += STEP
    return list(best.values())


def best_pair(slots: Sequence[Slot]) -> tuple[Slot, Slot] | None:
    """The two times that together reach the most members, the fairer split first."""
    distinct: dict[int, Slot] = {}
    for slot in sorted(slots, key=lambda s: s.first):
        if slot.mask and slot.mask not in distinct:
            distinct[slot.mask] = slot
    choice: tuple[Slot, Slot] | None = None
    best_key = (-1, -1)
    for a, b in combinations(distinct.values(), 2):
        key = ((a.mask | b.mask).bit_count(), min(a.count, b.count))
        if key > best_key:
            best_key, choice = key, (a, b) if a.first <= b.first else (b, a)
    return choice


def suggest(
    zones: Sequence[ZoneInfo], now: datetime, length: timedelta, limit: int = 5
) -> Suggestion:
    """Score a week of slots for the members' zones; pair two when none reaches everyone."""
    slots = score(zones, first_slot(now), length)
    ranked = sorted((s for s in slots if s.mask), key=lambda s: (-s.count, s.first))
    regions: dict[str, list[int]] = {}
    for i, zone in enumerate(zones):
        regions.setdefault(region_of(zone), []).append(i)
    everyone = len(zones)
    pair = None
    if not ranked or ranked[0].count < everyone:
        pair = best_pair(slots)
        top_count = ranked[0].count if ranked else 0
        if pair and (pair[0].mask | pair[1].mask).bit_count() <= top_count:
            pair = None  # alternating would reach nobody new
    return Suggestion(everyone, ranked[:limit], pair, dict(sorted(regions.items())))


@dataclass(frozen=True)
class DayOff:
    """A member for whom a proposed day is a public holiday, and which one."""

    instant: datetime
    user: str
    holiday: Holiday


def holidays_for(slot: Slot, people: Sequence[tuple[str, ZoneInfo]]) -> list[DayOff]:
    """For each day the slot proposes this week, the members who have a public holiday then."""
    found: list[DayOff] = []
    for weekday in sorted(set(slot.weekdays)):
        instant = slot.first + timedelta(days=(weekday - slot.first.weekday()) % 7)
        for user, zone in people:
            code = country_of(zone.key)
            hit = holiday(code, instant.astimezone(zone).date()) if code else None
            if hit is not None:
                found.append(DayOff(instant, user, hit))
    return found
