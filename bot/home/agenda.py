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
from bot.checklist.board import owners_of
from bot.checklist.models import ChecklistStep
from bot.checklist.timers import ActiveStep, active_steps_for
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gonogo import service as gonogo
from bot.gonogo.models import Poll
from bot.release import service as releases
from bot.release.groups import MembersOf, groups_in
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
    # ("gate" | "step" | "vote", its id) -> the user group it waits on the person through
    via: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        """How many things wait on the person right now."""
        return len(self.steps) + len(self.votes) + len(self.gates) + len(self.status_due)


def agenda_for(
    session: Session, user_id: str, now: datetime, groups: set[str] | None = None
) -> Agenda:
    """Collect the person's active steps, missing votes, red gates, status due, meetings.

    Steps and red gates that a user group of theirs (`groups`) owns count as theirs, and
    `via` says which group; a vote asked of them through a group says so too.
    """
    mine = set(groups or ())
    found = Agenda(
        steps=steps_waiting(session, user_id, mine),
        votes=votes_waiting(session, user_id),
        gates=gates.failing_gates_for(session, user_id, mine),
        status_due=status_updates.status_due_for(session, user_id, now),
        meetings=burndown.next_meetings_for(session, user_id, now, MEETINGS_SHOWN),
        milestones=schedule.next_for(session, user_id, now, MILESTONES_SHOWN),
        releases=releases_of(session, user_id, mine),
    )
    found.via = _via(session, found, user_id, mine)
    return found


def _via(
    session: Session, found: Agenda, user_id: str, groups: set[str]
) -> dict[tuple[str, int], str]:
    """Which user group each waiting thing comes to the person through (if not in person)."""
    via: dict[tuple[str, int], str] = {}
    owners = gates.owners_by_gate(session, [gate for _, gate in found.gates])
    for _, gate in found.gates:
        _through(via, ("gate", gate.id or 0), owners.get(gate.id or 0, []), user_id, groups)
    for active, _ in found.steps:
        holders = releases.role_holders(session, active.release_id)
        step_owners = owners_of(holders, active.role).users
        _through(via, ("step", active.step_id), step_owners, user_id, groups)
    for poll, group in gonogo.voting_groups_for(session, user_id).items():
        via[("vote", poll)] = group
    return via


def _through(
    via: dict[tuple[str, int], str],
    key: tuple[str, int],
    owners: list[str],
    user: str,
    groups: set[str],
) -> None:
    if user in owners:
        return
    group = next((g for g in owners if g in groups), None)
    if group is not None:
        via[key] = group


def people_involved(session: Session, release_ids: set[int]) -> set[str]:
    """Everyone whose Home may change with these releases: role holders and voters."""
    if not release_ids:
        return set()
    return role_holders_in(session, release_ids) | gonogo.voters_in(session, release_ids)


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


def _members_through(user_id: str, groups: set[str]) -> MembersOf:
    """A group reader that knows only the person's own groups (no Slack)."""
    return lambda group: frozenset({user_id}) if group in groups else frozenset()


# --- release -------------------------------------------------------------------------------


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


# --- checklist -----------------------------------------------------------------------------


def steps_waiting(
    session: Session, user_id: str, groups: set[str] | None = None
) -> list[tuple[ActiveStep, ChecklistStep]]:
    """The active steps the person owns (in person or through `groups`), with their rows."""
    found = []
    for active in active_steps_for(session, user_id, _members_through(user_id, groups or set())):
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
