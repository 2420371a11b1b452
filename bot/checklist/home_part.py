"""The checklist's part of App Home: the active steps a person owns, with their buttons."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.checklist import render
from bot.checklist.board import owners_of
from bot.checklist.models import ChecklistStep
from bot.checklist.timers import active_steps_for
from bot.core.asks.home import HomePart, Viewer, Waiting
from bot.release.groups import MembersOf
from bot.release.service import role_holders


def _members_through(viewer: Viewer) -> MembersOf:
    """A group reader that knows only the person's own groups (no Slack)."""
    return lambda group: frozenset({viewer.user_id}) if group in viewer.groups else frozenset()


def my_steps(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    """The active steps the person owns, in person or through one of their groups."""
    found = []
    for active in active_steps_for(session, viewer.user_id, _members_through(viewer)):
        step = session.get(ChecklistStep, active.step_id)
        if step is None:
            continue
        owners = owners_of(role_holders(session, active.release_id), active.role).users
        blocks = render.home_step(active, step, viewer.through(owners))
        found.append(Waiting(blocks, "step", active.channel_id))
    return found


PART = HomePart(order=20, waiting=my_steps)
