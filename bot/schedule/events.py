"""The schedule's events for webhooks: a milestone was added, moved or removed."""

from __future__ import annotations

from datetime import datetime

from bot.core.events import Event, MilestoneData, release_info
from bot.release.models import Release
from bot.schedule.models import Milestone


def of_milestone(
    release: Release,
    milestone: Milestone,
    kind: str,
    *,
    actor: str,
    now: datetime,
    before: datetime | None = None,
    reason: str = "",
) -> Event:
    """The event of one milestone's change (`added`, `moved` or `removed`)."""
    assert release.id is not None
    data = MilestoneData(
        release=release_info(release),
        milestone=milestone.name,
        at=None if kind == "removed" else milestone.at,
        before=milestone.at if kind == "removed" else before,
        reason=reason,
        actor=actor,
    )
    moment = f"{now.timestamp():.6f}:{milestone.at.timestamp():.0f}"
    key = f"milestone:{milestone.id}:{kind}:{moment}"
    return Event(f"milestone.{kind}", key, release.id, data, now)
