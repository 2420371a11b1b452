"""The go/no-go poll over the API: its tally, as the poll message counts it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from bot.api import schemas
from bot.core.errors import NotFound
from bot.core.services import Services
from bot.gonogo import service as gonogo
from bot.release import service as releases
from bot.release.models import Release
from handlers.api.access import Reader, ReleaseId, release_routes

if TYPE_CHECKING:
    from sqlmodel import Session  # passed through to the features' services, never opened here


def part(session: Session, release: Release) -> schemas.PollTally | None:
    """The release's latest poll counted, or None before the first one."""
    assert release.id is not None
    poll = gonogo.last_poll(session, release.id)
    if poll is None:
        return None
    tally = gonogo.tally(session, poll)
    return schemas.PollTally(
        question=poll.question,
        state=poll.state,  # type: ignore[arg-type]
        outcome=poll.outcome,
        deadline=poll.deadline,
        required=len(tally.required),
        go=tally.go,
        nogo=tally.nogo,
        missing=tally.missing,
        advisory_go=tally.advisory_go,
        advisory_nogo=tally.advisory_nogo,
    )


def router(services: Services) -> APIRouter:
    """The poll's route."""
    routes = release_routes("gonogo")

    @routes.get("/poll")
    async def get_poll(release_id: ReleaseId, caller: Reader) -> schemas.PollTally:
        """The latest go/no-go poll's tally: who voted Go, No-Go, and who has not yet."""
        with services.db.read() as s:
            found = part(s, releases.get(s, caller.release_id))
        if found is None:
            raise NotFound(
                "This release has had no go/no-go poll yet; a lead starts one with `/gonogo`."
            )
        return found

    return routes
