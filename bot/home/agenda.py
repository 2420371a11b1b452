"""What waits on one person across every active release: the content of their App Home.

Home asks each feature for its part (`HOME_PART`, declared in bot.core.asks.home): what
waits on the person, what comes up for them, who else a change concerns, a release's
phase. The releases and their role holders it reads itself (the release feature is shared).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.asks.home import HOME_PART, HomePart, Viewer, Waiting
from bot.core.blocks import Blocks
from bot.core.services import Services
from bot.release import service as releases
from bot.release.groups import groups_in
from bot.release.models import Release, RoleAssignment


@dataclass
class Agenda:
    """Everything that waits on a person, what comes up for them, and their releases."""

    waiting: list[Waiting] = field(default_factory=list)
    coming_up: Blocks = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)


def parts_of(services: Services) -> list[HomePart]:
    """Every feature's part of Home, in the order they show."""
    return sorted(services.answers_to(HOME_PART), key=lambda part: part.order)


def agenda_for(session: Session, parts: list[HomePart], viewer: Viewer, now: datetime) -> Agenda:
    """Ask every part what waits on the person and what comes up for them.

    Work that a user group of theirs (`viewer.groups`) owns counts as theirs, and says so.
    """
    return Agenda(
        waiting=[item for part in parts for item in part.waiting(session, viewer, now)],
        coming_up=[block for part in parts for block in part.coming_up(session, viewer, now)],
        releases=releases_of(session, viewer.user_id, set(viewer.groups)),
    )


def phase_of(session: Session, parts: list[HomePart], release: Release, now: datetime) -> str:
    """The release's phase: the first part that knows it, else the release's own."""
    assert release.id is not None
    said = (part.phase(session, release.id, now) for part in parts)
    return next((phase for phase in said if phase), None) or releases.phase(release, now)


def people_involved(session: Session, parts: list[HomePart], release_ids: set[int]) -> set[str]:
    """Everyone whose Home may change with these releases: role holders, and whom the
    parts name (voters)."""
    if not release_ids:
        return set()
    found = role_holders_in(session, release_ids)
    for part in parts:
        found |= part.involved(session, release_ids)
    return found


def groups_involved(session: Session, release_ids: set[int]) -> set[str]:
    """The user groups holding a role in these releases (their members' Homes may change)."""
    if not release_ids:
        return set()
    query = select(RoleAssignment.user_id).where(col(RoleAssignment.release_id).in_(release_ids))
    return set(groups_in(session.exec(query)))


def groups_in_active_releases(session: Session) -> set[str]:
    """Every user group holding a role in an active release."""
    query = (
        select(RoleAssignment.user_id)
        .join(Release, col(Release.id) == col(RoleAssignment.release_id))
        .where(Release.state == "active")
        .distinct()
    )
    return set(groups_in(session.exec(query)))


def releases_of(session: Session, user_id: str, groups: set[str] | None = None) -> list[Release]:
    """Active releases where the person holds a role (in person or through a group), newest
    first."""
    holders = [user_id, *sorted(groups or ())]
    query = (
        select(Release)
        .join(RoleAssignment, col(RoleAssignment.release_id) == col(Release.id))
        .where(col(RoleAssignment.user_id).in_(holders), Release.state == "active")
        .distinct()
        .order_by(col(Release.id).desc())
    )
    return list(session.exec(query))


def role_holders_in(session: Session, release_ids: set[int]) -> set[str]:
    """Every person who holds a role in one of these releases (groups have no Home)."""
    query = select(RoleAssignment.user_id).where(col(RoleAssignment.release_id).in_(release_ids))
    return {holder for holder in session.exec(query) if not holder.startswith("S")}
