"""The schedule's part of the release's calendar feed and page: its milestones, and the phase.

In the feed each milestone is one moment at its instant, written in the release's zone,
without an end (a deadline is a moment) and as free time. Its UID is stable; its SEQUENCE
is how often it moved, so subscribed calendars replace the old date.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.asks.calendar import FeedPart, MilestoneView, Moment, PagePart
from bot.release.models import Release
from bot.schedule.models import Milestone
from bot.schedule.service import milestones, phase_of


def uid_of_milestone(milestone_id: int) -> str:
    """The stable UID of a milestone's event."""
    return f"milestone-{milestone_id}@releasebot"


def moments(release: Release, found: list[Milestone]) -> list[Moment]:
    """One moment per milestone, at its instant in the release's zone."""
    zone = ZoneInfo(release.zone)
    made = []
    for milestone in found:
        assert milestone.id is not None
        made.append(
            Moment(
                uid=uid_of_milestone(milestone.id),
                summary=f"{milestone.name} (release {release.name})",
                description=_description(release, milestone),
                at=milestone.at.astimezone(zone),
                sequence=milestone.moves,
                category="Milestone",
                cancelled=release.state == "cancelled",
            )
        )
    return made


def feed_part(session: Session, release: Release, now: datetime) -> FeedPart:
    """The release's milestones as moments of the feed, soonest first."""
    assert release.id is not None
    return FeedPart(moments=tuple(moments(release, milestones(session, release.id))))


def page_part(session: Session, release: Release, now: datetime, limit: int) -> PagePart:
    """The phase the milestones give, and every milestone (the page shows the next ones)."""
    assert release.id is not None
    return PagePart(
        phase=phase_of(session, release, now),
        milestones=tuple(
            MilestoneView(m.name, m.at, m.owner_role) for m in milestones(session, release.id)
        ),
    )


def _description(release: Release, milestone: Milestone) -> str:
    lines = [f"Milestone of release {release.name}."]
    if milestone.description:
        lines.append(milestone.description)
    if milestone.owner_role:
        lines.append(f"Owner: the {milestone.owner_role} role.")
    if milestone.relative_to_release and milestone.offset:
        lines.append(f"{milestone.offset} from release day; it moves when release day does.")
    if milestone.move_reason:
        lines.append(f"Moved: {milestone.move_reason}")
    return "\n".join(lines)
