"""The one lead check: who has a lead's authority over a release.

A lead is a holder of the release's `lead` role in person, a member (now, as Slack has it) of
a user group that holds the role, or a workspace admin (`RELEASEBOT_ADMINS`). Every command
and click that asks for a lead asks `is_lead` or `require_lead` here, with the group reader
(`members_of`, from `Services.people`), so a lead group counts everywhere alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.core.errors import Forbidden
from bot.release.groups import MembersOf, holds, mentions
from bot.release.models import Release, RoleAssignment

LEAD = "lead"


def leads(session: Session, release_id: int) -> list[str]:
    """The holders of the lead role (people, or user groups whose members lead), in order."""
    query = (
        select(RoleAssignment.user_id)
        .where(RoleAssignment.release_id == release_id, RoleAssignment.role == LEAD)
        .order_by(col(RoleAssignment.id))
    )
    return list(dict.fromkeys(session.exec(query)))


def is_lead(
    session: Session,
    release: Release,
    user_id: str,
    admins: Iterable[str],
    members_of: MembersOf,
) -> bool:
    """True for a lead of the release: in person, through a lead group, or as an admin.

    Named leads and admins are checked first, so Slack is asked about groups only when needed.
    """
    assert release.id is not None
    if user_id in set(admins):
        return True
    return holds(user_id, leads(session, release.id), members_of)


def require_lead(
    session: Session,
    release: Release,
    user_id: str,
    admins: Iterable[str],
    doing: str,
    members_of: MembersOf,
) -> None:
    """Raise Forbidden naming the leads (people and groups) unless the user is a lead."""
    if is_lead(session, release, user_id, admins, members_of):
        return
    assert release.id is not None
    holders = leads(session, release.id)
    names = mentions(holders) if holders else "the release lead"
    raise Forbidden(f"Only a lead of this release can {doing}: {names}.")
