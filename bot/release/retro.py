"""The retrospective's figures of a release: release day, and what every feature answers.

What was planned against what happened: release day (the first day set, from the audit
trail, against the last), then each feature's part (`bot.core.asks.retro`): checklist
steps' expected against actual durations, gates' time red, when each required voter voted,
milestones' first instants against their current ones. `bot.release.timeline` renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import Session

from bot.core import audit
from bot.core.asks.retro import (
    GateFigure,
    MilestoneFigure,
    RetroPart,
    RetroPartOf,
    StepFigure,
    VoteFigure,
)
from bot.core.models import AuditEvent
from bot.release.models import Release

T = TypeVar("T")


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
class Figures:
    """Everything the retrospective's figures section shows, as of `until`."""

    until: datetime
    release_day: ReleaseDay
    milestones: list[MilestoneFigure]
    steps: list[StepFigure]
    gates: list[GateFigure]
    votes: list[VoteFigure]


def figures(
    session: Session,
    release: Release,
    now: datetime,
    events: list[AuditEvent] | None = None,
    *,
    parts: Sequence[RetroPartOf],
) -> Figures:
    """Read the release's figures; red time runs to its close, or to `now` while it runs.

    `parts` are the features' answers to `RETRO_PART` (`services.answers_to(RETRO_PART)`).
    """
    assert release.id is not None
    trail = events if events is not None else audit.trail(session, release.id)
    until = min(release.closed_at, now) if release.closed_at else now
    found = [part(session, release, until) for part in parts]
    return Figures(
        until=until,
        release_day=release_day(release, trail),
        milestones=_all(found, lambda p: p.milestones),
        steps=_all(found, lambda p: p.steps),
        gates=_all(found, lambda p: p.gates),
        votes=_all(found, lambda p: p.votes),
    )


def _all(found: list[RetroPart], field: Callable[[RetroPart], tuple[T, ...]]) -> list[T]:
    """One kind of figure from every feature's part, in the order the features answered."""
    return [figure for part in found for figure in field(part)]


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
