"""What features ask of a release's milestones: marks on a chart, freezes a cadence starts at.

The schedule answers; the gates mark every milestone on a burndown chart, and the burndown
cadence begins Mon/Wed/Fri at code freeze and every weekday at docs freeze. Without an
answer there are no marks, and the cadence keeps the handbook's weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from sqlmodel import Session

from bot.core.asks import Ask

if TYPE_CHECKING:
    from bot.release.models import Release


class Mark(NamedTuple):
    """A milestone: its instant and its name (as a chart marks it)."""

    at: datetime
    name: str


@dataclass(frozen=True)
class Marks:
    """The release's milestones, soonest first, and its code and docs freeze among them."""

    every: tuple[Mark, ...] = ()
    code_freeze: Mark | None = None
    docs_freeze: Mark | None = None


class MarksOf(Protocol):
    """The schedule's answer: the release's milestones as marks."""

    def __call__(self, session: Session, release: Release) -> Marks: ...


MILESTONES: Ask[MarksOf] = Ask("milestones")


def marks_of(answers: Sequence[MarksOf], session: Session, release: Release) -> Marks:
    """The release's marks from the first answer (the schedule's); none without one."""
    return answers[0](session, release) if answers else Marks()
