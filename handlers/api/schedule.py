"""Milestones over the API: the schedule, and a milestone's move announced as a slip."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path

from bot.api import schemas
from bot.core.services import Services
from bot.schedule import flows
from bot.schedule import service as schedule
from bot.schedule.models import Milestone
from handlers.api.access import ReleaseId, Writer, acting, release_routes

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


def milestones(session: Session, release_id: int) -> list[schemas.Milestone]:
    """The release's milestones in time order."""
    return [milestone_of(m) for m in schedule.milestones(session, release_id)]


def router(services: Services) -> APIRouter:
    """The milestone routes."""
    routes = release_routes("schedule", writes=True)

    @routes.post("/milestones/{name}/move")
    async def move_milestone(
        release_id: ReleaseId, name: MilestoneName, caller: Writer, body: schemas.MilestoneMove
    ) -> schemas.Milestone:
        """Move a milestone (the token's maker must lead); the channel hears it slipped, and why."""
        now = services.now()
        with acting(services, caller) as actor:
            change = flows.move_to(
                services, caller.release_id, name, body.to, body.reason, actor=actor, now=now
            )
        return milestone_of(change.milestone)

    return routes
