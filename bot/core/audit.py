"""The audit trail: every state change as who, what, when, before -> after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from bot.core.db import CHANGED_RELEASES
from bot.core.models import AuditEvent

SYSTEM_ACTOR = "releasebot"
MAX_ACTOR = 120
# Who is acting through a delegate (an API token): (the person it acts for, the trail's label).
_DELEGATE: ContextVar[tuple[str, str] | None] = ContextVar("releasebot_delegate", default=None)


@contextmanager
def acting_through(user_id: str, label: str) -> Iterator[None]:
    """Within the block, what `user_id` does is written to the trail as `label`.

    An API token acts with its maker's permissions, through the same services as a click;
    the trail says who really acted (`api:deploy (made by <@U1>)`).
    """
    token = _DELEGATE.set((user_id, label[:MAX_ACTOR]))
    try:
        yield
    finally:
        _DELEGATE.reset(token)


def trail_actor(actor: str) -> str:
    """The actor as the trail writes it: a delegate's label when one acts for `actor`."""
    delegate = _DELEGATE.get()
    return delegate[1] if delegate is not None and delegate[0] == actor else actor


class Audited(Protocol):
    """What the trail needs of a release: its id and its channel."""

    id: int | None
    channel_id: str


# What a change was before and after: text, or an instant (written as ISO 8601), or nothing.
State = str | datetime | None


def record(
    session: Session,
    release: Audited | None,
    action: str,
    subject: str = "",
    *,
    actor: str,
    at: datetime,
    before: State = None,
    after: State = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add one audit event of the release to the session (committed with its change).

    `action` says what happened (`release.postponed`) to `subject` (the release's name, a
    gate's, a role's); `before` and `after` are what it was and became.
    """
    event = AuditEvent(
        release_id=release.id if release else None,
        channel_id=release.channel_id if release else "",
        actor=trail_actor(actor),
        action=action,
        subject=subject,
        before=_as_text(before),
        after=_as_text(after),
        detail=detail,
        at=at,
    )
    session.add(event)
    if release is not None and release.id is not None:
        touched(session, release.id)
    return event


def _as_text(state: State) -> str | None:
    """A state as the trail stores it: an instant as ISO 8601, text as it is."""
    return state.isoformat() if isinstance(state, datetime) else state


def touched(session: Session, release_id: int) -> None:
    """Note that this transaction changes the release (listeners hear of it after commit)."""
    session.info.setdefault(CHANGED_RELEASES, set()).add(release_id)


def trail(session: Session, release_id: int) -> list[AuditEvent]:
    """Every audit event of a release, oldest first."""
    of_release = select(AuditEvent).where(AuditEvent.release_id == release_id)
    return list(session.exec(of_release.order_by(col(AuditEvent.at), col(AuditEvent.id))))
