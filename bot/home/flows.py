"""Publishing App Home: on opening, and again for recent viewers when their releases change.

Only people who opened their Home within the last day on this replica get it refreshed:
the `Homes` object that remembers them is made by `register` and held by the listener.
"""

from __future__ import annotations

import threading
import time
from functools import partial

from bot.core.services import Services
from bot.home import agenda, render
from bot.release import service as releases

VIEWER_TTL = 24 * 3600.0
REFRESH_KEY = "home:{}"


class Viewers:
    """People who opened their Home recently on this replica: only their Home is refreshed."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def saw(self, user_id: str) -> None:
        """Remember that the person looked at their Home."""
        with self._lock:
            self._seen[user_id] = time.monotonic()

    def any(self) -> bool:
        """True when anyone looked at their Home within the last day."""
        cutoff = time.monotonic() - VIEWER_TTL
        with self._lock:
            return any(seen > cutoff for seen in self._seen.values())

    def among(self, users: set[str]) -> set[str]:
        """Those of `users` who looked at their Home within the last day."""
        cutoff = time.monotonic() - VIEWER_TTL
        with self._lock:
            return {u for u in users if u in self._seen and self._seen[u] > cutoff}


class Homes:
    """Everyone's App Home on this replica: published when opened, refreshed on changes."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.viewers = Viewers()

    def opened(self, user_id: str) -> None:
        """The person opened their Home: remember them and publish it (after the ack)."""
        self.viewers.saw(user_id)
        self.services.notifier.later(publish, self.services, user_id)

    def changed(self, release_ids: set[int]) -> None:
        """Releases changed: refresh the Home of each recent viewer involved in them."""
        if not self.viewers.any():
            return
        services = self.services
        with services.db.read() as s:
            involved = agenda.people_involved(s, release_ids)
        for user_id in self.viewers.among(involved):
            services.refresher.request(
                REFRESH_KEY.format(user_id), partial(publish, services, user_id)
            )


def publish(services: Services, user_id: str) -> None:
    """Render the person's Home from the database and publish it."""
    now = services.now()
    with services.db.read() as s:
        mine = agenda.agenda_for(s, user_id, now)
        states = []
        for release in mine.releases:
            assert release.id is not None
            states.append(
                render.ReleaseState(
                    release=release,
                    phase=releases.phase(release, now),
                    holders=releases.role_holders(s, release.id),
                    sections=services.status_sections(s, release, now),
                )
            )
    services.notifier.client.views_publish(
        user_id=user_id, view=render.home_view(mine, states, now)
    )


def register(services: Services) -> Homes:
    """Refresh viewers' Homes after every change; returns the Homes the listener tells of opens."""
    homes = Homes(services)
    services.db.on_change(lambda ids: services.notifier.later(homes.changed, ids))
    return homes
