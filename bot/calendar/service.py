"""The release's secret link, and what its feed and page read from every feature.

The link. A release has at most one secret token; the database keeps only its sha256, so
nobody (not even the bot) can show a link again after it was made. `/release calendar`
therefore shows the link only to the person whose call creates it; asked again, it says
that a link exists and that a lead can `/release calendar reset` to make a new one, which
stops the old one working at once. A link is a capability: whoever holds it sees the
release's page and calendar, and nothing else.

The feed and the page ask every feature for its part (`bot.core.asks.calendar`) and put
the parts together here, so that `feed` and `page` stay pure: they get dataclasses and
never touch the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.calendar.models import CalendarToken
from bot.core import audit
from bot.core.actor import Actor
from bot.core.asks.calendar import (
    FeedPartOf,
    GateView,
    Meeting,
    MilestoneView,
    Moment,
    PagePartOf,
    Recurring,
    StepRow,
    Tally,
)
from bot.core.errors import Conflict
from bot.core.models import AuditEvent
from bot.release.models import Release
from bot.release.service import phase, require_lead, role_holders

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 random bits
# What a token can look like; anything else is refused before the database is asked.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,86}")
NEXT_MEETINGS = 5
T = TypeVar("T")


def hash_token(token: str) -> str:
    """The stored form of a token: its sha256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _insert(session: Session, release: Release, actor: str, now: datetime) -> str | None:
    """Store a new token for the release; None when the release already has one."""
    assert release.id is not None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarToken(
        release_id=release.id, token_hash=hash_token(token), created_at=now, created_by=actor
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # someone else's call created it first
    return token


def link_for(session: Session, release: Release, actor: str, now: datetime) -> str | None:
    """A new token when the release has none yet (shown once); None when one exists."""
    assert release.id is not None
    if _find(session, release.id) is not None:
        return None
    token = _insert(session, release, actor, now)
    if token is not None:
        audit.record(session, release, "calendar.link_created", release.name, actor=actor, at=now)
    return token


def reset(
    session: Session,
    release: Release,
    *,
    actor: Actor,
    now: datetime,
) -> str:
    """Replace the release's token with a new one (leads only); the old link stops working."""
    require_lead(session, release, actor, "make a new calendar link")
    assert release.id is not None
    had = session.execute(delete(CalendarToken).where(col(CalendarToken.release_id) == release.id))
    token = _insert(session, release, actor.user, now)
    if token is None:
        raise Conflict("Another lead made a new calendar link just now; ask them for it.")
    audit.record(
        session,
        release,
        "calendar.link_reset",
        release.name,
        detail="the old link stopped working" if getattr(had, "rowcount", 0) else None,
        actor=actor.user,
        at=now,
    )
    return token


def release_for_token(session: Session, token: str) -> Release | None:
    """The release a token opens, or None (malformed, unknown or rotated away)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    query = (
        select(Release)
        .join(CalendarToken, col(CalendarToken.release_id) == Release.id)
        .where(CalendarToken.token_hash == hash_token(token))
    )
    return session.exec(query).first()


def _find(session: Session, release_id: int) -> CalendarToken | None:
    query = select(CalendarToken).where(CalendarToken.release_id == release_id)
    return session.exec(query).first()


# The feed.


@dataclass(frozen=True)
class FeedData:
    """Everything the calendar feed shows."""

    release: Release
    recurring: list[Recurring]
    moments: list[Moment]
    release_sequence: int
    now: datetime


def feed_data(
    session: Session, release: Release, now: datetime, *, parts: Sequence[FeedPartOf]
) -> FeedData:
    """Every feature's events (`parts`: the answers to FEED_PART), and release day's."""
    assert release.id is not None
    found = [part(session, release, now) for part in parts]
    return FeedData(
        release=release,
        recurring=[event for part in found for event in part.recurring],
        moments=[event for part in found for event in part.moments],
        release_sequence=_postponements(session, release.id),
        now=now,
    )


def _postponements(session: Session, release_id: int) -> int:
    """How often release day moved: the SEQUENCE of its event."""
    query = select(func.count()).where(
        AuditEvent.release_id == release_id, AuditEvent.action == "release.postponed"
    )
    return session.exec(query).one()


# The page.


@dataclass(frozen=True)
class PageData:
    """Everything the release page shows, read in one transaction."""

    release: Release
    phase: str
    now: datetime
    holders: dict[str, list[str]]
    checklist: str | None
    checklist_state: str | None
    steps: list[StepRow]
    gates: list[GateView]
    poll: Tally | None
    meetings: list[Meeting]
    milestones: list[MilestoneView]
    marks: tuple[tuple[datetime, str], ...] = ()  # every milestone, for the gates' charts

    @property
    def release_day(self) -> bool:
        """True on release day in the release's zone (the page then refreshes itself)."""
        return self.phase == "release day"


def page_data(
    session: Session,
    release: Release,
    now: datetime,
    meetings: int = NEXT_MEETINGS,
    *,
    parts: Sequence[PagePartOf],
) -> PageData:
    """Read the release page's content: every feature's part (the answers to PAGE_PART)."""
    assert release.id is not None
    found = [part(session, release, now, meetings) for part in parts]
    checklist = _first(part.checklist for part in found)
    milestones = [m for part in found for m in part.milestones]
    soonest = sorted((m for part in found for m in part.meetings), key=lambda m: m.at)
    return PageData(
        release=release,
        phase=_first(part.phase for part in found) or phase(release, now),
        now=now,
        holders=role_holders(session, release.id),
        checklist=checklist.template if checklist else None,
        checklist_state=checklist.state if checklist else None,
        steps=list(checklist.steps) if checklist else [],
        gates=[gate for part in found for gate in part.gates],
        poll=_first(part.poll for part in found),
        meetings=soonest[:meetings],
        milestones=[m for m in milestones if m.at > now][:meetings],
        marks=tuple((m.at, m.name) for m in milestones),
    )


def _first(found: Iterable[T | None]) -> T | None:
    """The first feature's answer that has one."""
    return next((item for item in found if item), None)
