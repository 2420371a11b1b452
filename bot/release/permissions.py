"""The one lead check: who has a lead's authority over a release.

A lead is a holder of the release's `lead` role in person, a member (now, as Slack has it) of
a user group that holds the role, or a workspace admin (`RELEASEBOT_ADMINS`). Every command
and click that asks for a lead asks `is_lead` or `require_lead` here with the request's
`Actor`, so a lead group counts everywhere alike.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.core.actor import Actor
from bot.core.errors import Forbidden
from bot.release.groups import mentions
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


def is_lead(session: Session, release: Release, actor: Actor) -> bool:
    """True for a lead of the release: in person, through a lead group, or as an admin.

    Admins and named leads are checked first, so Slack is asked about groups only when needed.
    """
    assert release.id is not None
    return actor.admin or actor.holds(leads(session, release.id))


def require_lead(session: Session, release: Release, actor: Actor, doing: str) -> None:
    """Raise Forbidden naming the leads (people and groups) unless the actor is a lead."""
    if is_lead(session, release, actor):
        return
    assert release.id is not None
    holders = leads(session, release.id)
    names = mentions(holders) if holders else "the release lead"
    raise Forbidden(f"Only a lead of this release can {doing}: {names}.")
