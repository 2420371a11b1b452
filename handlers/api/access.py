"""The token check as FastAPI dependencies: `read` for any live token, `write` for write ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api.access import Gatekeeper
from bot.api.tokens import Caller
from bot.core import audit
from bot.core.actor import Actor
from bot.core.services import Services
from handlers.api import problems

BEARER = HTTPBearer(
    auto_error=False,
    description="A release's token, made by a lead with `/release token add NAME [read|write]`.",
)
ReleaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The release's id.")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def release_routes(tag: str, *, writes: bool = False) -> APIRouter:
    """A feature's routes under `/releases/{release_id}`, each taking a `Reader` or a `Writer`,
    their refusals documented (a write's conflicts too)."""
    return APIRouter(
        prefix="/releases/{release_id}",
        tags=[tag],
        responses=problems.writes() if writes else problems.reads(),
    )


@contextmanager
def acting(services: Services, caller: Caller) -> Iterator[Actor]:
    """Who acts for a write token: its maker, the audit noting the token it came through."""
    with audit.acting_through(caller.made_by, caller.label):
        yield services.actor(caller.made_by)


def _admitted(*, write: bool) -> Callable[..., Awaitable[Caller]]:
    """The dependency admitting a token of the route's release, by the app's gatekeeper."""

    async def admitted(
        request: Request, release_id: ReleaseId, credentials: Credentials = None
    ) -> Caller:
        keeper: Gatekeeper = request.app.state.gatekeeper
        secret = credentials.credentials if credentials is not None else None
        return keeper.admit(secret, release_id, write=write)

    return admitted


# What a route declares to be called by a token of its release: any live one, or a write one.
Reader = Annotated[Caller, Depends(_admitted(write=False))]
Writer = Annotated[Caller, Depends(_admitted(write=True))]
