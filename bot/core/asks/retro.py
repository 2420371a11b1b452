"""What the retrospective asks every feature: its figures of a release, planned against actual.

Each feature answers with a RetroPart holding the figures it knows (the checklist its steps,
the gates their time red, the polls their votes, the schedule its milestones); the
retrospective puts the parts together beside release day and renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session

from bot.core.asks import Ask

if TYPE_CHECKING:
    from bot.release.models import Release


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
class RetroPart:
    """One feature's figures of a release; a feature fills only what it knows."""

    milestones: tuple[MilestoneFigure, ...] = ()
    steps: tuple[StepFigure, ...] = ()
    gates: tuple[GateFigure, ...] = ()
    votes: tuple[VoteFigure, ...] = ()


class RetroPartOf(Protocol):
    """A feature's answer: its figures of `release`, red time counted up to `until`."""

    def __call__(self, session: Session, release: Release, until: datetime) -> RetroPart: ...


RETRO_PART: Ask[RetroPartOf] = Ask("retro part")
