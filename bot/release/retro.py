"""The retrospective's figures of a release, read from the database.

What was planned against what happened: release day (the first day set, from the audit
trail, against the last), each checklist step's expected against actual duration, each
gate's time red, when each required voter of each poll voted, and each milestone's first
instant against its current one. `bot.release.timeline` renders them; the counting gates'
burndown charts are read by `charts` and drawn and posted by `bot.gates.figures.post_chart`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.checklist.models import Checklist, ChecklistStep
from bot.core import audit
from bot.core.errors import DomainError
from bot.core.models import AuditEvent
from bot.gates import figures as gate_figures
from bot.gates import history
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.models import Release
from bot.schedule import service as schedule


@dataclass(frozen=True)
class ReleaseDay:
    """The first release day set, the current one, how often it moved, when it closed."""

    planned: datetime | None
    actual: datetime | None
    postponements: int
    closed_at: datetime | None
    outcome: str

    @property
    def slip(self) -> timedelta | None:
        """How far release day moved from the first plan (None when either is unset)."""
        if self.planned is None or self.actual is None:
            return None
        return self.actual - self.planned


@dataclass(frozen=True)
class StepFigure:
    """A checklist step's expected and actual duration (first start to finish)."""

    checklist: str
    position: int
    title: str
    owner: str
    state: str
    expected: timedelta | None
    actual: timedelta | None
    activations: int


@dataclass(frozen=True)
class GateFigure:
    """A gate's time red: in total, its longest stretch, and how many stretches."""

    name: str
    state: str
    red_total: timedelta
    red_longest: timedelta
    stretches: int
    checks: int
    counts: bool


@dataclass(frozen=True)
class VoteFigure:
    """A required voter of a poll: their (current) vote and when, after the poll opened."""

    poll: int
    question: str
    opened_at: datetime
    user_id: str
    choice: str | None
    voted_at: datetime | None

    @property
    def after_opening(self) -> timedelta | None:
        """How long after the poll opened they voted."""
        return None if self.voted_at is None else self.voted_at - self.opened_at


@dataclass(frozen=True)
class MilestoneFigure:
    """A milestone's first instant and its current one."""

    name: str
    planned: datetime
    actual: datetime

    @property
    def moved(self) -> timedelta:
        """How far it moved from its first instant."""
        return self.actual - self.planned


@dataclass(frozen=True)
class Figures:
    """Everything the retrospective's figures section shows, as of `until`."""

    until: datetime
    release_day: ReleaseDay
    milestones: list[MilestoneFigure]
    steps: list[StepFigure]
    gates: list[GateFigure]
    votes: list[VoteFigure]


def figures(
    session: Session, release: Release, now: datetime, events: list[AuditEvent] | None = None
) -> Figures:
    """Read the release's figures; red time runs to its close, or to `now` while it runs."""
    assert release.id is not None
    trail = events if events is not None else audit.trail(session, release.id)
    until = min(release.closed_at, now) if release.closed_at else now
    return Figures(
        until=until,
        release_day=release_day(release, trail),
        milestones=[
            MilestoneFigure(m.name, m.planned_at, m.at)
            for m in schedule.milestones(session, release.id)
        ],
        steps=_steps(session, release.id),
        gates=_gates(session, release.id, until),
        votes=_votes(session, release.id),
    )


def release_day(release: Release, events: list[AuditEvent]) -> ReleaseDay:
    """Planned (the first day the trail shows set) against actual (the release's now)."""
    planned: datetime | None = None
    postponements = 0
    for event in events:
        if event.action == "release.created" and planned is None:
            planned = _instant(event.after)
        elif event.action == "release.postponed":
            postponements += 1
            if planned is None:
                planned = _instant(event.before) or _instant(event.after)
    if planned is None:
        planned = release.release_at
    return ReleaseDay(
        planned=planned,
        actual=release.release_at,
        postponements=postponements,
        closed_at=release.closed_at,
        outcome=release.state,
    )


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _steps(session: Session, release_id: int) -> list[StepFigure]:
    query = (
        select(Checklist.template, ChecklistStep)
        .join(ChecklistStep, col(ChecklistStep.checklist_id) == Checklist.id)
        .where(Checklist.release_id == release_id)
        .order_by(col(Checklist.id), col(ChecklistStep.position))
    )
    found = []
    for template, step in session.exec(query):
        began = step.started_at or step.activated_at
        took = step.finished_at - began if began and step.finished_at else None
        found.append(
            StepFigure(
                checklist=template,
                position=step.position,
                title=step.title,
                owner=step.owner,
                state=step.state,
                expected=(
                    timedelta(seconds=step.expected_seconds) if step.expected_seconds else None
                ),
                actual=took if step.state == "done" else None,
                activations=step.activations,
            )
        )
    return found


def _gates(session: Session, release_id: int, until: datetime) -> list[GateFigure]:
    rows = history.of_release(session, release_id)
    query = select(Gate).where(Gate.release_id == release_id).order_by(col(Gate.name))
    found = []
    for gate in session.exec(query):
        checks = rows.get(gate.id or 0, [])
        red = history.red_time(checks, until)
        found.append(
            GateFigure(
                name=gate.name,
                state=gate.state,
                red_total=red.total,
                red_longest=red.longest,
                stretches=red.stretches,
                checks=len(checks),
                counts=gates.counts(gate),
            )
        )
    return found


def _votes(session: Session, release_id: int) -> list[VoteFigure]:
    polls = list(
        session.exec(
            select(Poll).where(Poll.release_id == release_id).order_by(col(Poll.created_at))
        )
    )
    ids = [p.id for p in polls if p.id is not None]
    if not ids:
        return []
    voters: dict[int, list[str]] = {}
    for voter in session.exec(
        select(PollVoter)
        .where(col(PollVoter.poll_id).in_(ids))
        .order_by(col(PollVoter.poll_id), col(PollVoter.position))
    ):
        voters.setdefault(voter.poll_id, []).append(voter.user_id)
    votes = {
        (vote.poll_id, vote.user_id): vote
        for vote in session.exec(select(PollVote).where(col(PollVote.poll_id).in_(ids)))
    }
    found = []
    for number, poll in enumerate(polls, start=1):
        assert poll.id is not None
        for user in voters.get(poll.id, []):
            vote = votes.get((poll.id, user))
            found.append(
                VoteFigure(
                    poll=number,
                    question=poll.question,
                    opened_at=poll.created_at,
                    user_id=user,
                    choice=vote.choice if vote else None,
                    voted_at=vote.voted_at if vote else None,
                )
            )
    return found


def charts(session: Session, release: Release, now: datetime) -> list[gate_figures.Chart]:
    """The burndown chart of each counting gate that has values, to post with the timeline."""
    assert release.id is not None
    found = []
    query = select(Gate).where(Gate.release_id == release.id).order_by(col(Gate.name))
    for gate in session.exec(query):
        if not gates.counts(gate):
            continue
        try:
            found.append(gate_figures.chart_of(session, release, gate, now))
        except DomainError:
            continue  # no values yet
    return found
