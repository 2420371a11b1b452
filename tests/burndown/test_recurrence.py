"""Occurrences of wall-clock series across real DST transitions, and the work they bring."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.burndown.recurrence import (
    REMIND,
    STATUS,
    Plan,
    Rule,
    days_mask,
    describe_days,
    next_due,
    next_occurrence,
    occurrences,
    pending,
)

DAILY = days_mask(range(7))
MWF = days_mask([0, 2, 4])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def series(zone: str, at: time, start: date, days: int = DAILY, end: date | None = None) -> Rule:
    return Rule(days=days, at=at, zone=ZoneInfo(zone), start=start, end=end)


def listed(rule: Rule, after: datetime, count: int) -> list[datetime]:
    return [o for _, o in zip(range(count), occurrences(rule, after), strict=False)]


def local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %z")


@pytest.mark.parametrize(
    ("zone", "first", "before_utc", "after_utc"),
    [
        # spring forward / fall back, northern hemisphere
        ("America/Los_Angeles", date(2026, 3, 6), time(18, 0), time(17, 0)),
        ("America/Los_Angeles", date(2026, 10, 30), time(17, 0), time(18, 0)),
        ("Europe/Berlin", date(2026, 3, 27), time(9, 0), time(8, 0)),
        ("Europe/Berlin", date(2026, 10, 23), time(8, 0), time(9, 0)),
        # southern hemisphere: April ends summer time, October starts it
        ("Australia/Sydney", date(2026, 4, 3), time(23, 0), time(0, 0)),
        ("Australia/Sydney", date(2026, 10, 2), time(0, 0), time(23, 0)),
        ("Pacific/Chatham", date(2026, 4, 3), time(20, 15), time(21, 15)),
        ("Pacific/Chatham", date(2026, 9, 25), time(21, 15), time(20, 15)),
    ],
)
def test_a_series_keeps_its_local_time_across_a_transition(
    zone: str, first: date, before_utc: time, after_utc: time
) -> None:
    at = time(10, 0)
    rule = series(zone, at, first)
    found = listed(rule, utc(2000, 1, 1), 5)
    assert [o.astimezone(ZoneInfo(zone)).time() for o in found] == [at] * 5
    assert found[0].time() == before_utc
    assert found[-1].time() == after_utc
    assert len({o.astimezone(ZoneInfo(zone)).date() for o in found}) == 5


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc"),
    [
        # 02:30 does not exist on the spring-forward night: the first instant after the gap
        ("America/Los_Angeles", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 10, 0)),
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 0), utc(2026, 9, 26, 14, 0)),
        # Kathmandu moved from +05:30 to +05:45 at midnight 1986: a 15-minute gap
        ("Asia/Kathmandu", date(1986, 1, 1), time(0, 5), utc(1985, 12, 31, 18, 30)),
        # Kolkata's war-time clock change of 1942 skipped the hour after midnight
        ("Asia/Kolkata", date(1942, 9, 1), time(0, 30), utc(1942, 8, 31, 18, 30)),
    ],
)
def test_a_time_in_the_gap_moves_to_the_first_instant_after_it(
    zone: str, day: date, wall: time, expected_utc: datetime
) -> None:
    rule = series(zone, wall, day - timedelta(days=1))
    found = listed(rule, utc(1900, 1, 1), 3)
    assert found[1] == expected_utc
    # the days around it keep the asked-for wall time
    assert found[0].astimezone(ZoneInfo(zone)).time() == wall
    assert found[2].astimezone(ZoneInfo(zone)).time() == wall


@pytest.mark.parametrize(
    ("zone", "day", "wall", "first_utc"),
    [
        ("America/Los_Angeles", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 8, 30)),
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        ("Pacific/Chatham", date(2026, 4, 5), time(3, 0), utc(2026, 4, 4, 13, 15)),
        ("Asia/Kolkata", date(1942, 5, 14), time(23, 15), utc(1942, 5, 14, 16, 45)),
    ],
)
def test_a_repeated_time_at_fall_back_meets_once_at_its_first_reading(
    zone: str, day: date, wall: time, first_utc: datetime
) -> None:
    rule = series(zone, wall, day - timedelta(days=1), end=day + timedelta(days=1))
    found = list(occurrences(rule, utc(1900, 1, 1)))
    assert len(found) == 3
    assert found[1] == first_utc
    assert [o.astimezone(ZoneInfo(zone)).date() for o in found] == [
        day - timedelta(days=1),
        day,
        day + timedelta(days=1),
    ]


@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Kolkata", "+0530"), ("Asia/Kathmandu", "+0545")]
)
def test_fixed_offset_zones_keep_their_odd_offsets(zone: str, offset: str) -> None:
    rule = series(zone, time(10, 0), date(2026, 3, 2), days=MWF)
    found = listed(rule, utc(2026, 3, 1), 12)  # spans the US and EU spring changes
    assert {local(o, zone)[-5:] for o in found} == {offset}
    assert {o.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") for o in found} == {
        "Mon 10:00",
        "Wed 10:00",
        "Fri 10:00",
    }


def test_mon_wed_fri_in_los_angeles_across_spring_forward() -> None:
    rule = series("America/Los_Angeles", time(10, 0), date(2026, 3, 2), days=MWF)
    found = listed(rule, utc(2026, 3, 1), 6)
    assert [local(o, "America/Los_Angeles") for o in found] == [
        "2026-03-02 10:00 -0800",
        "2026-03-04 10:00 -0800",
        "2026-03-06 10:00 -0800",
        "2026-03-09 10:00 -0700",
        "2026-03-11 10:00 -0700",
        "2026-03-13 10:00 -0700",
    ]


def test_range_and_skips_are_respected_and_after_is_exclusive() -> None:
    rule = Rule(
        days=days_mask(range(5)),
        at=time(9, 0),
        zone=ZoneInfo("UTC"),
        start=date(2026, 6, 1),
        end=date(2026, 6, 5),
        skips=frozenset({date(2026, 6, 3)}),
    )
    found = list(occurrences(rule, utc(2026, 6, 1, 9, 0)))
    assert [o.day for o in found] == [2, 4, 5]
    assert next_occurrence(rule, utc(2026, 6, 5, 9, 0)) is None
    assert list(occurrences(rule, utc(2026, 5, 1), until=utc(2026, 6, 2, 9, 0))) == [
        utc(2026, 6, 1, 9, 0)
    ]


def test_describe_days() -> None:
    assert describe_days(DAILY) == "every day"
    assert describe_days(days_mask(range(5))) == "weekdays"
    assert describe_days(MWF) == "Mon, Wed, Fri"


def plan(remind: tuple[int, ...] = (3600, 600), status: int | None = 86400) -> Plan:
    rule = series("UTC", time(10, 0), date(2026, 6, 1))
    return Plan(rule, remind, status, plan_from=utc(2026, 6, 1, 0, 0))


def test_pending_lists_unclaimed_work_of_meetings_not_started() -> None:
    p = plan()
    now = utc(2026, 6, 2, 9, 55)
    items = pending(p, set(), now, now + timedelta(seconds=30))
    # Everything for today's 10:00 that was never sent is still wanted (late), oldest first:
    # yesterday's status request, then both reminders. Tomorrow's status is not due yet.
    assert [(i.kind, i.offset, i.due) for i in items] == [
        (STATUS, 86400, utc(2026, 6, 1, 10, 0)),
        (REMIND, 3600, utc(2026, 6, 2, 9, 0)),
        (REMIND, 600, utc(2026, 6, 2, 9, 50)),
    ]
    claimed = {items[0].key, items[1].key}
    assert [i.offset for i in pending(p, claimed, now, now + timedelta(seconds=30))] == [600]
    # once the meeting started, its work is dropped; tomorrow's status request is due now
    later = utc(2026, 6, 2, 10, 0)
    found = pending(p, set(), later, later + timedelta(seconds=1))
    assert [(i.kind, i.occurs_at) for i in found] == [(STATUS, utc(2026, 6, 3, 10, 0))]


def test_work_due_before_the_series_existed_is_not_sent() -> None:
    rule = series("UTC", time(10, 0), date(2026, 6, 1))
    p = Plan(rule, (3600, 600), 86400, plan_from=utc(2026, 6, 1, 9, 30))
    # the 09:00 reminder came before the series; today's status is too close to ask for
    assert pending(p, set(), utc(2026, 6, 1, 9, 30), utc(2026, 6, 1, 9, 31)) == []
    assert next_due(p, set(), utc(2026, 6, 1, 9, 30)) == utc(2026, 6, 1, 9, 50)


def test_a_status_window_already_open_asks_at_once() -> None:
    rule = series("UTC", time(10, 0), date(2026, 6, 1))
    created = utc(2026, 6, 1, 11, 0)
    p = Plan(rule, (600,), 86400, plan_from=created)
    found = pending(p, set(), created, created + timedelta(seconds=1))
    assert [(i.kind, i.occurs_at, i.due) for i in found] == [
        (STATUS, utc(2026, 6, 2, 10, 0), created)
    ]


def test_next_due_is_the_earliest_unclaimed_work() -> None:
    p = plan(status=None)
    now = utc(2026, 6, 2, 9, 55)
    assert next_due(p, set(), now) == utc(2026, 6, 2, 9, 0)
    claimed = {(utc(2026, 6, 2, 10, 0), REMIND, 3600), (utc(2026, 6, 2, 10, 0), REMIND, 600)}
    assert next_due(p, claimed, now) == utc(2026, 6, 3, 9, 0)
    assert next_due(plan(remind=(), status=None), set(), now) is None
