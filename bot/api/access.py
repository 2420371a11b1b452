"""Who may call the API: a live token of the release named in the path, within its rate."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import tokens
from bot.api.limits import RateLimiter
from bot.api.tokens import Caller
from bot.core.db import Database
from bot.core.errors import DomainError, Forbidden, NotFound
from bot.core.services import Services

NO_RELEASE = "There is no release {id} that this token can see. Check the release id in the URL."


class Unauthorized(DomainError):
    """No token, or a wrong or revoked one."""


class RateLimited(DomainError):
    """The token called too often; `retry_after` seconds until the next call is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"This token made too many requests; wait {retry_after} s and try again.")
        self.retry_after = retry_after


@dataclass
class Gatekeeper:
    """Checks each call's token, its release and its rate; one per running app."""

    db: Database
    services: Services
    limiter: RateLimiter

    def admit(self, secret: str | None, release_id: int, *, write: bool) -> Caller:
        """The caller, or a refusal: 401 (token), 404 (release), 429 (rate), 403 (scope)."""
        if not secret:
            raise Unauthorized(
                "This call needs a token: send `Authorization: Bearer rbt_…`. A lead makes one "
                "in the release's channel with `/release token add NAME [read|write]`."
            )
        with self.db.read() as session:
            caller = tokens.caller(session, secret)
        if caller is None:
            raise Unauthorized(
                "That token is not valid: it is mistyped, or it was revoked. See the tokens "
                "with `/release token list` in the release's channel."
            )
        wait = self.limiter.take(caller.token_id)
        if wait is not None:
            raise RateLimited(wait)
        if caller.release_id != release_id:  # the same answer as a release that does not exist
            raise NotFound(NO_RELEASE.format(id=release_id))
        if write and not caller.writes:
            raise Forbidden(
                f"Token `{caller.name}` can only read. A lead can make one that writes with "
                "`/release token add NAME write`."
            )
        now = self.services.now()
        if caller.use_is_news(now):
            with self.db.session() as session:
                tokens.note_use(session, caller.token_id, now)
        return caller
