"""The feed read back by an independent parser: what a subscribed calendar app would show."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from bot.burndown.models import MeetingSeries, MeetingSkip
from bot.burndown.recurrence import days_mask, occurrences
from bot.burndown.series import rule_of, skips_of
from bot.calendar import service as calendars
from bot.calendar.feed import feed
from bot.core import audit
from bot.core.db import Database
from bot.release.models import Release
from tests.calendar import builders as b

LA = ZoneInfo(b.LA)
WINDOW = (datetime(2027, 2, 20, tzinfo=UTC), datetime(2027, 4, 10, tzinfo=UTC))


def _feed(db: Database, release_id: int) -> bytes:
    with db.read() as s:
        release = s.get(Release, release_id)
        assert release is not None
        return feed(calendars.feed_data(s, release, b.NOW, parts=b.feed_parts(db)))


def _expanded(body: bytes, uid: str) -> list[datetime]:
    """Occurrence starts of one event, expanded by recurring_ical_events, in UTC."""
    cal = Calendar.from_ical(body)
    found = recurring_ical_events.of(cal).between(*WINDOW)
    return sorted(e.decoded("dtstart").astimezone(UTC) for e in found if str(e["uid"]) == uid)


def _bots_own(db: Database, series_id: int) -> list[datetime]:
    """The same series' occurrences from the bot's recurrence code."""
    with db.read() as s:
        series = s.get(MeetingSeries, series_id)
        assert series is not None
        skips = skips_of(s, [series_id]).get(series_id, set())
    rule = rule_of(series, skips)
    return list(occurrences(rule, WINDOW[0] - timedelta(seconds=1), WINDOW[1]))


def test_dst_crossing_series_expands_to_the_bots_own_meetings(db: Database) -> None:
    rel, _ = b.release(db)
    skipped = date(2027, 3, 17)  # a Wednesday, after the change on Sunday 14 March
    sid = b.series(db, rel, start=date(2027, 3, 1), end=date(2027, 3, 31), skips=(skipped,))
    body = _feed(db, rel.id or 0)

    theirs = _expanded(body, f"series-{sid}@releasebot")
    ours = _bots_own(db, sid)

    assert theirs == ours
    assert len(ours) == 13  # 14 Mon/Wed/Fri in March 2027, one skipped
    assert all(t.astimezone(LA).time() == time(10, 0) for t in theirs)
    hours = {t.date(): t.hour for t in theirs}
    assert hours[date(2027, 3, 12)] == 18  # PST, UTC-8
    assert hours[date(2027, 3, 15)] == 17  # PDT, UTC-7
    assert skipped not in {t.astimezone(LA).date() for t in theirs}


def test_a_meeting_in_the_spring_gap_is_where_the_bot_holds_it(db: Database) -> None:
    rel, _ = b.release(db)
    sunday = days_mask([6])
    sid = b.series(db, rel, days=sunday, at="02:30", start=date(2027, 3, 1), end=date(2027, 3, 28))
    body = _feed(db, rel.id or 0)

    theirs = _expanded(body, f"series-{sid}@releasebot")
    ours = _bots_own(db, sid)

    assert theirs == ours
    gap_day = [t for t in theirs if t.astimezone(LA).date() == date(2027, 3, 14)]
    assert gap_day == [datetime(2027, 3, 14, 10, 0, tzinfo=UTC)]  # 03:00 PDT, the gap's end
    assert b"RECURRENCE-ID;TZID=America/Los_Angeles:20270314T023000" in body


def test_feed_is_rfc5545_shaped(db: Database) -> None:
    rel, _ = b.release(db)
    la = b.series(db, rel, skips=(date(2027, 3, 19),))
    berlin = b.series(db, rel, zone="Europe/Berlin", at="17:00", end=None, areas="")
    gone = b.series(db, rel, state="cancelled")
    body = _feed(db, rel.id or 0)
    text = body.decode("utf-8")

    assert body.endswith(b"\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    cal = Calendar.from_ical(body)
    assert str(cal["version"]) == "2.0"
    assert str(cal["prodid"]).startswith("-//releasebot//")
    assert str(cal["method"]) == "PUBLISH"
    assert "v1.40" in str(cal["x-wr-calname"])
    zones = sorted(str(tz["tzid"]) for tz in cal.walk("VTIMEZONE"))
    assert zones == ["America/Los_Angeles", "Europe/Berlin"]

    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"series-{la}@releasebot",
        f"series-{berlin}@releasebot",
        f"release-{rel.id}@releasebot",
    }
    assert f"series-{gone}@releasebot" not in text
    main = events[f"series-{la}@releasebot"]
    assert main["dtstart"].params["TZID"] == "America/Los_Angeles"
    assert main.decoded("dtend") - main.decoded("dtstart") == timedelta(minutes=30)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270401T065959Z;BYDAY=MO,WE,FR" in text
    assert "EXDATE;TZID=America/Los_Angeles:20270319T100000" in text
    assert "https://meet.example/burndown" in str(main["description"])
    assert "ci, docs" in str(main["description"])
    assert int(main["sequence"]) == 1
    assert "UNTIL" not in events[f"series-{berlin}@releasebot"]["rrule"]
    day = events[f"release-{rel.id}@releasebot"]
    assert day.decoded("dtstart") == b.RELEASE_AT


def test_sequence_grows_with_each_change_of_a_series(db: Database) -> None:
    rel, _ = b.release(db)
    sid = b.series(db, rel)

    def sequence() -> int:
        cal = Calendar.from_ical(_feed(db, rel.id or 0))
        event = next(e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("series-"))
        return int(event["sequence"])

    assert sequence() == 0
    with db.session() as s:
        s.add(MeetingSkip(series_id=sid, day=date(2027, 3, 22), created_by=b.LEAD))
        audit.record(
            s,
            release=rel,
            actor=b.LEAD,
            action="burndown.skipped",
            subject=f"series {sid}",
            at=b.NOW,
        )
    assert sequence() == 1
    with db.session() as s:
        audit.record(
            s,
            release=rel,
            actor=b.LEAD,
            action="burndown.moved",
            subject=f"series {sid}",
            at=b.NOW,
        )
    assert sequence() == 2


def test_a_release_without_series_or_day_is_still_a_valid_calendar(db: Database) -> None:
    rel, _ = b.release(db, release_at=None)
    cal = Calendar.from_ical(_feed(db, rel.id or 0))
    assert cal.walk("VEVENT") == []
    assert cal.walk("VTIMEZONE") == []
