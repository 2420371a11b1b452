"""`GET /releases/{id}`: the release as `/release status` shows it, each feature's part asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import APIRouter

from bot.api.schemas import ReleaseStatus, Role
from bot.core.services import Services
from bot.release import service as releases
from bot.schedule import flows as schedule_flows
from handlers.api import checklist, gates, gonogo, schedule
from handlers.api.access import Reader, ReleaseId, release_routes


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
            milestones=schedule.milestones(s, release_id),
            checklist=checklist.part(s, release),
            gates=gates.part(s, release_id),
            poll=gonogo.part(s, release),
        )


class StatusCache:
    """Each release's status for up to `ttl` seconds, forgotten the moment a change to the
    release commits here (a step, a gate's turn, a vote, a move). Jobs polling where a
    release stands then cost one build a second, not one each; what changes without an
    audited transition (a gate's newest detail, the phase by the clock) shows within `ttl`.
    """

    def __init__(self, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._kept: dict[int, tuple[float, ReleaseStatus]] = {}
        self._changes: dict[int, int] = {}  # release id -> committed changes seen
        self._lock = threading.Lock()

    def get(self, release_id: int, build: Callable[[], ReleaseStatus]) -> ReleaseStatus:
        """The kept status while fresh, else a new one from `build` (kept if nothing changed)."""
        now = self.clock()
        with self._lock:
            kept = self._kept.get(release_id)
            if kept is not None and kept[0] > now:
                return kept[1]
            seen = self._changes.get(release_id, 0)
        status = build()
        with self._lock:
            if self._changes.get(release_id, 0) == seen:  # no change committed meanwhile
                self._kept[release_id] = (now + self.ttl, status)
        return status

    def forget(self, release_ids: set[int]) -> None:
        """Changes to these releases committed: build their status anew."""
        with self._lock:
            for release_id in release_ids:
                self._kept.pop(release_id, None)
                self._changes[release_id] = self._changes.get(release_id, 0) + 1


def router(services: Services) -> APIRouter:
    """The release's routes."""
    routes = release_routes("release")
    cache = StatusCache()
    services.db.on_change(cache.forget)

    @routes.get("", summary="The release as /release status shows it")
    async def get_release(release_id: ReleaseId, caller: Reader) -> ReleaseStatus:
        return cache.get(release_id, lambda: status(services, release_id))

    return routes
