"""Occurrences of a wall-clock meeting series, and the timed work each occurrence brings.

Pure: no database, no clock. Occurrences are computed day by day with zoneinfo, so a series
keeps its local time across DST: a time in a spring-forward gap moves to the first instant
after the gap, and a time repeated at fall-back takes its first reading (one meeting a night).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.text.timeparse import localize

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
REMIND = "remind"
STATUS = "status"
# A status request is pointless when the meeting is closer than this when the series starts.
STATUS_MIN_NOTICE = timedelta(hours=1)
MAX_WALK_DAYS = 3700


def days_mask(days: Iterable[int]) -> int:
    """Weekday numbers (Monday = 0) as a bitmask."""
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def mask_days(mask: int) -> list[int]:
    """The weekday numbers in a bitmask, Monday first."""
    return [day for day in range(7) if mask & (1 << day)]


def describe_days(mask: int) -> str:
    """'every day', 'weekdays', or 'Mon, Wed, Fri'."""
    if mask == 0b1111111:
        return "every day"
    if mask == 0b0011111:
        return "weekdays"
    return ", ".join(DAY_NAMES[day] for day in mask_days(mask))


@dataclass(frozen=True)
class Rule:
    """When a series meets: weekdays at a local time in a zone, between two dates, minus skips."""

    days: int
    at: time
    zone: ZoneInfo
    start: date
    end: date | None = None
    skips: frozenset[date] = frozenset()

    def meets_on(self, day: date) -> bool:
        """True when the series has a meeting on this local date."""
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return bool(self.days & (1 << day.weekday())) and day not in self.skips

    def on(self, day: date) -> datetime | None:
        """The UTC instant of the meeting on a local date, or None when it does not meet."""
        return localize(day, self.at, self.zone) if self.meets_on(day) else None

    def local_date(self, instant: datetime) -> date:
        """The local date of an instant in the series' zone."""
        return instant.astimezone(self.zone).date()

    def is_occurrence(self, instant: datetime) -> bool:
        """True when `instant` is exactly one of the series' meetings."""
        return self.on(self.local_date(instant)) == instant


def occurrences(rule: Rule, after: datetime, until: datetime | None = None) -> Iterator[datetime]:
    """The series' meetings strictly after `after` (and before `until`), in order."""
    if not rule.days:
        return
    # The instant of a local date can only fall on that date or just past a gap, so starting
    # a day early never misses one.
    day = max(rule.start, rule.local_date(after) - timedelta(days=1))
    for _ in range(MAX_WALK_DAYS + len(rule.skips)):
        if rule.end is not None and day > rule.end:
            return
        instant = rule.on(day)
        if instant is not None and instant > after:
            if until is not None and instant >= until:
                return
            yield instant
        day += timedelta(days=1)


def next_occurrence(rule: Rule, after: datetime) -> datetime | None:
    """The first meeting strictly after `after`, or None when the series has ended."""
    return next(occurrences(rule, after), None)


@dataclass(frozen=True)
class Item:
    """Timed work for one meeting: a reminder `offset` seconds before, or the status request."""

    kind: str
    occurs_at: datetime
    offset: int
    due: datetime

    @property
    def key(self) -> tuple[datetime, str, int]:
        """What makes the item unique within its series."""
        return (self.occurs_at, self.kind, self.offset)


@dataclass(frozen=True)
class Plan:
    """A series' rule and the work it wants before each meeting."""

    rule: Rule
    remind: tuple[int, ...]
    status_lead: int | None
    plan_from: datetime

    @property
    def max_lead(self) -> timedelta:
        """How long before a meeting its earliest work can be due."""
        return timedelta(seconds=max((*self.remind, self.status_lead or 0, 0)))

    def items_for(self, occurs_at: datetime) -> list[Item]:
        """The work for one meeting; reminders due before the series existed are left out."""
        items = []
        for offset in self.remind:
            due = occurs_at - timedelta(seconds=offset)
            if due >= self.plan_from:
                items.append(Item(REMIND, occurs_at, offset, due))
        if self.status_lead:
            due = occurs_at - timedelta(seconds=self.status_lead)
            if due < self.plan_from and occurs_at - self.plan_from >= STATUS_MIN_NOTICE:
                due = self.plan_from  # the window was already open: ask right away
            if due >= self.plan_from:
                items.append(Item(STATUS, occurs_at, self.status_lead, due))
        return items


Claimed = set[tuple[datetime, str, int]]


def pending(plan: Plan, claimed: Claimed, now: datetime, until: datetime) -> list[Item]:
    """Unclaimed work due before `until` for meetings that have not started, oldest first."""
    found: list[Item] = []
    for occurs_at in occurrences(plan.rule, now, until + plan.max_lead):
        for item in plan.items_for(occurs_at):
            if item.due < until and item.key not in claimed:
                found.append(item)
    return sorted(found, key=lambda item: item.due)


def next_due(plan: Plan, claimed: Claimed, now: datetime) -> datetime | None:
    """When the series' next unclaimed work is due (maybe already past), or None if none is left."""
    if not plan.remind and not plan.status_lead:
        return None
    best: datetime | None = None
    for occurs_at in occurrences(plan.rule, now):
        if best is not None and occurs_at - plan.max_lead > best:
            break
        for item in plan.items_for(occurs_at):
            if item.key not in claimed and (best is None or item.due < best):
                best = item.due
    return best
