"""Roles: who holds which role in a release, and hand-overs in one command."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, delete

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import DomainError
from bot.core.text.escape import quoted
from bot.core.text.names import lowered_name
from bot.release.models import Release, RoleAssignment
from bot.release.service import LEAD, require_lead, role_holders

ROLE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
MAX_HOLDERS = 20


_NOT_A_ROLE = (
    "{} is not a role name. Use lowercase letters, digits and dashes, "
    "like `branch-manager` or `docs`."
)


def normalize_role(text: str) -> str:
    """A role name in its stored form, or DomainError with the allowed form."""
    return lowered_name(text, ROLE_NAME, lambda: DomainError(_NOT_A_ROLE.format(quoted(text))))


def assign(
    session: Session,
    release: Release,
    *,
    role: str,
    users: list[str],
    actor: Actor,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Make `users` (people and user groups) the holders of `role`, replacing the old ones.

    Leads and admins only. Returns the holders before and after.
    """
    require_lead(session, release, actor, "hand out roles")
    assert release.id is not None
    role = normalize_role(role)
    users = list(dict.fromkeys(users))
    if role == LEAD and not users:
        raise DomainError("A release always has a lead: name who takes over.")
    if len(users) > MAX_HOLDERS:
        raise DomainError(
            f"A role can have at most {MAX_HOLDERS} holders; a user group counts as one."
        )
    before = role_holders(session, release.id).get(role, [])
    if before == users:
        return before, users
    session.exec(
        delete(RoleAssignment).where(
            col(RoleAssignment.release_id) == release.id, col(RoleAssignment.role) == role
        )
    )
    for user in users:
        session.add(RoleAssignment(release_id=release.id, role=role, user_id=user, assigned_at=now))
    audit.record(
        session,
        release,
        "role.assigned",
        role,
        before=" ".join(before) or None,
        after=" ".join(users) or None,
        actor=actor.user,
        at=now,
    )
    return before, users


def holders_of(session: Session, release: Release, role: str) -> list[str]:
    """Who holds `role`; an empty role falls to the leads."""
    assert release.id is not None
    holders = role_holders(session, release.id)
    return holders.get(role) or holders.get(LEAD, [])
