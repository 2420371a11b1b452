"""What the release's calendar feed and page ask every feature: its events, its part of the page.

Answers are plain data (times, titles, counts, states); the calendar renders them, as
iCalendar for the feed and HTML for the page. A feature fills only the fields it knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session

from bot.core.asks import Ask

if TYPE_CHECKING:
    from bot.release.models import Release

# The feed.


@dataclass(frozen=True)
class Recurring:
    """A weekly meeting: weekdays at a wall time in a zone, from `start` to `end`, minus skips."""

    uid: str
    summary: str
    description: str
    weekdays: tuple[int, ...]  # Monday is 0, ascending
    at: time
    zone: str
    start: date
    end: date | None
    skips: tuple[date, ...]
    sequence: int  # how often it changed, so subscribed clients replace it
    link: str | None = None

    def meets_on(self, day: date) -> bool:
        """True when there is a meeting on this local date."""
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return day.weekday() in self.weekdays and day not in self.skips


@dataclass(frozen=True)
class Moment:
    """A deadline: one instant (in the zone it is shown in), without an end, as free time."""

    uid: str
    summary: str
    description: str
    at: datetime
    sequence: int  # how often it moved
    category: str
    cancelled: bool = False


@dataclass(frozen=True)
class FeedPart:
    """A feature's events in the release's calendar feed."""

    recurring: tuple[Recurring, ...] = ()
    moments: tuple[Moment, ...] = ()


class FeedPartOf(Protocol):
    """A feature's answer: its events of `release`, as of `now`."""

    def __call__(self, session: Session, release: Release, now: datetime) -> FeedPart: ...


FEED_PART: Ask[FeedPartOf] = Ask("calendar feed part")

# The page.


@dataclass(frozen=True)
class StepRow:
    """One checklist step as the page shows it."""

    position: int
    title: str
    owner: str
    state: str
    finished: bool  # done or skipped: counted as the checklist's message counts it
    started_at: datetime | None
    activated_at: datetime | None
    finished_at: datetime | None
    not_before: datetime | None
    expected: timedelta | None


@dataclass(frozen=True)
class ChecklistView:
    """The release's running checklist, else its latest one: its template, state and steps."""

    template: str
    state: str
    steps: tuple[StepRow, ...]


@dataclass(frozen=True)
class GateView:
    """One gate: its state and since when, its history in brief, a counting gate's values."""

    name: str
    kind: str
    state: str
    since: datetime | None
    checked_at: datetime | None
    red_total: timedelta | None = None
    red_longest: timedelta | None = None
    recent: tuple[str, ...] = ()
    points: tuple[tuple[datetime, float], ...] = ()  # a counting gate's values where they change


@dataclass(frozen=True)
class Tally:
    """The open poll's counts; who voted stays in Slack."""

    question: str
    deadline: datetime | None
    required: int
    go: int
    nogo: int
    advisory_go: int
    advisory_nogo: int

    @property
    def waiting(self) -> int:
        """Required voters who have not voted yet."""
        return self.required - self.go - self.nogo


@dataclass(frozen=True)
class Meeting:
    """One upcoming meeting."""

    at: datetime
    zone: str
    days: str
    link: str | None


@dataclass(frozen=True)
class MilestoneView:
    """A milestone of the release: its name, its instant, the role that owns it."""

    name: str
    at: datetime
    owner_role: str | None


@dataclass(frozen=True)
class PagePart:
    """A feature's part of the release page; `meetings` soonest first, `milestones` all."""

    phase: str | None = None
    checklist: ChecklistView | None = None
    gates: tuple[GateView, ...] = ()
    poll: Tally | None = None
    meetings: tuple[Meeting, ...] = ()
    milestones: tuple[MilestoneView, ...] = ()


class PagePartOf(Protocol):
    """A feature's answer: its part of `release`'s page at `now`, at most `limit` meetings."""

    def __call__(
        self, session: Session, release: Release, now: datetime, limit: int
    ) -> PagePart: ...


PAGE_PART: Ask[PagePartOf] = Ask("release page part")
