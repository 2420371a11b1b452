"""Checklist domain rules over a real database: times, owners, gates, who is up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.checklist import notes, render, steps, timers
from bot.checklist import service as checklists
from bot.checklist.board import Outcome, Owners
from bot.checklist.models import ChecklistStep
from bot.checklist.steps import Held
from bot.checklist.templates import StepSpec, Template
from bot.core.db import Database
from bot.core.errors import Conflict, DomainError, Forbidden
from bot.gates.models import Gate
from bot.gates.service import require_gates
from bot.gonogo.service import require_go
from bot.release import roles
from bot.release import service as releases
from bot.release.models import Release
from tests.support.actor import acting

NOW = datetime(2027, 3, 15, 15, 0, tzinfo=UTC)  # 08:00 in Los Angeles on release day
LEAD = "U_LEAD"
NONE: frozenset[str] = frozenset()


def template(*specs: StepSpec) -> Template:
    return Template("t", "test", (), tuple(specs))


def make_release(
    s: Session, zone: str = "America/Los_Angeles", day: datetime | None = NOW
) -> Release:
    return releases.create_release(
        s, channel_id="C1", name="v1", release_at=day, zone=ZoneInfo(zone), actor=LEAD, now=NOW
    )


def start(
    s: Session, release: Release, *specs: StepSpec, now: datetime = NOW
) -> list[ChecklistStep]:
    outcome = checklists.start(s, release, template(*specs), actor=acting(LEAD), now=now)
    assert outcome.checklist.id is not None
    return checklists.board(s, outcome.checklist.id).steps


def act(s: Session, action: str, step: ChecklistStep, actor: str, reason: str = "") -> Outcome:
    assert step.id is not None
    return steps.transition(
        s,
        action=action,
        step_id=step.id,
        state=step.state,
        attempt=step.activations,
        actor=acting(actor, admins=frozenset({"U_ADMIN"})),
        now=NOW,
        reason=reason,
        guards=(
            require_go,
            require_gates,
        ),  # as the app registers them
    )


def test_not_before_is_the_local_time_on_release_day_in_the_named_zone(db: Database) -> None:
    with db.session() as s:
        release = make_release(s, zone="Asia/Tokyo", day=datetime(2027, 3, 15, 23, 0, tzinfo=UTC))
        found = start(
            s,
            release,
            StepSpec("Build", "lead"),
            StepSpec("Publish", "lead", time(16, 0), "America/Los_Angeles"),
            StepSpec("Tokyo", "lead", time(9, 30), None),
        )
    # release day is 16 March in Tokyo, the release's own zone
    assert found[1].not_before == datetime(2027, 3, 16, 23, 0, tzinfo=UTC)  # 16:00 PDT
    assert found[2].not_before == datetime(2027, 3, 16, 0, 30, tzinfo=UTC)  # 09:30 JST


def test_without_a_release_day_the_start_day_counts_and_a_due_first_step_opens(
    db: Database,
) -> None:
    with db.session() as s:
        release = make_release(s, day=None)
        found = start(s, release, StepSpec("Early", "lead", time(7, 0), None))
    assert found[0].not_before == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    assert found[0].state == "active" and found[0].activations == 1


def test_a_first_step_whose_time_has_not_come_waits(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        found = start(s, release, StepSpec("Late", "lead", time(16, 0), None))
        assert found[0].state == "waiting"
        assert timers.waiting_due(s, NOW + timedelta(hours=1)) == []
        assert [w.id for w in timers.waiting_due(s, NOW + timedelta(hours=10))] == [found[0].id]
        assert found[0].id is not None
        assert timers.open_waiting(s, found[0].id, NOW) is None  # not yet
        opened = timers.open_waiting(s, found[0].id, NOW + timedelta(hours=9))
        assert opened is not None and opened.step.state == "active"
        assert timers.open_waiting(s, found[0].id, NOW + timedelta(hours=9)) is None  # once


def test_an_empty_role_falls_to_the_lead_and_a_hand_over_moves_the_step(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        docs = start(s, release, StepSpec("Docs", "docs"))[0]
        board = checklists.board(s, docs.checklist_id)
        assert board.owners_of(docs) == Owners("docs", [LEAD], fallback=True)
        shown = str(render.board_message(board)[1])
        assert "docs (nobody assigned, falls to <@U_LEAD>)" in shown
        assert [a.step_id for a in timers.active_steps_for(s, LEAD)] == [docs.id]
        roles.assign(s, release, role="docs", users=["U_OLD"], actor=acting(LEAD), now=NOW)
        roles.assign(s, release, role="docs", users=["U_NEW"], actor=acting(LEAD), now=NOW)
        assert timers.active_steps_for(s, LEAD) == []
        assert [a.title for a in timers.active_steps_for(s, "U_NEW")] == ["Docs"]
        with pytest.raises(Forbidden, match="<@U_NEW>"):
            act(s, "done", docs, "U_OLD")
        assert act(s, "done", docs, "U_NEW").completed


def test_failed_and_skipped_need_a_reason_and_skip_needs_a_lead(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        roles.assign(s, release, role="docs", users=["U_DOCS"], actor=acting(LEAD), now=NOW)
        step = start(s, release, StepSpec("Docs", "docs"), StepSpec("Blog", "lead"))[0]
        with pytest.raises(DomainError, match="Say why"):
            act(s, "fail", step, "U_DOCS", "  ")
        with pytest.raises(Forbidden, match="Only a lead"):
            act(s, "skip", step, "U_DOCS", "not needed")
        outcome = act(s, "skip", step, "U_ADMIN", "not needed")
        assert outcome.step.state == "skipped" and outcome.opened is not None
        assert outcome.opened.title == "Blog"


def test_done_is_refused_while_a_named_gate_is_not_passing(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        assert release.id is not None
        s.add(Gate(release_id=release.id, name="ci", kind="manual", owners="U_CI", created_by=LEAD))
        step = start(s, release, StepSpec("Build", "lead", gates=("ci", "e2e")))[0]
        with pytest.raises(Held) as refused:
            act(s, "done", step, LEAD)
        assert refused.value.hold.ask == [("ci", ["U_CI"]), ("e2e", [])]
        assert "*ci*, *e2e* are not passing" in refused.value.message
        ping = notes.gate_ping(step, LEAD, refused.value.hold.ask)
        assert "<@U_CI>" in ping and "`e2e`: no owner" in ping


def test_a_stale_attempt_changes_nothing(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        step = start(s, release, StepSpec("Build", "lead"), StepSpec("Ship", "lead"))[0]
        failed = act(s, "fail", step, LEAD, "broke").step
        act(s, "retry", failed, LEAD)
        assert step.id is not None
        with pytest.raises(Conflict, match="earlier attempt"):
            steps.transition(
                s,
                action="done",
                step_id=step.id,
                state="active",
                attempt=1,
                actor=acting(LEAD),
                now=NOW,
            )
        with pytest.raises(DomainError, match="not one of mine"):
            steps.transition(
                s,
                action="done",
                step_id=step.id,
                state="done",
                attempt=2,
                actor=acting(LEAD),
                now=NOW,
            )


def test_nudges_are_planned_per_attempt_and_claimed_once(db: Database) -> None:
    at = NOW + timedelta(minutes=31)  # 15:31 UTC: inside working hours in UTC

    def zone_of(user: str) -> ZoneInfo:
        return ZoneInfo("UTC")

    with db.session() as s:
        release = make_release(s)
        roles.assign(s, release, role="docs", users=["U_D"], actor=acting(LEAD), now=NOW)
        step = start(s, release, StepSpec("Build", "docs", expected=timedelta(minutes=30)))[0]
        due = timers.nudges_due(s, NOW + timedelta(hours=2))
        assert [(d.level, d.due) for d in due] == [(1, NOW + timedelta(minutes=30))]
        told = timers.ladder_for(s, due[0], at, zone_of)
        assert told is not None and [r.label for r in told.rungs] == ["owners"]
        first = timers.nudge(s, due[0], told, at)
        assert first is not None and first.level == 1
        assert timers.nudge(s, due[0], told, at) is None
        second = timers.nudges_due(s, NOW + timedelta(hours=2))
        assert [(d.level, d.due) for d in second] == [(2, at + timedelta(minutes=30))]
        last = timers.ladder_for(s, second[0], at + timedelta(minutes=30), zone_of)
        assert last is not None and [r.label for r in last.rungs] == ["lead"]
        assert timers.nudge(s, second[0], last, at + timedelta(minutes=30)) is not None
        assert timers.nudges_due(s, NOW + timedelta(hours=2)) == []  # the ladder's end
        failed = act(s, "fail", step, LEAD, "broke").step
        assert timers.nudges_due(s, NOW + timedelta(hours=2)) == []
        act(s, "retry", failed, LEAD)
        again = timers.nudges_due(s, NOW + timedelta(hours=2))
        assert [(d.level, d.attempt) for d in again] == [(1, 2)]  # a fresh attempt, fresh nudges


def test_status_line_says_progress_and_who_is_up(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        roles.assign(
            s,
            release,
            role="branch-manager",
            users=["U_BM"],
            actor=acting(LEAD),
            now=NOW,
        )
        first = start(
            s, release, StepSpec("Notes", "lead"), StepSpec("Mock build", "branch-manager")
        )
        act(s, "done", first[0], LEAD)
        board = checklists.board(s, first[0].checklist_id)
    section = render.status_section(board)
    assert section is not None
    assert section.lines == ["1/2 done (`t`), active: *Mock build* (<@U_BM>)"]


def test_timers_planned_before_a_cancel_do_nothing_after_it(db: Database) -> None:
    with db.session() as s:
        release = make_release(s)
        waiting = start(s, release, StepSpec("Late", "lead", time(16, 0), None))[0]
        checklists.cancel(s, release, actor=acting(LEAD), now=NOW)
        assert waiting.id is not None
        assert timers.waiting_due(s, NOW + timedelta(days=1)) == []
        assert timers.open_waiting(s, waiting.id, NOW + timedelta(hours=9)) is None
        with pytest.raises(Forbidden):
            checklists.cancel(s, release, actor=acting("U_X"), now=NOW)
