"""Who may call the API: a live token of the release named in the path, within its rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.api import tokens
from bot.api.limits import RateLimiter
from bot.api.tokens import Caller
from bot.core.db import Database
from bot.core.errors import DomainError, Forbidden, NotFound
from bot.core.services import Services

# How long a token read from the database is trusted before it is read again. A token revoked
# on this replica is refused at once (the revocation's commit clears what is kept of its
# release); one revoked on another replica is refused within this many seconds.
TRUSTED_SECONDS = 1.0
TRUSTED_AT_MOST = 1000  # tokens kept at once; the memory starts afresh past it

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
    clock: Callable[[], float] = time.monotonic
    _trusted: dict[str, tuple[float, Caller]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.db.on_change(self._forget)

    def admit(self, secret: str | None, release_id: int, *, write: bool) -> Caller:
        """The caller, or a refusal: 401 (token), 404 (release), 429 (rate), 403 (scope)."""
        if not secret:
            raise Unauthorized(
                "This call needs a token: send `Authorization: Bearer rbt_…`. A lead makes one "
                "in the release's channel with `/release token add NAME [read|write]`."
            )
        caller = self._caller(secret)
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
            self._trust(replace(caller, last_used_at=now), secret)
        return caller

    def _caller(self, secret: str) -> Caller | None:
        """The live token with this secret: as read within the last moment, or read now."""
        key = tokens.digest(secret)
        with self._lock:
            kept = self._trusted.get(key)
        if kept is not None and kept[0] > self.clock():
            return kept[1]
        with self.db.read() as session:
            caller = tokens.caller(session, secret)
        if caller is not None:
            self._trust(caller, secret)
        return caller

    def _trust(self, caller: Caller, secret: str) -> None:
        with self._lock:
            if len(self._trusted) >= TRUSTED_AT_MOST:
                self._trusted.clear()
            self._trusted[tokens.digest(secret)] = (self.clock() + TRUSTED_SECONDS, caller)

    def _forget(self, release_ids: set[int]) -> None:
        """A change to these releases committed (a token revoked, say): read their tokens anew."""
        with self._lock:
            for key, (_, caller) in list(self._trusted.items()):
                if caller.release_id in release_ids:
                    del self._trusted[key]
