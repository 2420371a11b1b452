"""The Kubernetes burndown rhythm counted back from release day, and moved with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.burndown import cadence
from bot.burndown import flows as burndown
from bot.burndown import service as meetings
from bot.burndown.models import MeetingSeries
from bot.burndown.recurrence import days_mask, occurrences
from bot.core.db import Database
from bot.core.errors import DomainError
from bot.core.models import AuditEvent
from bot.release import service as releases
from bot.schedule.models import Milestone
from tests.calendar.builders import services_for
from tests.support.actor import acting
from tests.support.release import no_groups

LA = ZoneInfo("America/Los_Angeles")
MON, MWF, WEEKDAYS = days_mask([0]), days_mask([0, 2, 4]), days_mask(range(5))


def test_pieces_for_a_tuesday_release() -> None:
    pieces = cadence.kubernetes_pieces(date(2027, 3, 16), date(2027, 1, 4), 0)
    assert [(p.name, p.days, p.start, p.end) for p in pieces] == [
        ("weekly", MON, date(2027, 1, 4), date(2027, 2, 21)),
        # code slush three weeks before the release week: Mon/Wed/Fri through code freeze
        ("mwf", MWF, date(2027, 2, 22), date(2027, 3, 7)),
        # every weekday for the last two weeks, up to the Friday after release day
        ("daily", WEEKDAYS, date(2027, 3, 8), date(2027, 3, 19)),
    ]


def test_late_start_drops_and_clamps_pieces() -> None:
    pieces = cadence.kubernetes_pieces(date(2027, 3, 16), date(2027, 3, 3), 0)
    assert [(p.name, p.start, p.end) for p in pieces] == [
        ("mwf", date(2027, 3, 3), date(2027, 3, 7)),
        ("daily", date(2027, 3, 8), date(2027, 3, 19)),
    ]


def test_a_friday_release_ends_the_same_day_and_weekly_day_is_chosen() -> None:
    pieces = cadence.kubernetes_pieces(date(2027, 3, 19), date(2027, 1, 1), 1)
    assert pieces[0].days == days_mask([1])
    assert pieces[-1].end == date(2027, 3, 19)


def _release(db: Database, now: datetime, day: datetime):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return releases.create_release(
            s, channel_id="C1", name="v1", release_at=day, zone=LA, actor="U_LEAD", now=now
        )


def _template() -> meetings.SeriesSpec:
    return meetings.SeriesSpec(days=0, at=time(10, 0), zone=LA, start=date(2027, 1, 1))


def test_lay_out_then_postpone_moves_the_pieces(db: Database) -> None:
    now = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    release = _release(db, now, datetime(2027, 3, 16, 17, 0, tzinfo=UTC))
    with db.session() as s:
        created, replaced = cadence.lay_out(
            s,
            release,
            _template(),
            weekly_day=0,
            actor=acting("U_LEAD"),
            now=now,
        )
    assert replaced == 0
    assert [(c.piece, c.cadence) for c in created] == [
        ("weekly", "kubernetes"),
        ("mwf", "kubernetes"),
        ("daily", "kubernetes"),
    ]
    daily = meetings.rule_of(created[2])
    first_daily = next(occurrences(daily, now))
    assert first_daily == datetime(2027, 3, 8, 18, 0, tzinfo=UTC)  # 10:00 PST
    later = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    with db.session() as s:
        locked = releases.lock_active(s, "C1")
        releases.postpone(
            s,
            locked,
            release_at=datetime(2027, 3, 30, 17, 0, tzinfo=UTC),
            reason="",
            actor=acting("U_LEAD"),
            now=later,
        )
        moved = cadence.move_with_release(s, locked, actor="U_LEAD", now=later)
    assert {m.piece for m in moved} == {"weekly", "mwf", "daily"}
    with db.read() as s:
        rows = {r.piece: r for r in s.exec(select(MeetingSeries)) if r.state == "active"}
        actions = [e.action for e in s.exec(select(AuditEvent))]
    assert [r.id for r in rows.values()] == [c.id for c in created]  # same series, moved
    assert rows["daily"].start_date == date(2027, 3, 22)
    assert rows["daily"].end_date == date(2027, 4, 2)
    assert rows["mwf"].start_date == date(2027, 3, 8)
    assert rows["weekly"].start_date == date(2027, 1, 4)
    assert rows["weekly"].end_date == date(2027, 3, 7)
    assert actions.count("burndown.moved") == 3


def test_laying_out_again_replaces_the_earlier_cadence(db: Database) -> None:
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    release = _release(db, now, datetime(2027, 3, 16, 17, 0, tzinfo=UTC))
    with db.session() as s:
        first, _ = cadence.lay_out(
            s,
            release,
            _template(),
            weekly_day=0,
            actor=acting("U_LEAD"),
            now=now,
        )
    with db.session() as s:
        second, replaced = cadence.lay_out(
            s,
            release,
            _template(),
            weekly_day=0,
            actor=acting("U_LEAD"),
            now=now,
        )
    assert replaced == len(first) == 2  # mwf and daily only: slush already began
    with db.read() as s:
        active = meetings.active_series(s, release.id)
    assert [a.id for a in active] == [c.id for c in second]


def test_a_release_without_a_day_cannot_have_a_cadence(db: Database) -> None:
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    with db.session() as s:
        release = releases.create_release(
            s, channel_id="C2", name="v2", release_at=None, zone=LA, actor="U", now=now
        )
    with db.session() as s, pytest.raises(DomainError, match="release day"):
        cadence.lay_out(
            s,
            release,
            _template(),
            weekly_day=0,
            actor=acting("U"),
            now=now,
        )


def test_a_release_day_far_ahead_is_refused_not_crashed(db: Database) -> None:
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    release = _release(db, now, datetime(9999, 12, 31, 17, 0, tzinfo=UTC))
    with db.session() as s, pytest.raises(DomainError, match="three years"):
        cadence.lay_out(
            s,
            release,
            _template(),
            weekly_day=0,
            actor=acting("U_LEAD"),
            now=now,
        )


def test_the_cadence_asks_the_schedule_where_the_freezes_begin(db: Database) -> None:
    now = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    release = _release(db, now, datetime(2027, 3, 16, 17, 0, tzinfo=UTC))
    with db.session() as s:
        for name, mark, at in (
            ("Code freeze", "code-freeze", datetime(2027, 2, 11, 2, 0, tzinfo=UTC)),
            ("Docs freeze", "docs-freeze", datetime(2027, 3, 3, 2, 0, tzinfo=UTC)),
        ):
            s.add(
                Milestone(
                    release_id=release.id or 0,
                    name=name,
                    key=name.lower(),
                    marks=mark,
                    at=at,
                    planned_at=at,
                    zone=LA.key,
                    created_by="U_LEAD",
                )
            )
    services = services_for(db, now, people=SimpleNamespace(members_of=no_groups))
    created = burndown.lay_out_cadence(
        services, "C1", _template(), weekly_day=0, actor=acting("U_LEAD"), now=now
    )
    # 02:00 UTC is the evening before in Pacific time: Wed 10 Feb and Tue 2 Mar
    assert [(c.piece, c.start_date) for c in created] == [
        ("weekly", date(2027, 1, 4)),
        ("mwf", date(2027, 2, 10)),
        ("daily", date(2027, 3, 2)),
    ]
