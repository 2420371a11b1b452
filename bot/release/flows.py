"""What follows a release change: its announcement owed, and leads told what Slack refuses.

Each change and its channel announcement are one transaction: the announcement is an outbox
row keyed by what changed (`release:<id>:new`, `release:<id>:role:<audit event>`, ...), so
it is sent once, after a Slack outage or a restart too. When Slack says the bot can no
longer post in a release's channel (removed, channel gone or archived), each lead gets one
DM saying which release and how to bring the bot back. Leads see in `/release status` when
messages to the channel have waited for Slack longer than a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core.actor import Actor
from bot.core.blocks import Blocks
from bot.core.errors import NotFound
from bot.core.events import Event, ReleaseData, release_info
from bot.core.models import AuditEvent
from bot.core.outbox import Message, Outbox, backlog
from bot.core.services import Services
from bot.release import escalation, options, render, roles
from bot.release import service as releases
from bot.release.models import Release

WAITING_AFTER = timedelta(minutes=1)
# What else moves with release day: (session, release) -> a line for the announcement.
Follower = Callable[[Session, Release], str | None]


def start(
    services: Services,
    channel_id: str,
    *,
    name: str,
    release_at: datetime | None,
    zone: ZoneInfo,
    actor: str,
    now: datetime,
) -> Release:
    """Start the channel's release (the caller becomes lead), announced in the channel."""
    with services.db.session() as s:
        release = releases.create_release(
            s,
            channel_id=channel_id,
            name=name,
            release_at=release_at,
            zone=zone,
            actor=actor,
            now=now,
            creators=services.creators,
        )
        _announce(services.outbox, s, release, "new", render.announce_new(release), now)
    services.scheduler.poke()
    return release


def assign_role(
    services: Services, channel_id: str, role: str, users: list[str], *, actor: Actor, now: datetime
) -> tuple[list[str], list[str]]:
    """Hand a role to people (leads only); a change is announced. Holders before and after."""
    with releases.changing(services.db, channel_id) as (s, release):
        before, after = roles.assign(s, release, role=role, users=users, actor=actor, now=now)
        if before != after:
            event = _latest_event(s, release, "role.assigned")
            message = render.role_assigned(roles.normalize_role(role), after, actor.user)
            _announce(services.outbox, s, release, f"role:{event}", message, now)
    services.scheduler.poke()
    return before, after


def set_escalation(
    services: Services,
    channel_id: str,
    waits: tuple[timedelta, ...] | None,
    *,
    actor: Actor,
    now: datetime,
) -> bool:
    """Set how overdue steps escalate in the channel's release (leads only); announced."""
    with releases.changing(services.db, channel_id) as (s, release):
        changed = escalation.set_waits(s, release, waits, actor=actor, now=now)
        if changed:
            event = _latest_event(s, release, "release.escalation")
            message = render.escalation_set(waits or (), actor.user)
            _announce(services.outbox, s, release, f"escalation:{event}", message, now)
    return changed


def escalation_waits(services: Services, channel_id: str) -> tuple[timedelta, ...]:
    """The waits between rungs of the channel's release (empty: the default)."""
    with services.db.read() as s:
        return escalation.waits_of(releases.active_release(s, channel_id))


def postpone(
    services: Services,
    channel_id: str,
    args: list[str],
    reason: str,
    *,
    actor: Actor,
    now: datetime,
    follow: Follower | None = None,
) -> Release:
    """Move release day (leads only) and what follows it; announced with the reason."""
    with releases.changing(services.db, channel_id) as (s, release):
        release_at = options.parse_new_day(args, release, now=now)
        before = releases.postpone(
            s, release, release_at=release_at, reason=reason, actor=actor, now=now
        )
        also = follow(s, release) if follow is not None else None
        key = f"postponed:{_latest_event(s, release, 'release.postponed')}"
        message = render.postponed(release, before, actor.user, reason, also)
        _announce(services.outbox, s, release, key, message, now)
        change = ReleaseData(
            release=release_info(release), actor=actor.user, before=before, reason=reason
        )
        services.outbox.emit(s, _hook("release.postponed", key, change, now))
    services.scheduler.poke()
    return release


def close(
    services: Services, channel_id: str, *, cancelled: bool, actor: Actor, now: datetime
) -> Release:
    """Mark the release released or cancelled (leads only), announced in the channel."""
    with releases.changing(services.db, channel_id) as (s, release):
        releases.close(s, release, cancelled=cancelled, actor=actor, now=now)
        _announce(services.outbox, s, release, "closed", render.closed(release, actor.user), now)
        change = ReleaseData(release=release_info(release), actor=actor.user, before=None)
        services.outbox.emit(s, _hook("release.closed", "closed", change, now))
    services.scheduler.poke()
    return release


def waiting_note(
    session: Session,
    release: Release,
    actor: Actor,
    now: datetime,
) -> str | None:
    """For a lead: how many messages to the channel wait for Slack past a minute, since when."""
    if not releases.is_lead(session, release, actor):
        return None
    waiting = backlog(session, release.channel_id)
    if not waiting.pending or waiting.oldest is None or waiting.age(now) < 60:
        return None
    return render.waiting_line(waiting.pending, waiting.oldest, ZoneInfo(release.zone))


def tell_leads(outbox: Outbox, session: Session, channel: str, error: str, now: datetime) -> None:
    """Slack will not take messages for this channel: each lead of its release hears it once."""
    release = _release_in(session, channel)
    if release is None or release.id is None:
        return  # a DM, or a channel that runs no release (a rehearsal)
    key = f"release:{release.id}:unreachable:{channel}:{error}"
    message = render.unreachable(release, error)
    releases.message_leads(outbox, session, release.id, key, message, now)


def _release_in(session: Session, channel: str) -> Release | None:
    """The channel's active release, else the one it ran last (its close may be owed)."""
    try:
        return releases.active_release_or_latest(session, channel)
    except NotFound:
        return None


def _latest_event(session: Session, release: Release, action: str) -> int:
    """The id of the audit event this transaction just recorded (the release is locked)."""
    session.flush()
    query = (
        select(AuditEvent.id)
        .where(AuditEvent.release_id == release.id, AuditEvent.action == action)
        .order_by(col(AuditEvent.id).desc())
    )
    found = session.exec(query).first()
    assert found is not None
    return int(found)


def _announce(
    outbox: Outbox,
    session: Session,
    release: Release,
    event: str,
    message: tuple[str, Blocks],
    now: datetime,
) -> None:
    text, blocks = message
    key = f"release:{release.id}:{event}"
    outbox.queue(
        session, Message(key=key, channel=release.channel_id, text=text, blocks=blocks), now=now
    )


def _hook(kind: str, event: str, change: ReleaseData, now: datetime) -> Event:
    """The change as the release's webhooks hear it, keyed like its announcement."""
    key = f"release:{change.release.id}:{event}"
    return Event(kind, key, change.release.id, change, now)
