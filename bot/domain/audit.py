"""The audit trail: every state change as who, what, when, before -> after."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import CHANGED_RELEASES
from bot.models import AuditEvent, Release

SYSTEM_ACTOR = "releasebot"


def record(
    session: Session,
    *,
    release: Release | None,
    channel_id: str,
    actor: str,
    action: str,
    at: datetime,
    subject: str = "",
    before: str | None = None,
    after: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the change it describes)."""
    event = AuditEvent(
        release_id=release.id if release else None,
        channel_id=channel_id,
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after=after,
        detail=detail,
        at=at,
    )
    session.add(event)
    if release is not None and release.id is not None:
        touched(session, release.id)
    return event


def touched(session: Session, release_id: int) -> None:
    """Note that this transaction changes the release (listeners hear of it after commit)."""
    session.info.setdefault(CHANGED_RELEASES, set()).add(release_id)


def trail(session: Session, release_id: int) -> list[AuditEvent]:
    """Every audit event of a release, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.release_id == release_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(session.exec(query))
