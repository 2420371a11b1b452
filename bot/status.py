"""A release's status, assembled from sections each feature contributes.

A feature registers a function that reads its part of the database and returns a Section
(title and mrkdwn lines, rendered by that feature's pure renderer). `/release status` and
App Home show the same sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.models import Release


@dataclass(frozen=True)
class Section:
    """One part of a release's status: a title and lines of Slack mrkdwn."""

    title: str
    lines: list[str] = field(default_factory=list)


SectionFn = Callable[[Session, Release, datetime], Section | None]
_SECTIONS: dict[str, tuple[int, SectionFn]] = {}


def register(name: str, order: int, fn: SectionFn) -> None:
    """Add (or replace) a named section; lower `order` shows first."""
    _SECTIONS[name] = (order, fn)


def sections(session: Session, release: Release, now: datetime) -> list[Section]:
    """Every registered section that has something to say, in order."""
    found: list[Section] = []
    for _, fn in sorted(_SECTIONS.values(), key=lambda item: item[0]):
        section = fn(session, release, now)
        if section is not None:
            found.append(section)
    return found
