"""The schedule's rules: who may change it, what is refused, postpone, the phase, the cadence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.burndown import cadence
from bot.core.asks.home import Viewer
from bot.core.db import Database
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.models import AuditEvent
from bot.release import roles
from bot.release import service as releases
from bot.release.models import Release
from bot.schedule import flows, home_part, templates
from bot.schedule import service as schedule
from bot.schedule.marks_part import marks
from bot.schedule.models import Milestone
from bot.schedule.options import parse_add, parse_move, split_name
from bot.schedule.service import NewMilestone, When
from tests.schedule.builders import LA, LEAD, OTHER, make_release
from tests.support.actor import acting

NOW = datetime(2025, 1, 6, 17, 0, tzinfo=UTC)  # Mon 6 Jan 2025
V133 = datetime(2025, 4, 23, 17, 0, tzinfo=UTC)  # Wed 23 Apr 2025, 10:00 PDT
ADMINS = frozenset({"U_ADMIN"})


def kubernetes(db: Database, release: Release, now: datetime = NOW) -> schedule.Applied:
    with db.session() as s:
        return schedule.apply(
            s,
            s.get(Release, release.id),  # type: ignore[arg-type]
            templates.builtins()["kubernetes"],
            actor=acting(LEAD, admins=ADMINS),
            now=now,
        )


def listed(db: Database, release: Release) -> dict[str, Milestone]:
    with db.read() as s:
        return {m.name: m for m in schedule.milestones(s, release.id or 0)}


def add(
    db: Database, release: Release, words: str, description: str = "", **kw: object
) -> Milestone:
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        spec = parse_add(words.split(), description, row, now=NOW)
        return schedule.add(
            s,
            row,
            spec,
            actor=acting(str(kw.get("actor", LEAD)), admins=ADMINS),
            now=NOW,
        )


def test_apply_lays_out_the_template_from_release_day(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    done = kubernetes(db, release)
    assert len(done.created) == 12 and not done.updated and not done.removed
    found = listed(db, release)
    assert found["Code and test freeze"].at == datetime(2025, 3, 21, 2, 0, tzinfo=UTC)
    assert found["Code and test freeze"].relative_to_release
    assert found["Code and test freeze"].offset == "-33d 02:00 UTC"
    assert found["Release day"].at == V133
    assert found["Docs freeze"].at == datetime(2025, 4, 3, 6, 59, tzinfo=UTC)  # 23:59 PDT
    with db.read() as s:
        events = list(s.exec(select(AuditEvent).where(AuditEvent.action == "schedule.applied")))
    assert [e.subject for e in events] == ["kubernetes"]


def test_applying_again_updates_in_place_and_keeps_the_leads_own(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    add(db, release, "Docs freeze 2025-04-10 18:00 UTC owner docs")
    first = kubernetes(db, release)
    assert [m.name for m in first.kept] == ["Docs freeze"]
    ids = {m.name: m.id for m in first.created}
    again = kubernetes(db, release, NOW + timedelta(days=1))
    assert not again.created and len(again.updated) == 11
    assert {m.name: m.id for m in again.updated} == ids
    assert listed(db, release)["Docs freeze"].at == datetime(2025, 4, 10, 18, 0, tzinfo=UTC)
    with db.session() as s:
        other = s.get(Release, release.id)
        assert other is not None
        third = schedule.apply(
            s,
            other,
            templates.builtins()["openstack"],
            actor=acting(LEAD, admins=ADMINS),
            now=NOW,
        )
    assert len(third.removed) == 11 and len(third.created) == 7
    assert set(listed(db, release)) == {m.name for m in third.created} | {"Docs freeze"}


def test_apply_needs_a_release_day_and_a_lead(db: Database) -> None:
    release = make_release(db, None, now=NOW)
    with pytest.raises(DomainError, match="release day first"):
        kubernetes(db, release)
    with db.session() as s, pytest.raises(Forbidden, match=f"<@{LEAD}>"):
        schedule.apply(
            s,
            s.get(Release, release.id),  # type: ignore[arg-type]
            templates.builtins()["kubernetes"],
            actor=acting(OTHER, admins=ADMINS),
            now=NOW,
        )


def test_a_milestone_name_is_the_words_before_the_date() -> None:
    assert split_name(["Docs", "freeze", "2027-03-01", "18:00"], "x") == (
        "Docs freeze",
        ["2027-03-01", "18:00"],
    )
    assert split_name(["Fri", "sync", "R-3d"], "x") == ("Fri sync", ["R-3d"])
    with pytest.raises(ValueError, match="no date"):
        split_name(["Docs", "freeze"], "x")


def test_add_reads_date_time_zone_owner_and_description(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    docs = add(db, release, "Docs freeze 2025-04-02 owner docs", "All docs merged.")
    assert docs.at == datetime(2025, 4, 3, 6, 59, tzinfo=UTC)  # 23:59 in the release's zone
    assert (docs.owner_role, docs.description, docs.relative_to_release) == (
        "docs",
        "All docs merged.",
        False,
    )
    assert docs.marks == "docs-freeze"  # known by its name
    party = add(db, release, "Launch party R+1d 18:00 Europe/Berlin")
    assert party.relative_to_release and party.offset == "+1d 18:00 Europe/Berlin"
    assert party.at == datetime(2025, 4, 24, 16, 0, tzinfo=UTC)
    with db.read() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "milestone.added")).first()
    assert event is not None and event.subject == "Docs freeze"


def test_add_refuses_past_duplicates_and_non_leads(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    add(db, release, "Docs freeze 2025-04-02")
    with pytest.raises(Conflict, match="already has"):
        add(db, release, "docs   FREEZE 2025-04-03")
    with pytest.raises(DomainError, match="past"):
        add(db, release, "Old 2024-12-01")
    with pytest.raises(Forbidden):
        add(db, release, "Mine 2025-03-01", actor=OTHER)
    with pytest.raises(DomainError, match="role name"):
        add(db, release, "Mine 2025-03-01 owner Not_A_Role")


def test_move_makes_a_relative_milestone_fixed_and_records_why(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    kubernetes(db, release)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        name, when = parse_move(
            ["Code", "and", "test", "freeze", "2025-03-28", "02:00", "UTC"], "", row, now=NOW
        )
        done = schedule.move(
            s,
            row,
            name,
            when,
            reason="CI is red",
            actor=acting(LEAD, admins=ADMINS),
            now=NOW,
        )
    assert done.was_relative and not done.milestone.relative_to_release
    assert done.before == datetime(2025, 3, 21, 2, 0, tzinfo=UTC)
    moved = listed(db, release)["Code and test freeze"]
    assert (moved.moves, moved.move_reason, moved.offset) == (1, "CI is red", None)
    assert moved.planned_at == done.before
    with db.session() as s, pytest.raises(NotFound, match="no milestone `Nope`"):
        schedule.move(
            s,
            row,
            "Nope",
            when,
            reason="",
            actor=acting(LEAD, admins=ADMINS),
            now=NOW,
        )


def test_postpone_moves_relative_milestones_only(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    kubernetes(db, release)
    fixed = add(db, release, "Launch party 2025-04-30 18:00 UTC")
    later = V133 + timedelta(weeks=1)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        releases.postpone(s, row, release_at=later, reason="", actor=acting(LEAD), now=NOW)
        line = flows.follow_release_day(s, row, actor=LEAD, now=NOW)
    found = listed(db, release)
    assert found["Code and test freeze"].at == datetime(2025, 3, 28, 2, 0, tzinfo=UTC)
    assert found["Release day"].at == later
    assert found["Launch party"].at == fixed.at
    assert line is not None and "12 milestones" in line and "Launch party" not in line
    with db.read() as s:
        moved = s.exec(select(AuditEvent).where(AuditEvent.action == "milestone.moved")).all()
    assert len(moved) == 12


def test_phase_comes_from_the_milestones(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    with db.read() as s:
        assert schedule.phase_of(s, release, NOW) is None
    kubernetes(db, release)
    at = datetime(2025, 4, 1, 17, 0, tzinfo=UTC)  # Tue 1 Apr: after code freeze
    with db.read() as s:
        row = s.get(Release, release.id)
        assert row is not None
        assert (
            schedule.phase_of(s, row, at) == "code freeze since Thu 20 Mar, 22 days to release day"
        )
        early = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
        assert (
            schedule.phase_of(s, row, early)
            == "before Release cycle begins (Mon 13 Jan), 112 days to release day"
        )
        assert schedule.phase_of(s, row, V133) is None  # release day: the release says so
        assert flows.phase(s, row, V133) == "release day"
        freezes = marks(s, row)
        assert freezes.code_freeze and freezes.docs_freeze
        assert freezes.code_freeze.at == datetime(2025, 3, 21, 2, 0, tzinfo=UTC)
        assert freezes.docs_freeze.at == datetime(2025, 4, 3, 6, 59, tzinfo=UTC)


def test_cadence_anchors_follow_code_and_docs_freeze(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    with db.read() as s:
        assert cadence.anchors_of(marks(s, release), LA) == cadence.Anchors(None, None)
    kubernetes(db, release)
    with db.read() as s:
        found = cadence.anchors_of(marks(s, release), LA)
    # code freeze is 02:00 UTC Fri 21 Mar: Thursday 20 Mar in Pacific time
    assert found == cadence.Anchors(
        date(2025, 3, 20), date(2025, 4, 2), "Code and test freeze", "Docs freeze"
    )


def test_next_for_shows_a_person_their_releases_milestones(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    make_release(db, V133, now=NOW, channel="C_OTHER")
    kubernetes(db, release)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        roles.assign(s, row, role="docs", users=["U_DOCS"], actor=acting(LEAD), now=NOW)
    at = datetime(2025, 3, 25, tzinfo=UTC)
    with db.read() as s:
        mine = schedule.next_for(s, "U_DOCS", at, 3)
        assert schedule.next_for(s, "U_NOBODY", at) == []
        blocks = home_part.next_milestones(s, Viewer("U_DOCS"), at)
    assert [(u.milestone.name, u.owned) for u in mine] == [
        ("Release branch cut and rc.0", False),
        ("Docs freeze", True),
        ("Release candidate rc.1", False),
    ]
    text = blocks[0]["text"]["text"]
    assert "*Your next milestones*" in text and "<!date^1743663540^" in text
    assert "yours (`docs`)" in text and f"<#{release.channel_id}>" in text


def test_notify_changes_the_countdown_from_now_on(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    kubernetes(db, release)
    later = NOW + timedelta(days=1)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        before, after = schedule.set_notify(
            s, row, (14 * 86400,), actor=acting(LEAD, admins=ADMINS), now=later
        )
        assert (before[0], after) == (28 * 86400, (14 * 86400,))
        with pytest.raises(Forbidden):
            schedule.set_notify(s, row, (), actor=acting(OTHER, admins=ADMINS), now=later)
    freeze = listed(db, release)["Code and test freeze"]
    assert freeze.next_notice_at == freeze.at - timedelta(days=14)
    assert freeze.plan_from == later


def test_a_moved_milestone_counts_down_again(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    add(db, release, "Freeze 2025-02-14 02:00 UTC")
    assert listed(db, release)["Freeze"].next_notice_at == datetime(2025, 1, 17, 2, 0, tzinfo=UTC)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        when = When(datetime(2025, 3, 14, 2, 0, tzinfo=UTC), ZoneInfo("UTC"))
        schedule.move(
            s,
            row,
            "freeze",
            when,
            reason="",
            actor=acting(LEAD, admins=ADMINS),
            now=NOW,
        )
    assert listed(db, release)["Freeze"].next_notice_at == datetime(2025, 2, 14, 2, 0, tzinfo=UTC)


def test_remove(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    add(db, release, "Freeze 2025-02-14 02:00 UTC")
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        with pytest.raises(Forbidden):
            schedule.remove(s, row, "freeze", actor=acting(OTHER, admins=ADMINS), now=NOW)
        gone = schedule.remove(s, row, "FREEZE", actor=acting("U_ADMIN", admins=ADMINS), now=NOW)
    assert gone.name == "Freeze" and listed(db, release) == {}


def test_new_milestone_spec_rejects_long_descriptions(db: Database) -> None:
    release = make_release(db, V133, now=NOW)
    with db.session() as s:
        row = s.get(Release, release.id)
        assert row is not None
        spec = NewMilestone("X", When(V133 - timedelta(days=3), LA), description="y" * 501)
        with pytest.raises(DomainError, match="500"):
            schedule.add(s, row, spec, actor=acting(LEAD, admins=ADMINS), now=NOW)
