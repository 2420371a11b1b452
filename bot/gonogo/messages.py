"""What a poll owes Slack, queued in the outbox in the transaction that owes it.

The poll message is a live message (kind "gonogo", ref = the poll id): it is posted from
the outbox, its ts is remembered on the poll when Slack has it, and every change asks for a
refresh, which the sender coalesces to at most one `chat.update` a second. The result is
owed always, as a broadcast reply in the poll's thread; the reminder before the deadline
mentions every missing voter, a hundred to a message, and is worth sending until then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.live import Posted, posted
from bot.core.models import utcnow
from bot.core.outbox import Message, Outbox, Update, Wait
from bot.gonogo import events, render
from bot.gonogo import service as gonogo
from bot.gonogo.models import Poll
from bot.gonogo.votes import Voted
from bot.release.models import Release

KIND = "gonogo"
POLL = "gonogo:poll"
REMINDER = "gonogo:reminder"
RESULT = "gonogo:result"


def poll_key(poll_id: int) -> str:
    """The outbox key of the poll's channel message."""
    return f"gonogo:{poll_id}:poll"


def owe_poll(outbox: Outbox, session: Session, poll: Poll, now: datetime) -> None:
    """Owe the poll's channel message, rendered as the poll stands when it is sent."""
    assert poll.id is not None
    outbox.queue(
        session,
        Message(
            key=poll_key(poll.id),
            channel=poll.channel_id,
            render=(POLL, {"poll": poll.id}),
            live=(KIND, str(poll.id)),
        ),
        now=now,
    )
    _emit(outbox, session, poll.id, now)


def owe_refresh(outbox: Outbox, session: Session, poll_id: int, now: datetime) -> None:
    """The poll message must show the poll as it now stands."""
    outbox.refresh(session, KIND, poll_id, now)


def owe_result(outbox: Outbox, session: Session, poll_id: int, now: datetime) -> None:
    """A poll just closed: its message shows the result, and the thread and channel hear it.

    The announcement is drawn when it is sent, from the closed poll: counting and drawing
    every voter stays out of the transaction of the vote that closed it.
    """
    owe_refresh(outbox, session, poll_id, now)
    poll = gonogo.get(session, poll_id)
    outbox.queue(
        session,
        Message(
            key=f"gonogo:{poll_id}:result",
            channel=poll.channel_id,
            render=(RESULT, {"poll": poll_id}),
            thread_key=poll_key(poll_id),
            broadcast=True,
        ),
        now=now,
    )
    _emit(outbox, session, poll_id, now)


def _emit(outbox: Outbox, session: Session, poll_id: int, now: datetime) -> None:
    """Owe the poll's opening or closing to the release's webhooks, in its transaction."""
    event = events.of_poll(session, poll_id, now)
    if event is not None:
        outbox.emit(session, event)


def owe_votes(
    outbox: Outbox, session: Session, poll_id: int, results: Sequence[object], now: datetime
) -> None:
    """After a batch of votes: one refresh of the poll, and the result if a vote closed it."""
    stored = [r for r in results if isinstance(r, Voted)]
    if any(r.closed for r in stored):
        owe_result(outbox, session, poll_id, now)
    elif stored:
        owe_refresh(outbox, session, poll_id, now)


def owe_reminder(outbox: Outbox, session: Session, tally: gonogo.Tally, now: datetime) -> None:
    """Nudge every missing voter before the deadline: one message per group of them.

    Members of a user group named as voters are reached by mentioning the group, once.
    """
    poll = tally.poll
    assert poll.id is not None and poll.deadline is not None
    groups = render.ping_groups([u for u in tally.missing if u not in tally.via])
    teams = [group for group in tally.groups if tally.missing_of(group)]
    if not groups and teams:
        groups = [[]]
    outbox.queue(
        session,
        *(
            Message(
                key=f"gonogo:{poll.id}:reminder:{part}",
                channel=poll.channel_id,
                render=(
                    REMINDER,
                    {
                        "poll": poll.id,
                        "users": users,
                        "part": part,
                        "parts": len(groups),
                        "groups": teams if part == 1 else [],
                    },
                ),
                thread_key=poll_key(poll.id),
                broadcast=part == 1,
                useful_until=poll.deadline,
            )
            for part, users in enumerate(groups, start=1)
        ),
        now=now,
    )


# --- hooks the sender calls ---------------------------------------------------------------


def _state(session: Session, poll_id: int) -> tuple[gonogo.Tally, ZoneInfo]:
    poll = gonogo.get(session, poll_id)
    release = session.get(Release, poll.release_id)
    zone = ZoneInfo(release.zone) if release is not None else ZoneInfo("UTC")
    return gonogo.tally(session, poll), zone


# A person and the instant -> why they are away then, or None (bot.core.people.Directory).
AwayOf = Callable[[str, datetime], "str | None"]


def away_of_missing(tally: gonogo.Tally, away_of: AwayOf | None, now: datetime) -> dict[str, str]:
    """The named required voters still missing who are away now, with why (read when the
    poll is drawn by the sender, from the profile cache: never on the vote path)."""
    if away_of is None or tally.poll.state != "open":
        return {}
    named = [u for u in tally.missing if u not in tally.via][: render.SHOWN_PEOPLE]
    found = {user: away_of(user, now) for user in named}
    return {user: why for user, why in found.items() if why}


def render_poll(
    session: Session, args: dict[str, Any], now: datetime, away_of: AwayOf | None = None
) -> tuple[str, list[Any] | None] | None:
    """The poll message as the poll stands now (None if the poll is gone)."""
    if session.get(Poll, int(args["poll"])) is None:
        return None
    tally, zone = _state(session, int(args["poll"]))
    return render.poll_message(tally, zone, away_of_missing(tally, away_of, now))


def render_reminder(
    session: Session, args: dict[str, Any], _now: datetime
) -> tuple[str, list[Any] | None] | None:
    """One part of the reminder, naming only those still missing; None once nobody is."""
    poll = session.get(Poll, int(args["poll"]))
    if poll is None or poll.state != "open":
        return None
    tally, zone = _state(session, int(args["poll"]))
    still = set(tally.missing)
    users = [u for u in args["users"] if u in still]
    teams = [group for group in args.get("groups") or [] if tally.missing_of(group)]
    if not users and not teams:
        return None
    return render.reminder(tally, zone, users, int(args["part"]), int(args["parts"]), teams)


def render_result(
    session: Session, args: dict[str, Any], _now: datetime
) -> tuple[str, list[Any] | None] | None:
    """The closed poll's announcement (None if the poll is gone)."""
    if session.get(Poll, int(args["poll"])) is None:
        return None
    tally, zone = _state(session, int(args["poll"]))
    return render.announcement(tally, zone)


def on_sent(session: Session, ref: str, ts: str) -> None:
    """Remember where the poll message is, for its refreshes and its thread."""
    gonogo.set_message(session, int(ref), ts)


def refresher(session: Session, ref: str, away_of: AwayOf | None = None) -> Update | Wait | None:
    """The chat.update that brings the poll message to the stored tally (WAIT until posted)."""
    poll = session.get(Poll, int(ref))
    if poll is None:
        return None
    live = posted(session, poll_key(int(ref)), poll.message_ts)
    if not isinstance(live, Posted):
        return live
    tally, zone = _state(session, int(ref))
    away = away_of_missing(tally, away_of, utcnow())
    text, blocks = render.poll_message(tally, zone, away)
    args = {"channel": poll.channel_id, "ts": live.ts, "text": text, "blocks": blocks}
    return Update("chat.update", args)


def register(outbox: Outbox, away_of: AwayOf | None = None) -> None:
    """Teach the outbox the poll message, its refreshes and the reminder.

    With `away_of`, the poll shows which required voters are away (drawn by the sender).
    """
    outbox.teach(KIND, on_sent=on_sent, refresher=partial(refresher, away_of=away_of))
    outbox.teach(POLL, renderer=partial(render_poll, away_of=away_of))
    outbox.teach(REMINDER, renderer=render_reminder)
    outbox.teach(RESULT, renderer=render_result)
