"""The checklist's vocabulary: the states, who owns a step, a board to show, what a change did.

Plain values with no database access, shared by the rules (service, steps, timers) and
the renderers (render, notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.checklist.models import Checklist, ChecklistJob, ChecklistStep
from bot.release.models import Release
from bot.release.service import LEAD

PENDING, WAITING, ACTIVE, DONE, FAILED, SKIPPED = (
    "pending",
    "waiting",
    "active",
    "done",
    "failed",
    "skipped",
)
FINISHED = (DONE, SKIPPED)
MAX_REASON = 1000  # for failing and skipping alike; the reason modal allows as much
RUNNING, COMPLETE, CANCELLED = "running", "complete", "cancelled"


@dataclass(frozen=True)
class Owners:
    """Who owns a step now: its role's holders, or the leads when nobody holds the role."""

    role: str
    users: list[str]
    fallback: bool


def owners_of(holders: dict[str, list[str]], role: str) -> Owners:
    """A role's holders; an empty role falls to the leads."""
    users = holders.get(role, [])
    if users:
        return Owners(role, list(users), fallback=False)
    return Owners(role, list(holders.get(LEAD, [])), fallback=role != LEAD)


def expected(step: ChecklistStep) -> timedelta | None:
    """The step's expected duration, if the template gave one."""
    return timedelta(seconds=step.expected_seconds) if step.expected_seconds else None


@dataclass
class Board:
    """A checklist with everything needed to show it."""

    release: Release
    checklist: Checklist
    steps: list[ChecklistStep]
    owners: dict[int, Owners]
    leads: list[str]
    jobs: dict[int, ChecklistJob] = field(default_factory=dict)  # each job step's latest

    def job_of(self, step: ChecklistStep) -> ChecklistJob | None:
        """The job of the step's current attempt, if Run was pressed on it."""
        job = self.jobs.get(step.id or 0)
        return job if job is not None and job.attempt == step.activations else None

    @property
    def current(self) -> ChecklistStep | None:
        """The first unfinished step: the only one that can be acted on."""
        return next((s for s in self.steps if s.state not in FINISHED), None)

    @property
    def finished(self) -> int:
        """How many steps are done or skipped."""
        return sum(1 for s in self.steps if s.state in FINISHED)

    def owners_of(self, step: ChecklistStep) -> Owners:
        """The owners of one of this board's steps."""
        assert step.id is not None
        return self.owners[step.id]


@dataclass(frozen=True)
class Outcome:
    """What one transition did, for the thread reply, the pings and the refresh.

    `owners` and `leads` are the step's owners and the release's leads at the change, for
    a reply that must pull them in (a failed step).
    """

    release: Release
    checklist: Checklist
    step: ChecklistStep
    before: str
    actor: str
    opened: ChecklistStep | None = None
    opened_owners: Owners | None = None
    completed: bool = False
    owners: Owners | None = None
    leads: list[str] = field(default_factory=list)
