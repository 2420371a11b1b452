"""App Home: what waits on the person looking, refreshed when something of theirs changes."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

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


def register(app: App, services: Services) -> None:
    """Publish Home when it is opened, and again when a release of the viewer changes."""
    viewers = Viewers()

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event.get("user", ""))
        viewers.saw(user_id)
        services.notifier.later(publish, services, user_id)

    def on_change(release_ids: set[int]) -> None:
        if not viewers.any():
            return
        with services.db.read() as s:
            involved = agenda.people_involved(s, release_ids)
        for user_id in viewers.among(involved):
            services.refresher.request(
                REFRESH_KEY.format(user_id), partial(publish, services, user_id)
            )

    services.db.on_change(lambda ids: services.notifier.later(on_change, ids))
