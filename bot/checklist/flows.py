"""What follows a checklist change: its message, thread replies and pings, and its timers.

The commands and clicks of `handlers/checklist.py` land here: each runs the rule in one
transaction, then refreshes the checklist message and replies in its thread. `register`
gives the feature's timers, status section and doctor check to Services.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col

from bot.checklist import notes, render, steps, timers
from bot.checklist import service as checklists
from bot.checklist.board import Board, Outcome
from bot.checklist.ids import StepRef
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.templates import Template, check_templates
from bot.core.blocks import mrkdwn
from bot.core.scheduler import Planner, Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.release import service as releases
from bot.release.models import Release


def register(services: Services) -> None:
    """Give Services the checklist's timers, its `/release status` section and doctor check."""
    services.scheduler.add_planner("checklist", planner_for(services))
    services.add_section("checklist", 40, status_section)
    services.add_check(check_templates)


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The checklist line of `/release status`, once the release has had a checklist."""
    return render.status_section(checklists.latest_board(session, release))


# --- commands and clicks ---------------------------------------------------------------------


def start(services: Services, channel_id: str, actor: str, template: Template) -> Outcome:
    """Start the channel's checklist from `template` (lead only); post it with `post_board`."""
    with services.db.session() as s:
        release = releases.lock_active(s, channel_id)
        outcome = checklists.start(
            s, release, template, actor=actor, admins=services.settings.admins, now=services.now()
        )
    services.scheduler.poke()
    return outcome


def cancel(services: Services, channel_id: str, actor: str) -> Board:
    """Stop the channel's running checklist (lead only); the board as it was stopped."""
    with services.db.session() as s:
        release = releases.lock_active(s, channel_id)
        checklist = checklists.cancel(
            s, release, actor=actor, admins=services.settings.admins, now=services.now()
        )
        assert checklist.id is not None
        board = checklists.board(s, checklist.id)
    refresh(services, checklist.id)
    return board


def post_cancelled(services: Services, actor: str, board: Board) -> None:
    """Tell the channel that `actor` cancelled the checklist."""
    note = render.cancelled(actor, board)
    services.notifier.post(board.release.channel_id, note, [mrkdwn(note)])


def act(services: Services, action: str, actor: str, ref: StepRef, reason: str = "") -> None:
    """Carry out a click (`done`, `fail`, `retry`, `skip`) on a step, then tell the channel."""
    with services.db.session() as s:
        outcome = steps.transition(
            s,
            action=action,
            step_id=ref.step_id,
            state=ref.state,
            attempt=ref.attempt,
            actor=actor,
            admins=services.settings.admins,
            now=services.now(),
            reason=reason,
            guards=services.step_guards,
        )
    announce(services, outcome)


def ask(services: Services, action: str, actor: str, ref: StepRef) -> ChecklistStep:
    """The step, if `actor` may do `action` on it now (checked before a reason is asked)."""
    with services.db.read() as s:
        return steps.check(
            s,
            action=action,
            step_id=ref.step_id,
            state=ref.state,
            attempt=ref.attempt,
            actor=actor,
            admins=services.settings.admins,
        )


def ping_blockers(
    services: Services, step: ChecklistStep, actor: str, blocked: list[tuple[str, list[str]]]
) -> None:
    """Ask the owners of the gates that held a step back, in the checklist thread."""
    text = notes.gate_ping(step, actor, blocked)
    services.notifier.later(thread, services, step.checklist_id, text)


# --- the checklist message and its thread ----------------------------------------------------


def refresh(services: Services, checklist_id: int) -> None:
    """Bring the checklist message up to date (coalesced: at most one update a second)."""

    def run() -> None:
        with services.db.read() as s:
            board = checklists.board(s, checklist_id)
        ts = board.checklist.message_ts
        if ts:
            text, blocks = render.board_message(board)
            services.notifier.update(board.release.channel_id, ts, text, blocks)

    services.refresher.request(f"checklist:{checklist_id}", run)


def thread(services: Services, checklist_id: int, text: str) -> None:
    """Reply under the checklist message (in the channel if it has not been posted)."""
    with services.db.read() as s:
        checklist = s.get(Checklist, checklist_id)
    if checklist is None:
        return
    services.notifier.post(
        checklist.channel_id, text, [mrkdwn(text)], thread_ts=checklist.message_ts
    )


def post_board(services: Services, outcome: Outcome) -> None:
    """Post a new checklist's message, remember it, then ping whoever is up first."""
    checklist_id = outcome.checklist.id
    assert checklist_id is not None
    with services.db.read() as s:
        board = checklists.board(s, checklist_id)
    text, blocks = render.board_message(board)
    ts = services.notifier.post(board.release.channel_id, text, blocks)
    if ts is None:
        return
    with services.db.session() as s:
        s.execute(
            update(Checklist)
            .where(col(Checklist.id) == checklist_id, col(Checklist.message_ts).is_(None))
            .values(message_ts=ts)
        )
    _tell_opened(services, outcome)
    refresh(services, checklist_id)  # in case a click landed before the message existed


def announce(services: Services, outcome: Outcome) -> None:
    """After a transition: refresh the message, reply in its thread, summarise at the end."""
    assert outcome.checklist.id is not None
    refresh(services, outcome.checklist.id)
    services.notifier.later(_replies, services, outcome)
    services.scheduler.poke()  # an opened step may bring a start time or nudges to plan


def _replies(services: Services, outcome: Outcome) -> None:
    assert outcome.checklist.id is not None
    thread(services, outcome.checklist.id, notes.transition_reply(outcome))
    _tell_opened(services, outcome)
    if outcome.completed:
        with services.db.read() as s:
            board = checklists.board(s, outcome.checklist.id)
        text, blocks = notes.summary(board)
        services.notifier.post(board.release.channel_id, text, blocks)


def _tell_opened(services: Services, outcome: Outcome) -> None:
    if outcome.opened is None or outcome.opened_owners is None:
        return
    assert outcome.checklist.id is not None
    zone = ZoneInfo(outcome.release.zone)
    text = notes.opened_reply(outcome.opened, outcome.opened_owners, zone)
    thread(services, outcome.checklist.id, text)


# --- timers ----------------------------------------------------------------------------------


def planner_for(services: Services) -> Planner:
    """The checklist's planner: waiting steps to open, overdue steps to nudge."""

    def plan(session: Session, now: datetime, until: datetime) -> Iterable[Timer]:
        found: list[Timer] = []
        for step in timers.waiting_due(session, until):
            assert step.id is not None and step.not_before is not None
            action = functools.partial(_open, services, step.id)
            found.append(Timer(f"checklist:open:{step.id}", step.not_before, action))
        for due in timers.nudges_due(session, until):
            key = f"checklist:nudge:{due.step_id}:{due.attempt}:{due.level}"
            found.append(Timer(key, due.due, functools.partial(_nudge, services, due)))
        return found

    return plan


def _open(services: Services, step_id: int, now: datetime) -> None:
    with services.db.session() as s:
        outcome = timers.open_waiting(s, step_id, now)
    if outcome is None:
        return
    assert outcome.checklist.id is not None
    refresh(services, outcome.checklist.id)
    _tell_opened(services, outcome)
    services.scheduler.poke()  # its expected-time nudges are due from now


def _nudge(services: Services, due: timers.NudgeDue, now: datetime) -> None:
    with services.db.session() as s:
        claimed = timers.nudge(s, due, now)
    if claimed is None:
        return
    assert claimed.checklist.id is not None
    text = notes.nudge_reply(
        claimed.step, claimed.level, claimed.owners, claimed.leads, claimed.overdue_for
    )
    thread(services, claimed.checklist.id, text)
    services.scheduler.poke()
