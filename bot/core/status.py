"""A release's status, assembled from sections each feature contributes.

A feature registers a function on Services (`services.add_section`) that reads its part of
the database and returns a Section (title and mrkdwn lines, rendered by that feature's
pure renderer). `/release status` and App Home show the same sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class Section:
    """One part of a release's status: a title and lines of Slack mrkdwn."""

    title: str
    lines: list[str] = field(default_factory=list)


# (session, release, now) -> the feature's section, or None when it has nothing to say.
SectionFn = Callable[[Session, Any, datetime], Section | None]
