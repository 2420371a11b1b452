"""The token check as FastAPI dependencies: `read` for any live token, `write` for write ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Path, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api.access import Gatekeeper
from bot.api.tokens import Caller
from bot.core import audit
from bot.core.actor import Actor
from bot.core.services import Services

BEARER = HTTPBearer(
    auto_error=False,
    description="A release's token, made by a lead with `/release token add NAME [read|write]`.",
)
ReleaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The release's id.")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


@contextmanager
def acting(services: Services, caller: Caller) -> Iterator[Actor]:
    """Who acts for a write token: its maker, the audit noting the token it came through."""
    with audit.acting_through(caller.made_by, caller.label):
        yield services.actor(caller.made_by)


class Access:
    """The dependencies routes declare to be called by a token of their release."""

    def __init__(self, keeper: Gatekeeper) -> None:
        self.keeper = keeper
        self.read: Callable[..., Awaitable[Caller]] = self._dependency(write=False)
        self.write: Callable[..., Awaitable[Caller]] = self._dependency(write=True)

    def _dependency(self, *, write: bool) -> Callable[..., Awaitable[Caller]]:
        keeper = self.keeper

        async def admitted(release_id: ReleaseId, credentials: Credentials = None) -> Caller:
            secret = credentials.credentials if credentials is not None else None
            return keeper.admit(secret, release_id, write=write)

        return admitted
