"""Async status before a burndown: who is asked and may post, what they posted, who is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingSeries, MeetingStatus
from bot.burndown.recurrence import occurrences
from bot.burndown.series import areas_of, rule_of, skips_of
from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import DomainError, Forbidden, NotFound
from bot.release.models import Release, RoleAssignment
from bot.release.service import role_holders

COLOURS = ("green", "yellow", "red")
MAX_AREA = 80
MAX_NOTES = 1000


def holders(session: Session, release: Release) -> list[str]:
    """Every person holding a role in the release, each once, lead first.

    A role held by a Slack user group is left out: its members are not asked one by one.
    """
    assert release.id is not None
    found: dict[str, None] = {}
    for users in role_holders(session, release.id).values():
        found.update(dict.fromkeys(u for u in users if not u.startswith("S")))
    return list(found)


@dataclass(frozen=True)
class Meeting:
    """One meeting of a series, checked to be real and still ahead."""

    release: Release
    series: MeetingSeries
    occurs_at: datetime


def open_meeting(session: Session, series_id: int, occurs_at: datetime, now: datetime) -> Meeting:
    """The meeting a status button or form points at, or an error saying why it is gone."""
    series = session.get(MeetingSeries, series_id)
    release = session.get(Release, series.release_id) if series else None
    if series is None or release is None or release.state != "active":
        raise NotFound("That meeting's release is closed; no status is needed any more.")
    if series.state != "active":
        raise NotFound(f"Series #{series_id} was cancelled; no status is needed for it.")
    assert series.id is not None
    rule = rule_of(series, skips_of(session, [series.id])[series.id])
    if not rule.is_occurrence(occurs_at):
        raise NotFound("That meeting was skipped or moved; nothing to post for it.")
    if occurs_at <= now:
        raise DomainError("That meeting already started; post your status in the channel.")
    return Meeting(release, series, occurs_at)


def require_poster(session: Session, release: Release, actor: Actor) -> None:
    """Raise Forbidden unless the person holds a role in the release or is an admin."""
    if actor.user not in holders(session, release) and not actor.admin:
        raise Forbidden("Only people holding a role in this release post burndown status.")


def meeting_for(
    session: Session,
    series_id: int,
    occurs_at: datetime,
    *,
    actor: Actor,
    now: datetime,
) -> Meeting:
    """The meeting a status button points at, for a person who may post status for it."""
    meeting = open_meeting(session, series_id, occurs_at, now)
    require_poster(session, meeting.release, actor)
    return meeting


def post_status(
    session: Session,
    meeting: Meeting,
    *,
    actor: Actor,
    area: str,
    colour: str,
    notes: str,
    now: datetime,
) -> MeetingStatus:
    """Store (or replace) one person's status for one area of one meeting."""
    area, notes, colour = " ".join(area.split()), notes.strip(), colour.strip().lower()
    require_poster(session, meeting.release, actor)
    choices = areas_of(meeting.series)
    if not area:
        raise DomainError("Name the area your status is about.")
    if choices and area not in choices:
        raise DomainError(f"Pick one of the series' areas: {', '.join(choices)}.")
    if len(area) > MAX_AREA:
        raise DomainError(f"Keep the area under {MAX_AREA} characters.")
    if colour not in COLOURS:
        raise DomainError("Pick green, yellow or red.")
    if len(notes) > MAX_NOTES:
        raise DomainError(f"Keep the notes under {MAX_NOTES} characters.")
    values = {
        "series_id": meeting.series.id,
        "occurs_at": meeting.occurs_at,
        "user_id": actor.user,
        "area": area,
        "colour": colour,
        "notes": notes,
        "posted_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(MeetingStatus).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["series_id", "occurs_at", "user_id", "area"],
            set_={"colour": colour, "notes": notes, "posted_at": now},
        )
    )
    audit.record(
        session,
        meeting.release,
        "burndown.status",
        area,
        after=colour,
        detail=f"series {meeting.series.id} meeting {meeting.occurs_at.isoformat()}: {notes}",
        actor=actor.user,
        at=now,
    )
    return MeetingStatus(**values)  # type: ignore[arg-type]


def statuses(session: Session, series_id: int, occurs_at: datetime) -> list[MeetingStatus]:
    """Every status posted for one meeting, by area then person."""
    query = (
        select(MeetingStatus)
        .where(MeetingStatus.series_id == series_id, MeetingStatus.occurs_at == occurs_at)
        .order_by(col(MeetingStatus.area), col(MeetingStatus.posted_at))
    )
    return list(session.exec(query))


def missing(session: Session, release: Release, series_id: int, occurs_at: datetime) -> list[str]:
    """Role holders who have posted no status for the meeting."""
    posted = _posters(session, series_id, occurs_at)
    return [user for user in holders(session, release) if user not in posted]


@dataclass(frozen=True)
class StatusDue:
    """A meeting whose status window is open and the person has not posted yet."""

    release: Release
    series: MeetingSeries
    occurs_at: datetime
    opened_at: datetime


def status_due_for(session: Session, user_id: str, now: datetime) -> list[StatusDue]:
    """Open status windows the person still owes, soonest meeting first (for App Home)."""
    query = (
        select(Release, MeetingSeries)
        .join(RoleAssignment, col(RoleAssignment.release_id) == col(Release.id))
        .join(MeetingSeries, col(MeetingSeries.release_id) == col(Release.id))
        .where(
            RoleAssignment.user_id == user_id,
            Release.state == "active",
            MeetingSeries.state == "active",
            col(MeetingSeries.status_lead).is_not(None),
        )
        .distinct()
    )
    rows = list(session.exec(query))
    skips = skips_of(session, [series.id for _, series in rows if series.id is not None])
    found: list[StatusDue] = []
    for release, series in rows:
        assert series.id is not None and series.status_lead is not None
        lead = timedelta(seconds=series.status_lead)
        rule = rule_of(series, skips[series.id])
        for occurs_at in occurrences(rule, now, now + lead):
            opened = max(occurs_at - lead, series.plan_from)
            if opened <= now and user_id not in _posters(session, series.id, occurs_at):
                found.append(StatusDue(release, series, occurs_at, opened))
    return sorted(found, key=lambda due: due.occurs_at)


def _posters(session: Session, series_id: int, occurs_at: datetime) -> set[str]:
    return {row.user_id for row in statuses(session, series_id, occurs_at)}
