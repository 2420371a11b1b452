"""What App Home asks the features: what waits on a person, what comes up for them, who cares.

Each feature that shows on a person's Home provides one `HomePart` (`services.provide(
HOME_PART, ...)`): the things that wait on the person, rendered by the feature's own renderer
with their buttons; what comes up for them (meetings, milestones); who else a release's
change concerns; a release's phase. Home orders the parts, fits them in Slack's 100 blocks
and counts what is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from bot.core.asks import Ask
from bot.core.blocks import Blocks


@dataclass(frozen=True)
class Viewer:
    """The person whose Home is drawn, and those of their user groups that hold roles."""

    user_id: str
    groups: frozenset[str] = frozenset()

    def through(self, owners: Iterable[str]) -> str | None:
        """The group of theirs a thing owned by `owners` comes through (None: in person, or not)."""
        found = list(owners)
        if self.user_id in found:
            return None
        return next((group for group in found if group in self.groups), None)


@dataclass(frozen=True)
class Waiting:
    """One thing that waits on the person: its blocks, what kind it is, and where it lives."""

    blocks: Blocks
    kind: str
    channel_id: str


class WaitingOn(Protocol):
    """The things of one feature that wait on the person, most pressing first."""

    def __call__(self, session: Session, viewer: Viewer, now: datetime) -> list[Waiting]: ...


class ComingUp(Protocol):
    """The blocks of what comes up for the person in one feature (empty when nothing does)."""

    def __call__(self, session: Session, viewer: Viewer, now: datetime) -> Blocks: ...


class Involved(Protocol):
    """The people, beyond the role holders, whose Home may change with these releases."""

    def __call__(self, session: Session, release_ids: set[int]) -> set[str]: ...


class Phase(Protocol):
    """A release's phase as one feature knows it, or None when it has nothing to say."""

    def __call__(self, session: Session, release_id: int, now: datetime) -> str | None: ...


def nothing_waiting(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    """For a part with nothing that waits on anyone."""
    return []


def nothing_coming(session: Session, viewer: Viewer, now: datetime) -> Blocks:
    """For a part with nothing that comes up."""
    return []


def nobody_else(session: Session, release_ids: set[int]) -> set[str]:
    """For a part that involves nobody beyond the role holders."""
    return set()


def no_phase(session: Session, release_id: int, now: datetime) -> str | None:
    """For a part that says nothing of a release's phase."""
    return None


@dataclass(frozen=True)
class HomePart:
    """One feature's part of a person's Home; lower `order` shows first."""

    order: int
    waiting: WaitingOn = nothing_waiting
    coming_up: ComingUp = nothing_coming
    involved: Involved = nobody_else
    phase: Phase = no_phase


HOME_PART: Ask[HomePart] = Ask("home part")
