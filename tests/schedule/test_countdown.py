"""The countdown: every notice of every milestone owed once, across a restart; late or dropped.

Time is simulated: the planner is asked at each instant a notice falls due, and the timers
it returns are run with that instant, as the scheduler would run them. Half-way the first
Services stops and a second one, over the same database, takes over (a restart).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import create_services
from bot.core.config import Settings
from bot.core.outbox import OutboxRow
from bot.core.services import Services
from bot.release.models import Release
from bot.schedule import countdown, flows, templates
from bot.schedule import service as schedule
from bot.schedule.models import Milestone, MilestoneNotice
from bot.schedule.options import parse_add
from bot.schedule.timing import DEFAULT_NOTIFY
from tests.schedule.builders import LEAD, make_release
from tests.support.actor import acting

NOW = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)
RELEASE_DAY = datetime(2030, 4, 24, 17, 0, tzinfo=UTC)  # Wed 24 Apr 2030, 10:00 PDT
ADMINS = frozenset({"U_ADMIN"})


@pytest.fixture
def make_services(settings: Settings) -> Iterator[Any]:
    """Build Services over the test database, every feature registered (not started)."""
    made: list[Services] = []

    def make() -> Services:
        services = create_services(settings)
        made.append(services)
        return services

    yield make
    for services in made:
        services.db.dispose()


def run_due(services: Services, now: datetime) -> int:
    """Plan at `now` and run every timer that is due by then; how many notices it planned."""
    with services.db.read() as s:
        timers = [t for t in flows.planner(services, s, now, now + timedelta(seconds=30))]
    ran = 0
    for timer in timers:
        if timer.due <= now:
            timer.action(now)
            ran += timer.key.startswith("milestone:")
    return ran


def owed(services: Services) -> list[OutboxRow]:
    with services.db.read() as s:
        rows = s.exec(select(OutboxRow).where(OutboxRow.render == flows.NOTICE)).all()
    return sorted(rows, key=lambda r: r.created_at)


def apply_kubernetes(services: Services, release: Release, now: datetime) -> list[Milestone]:
    with services.db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        done = schedule.apply(
            s,
            row,
            templates.builtins()["kubernetes"],
            actor=acting(LEAD, admins=ADMINS),
            now=now,
        )
    return done.created


def test_every_notice_of_a_kubernetes_schedule_is_owed_once_across_a_restart(
    make_services: Any,
) -> None:
    first = make_services()
    release = make_release(first.db, RELEASE_DAY, now=NOW)
    created = apply_kubernetes(first, release, NOW)
    expected = {
        countdown.notice_key(m.id or 0, m.at, offset)
        for m in created
        for offset in DEFAULT_NOTIFY
        if m.at - timedelta(seconds=offset) >= NOW
    }
    every = {m.at - timedelta(seconds=o) for m in created for o in DEFAULT_NOTIFY}
    dues = sorted(d for d in every if d >= NOW)
    half = len(dues) // 2
    for due in dues[:half]:
        run_due(first, due)
        assert run_due(first, due + timedelta(seconds=1)) == 0  # planned again: nothing new
    second = make_services()  # the restart: new Services, scheduler and outbox, same database
    for due in dues[half - 1 :]:  # one instant repeated across the restart
        run_due(second, due)
        run_due(second, due + timedelta(seconds=2))
    rows = owed(second)
    assert {r.key for r in rows} == expected
    with second.db.read() as s:
        notices = s.exec(select(MilestoneNotice)).all()
    assert len(notices) == len(expected) and not any(n.late or n.superseded for n in notices)
    # each milestone heard of at most 4 times; "cycle begins" already passed its 4w notice
    per_milestone: dict[str, int] = {}
    for row in rows:
        per_milestone[row.key.split(":")[1]] = per_milestone.get(row.key.split(":")[1], 0) + 1
    assert max(per_milestone.values()) == 4 and len(per_milestone) == len(created)


def add_freeze(services: Services, release: Release, words: str, now: datetime) -> Milestone:
    with services.db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        spec = parse_add(words.split(), "Only fixes merge.", row, now=now)
        return schedule.add(s, row, spec, actor=acting(LEAD, admins=ADMINS), now=now)


def test_notices_missed_while_away_go_once_late_and_only_the_latest(make_services: Any) -> None:
    services = make_services()
    release = make_release(services.db, RELEASE_DAY, now=NOW)
    freeze = add_freeze(services, release, "Code freeze 2030-03-22 02:00 UTC", NOW)
    week_due = freeze.at - timedelta(weeks=1)
    back = week_due + timedelta(hours=3)  # away across the 4w and the 1w notices
    assert run_due(services, back) == 1
    assert run_due(services, back + timedelta(seconds=5)) == 0
    with services.db.read() as s:
        notices = {n.offset_seconds: n for n in s.exec(select(MilestoneNotice))}
    assert notices[7 * 86400].late and not notices[7 * 86400].superseded
    assert notices[28 * 86400].superseded
    (row,) = owed(services)
    assert row.useful_until == freeze.at
    with services.db.read() as s:
        text, blocks = flows.render_notice(s, {"notice": notices[7 * 86400].id}, back) or ("", [])
    assert "Sent 3h late" in str(blocks)
    assert "*Code freeze* in 7 days" in str(blocks)  # 6 days 21 hours, rounded
    assert "Only fixes merge." in str(blocks)
    assert "<!date^1900375200^" in text  # 2030-03-22 02:00 UTC for every reader


def test_a_notice_is_dropped_once_its_milestone_passed_moved_or_went(make_services: Any) -> None:
    services = make_services()
    release = make_release(services.db, RELEASE_DAY, now=NOW)
    freeze = add_freeze(services, release, "Code freeze 2030-03-22 02:00 UTC", NOW)
    hour_due = freeze.at - timedelta(hours=1)
    run_due(services, hour_due)
    with services.db.read() as s:
        notice = s.exec(select(MilestoneNotice).where(MilestoneNotice.offset_seconds == 3600)).one()
        assert flows.render_notice(s, {"notice": notice.id}, hour_due) is not None
        assert flows.render_notice(s, {"notice": notice.id}, freeze.at) is None  # passed
    assert run_due(services, freeze.at + timedelta(minutes=1)) == 0  # nothing after it passed
    with services.db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        schedule.remove(s, row, "Code freeze", actor=acting(LEAD, admins=ADMINS), now=hour_due)
    with services.db.read() as s:
        assert flows.render_notice(s, {"notice": notice.id}, hour_due) is None  # went


def test_a_moved_milestone_is_counted_down_afresh(make_services: Any) -> None:
    services = make_services()
    release = make_release(services.db, RELEASE_DAY, now=NOW)
    freeze = add_freeze(services, release, "Code freeze 2030-03-22 02:00 UTC", NOW)
    week_due = freeze.at - timedelta(weeks=1)
    assert run_due(services, week_due) == 1
    moved_at = week_due + timedelta(days=2)
    with services.db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        when = schedule.When(freeze.at + timedelta(weeks=1), ZoneInfo("UTC"))
        schedule.move(
            s,
            row,
            "code freeze",
            when,
            reason="CI",
            actor=acting(LEAD, admins=ADMINS),
            now=moved_at,
        )
    # the old instant's 1d notice never comes; the new instant's 1w, 1d and 1h do
    assert run_due(services, freeze.at - timedelta(days=1)) == 0
    new_at = freeze.at + timedelta(weeks=1)
    for offset in (7 * 86400, 86400, 3600):
        assert run_due(services, new_at - timedelta(seconds=offset)) == 1
    keys = [r.key for r in owed(services)]
    stamp, new_stamp = int(freeze.at.timestamp()), int(new_at.timestamp())
    assert keys == [
        f"milestone:{freeze.id}:{stamp}:604800",
        f"milestone:{freeze.id}:{new_stamp}:604800",
        f"milestone:{freeze.id}:{new_stamp}:86400",
        f"milestone:{freeze.id}:{new_stamp}:3600",
    ]


def test_a_closed_release_announces_nothing(make_services: Any) -> None:
    services = make_services()
    release = make_release(services.db, RELEASE_DAY, now=NOW)
    freeze = add_freeze(services, release, "Code freeze 2030-03-22 02:00 UTC", NOW)
    with services.db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        row.state = "cancelled"
        s.add(row)
    assert run_due(services, freeze.at - timedelta(hours=1)) == 0
    with services.db.read() as s:
        assert s.get(Milestone, freeze.id).next_notice_at is None  # type: ignore[union-attr]
        assert countdown.finished(s, freeze.at, freeze.at + timedelta(minutes=1)) == []


def test_a_milestone_that_passed_unannounced_stops_being_planned(make_services: Any) -> None:
    services = make_services()
    release = make_release(services.db, RELEASE_DAY, now=NOW)
    freeze = add_freeze(services, release, "Code freeze 2030-03-22 02:00 UTC", NOW)
    after = freeze.at + timedelta(days=1)  # the bot was away for the whole countdown
    with services.db.read() as s:
        assert countdown.finished(s, after, after) == [freeze.id]
    assert run_due(services, after) == 0
    with services.db.read() as s:
        assert countdown.finished(s, after, after) == []
        assert s.exec(select(MilestoneNotice)).all() == []
