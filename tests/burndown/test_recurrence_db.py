"""Series over a real database: claims won once, skips, and what App Home will show."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.burndown import reminders, status_updates
from bot.burndown import service as meetings
from bot.core.db import Database
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.release import roles
from bot.release import service as releases
from bot.release.models import Release
from tests.support.actor import acting

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)  # a Monday


def setup_release(db: Database, channel: str = "C1") -> Release:
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id=channel,
            name="v1",
            release_at=None,
            zone=UTC_ZONE,
            actor="U_LEAD",
            now=NOW,
        )
        roles.assign(s, release, role="docs", users=["U_DOCS"], actor=acting("U_LEAD"), now=NOW)
    return release


def add_series(db: Database, release: Release, **changes: object) -> int:
    spec = meetings.SeriesSpec(days=0b0011111, at=time(10, 0), zone=UTC_ZONE, start=NOW.date())
    for key, value in changes.items():
        spec = meetings.SeriesSpec(**{**spec.__dict__, key: value})
    with db.session() as s:
        series = meetings.create_series(s, release, spec, actor="U_LEAD", now=NOW)
    assert series.id is not None
    return series.id


def test_concurrent_claims_of_one_reminder_have_one_winner(db: Database) -> None:
    release = setup_release(db)
    add_series(db, release, status_lead=None)
    at = NOW + timedelta(hours=1, minutes=5)  # 09:05: the 60m reminder is 5 minutes late
    with db.read() as s:
        work, _ = reminders.plan_window(s, at, at + timedelta(seconds=30))
    assert [(w.item.kind, w.item.offset) for w in work] == [("remind", 3600)]
    winners: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        with db.session() as s:
            winners.append(reminders.claim(s, work[0], at) is not None)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == [False] * 7 + [True]
    with db.read() as s:
        again, _ = reminders.plan_window(s, at, at + timedelta(seconds=30))
    assert again == []


def test_a_claim_for_a_meeting_that_started_or_was_skipped_is_refused(db: Database) -> None:
    release = setup_release(db)
    sid = add_series(db, release, status_lead=None)
    at = NOW + timedelta(minutes=59, seconds=50)
    with db.read() as s:
        work, _ = reminders.plan_window(s, at, at + timedelta(seconds=30))
    with db.session() as s:
        assert reminders.claim(s, work[0], NOW + timedelta(hours=2)) is None  # it started
    with db.session() as s:
        locked = releases.lock_active(s, "C1")
        meetings.skip(
            s,
            locked,
            NOW.date(),
            series_id=sid,
            actor=acting("U_LEAD"),
            now=at,
        )
    with db.session() as s:
        assert reminders.claim(s, work[0], at) is None  # it was skipped
    with db.session() as s, pytest.raises(Conflict):
        locked = releases.lock_active(s, "C1")
        meetings.skip(
            s,
            locked,
            NOW.date(),
            series_id=None,
            actor=acting("U_LEAD"),
            now=at,
        )
    with db.session() as s, pytest.raises(NotFound):
        locked = releases.lock_active(s, "C1")
        day = date(2030, 5, 11)
        meetings.skip(s, locked, day, series_id=None, actor=acting("U_LEAD"), now=at)


def test_next_meetings_and_status_due_for_home(db: Database) -> None:
    release = setup_release(db)
    setup_release(db, "C_OTHER")  # a release the person has no role in
    sid = add_series(db, release, remind=(600,), status_lead=6 * 3600, areas=("docs",))
    with db.read() as s:
        upcoming = meetings.next_meetings_for(s, "U_DOCS", NOW, 3)
        nobody = meetings.next_meetings_for(s, "U_STRANGER", NOW, 3)
    assert [u.occurs_at for u in upcoming] == [
        datetime(2030, 5, 6, 10, 0, tzinfo=UTC),
        datetime(2030, 5, 7, 10, 0, tzinfo=UTC),
        datetime(2030, 5, 8, 10, 0, tzinfo=UTC),
    ]
    assert nobody == []
    with db.read() as s:
        due = status_updates.status_due_for(s, "U_DOCS", NOW)
    assert [(d.series.id, d.occurs_at) for d in due] == [
        (sid, datetime(2030, 5, 6, 10, 0, tzinfo=UTC))
    ]
    with db.session() as s:
        meeting = status_updates.open_meeting(s, sid, due[0].occurs_at, NOW)
        with pytest.raises(DomainError, match="areas"):
            status_updates.post_status(
                s, meeting, actor=acting("U_DOCS"), area="qa", colour="red", notes="", now=NOW
            )
        with pytest.raises(Forbidden):
            status_updates.post_status(
                s, meeting, actor=acting("U_X"), area="docs", colour="red", notes="", now=NOW
            )
        status_updates.post_status(
            s,
            meeting,
            actor=acting("U_DOCS"),
            area="docs",
            colour="yellow",
            notes="1",
            now=NOW,
        )
    with db.session() as s:  # posting again replaces the earlier status
        meeting = status_updates.open_meeting(s, sid, due[0].occurs_at, NOW)
        status_updates.post_status(
            s, meeting, actor=acting("U_DOCS"), area="docs", colour="green", notes="2", now=NOW
        )
    with db.read() as s:
        assert status_updates.status_due_for(s, "U_DOCS", NOW) == []
        rows = status_updates.statuses(s, sid, due[0].occurs_at)
        assert [(r.colour, r.notes) for r in rows] == [("green", "2")]
        assert status_updates.missing(s, release, sid, due[0].occurs_at) == ["U_LEAD"]
