"""Milestones as iCalendar (RFC 5545) events for the release's calendar feed. Pure.

Each milestone is one VEVENT at its instant, written in the release's zone (`DTSTART;TZID`),
without an end (a deadline is a moment: RFC 5545 reads it as ending when it starts) and
transparent, so it never blocks anyone's time. Its UID is stable; SEQUENCE is how often it
moved, so subscribed calendars replace the old date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Event

from bot.release.models import Release
from bot.schedule.models import Milestone


def uid_of_milestone(milestone_id: int) -> str:
    """The stable UID of a milestone's event."""
    return f"milestone-{milestone_id}@releasebot"


def milestone_events(release: Release, milestones: list[Milestone], stamp: datetime) -> list[Event]:
    """One event per milestone, at its instant in the release's zone."""
    zone = ZoneInfo(release.zone)
    events = []
    for milestone in milestones:
        assert milestone.id is not None
        event = Event()
        event.add("uid", uid_of_milestone(milestone.id))
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("sequence", milestone.moves)
        event.add("summary", f"{milestone.name} (release {release.name})")
        event.add("dtstart", milestone.at.astimezone(zone))
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["Milestone"])
        event.add("description", _description(release, milestone))
        event.add("status", "CANCELLED" if release.state == "cancelled" else "CONFIRMED")
        events.append(event)
    return events


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
