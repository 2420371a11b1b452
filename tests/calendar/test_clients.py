"""The feed as calendar clients read it: ical.js (Thunderbird's parser) and icalendar.

One release holds a series per case below; both parsers expand its feed, and every
occurrence instant must equal the bot's own plan (`bot.burndown.recurrence.occurrences`),
as must milestones and release day. ical.js reads the feed's own VTIMEZONEs, so this is
where a VTIMEZONE that a client misreads shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone

from bot.burndown.models import MeetingSeries
from bot.burndown.recurrence import days_mask, occurrences
from bot.burndown.series import rule_of, skips_of
from bot.calendar import service as calendars
from bot.calendar.feed import feed
from bot.core.db import Database
from bot.release.models import Release
from tests.calendar import builders as b
from tests.calendar import clients

TWO_YEARS = timedelta(days=2 * 366)
SUNDAY = days_mask([6])


@dataclass(frozen=True)
class Case:
    """A series as `/burndown schedule` would make it."""

    name: str
    zone: str
    days: list[int]
    at: str
    start: date
    end: date | None
    skips: tuple[date, ...] = ()


CASES = [
    # The Mon/Wed/Fri series an hour off in ical.js for eight months, open-ended.
    Case(
        "Los Angeles, open-ended",
        b.LA,
        [0, 2, 4],
        "10:00",
        date(2027, 3, 1),
        None,
        skips=(date(2027, 3, 17), date(2027, 11, 5)),
    ),
    Case(
        "Los Angeles, bounded",
        b.LA,
        [1, 3],
        "16:30",
        date(2027, 3, 1),
        date(2027, 11, 30),
        skips=(date(2027, 11, 4),),
    ),
    Case(
        "Los Angeles, in the spring-forward gap",
        b.LA,
        [6],
        "02:30",
        date(2027, 3, 1),
        date(2028, 4, 30),
    ),
    Case(
        "Berlin, open-ended",
        "Europe/Berlin",
        [0, 1, 2, 3, 4],
        "17:00",
        date(2027, 3, 1),
        None,
        skips=(date(2027, 3, 29),),
    ),
    Case("Kolkata, bounded", "Asia/Kolkata", [2], "09:30", date(2027, 3, 1), date(2027, 12, 31)),
    Case("Chatham, open-ended", "Pacific/Chatham", [0, 3], "08:00", date(2027, 3, 1), None),
    Case(
        "Chatham, in the spring-forward gap",
        "Pacific/Chatham",
        [6],
        "03:00",
        date(2027, 3, 1),
        None,
    ),
    Case(
        "Lord Howe, in the 30-minute gap",
        "Australia/Lord_Howe",
        [6],
        "02:15",
        date(2027, 3, 1),
        None,
    ),
    Case(
        "Lord Howe, in the repeated half hour",
        "Australia/Lord_Howe",
        [6],
        "01:45",
        date(2027, 3, 1),
        date(2028, 5, 1),
    ),
    # Paraguay kept summer time for good in October 2024: no fall-back in March 2025.
    Case(
        "Asuncion, across its rule change",
        "America/Asuncion",
        [0, 2],
        "09:00",
        date(2024, 9, 1),
        date(2025, 6, 30),
    ),
    # Morocco leaves summer time for Ramadan, a month at a time.
    Case(
        "Casablanca, around Ramadan",
        "Africa/Casablanca",
        [0, 1, 2, 3, 4],
        "09:00",
        date(2027, 1, 15),
        date(2027, 4, 15),
    ),
]
WINDOW = (datetime(2024, 8, 1, tzinfo=UTC), b.NOW + TWO_YEARS)


@dataclass
class Feed:
    body: bytes
    plans: dict[str, list[datetime]]  # uid -> the bot's own instants
    names: dict[str, str]  # uid -> case name


def _plan(db: Database, series_id: int) -> list[datetime]:
    with db.read() as s:
        series = s.get(MeetingSeries, series_id)
        assert series is not None
        skips = skips_of(s, [series_id]).get(series_id, set())
    rule = rule_of(series, skips)
    return list(occurrences(rule, WINDOW[0], WINDOW[1]))


def _build(db: Database) -> Feed:
    rel, _ = b.release(db)
    plans: dict[str, list[datetime]] = {}
    names: dict[str, str] = {}
    for case in CASES:
        sid = b.series(
            db,
            rel,
            days=days_mask(case.days),
            at=case.at,
            zone=case.zone,
            start=case.start,
            end=case.end,
            skips=case.skips,
        )
        plans[f"series-{sid}@releasebot"] = _plan(db, sid)
        names[f"series-{sid}@releasebot"] = case.name
    for n, at in enumerate(b.milestones(db, rel, 30)):
        plans[f"milestone-{n}"] = [at]
    plans[f"release-{rel.id}@releasebot"] = [b.RELEASE_AT]
    names[f"release-{rel.id}@releasebot"] = "release day"
    with db.read() as s:
        release = s.get(Release, rel.id)
        assert release is not None
        body = feed(calendars.feed_data(s, release, b.NOW, parts=b.feed_parts(db)))
    return Feed(body, plans, names)


def _milestones(found: dict[str, list[datetime]]) -> list[datetime]:
    return sorted(at for uid, ats in found.items() if uid.startswith("milestone-") for at in ats)


def _mismatches(theirs: dict[str, list[datetime]], built: Feed) -> list[str]:
    """What a parser reads differently from the bot's plan, case by case."""
    wrong = []
    for uid, name in built.names.items():
        ours, got = built.plans[uid], theirs.get(uid, [])
        if got != ours:
            off = sorted(set(got) ^ set(ours))
            wrong.append(
                f"{name}: {len(ours)} planned, {len(set(got) - set(ours))} read "
                f"differently, first at {off[:2]}"
            )
    planned = sorted(
        at for uid, ats in built.plans.items() if uid.startswith("milestone-") for at in ats
    )
    if _milestones(theirs) != planned:
        wrong.append(f"milestones: {_milestones(theirs)} != {planned}")
    return wrong


def test_the_feed_reads_the_same_in_icaljs_and_icalendar_as_the_bot_plans(
    db: Database, tmp_path: Path
) -> None:
    built = _build(db)
    plans = built.plans
    # The cases mean something: long series, gap days, two years ahead.
    la = next(uid for uid, name in built.names.items() if name == "Los Angeles, open-ended")
    assert len(plans[la]) > 300 and plans[la][-1] > b.NOW + TWO_YEARS - timedelta(days=7)
    assert all(len(plans[uid]) >= 10 for uid, name in built.names.items() if name != "release day")
    gap = next(uid for uid, name in built.names.items() if "spring-forward" in name)
    assert datetime(2027, 3, 14, 10, 0, tzinfo=UTC) in plans[gap]  # 02:30 held at 03:00 PDT

    python = clients.python(built.body, *WINDOW)
    js = clients.icaljs(built.body, *WINDOW, tmp_path)
    assert _mismatches(python, built) == []
    wrong = _mismatches(js, built)
    assert wrong == [], "\n".join(wrong)


def test_each_vtimezone_gives_the_zones_own_offsets(db: Database) -> None:
    built = _build(db)
    cal = Calendar.from_ical(built.body)
    zones = {str(tz["tzid"]): tz for tz in cal.walk("VTIMEZONE")}
    assert set(zones) == {case.zone for case in CASES}
    for tz in zones.values():
        for block in tz.subcomponents:
            assert "RDATE" not in block and "RRULE" not in block
    for uid, name in built.names.items():
        zone = next((c.zone for c in CASES if c.name == name), b.LA)
        # Read from the component alone (not looked up by its TZID).
        read = zones[zone].to_tz(lookup_tzid=False)
        for at in built.plans[uid]:
            assert at.astimezone(read).utcoffset() == at.astimezone(ZoneInfo(zone)).utcoffset(), (
                name,
                at,
            )


def test_a_comma_listed_rdate_vtimezone_fails_the_icaljs_check(
    db: Database, tmp_path: Path
) -> None:
    """The check can fail: with icalendar's own VTIMEZONE, ical.js reads meetings an hour off."""
    built = _build(db)
    cal = Calendar.from_ical(built.body)
    first, last = date(2027, 1, 1), date(2030, 12, 31)
    cal.subcomponents = [
        c
        if c.name != "VTIMEZONE"
        else Timezone.from_tzid(str(c["tzid"]), first_date=first, last_date=last)
        for c in cal.subcomponents
    ]
    body = cal.to_ical()
    assert b"RDATE:20280312T030000,20290311T030000" in body  # the comma-listed form
    window = (datetime(2027, 1, 1, tzinfo=UTC), WINDOW[1])

    read = clients.icaljs(body, *window, tmp_path)
    la = next(uid for uid, name in built.names.items() if name == "Los Angeles, open-ended")
    ours = [at for at in built.plans[la] if window[0] <= at < window[1]]
    off = [(a, b_) for a, b_ in zip(read[la], ours, strict=True) if a != b_]
    assert len(off) > 100
    assert {abs(a - b_) for a, b_ in off} == {timedelta(hours=1)}
    # The same meetings in a reading that keeps to the local time:
    assert all(b_.astimezone(ZoneInfo(b.LA)).time() == time(10, 0) for _, b_ in off)
