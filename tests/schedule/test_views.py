"""What other surfaces show of the schedule: calendar events, status, and sizes within limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from bot.calendar.feed import moment_event
from bot.core.db import Database
from bot.release.models import Release
from bot.schedule import flows, render, templates
from bot.schedule import service as schedule
from bot.schedule.calendar_part import moments
from bot.schedule.models import Milestone
from tests.kit.block_rules import check_message
from tests.schedule.builders import LA, LEAD, make_release
from tests.support.actor import acting

NOW = datetime(2025, 1, 6, 17, 0, tzinfo=UTC)
V133 = datetime(2025, 4, 23, 17, 0, tzinfo=UTC)
ADMINS = frozenset({"U_ADMIN"})


def laid_out(db: Database, zone: ZoneInfo = LA) -> tuple[Release, list[Milestone]]:
    release = make_release(db, V133, now=NOW, zone=zone)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        schedule.apply(
            s,
            row,
            templates.builtins()["kubernetes"],
            actor=acting(LEAD, admins=ADMINS),
            now=NOW,
        )
    with db.read() as s:
        return release, schedule.milestones(s, release.id or 0)


def test_milestones_read_back_from_the_calendar_at_their_instants(db: Database) -> None:
    release, found = laid_out(db, ZoneInfo("Pacific/Chatham"))
    cal = Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    for moment in moments(release, found):
        cal.add_component(moment_event(moment, NOW))
    cal.add_missing_timezones()
    parsed = Calendar.from_ical(cal.to_ical())
    events = recurring_ical_events.of(parsed).between(NOW, V133 + timedelta(days=1))
    read = {str(e["summary"]): e.decoded("dtstart").astimezone(UTC) for e in events}
    # release day is Thu 24 Apr in Chatham, so 33 days earlier is Sat 22 Mar there
    assert read["Code and test freeze (release v1)"] == datetime(2025, 3, 22, 2, 0, tzinfo=UTC)
    assert read["Release day (release v1)"] == V133
    assert len(read) == len(found)
    body = cal.to_ical().decode()
    assert "DTSTART;TZID=Pacific/Chatham:20250322T154500" in body  # 02:00 UTC at +13:45
    assert "BEGIN:VTIMEZONE" in body and "TZID:Pacific/Chatham" in body


def test_the_status_section_shows_the_next_three(db: Database) -> None:
    release, _ = laid_out(db)
    at = datetime(2025, 3, 25, tzinfo=UTC)
    with db.read() as s:
        section = flows.status_section(s, release, at)
    assert section is not None and section.title == "Next milestones"
    assert section.lines[0].startswith("• *Release branch cut and rc.0*")
    assert section.lines[-1] == "_2 more ahead, 7 passed; `/release schedule` lists them all_"


def test_the_longest_schedule_fits_slacks_limits() -> None:
    release = Release(
        id=1, channel_id="C1", name="x" * 80, zone="UTC", release_at=V133, created_by=LEAD
    )
    many = [
        Milestone(
            id=i,
            release_id=1,
            name=f"<&> milestone {i:02d} " + "n" * 60,
            key=str(i),
            at=NOW + timedelta(days=i),
            zone="UTC",
            relative_to_release=True,
            offset=f"-{i}d 02:00 Europe/Berlin",
            owner_role="release-notes-and-more",
            description="d" * 500,
            planned_at=NOW,
            created_by=LEAD,
            move_reason="r" * 1000,
            moves=1,
        )
        for i in range(60)
    ]
    text, blocks = render.schedule_list(release, many, (3600,), NOW)
    assert check_message({"channel": "C1", "text": text, "blocks": blocks}) == []
    assert "&lt;&amp;&gt; milestone 59" in str(blocks)  # every one shown, escaped
    owner = render.Owner("release-notes-and-more", [f"U{i:08d}" for i in range(20)])
    notice = render.countdown(release, many[0], owner, offset=3600, now=NOW, late_by=None)
    assert check_message({"channel": "C1", "text": notice[0], "blocks": notice[1]}) == []
    template = templates.builtins()["kubernetes"]
    applied = render.applied(release, template, many, [], 3, LEAD, (3600,), NOW)
    assert check_message({"channel": "C1", "text": applied[0], "blocks": applied[1]}) == []
    line = render.postponed_line(release, [(m, NOW) for m in many])
    assert line is not None and len(line) <= 2900 and "more" in line
