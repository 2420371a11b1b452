"""App Home as a live view: published through the outbox when opened and when releases change.

A person's Home is a live message of the outbox (kind "home", ref = their user id): opening
it, or a change to a release they are involved in, notes that it must be refreshed, and the
sender publishes it from the database (at most once a second per person, after an outage
too). Only people who opened their Home within the last day on this replica are refreshed
on changes: the `Homes` object that remembers them is made by `register` and held by the
listener.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlmodel import Session

from bot.core.outbox import Update
from bot.core.services import Services
from bot.home import agenda, render
from bot.release import service as releases
from bot.schedule import flows as schedule

log = logging.getLogger(__name__)
KIND = "home"
VIEWER_TTL = 24 * 3600.0


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
    """Everyone's App Home on this replica: refreshed when opened and when releases change.

    Changes are heard after they commit; the releases changed meanwhile are gathered and
    their viewers' refreshes owed in one transaction on a worker of its own, off the
    thread that committed (a vote burst must not wait for it).
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.viewers = Viewers()
        self._lock = threading.Lock()
        self._changed: set[int] = set()
        self._draining = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="home")

    def opened(self, user_id: str) -> None:
        """The person opened their Home: remember them and owe its publication."""
        self.viewers.saw(user_id)
        with self.services.db.session() as s:
            self.services.outbox.refresh(s, KIND, user_id, self.services.now())

    def changed(self, release_ids: set[int]) -> None:
        """Releases changed (committed): their viewers' Homes are to be refreshed."""
        if not self.viewers.any():
            return
        with self._lock:
            self._changed |= release_ids
            if self._draining:
                return
            self._draining = True
        self._worker.submit(self._drain)

    def _drain(self) -> None:
        while True:
            with self._lock:
                release_ids, self._changed = self._changed, set()
                if not release_ids:
                    self._draining = False
                    return
            try:
                self._owe_refreshes(release_ids)
            except Exception:
                log.exception("noting the Homes to refresh after a change failed")

    def _owe_refreshes(self, release_ids: set[int]) -> None:
        services = self.services
        with services.db.read() as s:
            viewers = self.viewers.among(agenda.people_involved(s, release_ids))
        if not viewers:
            return
        with services.db.session() as s:
            for user_id in sorted(viewers):
                services.outbox.refresh(s, KIND, user_id, services.now())


def home_of(services: Services, session: Session, user_id: str) -> dict[str, object]:
    """The person's Home view, rendered from the database as it stands."""
    now = services.now()
    mine = agenda.agenda_for(session, user_id, now)
    states = []
    for release in mine.releases:
        assert release.id is not None
        states.append(
            render.ReleaseState(
                release=release,
                phase=schedule.phase(session, release, now),
                holders=releases.role_holders(session, release.id),
                sections=services.status_sections(session, release, now),
            )
        )
    return render.home_view(mine, states, now)


def refresher(services: Services, session: Session, user_id: str) -> Update:
    """The views.publish that shows the person their Home as it stands now."""
    return Update(
        "views.publish", {"user_id": user_id, "view": home_of(services, session, user_id)}
    )


def register(services: Services) -> Homes:
    """Teach the outbox to publish Homes; returns the Homes the listener tells of opens."""
    homes = Homes(services)
    services.outbox.refreshers[KIND] = partial(refresher, services)
    services.db.on_change(homes.changed)
    return homes
