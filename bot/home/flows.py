"""App Home as a live view: published through the outbox when opened and when releases change.

A person's Home is a live message of the outbox (kind "home", ref = their user id): opening
it, or a change to a release they are involved in, notes that it must be refreshed, and the
sender publishes it from the database (at most once a second per person, after an outage
too). Who looked recently is kept in the database (`home_viewer`), so every replica knows
it; a change's refreshes are noted inside the change's own transaction (a hook run before it
commits), so none is lost between the commit and the refresh, whichever replica made it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core.asks.home import Viewer
from bot.core.outbox import Update
from bot.core.services import Services
from bot.home import agenda, render
from bot.home.models import HomeViewer
from bot.release import service as releases
from bot.release.groups import MembersOf

log = logging.getLogger(__name__)
KIND = "home"
VIEWER_TTL = timedelta(days=1)


def opened(services: Services, user_id: str) -> None:
    """The person opened their Home: remember them and owe its publication, at once.

    Which user groups they are in is read from Slack afterwards, off the request thread
    (`learn_groups`), so a later change to work a group owns reaches them without asking
    Slack inside that change.
    """
    if not user_id:
        return
    now = services.now()
    with services.db.session() as s:
        _remember(s, user_id, now)
        s.execute(delete(HomeViewer).where(col(HomeViewer.seen_at) < now - VIEWER_TTL))
        services.outbox.refresh(s, KIND, user_id, now)
    services.notifier.later(learn_groups, services, user_id)


def learn_groups(services: Services, user_id: str) -> None:
    """Keep, with the person's Home memory, the user groups holding roles that they are in."""
    with services.db.read() as s:
        candidates = agenda.groups_in_active_releases(s)
    groups = " ".join(sorted(groups_of(user_id, candidates, services.people.members_of)))
    with services.db.session() as s:
        viewer = s.get(HomeViewer, user_id)
        if viewer is not None and viewer.groups != groups:
            viewer.groups = groups
            s.add(viewer)


def groups_of(user_id: str, candidates: set[str], members_of: MembersOf) -> set[str]:
    """Those of the user groups that the person is in now (a group Slack cannot read: not)."""
    found = set()
    for group in sorted(candidates):
        try:
            if user_id in members_of(group):
                found.add(group)
        except Exception:
            log.info("could not read the members of %s for a Home", group)
    return found


def _remember(session: Session, user_id: str, now: datetime) -> None:
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(HomeViewer).values(user_id=user_id, seen_at=now, groups="")
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_={"seen_at": now})
    session.execute(stmt)


def owe_refreshes(services: Services, session: Session, release_ids: set[int]) -> None:
    """Inside a change's transaction: owe a refresh of each recent viewer it concerns.

    Run in a savepoint, so a failure here is logged and never undoes the change itself.
    """
    now = services.now()
    try:
        with session.begin_nested():
            viewers = list(
                session.exec(select(HomeViewer).where(HomeViewer.seen_at > now - VIEWER_TTL))
            )
            if not viewers:
                return
            people = agenda.people_involved(session, agenda.parts_of(services), release_ids)
            groups = agenda.groups_involved(session, release_ids)
            for viewer in viewers:
                if viewer.user_id in people or viewer.group_ids() & groups:
                    services.outbox.refresh(session, KIND, viewer.user_id, now)
    except Exception:
        log.exception("noting the Homes to refresh after a change failed")


class Homes:
    """The people's Homes: published when opened, refreshed when a change concerns them.

    Made once by the front door (`bot.home`): the outbox asks it for a Home to publish, a
    change's transaction asks it whose Home to refresh, and the Slack listener tells it
    who opened theirs.
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def opened(self, user_id: str) -> None:
        """The person opened their Home: owe its publication at once."""
        opened(self.services, user_id)

    def refresher(self, session: Session, user_id: str) -> Update:
        """The outbox's refresh of a Home: its views.publish as it stands now."""
        return refresher(self.services, session, user_id)

    def owe_refreshes(self, session: Session, release_ids: set[int]) -> None:
        """Inside a change's transaction: owe the refreshes of the Homes it concerns."""
        owe_refreshes(self.services, session, release_ids)


def home_of(services: Services, session: Session, user_id: str) -> dict[str, object]:
    """The person's Home view, rendered from the database as it stands.

    Work their user groups own counts as theirs (read from Slack, cached briefly: this runs
    in the sender, never in a click's request path).
    """
    now = services.now()
    candidates = agenda.groups_in_active_releases(session)
    groups = groups_of(user_id, candidates, services.people.members_of)
    parts = agenda.parts_of(services)
    mine = agenda.agenda_for(session, parts, Viewer(user_id, frozenset(groups)), now)
    states = []
    for release in mine.releases:
        assert release.id is not None
        states.append(
            render.ReleaseState(
                release=release,
                phase=agenda.phase_of(session, parts, release, now),
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
