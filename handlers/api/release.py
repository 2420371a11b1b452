"""`GET /releases/{id}`: the release as `/release status` shows it, each feature's part asked."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name dependencies local to `router`.
from typing import Annotated

from fastapi import APIRouter, Depends

from bot.api.schemas import ReleaseStatus, Role
from bot.api.tokens import Caller
from bot.core.services import Services
from bot.release import service as releases
from bot.schedule import flows as schedule_flows
from handlers.api import checklist, gates, gonogo, problems, schedule
from handlers.api.access import Access, ReleaseId


def status(services: Services, release_id: int) -> ReleaseStatus:
    """The release with its roles, milestones, checklist, gates and poll, as stored now."""
    now = services.now()
    with services.db.read() as s:
        release = releases.get(s, release_id)
        holders = releases.role_holders(s, release_id)
        return ReleaseStatus(
            id=release_id,
            name=release.name,
            state=release.state,
            phase=schedule_flows.phase(s, release, now),
            zone=release.zone,
            release_day=release.release_at,
            roles=[Role(name=name, holders=users) for name, users in holders.items()],
            milestones=schedule.milestones(s, release),
            checklist=checklist.part(s, release),
            gates=gates.part(s, release),
            poll=gonogo.part(s, release),
        )


def router(services: Services, access: Access) -> APIRouter:
    """The release's routes."""
    routes = APIRouter(tags=["release"])

    @routes.get(
        "/releases/{release_id}",
        response_model=ReleaseStatus,
        summary="The release as /release status shows it",
        responses=problems.responses(401, 403, 404, 422, 429),
    )
    def get_release(
        release_id: ReleaseId, caller: Annotated[Caller, Depends(access.read)]
    ) -> ReleaseStatus:
        return status(services, release_id)

    return routes
