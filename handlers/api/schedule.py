"""Milestones over the API: the schedule, and a milestone's move announced as a slip."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name dependencies local to `router`.
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Path

from bot.api import schemas
from bot.api.tokens import Caller
from bot.core.services import Services
from bot.release.models import Release
from bot.schedule import flows
from bot.schedule import service as schedule
from bot.schedule.models import Milestone
from handlers.api import problems
from handlers.api.access import Access, ReleaseId, acting

if TYPE_CHECKING:
    from sqlmodel import Session  # passed through to the features' services, never opened here

MilestoneName = Annotated[str, Path(min_length=1, max_length=80, description="Its name.")]


def milestone_of(milestone: Milestone) -> schemas.Milestone:
    """A milestone as the API shows it."""
    return schemas.Milestone(
        name=milestone.name,
        at=milestone.at,
        zone=milestone.zone,
        planned_at=milestone.planned_at,
        phase=milestone.phase,
        moved_reason=milestone.move_reason,
    )


def milestones(session: "Session", release: Release) -> list[schemas.Milestone]:
    """The release's milestones in time order."""
    assert release.id is not None
    return [milestone_of(m) for m in schedule.milestones(session, release.id)]


def router(services: Services, access: Access) -> APIRouter:
    """The milestone routes."""
    routes = APIRouter(tags=["schedule"])

    @routes.post(
        "/releases/{release_id}/milestones/{name}/move",
        response_model=schemas.Milestone,
        responses=problems.writes(),
    )
    async def move_milestone(
        release_id: ReleaseId,
        name: MilestoneName,
        caller: Annotated[Caller, Depends(access.write)],
        body: schemas.MilestoneMove,
    ) -> schemas.Milestone:
        """Move a milestone (the token's maker must lead); the channel hears it slipped, and why."""
        now = services.now()
        with acting(services, caller) as actor:
            change = flows.move_to(
                services, caller.release_id, name, body.to, body.reason, actor=actor, now=now
            )
        return milestone_of(change.milestone)

    return routes
