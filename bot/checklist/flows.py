"""What the checklist posts outside a request: its message, thread replies, timers, checks."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col

from bot.checklist import notes, render, timers
from bot.checklist import service as checklists
from bot.checklist.models import Checklist
from bot.checklist.templates import builtins, catalog
from bot.core.blocks import mrkdwn
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.scheduler import Planner, Timer
from bot.core.services import Services


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


def post_board(services: Services, outcome: checklists.Outcome) -> None:
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


def announce(services: Services, outcome: checklists.Outcome) -> None:
    """After a transition: refresh the message, reply in its thread, summarise at the end."""
    assert outcome.checklist.id is not None
    refresh(services, outcome.checklist.id)
    services.notifier.later(_replies, services, outcome)
    services.scheduler.poke()  # an opened step may bring a start time or nudges to plan


def _replies(services: Services, outcome: checklists.Outcome) -> None:
    assert outcome.checklist.id is not None
    thread(services, outcome.checklist.id, notes.transition_reply(outcome))
    _tell_opened(services, outcome)
    if outcome.completed:
        with services.db.read() as s:
            board = checklists.board(s, outcome.checklist.id)
        text, blocks = notes.summary(board)
        services.notifier.post(board.release.channel_id, text, blocks)


def _tell_opened(services: Services, outcome: checklists.Outcome) -> None:
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


# --- doctor ----------------------------------------------------------------------------------


def check_templates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the built-in templates load, and every custom file is valid."""
    found = catalog(settings.templates_dir)
    findings = [Finding(True, f"{len(builtins())} built-in checklist templates load")]
    if settings.templates_dir is not None:
        custom = [t for t in found.templates.values() if t.source != "built-in"]
        where = settings.templates_dir
        findings.append(Finding(True, f"{len(custom)} custom checklist template(s) from {where}"))
    fix = "correct that line; the other templates still load"
    findings.extend(Finding(False, f"checklist template {error}", fix) for error in found.errors)
    return findings
