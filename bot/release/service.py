"""Releases: create, find, postpone, close, and who has authority over them.

Starting a release is for the workspace's release creators (`Creators`); moving release
day and closing are for the release's leads and the workspace admins. Each function that
changes a release takes the actor and checks it before changing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.actor import Actor
from bot.core.blocks import Blocks
from bot.core.db import Database
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.models import insert_once
from bot.core.outbox import Message, Outbox
from bot.core.text.escape import escape
from bot.release.groups import is_group
from bot.release.models import Release, RoleAssignment
from bot.release.permissions import LEAD
from bot.release.permissions import is_lead as is_lead
from bot.release.permissions import leads as leads
from bot.release.permissions import require_lead as require_lead

MAX_NAME = 80
# The state of a stand-in release that carries a checklist rehearsal: never active, never
# the channel's release, so nothing of the real one (status, trail, Home, timers) sees it.
REHEARSAL = "rehearsal"


class Creators(Protocol):
    """Who may start releases and add gates (RELEASEBOT_RELEASE_CREATORS)."""

    def allows(self, user_id: str) -> bool:
        """True when the person may start a release or add a gate."""
        ...

    def describe(self) -> str:
        """Who may, as mrkdwn mentions."""
        ...


class Anyone:
    """The default: anyone in the channel may start a release and becomes its lead."""

    def allows(self, user_id: str) -> bool:
        """Always True."""
        return True

    def describe(self) -> str:
        """Everyone."""
        return "anyone"


ANYONE = Anyone()


def require_creator(creators: Creators, actor: str, doing: str) -> None:
    """Raise Forbidden naming who may, unless the actor may start releases and add gates."""
    if not creators.allows(actor):
        raise Forbidden(f"In this workspace only {creators.describe()} can {doing}.")


FINAL_STRETCH_DAYS = 14


def active_release(session: Session, channel_id: str) -> Release:
    """The channel's active release, or NotFound with how to start one."""
    release = find_active(session, channel_id)
    if release is None:
        raise NotFound(
            "There is no active release in this channel. "
            "Start one with `/release new NAME on DATE [TIME] [TZ]`."
        )
    return release


def find_active(session: Session, channel_id: str) -> Release | None:
    """The channel's active release, or None."""
    query = select(Release).where(Release.channel_id == channel_id, Release.state == "active")
    return session.exec(query).first()


def active_ids(session: Session, release_ids: list[int]) -> set[int]:
    """Which of these releases are still active."""
    found: set[int] = set()
    for start in range(0, len(release_ids), 900):  # within any database's parameter limit
        chunk = release_ids[start : start + 900]
        query = select(Release.id).where(col(Release.id).in_(chunk), Release.state == "active")
        found.update(int(rid) for rid in session.exec(query) if rid is not None)
    return found


def active_release_or_latest(session: Session, channel_id: str) -> Release:
    """The channel's active release, else its most recently created one (for the trail)."""
    release = find_active(session, channel_id)
    if release is not None:
        return release
    query = (
        select(Release)
        .where(Release.channel_id == channel_id, Release.state != REHEARSAL)
        .order_by(col(Release.id).desc())
    )
    latest = session.exec(query).first()
    if latest is None:
        return active_release(session, channel_id)
    return latest


def lock_active(session: Session, channel_id: str) -> Release:
    """The channel's active release, locked for update (a no-op on SQLite's write lock)."""
    query = (
        select(Release)
        .where(Release.channel_id == channel_id, Release.state == "active")
        .with_for_update()
    )
    release = session.exec(query).first()
    if release is None:
        return active_release(session, channel_id)
    return release


@contextmanager
def changing(db: Database, channel_id: str) -> Iterator[tuple[Session, Release]]:
    """A write transaction on the channel's active release, locked for update (`lock_active`)."""
    with db.session() as session:
        yield session, lock_active(session, channel_id)


def create_release(
    session: Session,
    *,
    channel_id: str,
    name: str,
    release_at: datetime | None,
    zone: ZoneInfo,
    actor: str,
    now: datetime,
    creators: Creators = ANYONE,
) -> Release:
    """Create the channel's release; the caller becomes its lead."""
    require_creator(creators, actor, "start a release")
    name = name.strip()
    if not name:
        raise DomainError("A release needs a name, like `/release new v1.31`.")
    if len(name) > MAX_NAME:
        raise DomainError(f"A release name can be at most {MAX_NAME} characters long.")
    existing = find_active(session, channel_id)
    if existing is not None:
        raise Conflict(
            f"This channel already runs release *{escape(existing.name)}*. "
            "Close it with `/release close` before starting another."
        )
    release = Release(
        channel_id=channel_id,
        name=name,
        zone=zone.key,
        release_at=release_at,
        created_by=actor,
        created_at=now,
    )
    insert_once(session, release, "Another release was just started in this channel.")
    assert release.id is not None
    session.add(RoleAssignment(release_id=release.id, role=LEAD, user_id=actor, assigned_at=now))
    audit.record(
        session,
        release,
        "release.created",
        name,
        after=release_at,
        detail=f"zone {zone.key}",
        actor=actor,
        at=now,
    )
    return release


def rehearsal_release(
    session: Session, channel_id: str, *, actor: str, zone: ZoneInfo, now: datetime
) -> Release:
    """A stand-in release for a checklist rehearsal in the channel, led by `actor`.

    It copies the channel's active release (name, day, zone, role holders) when there is one,
    so the rehearsal walks with the real owners; the real release is only read.
    """
    real = find_active(session, channel_id)
    release = Release(
        channel_id=channel_id,
        name=real.name if real else "rehearsal",
        zone=real.zone if real else zone.key,
        release_at=real.release_at if real else None,
        state=REHEARSAL,
        created_by=actor,
        created_at=now,
    )
    session.add(release)
    session.flush()
    assert release.id is not None
    holders = role_holders(session, real.id) if real is not None and real.id else {}
    if actor not in holders.get(LEAD, []):
        holders[LEAD] = [*holders.get(LEAD, []), actor]
    session.add_all(
        RoleAssignment(release_id=release.id, role=role, user_id=user, assigned_at=now)
        for role, users in holders.items()
        for user in users
    )
    return release


def message_leads(
    outbox: Outbox,
    session: Session,
    release_id: int,
    key: str,
    message: tuple[str, Blocks],
    now: datetime,
) -> None:
    """Owe each lead of the release the message in a DM, once (outbox key `<key>:<lead>`).

    A lead group's members are not messaged one by one.
    """
    text, blocks = message
    outbox.queue(
        session,
        *(
            Message(key=f"{key}:{lead}", channel=lead, text=text, blocks=blocks)
            for lead in leads(session, release_id)
            if not is_group(lead)
        ),
        now=now,
    )


def role_holders(session: Session, release_id: int) -> dict[str, list[str]]:
    """Role name -> user ids, roles sorted with lead first, holders in assignment order."""
    query = (
        select(RoleAssignment)
        .where(RoleAssignment.release_id == release_id)
        .order_by(col(RoleAssignment.id))
    )
    holders: dict[str, list[str]] = {}
    for row in session.exec(query):
        holders.setdefault(row.role, []).append(row.user_id)
    ordered = sorted(holders, key=lambda role: (role != LEAD, role))
    return {role: holders[role] for role in ordered}


def postpone(
    session: Session,
    release: Release,
    *,
    release_at: datetime,
    reason: str,
    actor: Actor,
    now: datetime,
) -> datetime | None:
    """Move release day (leads and admins only); returns the old instant."""
    require_lead(session, release, actor, "move release day")
    if release_at <= now:
        raise DomainError("The new release day must be in the future.")
    before = release.release_at
    if before == release_at:
        raise DomainError("The release is already on that day and time.")
    release.release_at = release_at
    session.add(release)
    audit.record(
        session,
        release,
        "release.postponed",
        release.name,
        before=before,
        after=release_at,
        detail=reason or None,
        actor=actor.user,
        at=now,
    )
    return before


def close(
    session: Session,
    release: Release,
    *,
    cancelled: bool,
    actor: Actor,
    now: datetime,
) -> Release:
    """Mark the release released or cancelled (leads and admins only); it stops being active."""
    require_lead(session, release, actor, "close it")
    if release.state != "active":
        raise Conflict(f"Release *{escape(release.name)}* is already {release.state}.")
    release.state = "cancelled" if cancelled else "released"
    release.closed_at = now
    session.add(release)
    audit.record(
        session,
        release,
        "release.closed",
        release.name,
        before="active",
        after=release.state,
        actor=actor.user,
        at=now,
    )
    return release


def phase(release: Release, now: datetime) -> str:
    """Where the release stands, as a short phrase derived from its day and state."""
    if release.state != "active":
        return release.state
    if release.release_at is None:
        return "planning (no release day set)"
    zone = ZoneInfo(release.zone)
    today = now.astimezone(zone).date()
    day = release.release_at.astimezone(zone).date()
    if day == today:
        return "release day"
    if day < today:
        return "past release day, not closed yet"
    if (day - today).days <= FINAL_STRETCH_DAYS:
        return f"final stretch ({(day - today).days} days to go)"
    return f"in progress ({(day - today).days} days to go)"


def get(session: Session, release_id: int) -> Release:
    """A release by id, or NotFound."""
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound("That release no longer exists.")
    return release
