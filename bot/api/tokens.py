"""API tokens: made and revoked by leads, listed without their secrets, checked on every call.

A token's secret is shown once, when it is made; only its SHA-256 is stored (a secret of 256
random bits needs no slow hash). A token acts for its own release with its maker's
permissions as they are at the time of the call, and the trail names it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.api.models import READ, SCOPES, WRITE, ApiToken
from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.text.escape import escape
from bot.core.text.names import lowered_name
from bot.release import service as releases
from bot.release.models import Release

PREFIX = "rbt_"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
MAX_TOKENS = 20
# Noting each use would write on every read; once a minute is enough to say "last used".
USE_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Made:
    """A new token: its row, and its secret (shown once, never stored)."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class Caller:
    """Who is calling: a live token of a release, with its maker and scope."""

    token_id: int
    release_id: int
    name: str
    scope: str
    made_by: str
    last_used_at: datetime | None = None

    def use_is_news(self, now: datetime) -> bool:
        """True when this use should be written down (`note_use`)."""
        return self.last_used_at is None or now - self.last_used_at >= USE_RESOLUTION

    @property
    def label(self) -> str:
        """How the trail names what this token did."""
        return label(self.name, self.made_by)

    @property
    def writes(self) -> bool:
        """True for a token that may change things."""
        return self.scope == WRITE


def label(name: str, made_by: str) -> str:
    """The trail's name for a token: `api:NAME (made by <@U1>)`."""
    return f"api:{name} (made by <@{made_by}>)"


def digest(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_NOT_A_NAME = (
    "`{}` cannot name a token: use 1 to 40 lowercase letters, digits, "
    "`.`, `_` or `-`, starting with a letter or digit, like `deploy-job`."
)


def valid_name(text: str) -> str:
    """A token name, lowercased, or DomainError with the rule."""
    return lowered_name(text, NAME, lambda: DomainError(_NOT_A_NAME.format(escape(text[:60]))))


def valid_scope(text: str) -> str:
    """`read` or `write`, or DomainError naming them."""
    scope = text.strip().lower()
    if scope not in SCOPES:
        raise DomainError(f"A token's scope is `read` or `write`, not `{escape(text[:20])}`.")
    return scope


def live(session: Session, release_id: int) -> list[ApiToken]:
    """The release's tokens that are not revoked, by name."""
    query = (
        select(ApiToken)
        .where(ApiToken.release_id == release_id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.name))
    )
    return list(session.exec(query))


def add(
    session: Session, release: Release, name: str, scope: str, *, actor: Actor, now: datetime
) -> Made:
    """Make a token for the release (leads only); its secret is returned once."""
    assert release.id is not None
    releases.require_lead(session, release, actor, "make API tokens")
    name, scope = valid_name(name), valid_scope(scope)
    existing = live(session, release.id)
    if any(token.name == name for token in existing):
        raise Conflict(f"This release already has a token `{name}`; revoke it first.")
    if len(existing) >= MAX_TOKENS:
        raise DomainError(f"A release can have at most {MAX_TOKENS} tokens; revoke one first.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        release_id=release.id,
        name=name,
        scope=scope,
        secret_hash=digest(secret),
        made_by=actor.user,
        created_at=now,
    )
    session.add(token)
    session.flush()
    audit.record(session, release, "token.added", name, after=scope, actor=actor.user, at=now)
    return Made(token, secret)


def revoke(
    session: Session, release: Release, name: str, *, actor: Actor, now: datetime
) -> ApiToken:
    """Revoke a token of the release (leads only): it is refused from the next call on."""
    assert release.id is not None
    releases.require_lead(session, release, actor, "revoke API tokens")
    wanted = name.strip().lower()
    token = next((t for t in live(session, release.id) if t.name == wanted), None)
    if token is None:
        names = ", ".join(f"`{t.name}`" for t in live(session, release.id)) or "none"
        raise NotFound(f"This release has no token `{escape(wanted[:40])}` (tokens: {names}).")
    token.revoked_at, token.revoked_by = now, actor.user
    session.add(token)
    audit.record(session, release, "token.revoked", token.name, actor=actor.user, at=now)
    return token


def caller(session: Session, secret: str) -> Caller | None:
    """The live token with this secret, or None for a wrong or revoked one."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    query = select(ApiToken).where(
        ApiToken.secret_hash == digest(secret), col(ApiToken.revoked_at).is_(None)
    )
    token = session.exec(query).first()
    if token is None or token.id is None:
        return None
    return Caller(
        token.id, token.release_id, token.name, token.scope, token.made_by, token.last_used_at
    )


def note_use(session: Session, token_id: int, now: datetime) -> None:
    """Write down that the token was used now."""
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now))


__all__ = [
    "READ",
    "WRITE",
    "Caller",
    "Made",
    "add",
    "caller",
    "label",
    "live",
    "note_use",
    "revoke",
]
