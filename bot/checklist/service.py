"""Release-day checklists: start one from a template, walk its steps strictly in order.

Every transition is one guarded UPDATE on the step (its id, the state and the attempt the
button was rendered for) with a checked row count, and the next step opens in the same
transaction; so of any number of racing clicks exactly one moves the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.templates import Template
from bot.core import audit
from bot.core.errors import Conflict, NotFound
from bot.core.text.timeparse import localize
from bot.release.models import Release
from bot.release.service import LEAD, require_lead, role_holders

PENDING, WAITING, ACTIVE, DONE, FAILED, SKIPPED = (
    "pending",
    "waiting",
    "active",
    "done",
    "failed",
    "skipped",
)
FINISHED = (DONE, SKIPPED)
RUNNING, COMPLETE, CANCELLED = "running", "complete", "cancelled"


@dataclass(frozen=True)
class Owners:
    """Who owns a step now: its role's holders, or the leads when nobody holds the role."""

    role: str
    users: list[str]
    fallback: bool


@dataclass
class Board:
    """A checklist with everything needed to show it."""

    release: Release
    checklist: Checklist
    steps: list[ChecklistStep]
    owners: dict[int, Owners]
    leads: list[str]

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
    """What one transition did, for the thread reply, the pings and the refresh."""

    release: Release
    checklist: Checklist
    step: ChecklistStep
    before: str
    actor: str
    opened: ChecklistStep | None = None
    opened_owners: Owners | None = None
    completed: bool = False


def owners_of(holders: dict[str, list[str]], role: str) -> Owners:
    """A role's holders; an empty role falls to the leads."""
    users = holders.get(role, [])
    if users:
        return Owners(role, list(users), fallback=False)
    return Owners(role, list(holders.get(LEAD, [])), fallback=role != LEAD)


def _steps(session: Session, checklist_id: int) -> list[ChecklistStep]:
    query = (
        select(ChecklistStep)
        .where(ChecklistStep.checklist_id == checklist_id)
        .order_by(col(ChecklistStep.position))
    )
    return list(session.exec(query))


def board(session: Session, checklist_id: int) -> Board:
    """A checklist, its release, its steps in order and their current owners."""
    checklist = session.get(Checklist, checklist_id, populate_existing=True)
    if checklist is None:
        raise NotFound("That checklist no longer exists.")
    release = session.get(Release, checklist.release_id)
    assert release is not None and release.id is not None
    holders = role_holders(session, release.id)
    steps = _steps(session, checklist_id)
    owners = {s.id: owners_of(holders, s.owner) for s in steps if s.id is not None}
    return Board(release, checklist, steps, owners, list(holders.get(LEAD, [])))


def running(session: Session, release_id: int) -> Checklist | None:
    """The release's running checklist, or None."""
    query = select(Checklist).where(Checklist.release_id == release_id, Checklist.state == RUNNING)
    return session.exec(query).first()


def latest(session: Session, release_id: int) -> Checklist | None:
    """The release's most recent checklist, running or not."""
    query = (
        select(Checklist)
        .where(Checklist.release_id == release_id)
        .order_by(col(Checklist.id).desc())
    )
    return session.exec(query).first()


def start(
    session: Session,
    release: Release,
    template: Template,
    *,
    actor: str,
    admins: frozenset[str],
    now: datetime,
) -> Outcome:
    """Start the release's checklist from a template (lead only); its first step opens."""
    assert release.id is not None
    require_lead(session, release, actor, admins, "start the release-day checklist")
    if running(session, release.id) is not None:
        raise Conflict(
            "A checklist is already running for this release. See it with `/checklist status`, "
            "or stop it with `/checklist cancel` before starting another."
        )
    checklist = Checklist(
        release_id=release.id,
        channel_id=release.channel_id,
        template=template.name,
        description=template.description[:300],
        started_by=actor,
        started_at=now,
    )
    session.add(checklist)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else just started this release's checklist.") from None
    assert checklist.id is not None
    zone = ZoneInfo(release.zone)
    day = (release.release_at or now).astimezone(zone).date()
    rows: list[ChecklistStep] = []
    for position, spec in enumerate(template.steps, start=1):
        not_before = None
        if spec.not_before is not None:
            not_before = localize(day, spec.not_before, ZoneInfo(spec.not_before_zone or zone.key))
        expected = int(spec.expected.total_seconds()) if spec.expected else None
        rows.append(
            ChecklistStep(
                checklist_id=checklist.id,
                position=position,
                title=spec.title,
                owner=spec.owner,
                not_before=not_before,
                expected_seconds=expected,
                gates=",".join(spec.gates),
                requires=spec.requires,
            )
        )
    session.add_all(rows)
    session.flush()
    record(session, release, actor, "checklist.started", template.name, None, RUNNING, now)
    holders = role_holders(session, release.id)
    opened, owners, completed = open_step(
        session, release, checklist, rows[0] if rows else None, holders, actor, now
    )
    first = opened or rows[0]
    return Outcome(release, checklist, first, PENDING, actor, opened, owners, completed)


def cancel(
    session: Session, release: Release, *, actor: str, admins: frozenset[str], now: datetime
) -> Checklist:
    """Stop the release's running checklist (lead only)."""
    assert release.id is not None
    require_lead(session, release, actor, admins, "cancel the checklist")
    checklist = running(session, release.id)
    if checklist is None:
        raise NotFound("No checklist is running for this release.")
    stmt = (
        update(Checklist)
        .where(col(Checklist.id) == checklist.id, col(Checklist.state) == RUNNING)
        .values(state=CANCELLED, finished_at=now)
    )
    if not changed_one(session, stmt):
        raise Conflict("The checklist was stopped a moment ago.")
    session.refresh(checklist)
    record(
        session, release, actor, "checklist.cancelled", checklist.template, RUNNING, CANCELLED, now
    )
    return checklist


def activation_values(now: datetime, *, first: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state": ACTIVE,
        "activations": col(ChecklistStep.activations) + 1,
        "activated_at": now,
        "nudged": 0,
    }
    if first:
        values["started_at"] = now
    return values


def open_step(
    session: Session,
    release: Release,
    checklist: Checklist,
    step: ChecklistStep | None,
    holders: dict[str, list[str]],
    actor: str,
    now: datetime,
) -> tuple[ChecklistStep | None, Owners | None, bool]:
    """Open `step` with one guarded UPDATE (waiting if its time has not come); None completes."""
    if step is None:
        done = (
            update(Checklist)
            .where(col(Checklist.id) == checklist.id, col(Checklist.state) == RUNNING)
            .values(state=COMPLETE, finished_at=now)
            .returning(Checklist)
        )
        if returned(session, done) is None:
            raise Conflict("The checklist was stopped meanwhile; nothing changed.")
        template = checklist.template
        record(session, release, actor, "checklist.completed", template, RUNNING, COMPLETE, now)
        return None, None, True
    waits = step.not_before is not None and step.not_before > now
    values = {"state": WAITING} if waits else activation_values(now, first=True)
    stmt = (
        update(ChecklistStep)
        .where(col(ChecklistStep.id) == step.id, col(ChecklistStep.state) == PENDING)
        .values(**values)
        .returning(ChecklistStep)
    )
    opened = returned(session, stmt)
    if opened is None:
        raise Conflict("The checklist moved on meanwhile; nothing changed.")
    event = "step.waiting" if waits else "step.activated"
    record(session, release, actor, event, opened.title, PENDING, opened.state, now)
    return opened, owners_of(holders, opened.owner), False


def returned(session: Session, stmt: Any) -> Any:
    """Run a guarded UPDATE ... RETURNING of one row; the refreshed object, or None if unchanged."""
    options = {"synchronize_session": False, "populate_existing": True}
    rows = session.execute(stmt, execution_options=options).scalars().all()
    return rows[0] if len(rows) == 1 else None


def changed_one(session: Session, stmt: Any) -> bool:
    """Run a guarded UPDATE; True when it changed exactly one row."""
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0)) == 1


def record(
    session: Session,
    release: Release,
    actor: str,
    action: str,
    subject: str,
    before: str | None,
    after: str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    audit.record(
        session,
        release=release,
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after=after,
        detail=detail,
        at=now,
    )


def expected(step: ChecklistStep) -> timedelta | None:
    """The step's expected duration, if the template gave one."""
    return timedelta(seconds=step.expected_seconds) if step.expected_seconds else None
