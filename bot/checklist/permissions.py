"""Who may act on a checklist step: its owners or a lead (or an admin); only a lead skips.

Owners and leads may be user groups: their members at the time of the click may act.

Every path to a step change (a click in the channel or in App Home, a reason modal) asks
here, and a refusal names who can act instead.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.checklist.board import owners_of
from bot.checklist.models import ChecklistStep
from bot.core.actor import Actor
from bot.core.errors import Forbidden
from bot.core.text.escape import escape
from bot.release.groups import mentions
from bot.release.models import Release
from bot.release.permissions import LEAD, is_lead, require_lead


def require_step_actor(
    session: Session,
    release: Release,
    step: ChecklistStep,
    holders: dict[str, list[str]],
    *,
    actor: Actor,
    verb: str,
    lead_only: bool,
) -> None:
    """Raise Forbidden naming who can `verb`, unless `actor` owns the step or leads.

    Owning and leading may come through a user group the actor is in now.
    """
    if lead_only:
        require_lead(session, release, actor, verb)
        return
    leads = holders.get(LEAD, [])
    owners = owners_of(holders, step.owner)
    if actor.holds(owners.users):
        return
    if is_lead(session, release, actor):
        return
    title = f"*{escape(step.title)}*"
    if owners.fallback:
        raise Forbidden(
            f"Only a lead ({_named(leads)}) can {verb}: {title} belongs to "
            f"*{escape(step.owner)}*, which has nobody assigned. Nothing changed."
        )
    raise Forbidden(
        f"Only *{escape(step.owner)}* ({_named(owners.users)}) or a lead "
        f"({_named(leads)}) can {verb}: {title}. Nothing changed."
    )


def _named(users: list[str]) -> str:
    return mentions(users) if users else "nobody yet"
