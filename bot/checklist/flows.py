"""What follows a checklist change: its message, thread replies and pings, and its timers.

The commands and clicks of `handlers/checklist.py` land here: each runs the rule and owes
what follows it (a refresh of the checklist message, a reply in its thread, the ping of
whoever is up) in the same transaction, through the outbox, so nothing decided is lost
to a Slack outage or a restart. The front door (`bot.checklist`) gives the feature's
timers, status section, doctor check and outbox hooks to Services.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.checklist import (
    events,
    messages,
    notes,
    rehearsal,
    render,
    steps,
    timers,
)
from bot.checklist import service as checklists
from bot.checklist.board import Outcome
from bot.checklist.holding import holding
from bot.checklist.ids import StepRef
from bot.checklist.jobs import flows as jobs
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.steps import Held
from bot.checklist.templates import Template
from bot.core.actor import Actor
from bot.core.errors import DomainError
from bot.core.scheduler import Planner, Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.release import service as releases
from bot.release.groups import without_mentions
from bot.release.models import Release


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The checklist line of `/release status`, once the release has had a checklist."""
    return render.status_section(checklists.latest_board(session, release))


# --- commands and clicks ---------------------------------------------------------------------


def start(services: Services, channel_id: str, actor: Actor, template: Template) -> None:
    """Start the channel's checklist from `template` (lead only), owing its message and ping."""
    with services.db.session() as s:
        now = services.now()
        release = releases.lock_active(s, channel_id)
        outcome = checklists.start(s, release, template, actor=actor, now=now)
        owed = [messages.board(outcome.checklist), *messages.opened(outcome)]
        services.outbox.queue(s, *owed, now=now)
        _emit(services, s, outcome, now)
    services.scheduler.poke()


def cancel(services: Services, channel_id: str, actor: Actor) -> None:
    """Stop the channel's running checklist (lead only) and tell the channel."""
    with services.db.session() as s:
        now = services.now()
        release = releases.lock_active(s, channel_id)
        checklist = checklists.cancel(s, release, actor=actor, now=now)
        assert checklist.id is not None
        board = checklists.board(s, checklist.id)
        services.outbox.queue(s, messages.cancelled(actor.user, board), now=now)
        services.outbox.refresh(s, messages.KIND, checklist.id, now)


def act(services: Services, action: str, actor: Actor, ref: StepRef, reason: str = "") -> None:
    """Carry out a click (`done`, `fail`, `retry`, `skip`) on a step, owing what follows.

    A step a guard holds back is refused, its holders asked in the same transaction.
    """
    try:
        with holding(services, actor.user) as s:
            now = services.now()
            outcome = steps.transition(
                s,
                action=action,
                step_id=ref.step_id,
                state=ref.state,
                attempt=ref.attempt,
                actor=actor,
                now=now,
                reason=reason,
                guards=services.step_guards,
            )
            owed = messages.after_transition(outcome)
            if outcome.completed:
                assert outcome.checklist.id is not None
                owed.append(messages.summary(checklists.board(s, outcome.checklist.id)))
            messages.owe(services.outbox, s, outcome.checklist, owed, now)
            _emit(services, s, outcome, now)
    except Held:
        raise  # a guard's reason mentions nobody: nothing to tell plainly
    except DomainError as err:
        raise _told_plainly(services, ref, err) from None
    services.scheduler.poke()  # an opened step may bring a start time or nudges to plan


def run(services: Services, actor: Actor, ref: StepRef, simulated: str | None = None) -> None:
    """Run on a step that runs a job: claimed once, sent once, followed to its end.

    In a rehearsal nothing is sent: `simulated` is the outcome the press asked for.
    """
    try:
        jobs.run(services, actor, ref, simulated)
    except Held:
        raise  # a guard's reason mentions nobody: nothing to tell plainly
    except DomainError as err:
        raise _told_plainly(services, ref, err) from None


def ask(services: Services, action: str, actor: Actor, ref: StepRef) -> ChecklistStep:
    """The step, if `actor` may do `action` on it now (checked before a reason is asked)."""
    try:
        with services.db.read() as s:
            return steps.check(s, action, ref, actor)
    except DomainError as err:
        raise _told_plainly(services, ref, err) from None


def _told_plainly(services: Services, ref: StepRef, err: DomainError) -> DomainError:
    """A refusal about a rehearsal's step names people instead of mentioning them."""
    with services.db.read() as s:
        step = s.get(ChecklistStep, ref.step_id)
        checklist = s.get(Checklist, step.checklist_id) if step is not None else None
    if checklist is not None and checklist.rehearsal:
        err.message = without_mentions(err.message, services.people.name_of)
        err.args = (err.message,)
    return err


# --- rehearsals ------------------------------------------------------------------------------


def rehearse(services: Services, channel_id: str, actor: Actor, template: Template) -> Checklist:
    """Start a rehearsal of `template` in the channel (anyone), owing its marked message."""
    # The rehearsal's zone when the channel has no release.
    zone = services.people.zone_of(actor.user)
    with services.db.session() as s:
        now = services.now()
        outcome = rehearsal.start(s, channel_id, template, actor=actor, zone=zone, now=now)
        owed = [messages.board(outcome.checklist), *messages.opened(outcome)]
        services.outbox.queue(s, *messages.marked(outcome.checklist, owed), now=now)
        return outcome.checklist


def stop_rehearsal(services: Services, channel_id: str, actor: Actor, number: int | None) -> int:
    """End one of the channel's rehearsals (its lead), owing its summary so far; its number."""
    try:
        with services.db.session() as s:
            now = services.now()
            checklist = rehearsal.stop(s, channel_id, number, actor=actor, now=now)
            assert checklist.id is not None
            summary = messages.summary(checklists.board(s, checklist.id), stopped_by=actor.user)
            messages.owe(services.outbox, s, checklist, [summary], now)
            return checklist.id
    except DomainError as err:  # about a rehearsal: it names people, mentioning nobody
        err.message = without_mentions(err.message, services.people.name_of)
        err.args = (err.message,)
        raise


def simulate(services: Services, actor: Actor, ref: StepRef) -> None:
    """*Simulate GO* on a rehearsal's step: noted in its thread, and Done is allowed."""
    try:
        with services.db.session() as s:
            now = services.now()
            outcome = steps.simulate(
                s,
                step_id=ref.step_id,
                state=ref.state,
                attempt=ref.attempt,
                actor=actor,
            )
            if outcome is None:
                return
            step = outcome.step
            note = messages.reply(
                outcome.checklist,
                messages.step_key(step, step.activations, "simulated"),
                notes.simulated(step, actor.user),
            )
            messages.owe(services.outbox, s, outcome.checklist, [note], now)
    except DomainError as err:
        raise _told_plainly(services, ref, err) from None


def _emit(services: Services, s: Session, outcome: Outcome, now: datetime) -> None:
    """Owe the steps' changes to the release's webhooks, in the change's transaction."""
    for event in events.of_outcome(outcome, now):
        services.outbox.emit(s, event)


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
        messages.owe(services.outbox, s, outcome.checklist, messages.opened(outcome), now)
        _emit(services, s, outcome, now)
    services.scheduler.poke()  # its expected-time nudges are due from now


def _nudge(services: Services, due: timers.NudgeDue, now: datetime) -> None:
    """Tell the next rung of an overdue step's ladder (zones are read before the write)."""
    people = services.people
    with services.db.read() as s:
        told = timers.ladder_for(s, due, now, people.zone_of, people.members_of, people.away_of)
    if told is None:
        return
    with services.db.session() as s:
        claimed = timers.nudge(s, due, told, now)
        if claimed is None:
            return
        nudge = messages.nudge(claimed.checklist, claimed.step, claimed.level, told)
        services.outbox.queue(s, nudge, now=now)
    services.scheduler.poke()
