"""What waits on one person across every active release: the content of their App Home.

Home asks each feature what waits on the person, one small function per feature below,
each using only that feature's public functions and models. Until every feature offers
its own `waiting_for(user)`, the asking lives here, kept apart by feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.burndown import service as burndown
from bot.burndown import status_updates
from bot.checklist.models import ChecklistStep
from bot.checklist.timers import ActiveStep, active_steps_for
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gonogo import service as gonogo
from bot.gonogo.models import Poll
from bot.release.models import Release, RoleAssignment
from bot.schedule import service as schedule

MEETINGS_SHOWN = 5
MILESTONES_SHOWN = 5


@dataclass
class Agenda:
    """Everything that waits on a person, and the releases they are part of."""

    steps: list[tuple[ActiveStep, ChecklistStep]] = field(default_factory=list)
    votes: list[tuple[Poll, Release]] = field(default_factory=list)
    gates: list[tuple[Release, Gate]] = field(default_factory=list)
    status_due: list[status_updates.StatusDue] = field(default_factory=list)
    meetings: list[burndown.Upcoming] = field(default_factory=list)
    milestones: list[schedule.Upcoming] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        """How many things wait on the person right now."""
        return len(self.steps) + len(self.votes) + len(self.gates) + len(self.status_due)


def agenda_for(session: Session, user_id: str, now: datetime) -> Agenda:
    """Collect the person's active steps, missing votes, red gates, status due, meetings."""
    return Agenda(
        steps=steps_waiting(session, user_id),
        votes=votes_waiting(session, user_id),
        gates=gates.failing_gates_for(session, user_id),
        status_due=status_updates.status_due_for(session, user_id, now),
        meetings=burndown.next_meetings_for(session, user_id, now, MEETINGS_SHOWN),
        milestones=schedule.next_for(session, user_id, now, MILESTONES_SHOWN),
        releases=releases_of(session, user_id),
    )


def people_involved(session: Session, release_ids: set[int]) -> set[str]:
    """Everyone whose Home may change with these releases: role holders and voters."""
    if not release_ids:
        return set()
    return role_holders_in(session, release_ids) | gonogo.voters_in(session, release_ids)


# --- release -------------------------------------------------------------------------------


def releases_of(session: Session, user_id: str) -> list[Release]:
    """Active releases where the person holds a role, newest first."""
    query = (
        select(Release)
        .join(RoleAssignment, col(RoleAssignment.release_id) == col(Release.id))
        .where(RoleAssignment.user_id == user_id, Release.state == "active")
        .distinct()
        .order_by(col(Release.id).desc())
    )
    return list(session.exec(query))


def role_holders_in(session: Session, release_ids: set[int]) -> set[str]:
    """Every person who holds a role in one of these releases (groups have no Home)."""
    query = select(RoleAssignment.user_id).where(col(RoleAssignment.release_id).in_(release_ids))
    return {holder for holder in session.exec(query) if not holder.startswith("S")}


# --- checklist -----------------------------------------------------------------------------


def steps_waiting(session: Session, user_id: str) -> list[tuple[ActiveStep, ChecklistStep]]:
    """The active steps the person owns, each with its row (for its buttons)."""
    found = []
    for active in active_steps_for(session, user_id):
        step = session.get(ChecklistStep, active.step_id)
        if step is not None:
            found.append((active, step))
    return found


# --- gonogo --------------------------------------------------------------------------------


def votes_waiting(session: Session, user_id: str) -> list[tuple[Poll, Release]]:
    """Open polls still missing the person's required vote, each with its release."""
    found = []
    for poll in gonogo.missing_votes_for(session, user_id):
        release = session.get(Release, poll.release_id)
        if release is not None:
            found.append((poll, release))
    return found
