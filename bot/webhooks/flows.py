"""The webhook commands, each one transaction: the rule in `service`, the answer rendered."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.actor import Actor
from bot.core.blocks import Blocks
from bot.core.services import Services
from bot.release import service as releases
from bot.release.models import Release
from bot.webhooks import render
from bot.webhooks import service as webhooks


def add(services: Services, channel_id: str, url: str, events: str | None, actor: Actor) -> str:
    """Add an endpoint to the channel's release (leads); the answer shows its secret once."""
    now = services.now()
    with releases.changing(services.db, channel_id) as (s, release):
        made = webhooks.add(
            s,
            release,
            url,
            events,
            actor=actor,
            allow=services.settings.gate_allow,
            now=now,
        )
        endpoint = made.endpoint
        assert endpoint.id is not None
        return render.added(endpoint.id, endpoint.url, endpoint.events, made.secret)


def listing(services: Services, channel_id: str) -> tuple[str, Blocks]:
    """The channel's release's endpoints (anyone in the channel; never a secret)."""
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
        return render.listing(release, webhooks.listing(s, release))


def remove(services: Services, channel_id: str, named: str, actor: Actor) -> str:
    """Remove an endpoint (leads): what is still owed to it is dropped."""
    now = services.now()
    with releases.changing(services.db, channel_id) as (s, release):
        endpoint, dropped = webhooks.remove(s, release, named, actor=actor, now=now)
        return render.removed(endpoint.id or 0, endpoint.url, dropped)


def resume(services: Services, channel_id: str, named: str, actor: Actor) -> str:
    """Deliver to a paused endpoint again (leads), what it missed first."""
    now = services.now()
    with releases.changing(services.db, channel_id) as (s, release):
        endpoint = webhooks.resume(s, release, named, actor=actor, now=now)
        waiting = _waiting(s, release, endpoint.id or 0)
    return render.resumed(endpoint.id or 0, waiting)


def _waiting(session: Session, release: Release, number: int) -> int:
    found = [e for e in webhooks.listing(session, release) if e.number == number]
    return found[0].pending if found else 0
