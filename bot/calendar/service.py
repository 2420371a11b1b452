"""The release's secret link, and what its feed and page read from every feature.

The link. A release has at most one secret token; the database keeps only its sha256, so
nobody (not even the bot) can show a link again after it was made. `/release calendar`
therefore shows the link only to the person whose call creates it; asked again, it says
that a link exists and that a lead can `/release calendar reset` to make a new one, which
stops the old one working at once. A link is a capability: whoever holds it sees the
release's page and calendar, and nothing else.

The reading is plain queries on the features' tables, done here so that `feed` and `page`
stay pure: they get dataclasses and never touch the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from heapq import merge
from itertools import islice

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingSeries, MeetingSkip
from bot.burndown.recurrence import Rule, describe_days, occurrences
from bot.burndown.series import areas_of, rule_of
from bot.calendar.models import CalendarToken
from bot.checklist.models import Checklist, ChecklistStep
from bot.core import audit
from bot.core.errors import Conflict
from bot.core.models import AuditEvent
from bot.gates import history
from bot.gates import service as gate_rules
from bot.gates.models import Gate, GateCheck
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.groups import MembersOf
from bot.release.models import Release
from bot.release.service import phase, require_lead, role_holders
from bot.schedule import service as schedule
from bot.schedule.models import Milestone

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 random bits
# What a token can look like; anything else is refused before the database is asked.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,86}")
NEXT_MEETINGS = 5
RECENT_RESULTS = 5
SERIES_AUDIT_PREFIX = "series "


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
        audit.record(
            session,
            release=release,
            actor=actor,
            action="calendar.link_created",
            subject=release.name,
            at=now,
        )
    return token


def reset(
    session: Session,
    release: Release,
    *,
    actor: str,
    admins: Iterable[str],
    members_of: MembersOf,
    now: datetime,
) -> str:
    """Replace the release's token with a new one (leads only); the old link stops working."""
    require_lead(session, release, actor, admins, "make a new calendar link", members_of)
    assert release.id is not None
    had = session.execute(delete(CalendarToken).where(col(CalendarToken.release_id) == release.id))
    token = _insert(session, release, actor, now)
    if token is None:
        raise Conflict("Another lead made a new calendar link just now; ask them for it.")
    audit.record(
        session,
        release=release,
        actor=actor,
        action="calendar.link_reset",
        subject=release.name,
        detail="the old link stopped working" if getattr(had, "rowcount", 0) else None,
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
class SeriesEntry:
    """An active meeting series with its skipped days and its iCalendar SEQUENCE."""

    series: MeetingSeries
    rule: Rule
    skips: tuple[date, ...]
    areas: tuple[str, ...]
    sequence: int


@dataclass(frozen=True)
class FeedData:
    """Everything the calendar feed shows."""

    release: Release
    series: list[SeriesEntry]
    release_sequence: int
    now: datetime
    milestones: list[Milestone] = field(default_factory=list)


def feed_data(session: Session, release: Release, now: datetime) -> FeedData:
    """The release's active series with their skips and change counts, and its day's."""
    assert release.id is not None
    changes = _changes(session, release.id)
    return FeedData(
        release=release,
        series=series_entries(session, release.id, changes),
        release_sequence=changes.get(None, 0),
        now=now,
        milestones=schedule.milestones(session, release.id),
    )


def series_entries(
    session: Session, release_id: int, changes: dict[int | None, int] | None = None
) -> list[SeriesEntry]:
    """The release's active series with their rules and skipped days, oldest first."""
    found = list(
        session.exec(
            select(MeetingSeries)
            .where(MeetingSeries.release_id == release_id, MeetingSeries.state == "active")
            .order_by(col(MeetingSeries.id))
        )
    )
    skips = _skips(session, [s.id for s in found if s.id is not None])
    entries = []
    for series in found:
        assert series.id is not None
        days = tuple(sorted(skips.get(series.id, ())))
        audited = (changes or {}).get(series.id, 0)
        entries.append(
            SeriesEntry(
                series=series,
                rule=rule_of(series, days),
                skips=days,
                areas=tuple(areas_of(series)),
                sequence=series_sequence(audited, len(days)),
            )
        )
    return entries


def series_sequence(audited: int, skipped: int) -> int:
    """A series' SEQUENCE: how often it changed since it was scheduled.

    Every change of a series (scheduled, skipped a day, moved with release day, ended) is an
    audit event with subject `series <id>`, and the trail only grows, so the count minus the
    scheduling is monotonic. The number of skipped days is a floor in case the trail lacks
    events (a series made before the trail named series).
    """
    return max(audited - 1, skipped, 0)


def _skips(session: Session, series_ids: list[int]) -> dict[int, set[date]]:
    if not series_ids:
        return {}
    found: dict[int, set[date]] = {}
    query = select(MeetingSkip).where(col(MeetingSkip.series_id).in_(series_ids))
    for row in session.exec(query):
        found.setdefault(row.series_id, set()).add(row.day)
    return found


def _changes(session: Session, release_id: int) -> dict[int | None, int]:
    """Audit events per series id (`burndown.*`), and release-day moves under None."""
    query = (
        select(AuditEvent.action, AuditEvent.subject, func.count())
        .where(
            AuditEvent.release_id == release_id,
            (col(AuditEvent.action).startswith("burndown."))
            | (col(AuditEvent.action) == "release.postponed"),
        )
        .group_by(col(AuditEvent.action), col(AuditEvent.subject))
    )
    counts: dict[int | None, int] = {}
    for action, subject, count in session.exec(query):
        if action == "release.postponed":
            counts[None] = counts.get(None, 0) + count
            continue
        if not subject.startswith(SERIES_AUDIT_PREFIX):
            continue
        number = subject[len(SERIES_AUDIT_PREFIX) :]
        if number.isdigit():
            counts[int(number)] = counts.get(int(number), 0) + count
    return counts


# The page.


@dataclass(frozen=True)
class StepRow:
    """One checklist step as the page shows it."""

    position: int
    title: str
    owner: str
    state: str
    started_at: datetime | None
    activated_at: datetime | None
    finished_at: datetime | None
    not_before: datetime | None
    expected: timedelta | None


@dataclass(frozen=True)
class GateChart:
    """What a counting gate's burndown chart shows; hashable, so a drawing can be reused."""

    gate: str
    points: tuple[tuple[datetime, float], ...]
    release_day: datetime | None
    marks: tuple[tuple[datetime, str], ...]
    zone: str


@dataclass(frozen=True)
class GateRow:
    """One gate: its state and since when, its history in brief, a counting gate's chart."""

    name: str
    kind: str
    state: str
    since: datetime | None
    checked_at: datetime | None
    red_total: timedelta | None = None
    red_longest: timedelta | None = None
    recent: tuple[str, ...] = ()
    chart: GateChart | None = None


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
    """One upcoming burndown meeting."""

    at: datetime
    zone: str
    days: str
    link: str | None


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
    gates: list[GateRow]
    poll: Tally | None
    meetings: list[Meeting]
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def release_day(self) -> bool:
        """True on release day in the release's zone (the page then refreshes itself)."""
        return self.phase == "release day"


def page_data(
    session: Session, release: Release, now: datetime, meetings: int = NEXT_MEETINGS
) -> PageData:
    """Read the release page's content."""
    assert release.id is not None
    checklist = _checklist(session, release.id)
    milestones = schedule.milestones(session, release.id)
    return PageData(
        release=release,
        phase=schedule.phase_of(session, release, now) or phase(release, now),
        now=now,
        holders=role_holders(session, release.id),
        checklist=checklist.template if checklist else None,
        checklist_state=checklist.state if checklist else None,
        steps=_steps(session, checklist.id) if checklist and checklist.id else [],
        gates=_gates(session, release, now, milestones),
        poll=_tally(session, release.id),
        meetings=next_meetings(series_entries(session, release.id), now, meetings),
        milestones=[m for m in milestones if m.at > now][:meetings],
    )


def next_meetings(entries: list[SeriesEntry], now: datetime, limit: int) -> list[Meeting]:
    """The next `limit` meetings of all the series, soonest first."""
    streams = [_meetings_of(entry, now) for entry in entries]
    return list(islice(merge(*streams, key=lambda m: m.at), limit))


def _meetings_of(entry: SeriesEntry, now: datetime) -> Iterator[Meeting]:
    series = entry.series
    label = f"{describe_days(series.days)} {series.at_time}"
    for at in occurrences(entry.rule, now):
        yield Meeting(at, series.zone, label, series.link)


def _checklist(session: Session, release_id: int) -> Checklist | None:
    """The release's running checklist, else its latest one."""
    query = (
        select(Checklist)
        .where(Checklist.release_id == release_id)
        .order_by(col(Checklist.state) != "running", col(Checklist.id).desc())
    )
    return session.exec(query).first()


def _steps(session: Session, checklist_id: int) -> list[StepRow]:
    query = (
        select(ChecklistStep)
        .where(ChecklistStep.checklist_id == checklist_id)
        .order_by(col(ChecklistStep.position))
    )
    return [
        StepRow(
            position=step.position,
            title=step.title,
            owner=step.owner,
            state=step.state,
            started_at=step.started_at,
            activated_at=step.activated_at,
            finished_at=step.finished_at,
            not_before=step.not_before,
            expected=timedelta(seconds=step.expected_seconds) if step.expected_seconds else None,
        )
        for step in session.exec(query)
    ]


def _gates(
    session: Session, release: Release, now: datetime, milestones: list[Milestone]
) -> list[GateRow]:
    """Each gate with its history in brief (one query for all of them)."""
    assert release.id is not None
    query = select(Gate).where(Gate.release_id == release.id).order_by(col(Gate.name))
    found = list(session.exec(query))
    rows = history.of_release(session, release.id) if found else {}
    marks = tuple((m.at, m.name) for m in milestones)
    return [_gate_row(gate, rows.get(gate.id or 0, []), release, now, marks) for gate in found]


def _gate_row(
    gate: Gate,
    rows: list[GateCheck],
    release: Release,
    now: datetime,
    marks: tuple[tuple[datetime, str], ...],
) -> GateRow:
    red = history.red_time(rows, now) if rows else None
    points = tuple(history.values(rows)) if gate_rules.counts(gate) else ()
    chart = (
        GateChart(gate.name, points, release.release_at, marks, release.zone) if points else None
    )
    return GateRow(
        gate.name,
        gate.kind,
        gate.state,
        gate.state_since,
        gate.last_checked_at,
        red_total=red.total if red else None,
        red_longest=red.longest if red else None,
        recent=tuple(row.result for row in rows[-RECENT_RESULTS:]),
        chart=chart,
    )


def _tally(session: Session, release_id: int) -> Tally | None:
    poll = session.exec(
        select(Poll).where(Poll.release_id == release_id, Poll.state == "open")
    ).first()
    if poll is None:
        return None
    required = set(session.exec(select(PollVoter.user_id).where(PollVoter.poll_id == poll.id)))
    counts = {"go": 0, "nogo": 0, "advisory_go": 0, "advisory_nogo": 0}
    for user, choice in session.exec(
        select(PollVote.user_id, PollVote.choice).where(PollVote.poll_id == poll.id)
    ):
        if choice not in ("go", "nogo"):
            continue
        counts[choice if user in required else f"advisory_{choice}"] += 1
    return Tally(question=poll.question, deadline=poll.deadline, required=len(required), **counts)
