"""What the checklist owes Slack: its live message, thread replies, pings and summary.

Each one is written to the outbox in the transaction of the change that owes it, under a
key naming what it is about (`checklist:<id>:step:<step id>:<attempt>:done`), so it is sent
once, after an outage or a restart too. The checklist message is live: its ts is kept on
the checklist when Slack takes it, and every change asks for a refresh. "You're up" pings
and nudges are rendered when they are sent and dropped if their step has moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col

from bot.checklist import notes, render
from bot.checklist import service as checklists
from bot.checklist.board import ACTIVE, RUNNING, Board, Outcome, owners_of
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.steps import Held
from bot.core.blocks import mrkdwn
from bot.core.live import Posted, posted
from bot.core.outbox import Message, Outbox, Update, Wait, live_message
from bot.release.escalation import Rung, Told
from bot.release.groups import without_mentions
from bot.release.models import Release
from bot.release.service import REHEARSAL, role_holders

KIND = "checklist"  # the live message, and the renderer of its first post
UP = "checklist.up"
NUDGE = "checklist.nudge"
REHEARSED = "checklist.rehearsal"  # a rehearsal's message: its mentions become names when sent
MARK = ":performing_arts: *REHEARSAL* · "
# A person's or group's id -> their name as plain text (Directory.name_of).
Namer = Callable[[str], str]


def _nobody(holder: str) -> str:
    return "a teammate"


def register(outbox: Outbox, name_of: Namer = _nobody) -> None:
    """Teach the outbox the checklist message and the messages rendered when sent.

    `name_of` names people in a rehearsal's messages, which mention nobody.
    """
    outbox.teach(
        KIND,
        on_sent=remember_ts,
        refresher=partial(refreshed, name_of=name_of),
        renderer=partial(render_board, name_of=name_of),
    )
    outbox.teach(UP, renderer=partial(render_up, name_of=name_of))
    outbox.teach(NUDGE, renderer=render_nudge)
    outbox.teach(REHEARSED, renderer=partial(render_rehearsed, name_of=name_of))


def board_key(checklist_id: int) -> str:
    """The key of a checklist's message, which its thread replies name as their parent."""
    return f"checklist:{checklist_id}"


def step_key(step: ChecklistStep, attempt: int, what: str) -> str:
    """The key of a message about one attempt at a step."""
    return f"checklist:{step.checklist_id}:step:{step.id}:{attempt}:{what}"


# --- what a change owes ----------------------------------------------------------------------


def board(checklist: Checklist) -> Message:
    """The checklist message, rendered when sent so it shows the newest state."""
    assert checklist.id is not None
    return live_message(board_key(checklist.id), checklist.channel_id, KIND, checklist=checklist.id)


def reply(checklist: Checklist, key: str, text: str, **more: Any) -> Message:
    """A reply in the checklist message's thread (posted there once the message is)."""
    assert checklist.id is not None
    return Message(
        key=key,
        channel=checklist.channel_id,
        text=text,
        thread_key=board_key(checklist.id),
        thread_ts=checklist.message_ts,
        **more,
    )


def after_transition(outcome: Outcome) -> list[Message]:
    """What a click owes: its thread reply, then the ping of the step it opened."""
    step = outcome.step
    what = "retried" if step.state == ACTIVE else step.state  # done, failed, skipped
    key = step_key(step, step.activations, what)
    return [reply(outcome.checklist, key, notes.transition_reply(outcome)), *opened(outcome)]


def opened(outcome: Outcome) -> list[Message]:
    """The ping of a step that just opened, or the note that it waits for its time."""
    step = outcome.opened
    if step is None:
        return []
    if step.state == ACTIVE:
        args = {"step": step.id, "attempt": step.activations}
        key = step_key(step, step.activations, "up")
        return [reply(outcome.checklist, key, "", render=(UP, args))]
    assert outcome.opened_owners is not None
    text = notes.opened_reply(step, outcome.opened_owners, ZoneInfo(outcome.release.zone))
    return [reply(outcome.checklist, step_key(step, step.activations, "waiting"), text)]


def marked(checklist: Checklist, owed: list[Message]) -> list[Message]:
    """A rehearsal's messages marked REHEARSAL, their mentions made names when they are sent.

    Messages rendered when sent (the checklist, "you're up") do the same in their renderers;
    messages with blocks (the summary) carry their own mark.
    """
    if not checklist.rehearsal:
        return owed
    return [_rehearsed(message) for message in owed]


def owe(
    outbox: Outbox, session: Session, checklist: Checklist, owed: list[Message], now: datetime
) -> None:
    """Queue what a change owes (marked in a rehearsal) and refresh the checklist message, in
    the change's transaction."""
    assert checklist.id is not None
    outbox.queue(session, *marked(checklist, owed), now=now)
    outbox.refresh(session, KIND, checklist.id, now)


def _rehearsed(message: Message) -> Message:
    if message.render is not None:
        return message
    text = message.text if message.blocks else MARK + message.text
    args = {"text": text, "blocks": message.blocks}
    return replace(message, text="", blocks=None, render=(REHEARSED, args))


def nudge(checklist: Checklist, step: ChecklistStep, level: int, told: Told) -> Message:
    """The nudge of an overdue step to the rungs told, rendered when sent.

    Dropped if the step moved on before Slack took it.
    """
    args = {
        "step": step.id,
        "attempt": step.activations,
        "level": level,
        "rungs": [_rung_args(rung) for rung in told.rungs],
        "next": _rung_args(told.following) if told.following is not None else None,
    }
    key = step_key(step, step.activations, f"nudge:{level}")
    return reply(checklist, key, "", render=(NUDGE, args))


def _rung_args(rung: Rung) -> dict[str, Any]:
    """A rung as JSON for the outbox row (the wait in seconds)."""
    return {**asdict(rung), "wait": int(rung.wait.total_seconds())}


def _rung_of(args: dict[str, Any]) -> Rung:
    """A rung read back from the outbox row."""
    return Rung(**{**args, "wait": timedelta(seconds=int(args["wait"]))})


def summary(board_now: Board, stopped_by: str | None = None) -> Message:
    """The closing summary, posted in the channel when the last step finishes.

    A rehearsal's summary (also when it is stopped) is what the lead keeps to plan the day.
    """
    checklist = board_now.checklist
    if checklist.rehearsal:
        text, blocks = notes.rehearsal_summary(board_now, stopped_by)
    else:
        text, blocks = notes.summary(board_now)
    message = Message(
        key=f"checklist:{checklist.id}:summary",
        channel=checklist.channel_id,
        text=text,
        blocks=blocks,
    )
    return marked(checklist, [message])[0]


def cancelled(actor: str, board_now: Board) -> Message:
    """The channel note that a lead stopped the checklist."""
    note = render.cancelled(actor, board_now)
    checklist = board_now.checklist
    return Message(
        key=f"checklist:{checklist.id}:cancelled",
        channel=checklist.channel_id,
        text=note,
        blocks=[mrkdwn(note)],
    )


def asking(held: Held, actor: str, now: datetime) -> list[Message]:
    """What a held click owes: the thread reply asking whom the hold names (if anyone)."""
    if not held.hold.ask:
        return []
    return [gates_held(held.checklist, held.step, actor, held.hold.ask, now)]


def gates_held(
    checklist: Checklist,
    step: ChecklistStep,
    actor: str,
    blocked: list[tuple[str, list[str]]],
    now: datetime,
) -> Message:
    """The thread reply asking the owners of the gates that kept a step from done."""
    when = int(now.timestamp() * 1_000_000)
    key = step_key(step, step.activations, f"blocked:{actor}:{when}")
    return reply(checklist, key, notes.gate_ping(step, actor, blocked))


# --- the outbox's hooks ----------------------------------------------------------------------


def remember_ts(session: Session, ref: str, ts: str) -> None:
    """Slack took the checklist message: keep its ts on the checklist."""
    session.execute(
        update(Checklist)
        .where(col(Checklist.id) == int(ref), col(Checklist.message_ts).is_(None))
        .values(message_ts=ts)
    )


def refreshed(session: Session, ref: str, name_of: Namer = _nobody) -> Update | Wait | None:
    """The checklist message as it should read now; WAIT while it is still to be posted."""
    checklist = session.get(Checklist, int(ref))
    if checklist is None or checklist.id is None:
        return None
    live = posted(session, board_key(checklist.id), checklist.message_ts)
    if not isinstance(live, Posted):
        return live
    text, blocks = _board(session, checklist, name_of)
    args = {"channel": checklist.channel_id, "ts": live.ts, "text": text}
    return Update("chat.update", {**args, "blocks": blocks})


def render_board(
    session: Session, args: dict[str, Any], now: datetime, name_of: Namer = _nobody
) -> tuple[str, list[Any] | None] | None:
    """The checklist message when it is first posted."""
    checklist = session.get(Checklist, int(args["checklist"]))
    if checklist is None or checklist.id is None:
        return None
    return _board(session, checklist, name_of)


def _board(session: Session, checklist: Checklist, name_of: Namer) -> tuple[str, list[Any]]:
    assert checklist.id is not None
    text, blocks = render.board_message(checklists.board(session, checklist.id))
    if checklist.rehearsal:
        return without_mentions(text, name_of), _plain(blocks, name_of)
    return text, blocks


def render_rehearsed(
    session: Session, args: dict[str, Any], now: datetime, name_of: Namer = _nobody
) -> tuple[str, list[Any] | None] | None:
    """A rehearsal's message with its mentions turned into names as they are now."""
    blocks = args.get("blocks")
    shown = _plain(blocks, name_of) if blocks is not None else None
    return without_mentions(str(args.get("text", "")), name_of), shown


def _plain(node: Any, name_of: Namer) -> Any:
    """Blocks with every mrkdwn text's mentions turned into names."""
    if isinstance(node, list):
        return [_plain(item, name_of) for item in node]
    if not isinstance(node, dict):
        return node
    found = {key: _plain(value, name_of) for key, value in node.items()}
    if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
        found["text"] = without_mentions(node["text"], name_of)
    return found


def _still_active(
    session: Session, args: dict[str, Any]
) -> tuple[ChecklistStep, Release, dict[str, list[str]]] | None:
    """The step a ping is about, if it is still active in the attempt the ping was for."""
    step = session.get(ChecklistStep, int(args["step"]))
    if step is None or step.state != ACTIVE or step.activations != int(args["attempt"]):
        return None
    checklist = session.get(Checklist, step.checklist_id)
    if checklist is None or checklist.state != RUNNING:
        return None
    release = session.get(Release, checklist.release_id)
    if release is None or release.id is None:
        return None
    return step, release, role_holders(session, release.id)


def render_up(
    session: Session, args: dict[str, Any], now: datetime, name_of: Namer = _nobody
) -> tuple[str, list[Any] | None] | None:
    """ "You're up", to whoever owns the step when it is sent; None once it moved on.

    In a rehearsal it names them instead.
    """
    found = _still_active(session, args)
    if found is None:
        return None
    step, release, holders = found
    text = notes.opened_reply(step, owners_of(holders, step.owner), ZoneInfo(release.zone))
    if release.state == REHEARSAL:
        return without_mentions(MARK + text, name_of), None
    return text, None


def render_nudge(
    session: Session, args: dict[str, Any], now: datetime
) -> tuple[str, list[Any] | None] | None:
    """The nudge of an overdue step, saying how long it has been open; None once it moved on."""
    found = _still_active(session, args)
    if found is None:
        return None
    step, _, holders = found
    assert step.activated_at is not None
    rungs = [_rung_of(rung) for rung in args.get("rungs") or []]
    following = _rung_of(args["next"]) if args.get("next") else None
    owners = owners_of(holders, step.owner)
    text = notes.nudge_reply(step, rungs, following, owners, now - step.activated_at)
    return text, None
