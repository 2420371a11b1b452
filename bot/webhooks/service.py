"""The rules of webhooks out: who may add, list, resume and remove endpoints, and what is owed.

An endpoint belongs to one release; only its leads (and admins) manage it. Its URL passes
the same address guard as a gate's (RELEASEBOT_GATE_ALLOW decides what else it may reach)
when it is added and again at every delivery. Its secret is made here, shown once by the
caller and never again: listing shows everything but the secret.

`owe` is what `outbox.emit` lands on: inside the change's transaction it writes one
delivery row per endpoint of the release that wants the event (exactly once per event key),
with the body frozen then, so every retry sends the same bytes under the same webhook-id.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.events import EVENTS, Delivery, Event
from bot.core.fetch import guard
from bot.release import service as releases
from bot.release.models import Release
from bot.release.permissions import require_lead
from bot.webhooks.models import DROPPED, PENDING, Listed, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 10
MAX_URL = 2000
FAMILIES = sorted({name.split(".")[0] for name in EVENTS})
_PATTERN = re.compile(r"[a-z]+(\.([a-z]+|\*))?|\*")


class BadFilter(DomainError):
    """An EVENTS filter that names no event; the message lists the events."""


@dataclass(frozen=True)
class Added:
    """A new endpoint and its secret (to show once)."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    """A fresh signing secret, as Standard Webhooks writes it: whsec_ + base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    """A webhook-id: unique per message, kept on every retry."""
    return f"msg_{uuid.uuid4().hex}"


def parse_filter(text: str | None) -> str:
    """`step.*,gate.red` (or nothing: every event), checked against the known events."""
    if not text or text.strip() in ("", "*"):
        return "*"
    patterns = [part.strip().lower() for part in text.split(",") if part.strip()]
    for pattern in patterns:
        if not _PATTERN.fullmatch(pattern) or not any(matches(pattern, e) for e in EVENTS):
            raise BadFilter(
                f"`{pattern[:60]}` names no event. Write events like `step.*,gate.red` "
                f"(families: {', '.join(f'{f}.*' for f in FAMILIES)}; events: "
                f"{', '.join(EVENTS)})."
            )
    return ",".join(dict.fromkeys(patterns))


def matches(pattern: str, event_type: str) -> bool:
    """True when one filter pattern (`step.*`, `gate.red`, `step`, `*`) takes the event."""
    if "." not in pattern and pattern != "*":
        pattern += ".*"
    return fnmatch.fnmatchcase(event_type, pattern)


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """True when the endpoint's filter takes the event."""
    return any(matches(p, event_type) for p in endpoint.events.split(","))


def add(
    session: Session,
    release: Release,
    url: str,
    events: str | None,
    *,
    actor: Actor,
    allow: Sequence[str],
    now: datetime,
) -> Added:
    """Add an endpoint to the release (leads only); the URL must pass the address guard."""
    require_lead(session, release, actor, "add a webhook")
    url = url.strip().strip("<>")
    if len(url) > MAX_URL:
        raise DomainError(f"That URL is too long (at most {MAX_URL} characters).")
    try:
        guard.check(url, allow)
    except guard.Refused as err:
        raise DomainError(f"That URL cannot be used: {err}") from None
    chosen = parse_filter(events)
    found = active(session, release)
    if len(found) >= MAX_ENDPOINTS:
        raise Conflict(f"A release may have at most {MAX_ENDPOINTS} webhooks; remove one first.")
    if any(e.url == url and e.events == chosen for e in found):
        raise Conflict("That URL already hears these events; remove it first to get a new secret.")
    assert release.id is not None
    endpoint = WebhookEndpoint(
        release_id=release.id,
        url=url,
        events=chosen,
        secret=new_secret(),
        created_by=actor.user,
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    audit.record(session, release, "webhook.added", url, after=chosen, actor=actor.user, at=now)
    return Added(endpoint, endpoint.secret)


def active(session: Session, release: Release) -> list[WebhookEndpoint]:
    """The release's endpoints that are not removed, oldest first."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.release_id == release.id, col(WebhookEndpoint.removed_at).is_(None))
        .order_by(col(WebhookEndpoint.id))
    )
    return list(session.exec(query))


def find(session: Session, release: Release, named: str) -> WebhookEndpoint:
    """The release's endpoint named by its number (`2`, `#2`) or its exact URL."""
    named = named.strip().strip("<>")
    for endpoint in active(session, release):
        if named.lstrip("#") == str(endpoint.id) or named == endpoint.url:
            return endpoint
    raise NotFound(
        f"This release has no webhook `{named[:80]}`; `/release webhook list` shows its numbers."
    )


def remove(
    session: Session,
    release: Release,
    named: str,
    *,
    actor: Actor,
    now: datetime,
) -> tuple[WebhookEndpoint, int]:
    """Remove an endpoint (leads only): nothing more is sent to it. It and what was dropped."""
    require_lead(session, release, actor, "remove a webhook")
    endpoint = find(session, release, named)
    endpoint.removed_at = now
    session.add(endpoint)
    dropped = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id, col(WebhookDelivery.state) == PENDING
        )
        .values(state=DROPPED, error="the endpoint was removed")
    )
    audit.record(session, release, "webhook.removed", endpoint.url, actor=actor.user, at=now)
    return endpoint, int(getattr(dropped, "rowcount", 0) or 0)


def resume(
    session: Session,
    release: Release,
    named: str,
    *,
    actor: Actor,
    now: datetime,
) -> WebhookEndpoint:
    """Deliver to a paused endpoint again (leads only), starting with what it missed."""
    require_lead(session, release, actor, "resume a webhook")
    endpoint = find(session, release, named)
    if endpoint.paused_at is None:
        raise Conflict(f"Webhook #{endpoint.id} is not paused.")
    endpoint.paused_at = None
    endpoint.failing_since = None
    endpoint.failures = 0
    session.add(endpoint)
    session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id, col(WebhookDelivery.state) == PENDING
        )
        .values(next_attempt_at=now, attempts=0)
    )
    audit.record(session, release, "webhook.resumed", endpoint.url, actor=actor.user, at=now)
    return endpoint


def listing(session: Session, release: Release) -> list[Listed]:
    """The release's endpoints with their last delivery, failures and what waits."""
    found = active(session, release)
    ids = [e.id for e in found]
    waiting: dict[int, int] = dict(
        session.exec(
            select(WebhookDelivery.endpoint_id, func.count())
            .where(col(WebhookDelivery.endpoint_id).in_(ids), WebhookDelivery.state == PENDING)
            .group_by(col(WebhookDelivery.endpoint_id))
        ).all()
    )
    return [
        Listed(
            number=e.id or 0,
            url=e.url,
            events=e.events,
            created_by=e.created_by,
            paused_at=e.paused_at,
            failures=e.failures,
            failing_since=e.failing_since,
            last_delivered_at=e.last_delivered_at,
            last_status=e.last_status,
            last_error=e.last_error,
            pending=int(waiting.get(e.id or 0, 0)),
        )
        for e in found
    ]


# --- what is owed ----------------------------------------------------------------------------


def owe(session: Session, event: Event, only: WebhookEndpoint | None = None) -> str:
    """Write the event's delivery rows (every endpoint that wants it, or `only`); its id."""
    if event.type not in EVENTS and only is None:
        raise ValueError(f"unknown event type {event.type}")
    if only is not None:
        targets = [only]
    else:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.release_id == event.release_id,
            col(WebhookEndpoint.removed_at).is_(None),
            col(WebhookEndpoint.paused_at).is_(None),
        )
        targets = [e for e in session.exec(query) if wants(e, event.type)]
    webhook_id = new_webhook_id()
    if not targets:
        return webhook_id
    body = json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False)
    rows = [
        {
            "endpoint_id": endpoint.id,
            "key": event.key[:200],
            "webhook_id": webhook_id,
            "event_type": event.type[:64],
            "body": body,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": event.at,
            "created_at": event.at,
        }
        for endpoint in sorted(targets, key=lambda e: e.id or 0)
    ]
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(WebhookDelivery).values(rows)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["endpoint_id", "key"]))
    if only is not None:  # the same key owed before keeps its first webhook-id
        first = select(WebhookDelivery.webhook_id).where(
            WebhookDelivery.endpoint_id == only.id, WebhookDelivery.key == event.key[:200]
        )
        return str(session.exec(first).one())
    return webhook_id


def send_to(session: Session, endpoint: str, event: Event) -> str:
    """Owe the event to one endpoint of its release (whatever its filter); the webhook-id."""
    release = releases.get(session, event.release_id)
    found = find(session, release, endpoint)
    if found.paused_at is not None:
        raise Conflict(
            f"Webhook #{found.id} is paused after a day of failures; a lead can "
            f"`/release webhook resume {found.id}`."
        )
    return owe(session, event, only=found)


def delivery(session: Session, webhook_id: str) -> Delivery | None:
    """What became of the first delivery under this webhook-id."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(col(WebhookDelivery.id))
    )
    row = session.exec(query).first()
    if row is None:
        return None
    return Delivery(row.webhook_id, row.state, row.attempts, row.status, row.error)
