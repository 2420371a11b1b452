"""What burndown owes Slack, written to the outbox in the transaction that decides it.

A reminder is owed in the transaction that claims it: the `meeting_delivery` row stays the
exactly-once decision, and the outbox key names the same series, meeting and offset. It is
worth sending until its meeting starts (the sender drops it after that and records why),
and it is rendered when it is sent, so one that goes out late (the bot or Slack was away)
says how late and how long is really left. Slack's ts is remembered on the delivery row,
and a status posted afterwards refreshes the reminder in place: it is a live message (kind
REMINDER, ref = the delivery id). Status requests are DMs owed to every role holder, dropped
when they are sent if the meeting is no longer ahead or the person has posted already.
Announcements of series changes are owed as rendered when the change was made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.burndown import reminders, render, status_updates
from bot.burndown.models import MeetingDelivery, MeetingSeries
from bot.burndown.recurrence import REMIND
from bot.burndown.reminders import Claimed
from bot.burndown.series import rule_of, skips_of
from bot.burndown.status_render import status_request
from bot.core.blocks import Blocks
from bot.core.errors import DomainError
from bot.core.live import Posted, posted
from bot.core.outbox import Message, Outbox, Update, Wait
from bot.release.models import Release

REMINDER = "burndown.reminder"
STATUS_REQUEST = "burndown.status_request"
QUEUE_ROWS = 500  # messages per outbox insert: within any database's parameter limit
Rendered = tuple[str, Blocks]


def reminder_key(series_id: int, occurs_at: datetime, offset: int) -> str:
    """The outbox key of a reminder: one per series, meeting and offset, like its claim."""
    return f"reminder:{series_id}:{int(occurs_at.timestamp())}:{offset}"


def status_key(series_id: int, occurs_at: datetime, offset: int, user: str) -> str:
    """The outbox key of one person's status request for one meeting."""
    return f"status:{series_id}:{int(occurs_at.timestamp())}:{offset}:{user}"


def owe_claimed(outbox: Outbox, session: Session, claimed: list[Claimed], now: datetime) -> None:
    """Owe the messages of work just claimed: reminders to channels, status requests by DM."""
    holders: dict[int | None, list[str]] = {}
    owed: list[Message] = []
    for won in claimed:
        if won.item.kind == REMIND:
            owed.append(_reminder_message(won))
            continue
        if won.release.id not in holders:
            holders[won.release.id] = status_updates.holders(session, won.release)
        owed += _status_requests(won, holders[won.release.id])
    for start in range(0, len(owed), QUEUE_ROWS):
        outbox.queue(session, *owed[start : start + QUEUE_ROWS], now=now)


def _reminder_message(won: Claimed) -> Message:
    """A reminder owed to the channel until its meeting starts, rendered when it is sent."""
    assert won.series.id is not None
    item = won.item
    return Message(
        key=reminder_key(won.series.id, item.occurs_at, item.offset),
        channel=won.release.channel_id,
        useful_until=item.occurs_at,
        live=(REMINDER, str(won.delivery_id)),
        render=(REMINDER, {"delivery": won.delivery_id}),
    )


def _status_requests(won: Claimed, users: list[str]) -> list[Message]:
    """A DM to each role holder asking for their status before the meeting."""
    series_id = won.series.id
    assert series_id is not None
    item = won.item
    stamp = int(item.occurs_at.timestamp())
    return [
        Message(
            key=status_key(series_id, item.occurs_at, item.offset, user),
            channel=user,
            useful_until=item.occurs_at,
            render=(STATUS_REQUEST, {"series": series_id, "occurs": stamp, "user": user}),
        )
        for user in users
    ]


def owe_refresh(
    outbox: Outbox, session: Session, series_id: int, occurs_at: datetime, now: datetime
) -> None:
    """Every reminder of the meeting must show the digest as it now stands."""
    for delivery in reminders.reminder_deliveries(session, series_id, occurs_at):
        assert delivery.id is not None
        outbox.refresh(session, REMINDER, delivery.id, now)


def owe_announcement(
    outbox: Outbox, session: Session, key: str, channel: str, message: Rendered, now: datetime
) -> None:
    """Owe the channel a note about a change (key: what the change was, once)."""
    text, blocks = message
    outbox.queue(session, Message(key=key, channel=channel, text=text, blocks=blocks), now=now)


def render_reminder(session: Session, args: dict[str, Any], now: datetime) -> Rendered | None:
    """The reminder as it reads now, or None when its meeting is off or has started."""
    found = _reminder_of(session, int(args["delivery"]))
    if found is None or now >= found[0].occurs_at:
        return None
    delivery, release, series = found
    due = reminders.due_of(delivery)
    late = reminders.late_by(due, now)
    return _reminder(session, release, series, delivery, sent_at=now if late else due)


def refresh_reminder(session: Session, ref: str) -> Update | Wait | None:
    """A posted reminder re-rendered with the latest digest (WAIT while it is being sent)."""
    found = _reminder_of(session, int(ref))
    if found is None:
        return None
    delivery, release, series = found
    key = reminder_key(series.id or 0, delivery.occurs_at, delivery.offset_s)
    live = posted(session, key, drawn_when_sent=True)  # it draws the newest digest
    if not isinstance(live, Posted):
        return live
    due = reminders.due_of(delivery)
    sent_at = live.sent_at or due
    if not reminders.late_by(due, sent_at):
        sent_at = due  # in time: it reads as sent when due
    text, blocks = _reminder(session, release, series, delivery, sent_at=sent_at)
    args = {"channel": release.channel_id, "ts": live.ts, "text": text, "blocks": blocks}
    return Update("chat.update", args)


def render_status_request(session: Session, args: dict[str, Any], now: datetime) -> Rendered | None:
    """A person's status request, or None when the meeting is off or they have posted."""
    occurs_at = datetime.fromtimestamp(int(args["occurs"]), UTC)
    try:
        meeting = status_updates.open_meeting(session, int(args["series"]), occurs_at, now)
    except DomainError:
        return None
    series_id = meeting.series.id or 0
    if str(args["user"]) not in status_updates.missing(
        session, meeting.release, series_id, occurs_at
    ):
        return None
    return status_request(meeting.release, meeting.series, occurs_at)


def _reminder_of(
    session: Session, delivery_id: int
) -> tuple[MeetingDelivery, Release, MeetingSeries] | None:
    """A claimed reminder with its series and release, while the meeting is still on."""
    delivery = session.get(MeetingDelivery, delivery_id)
    series = session.get(MeetingSeries, delivery.series_id) if delivery else None
    release = session.get(Release, series.release_id) if series else None
    if delivery is None or series is None or series.id is None or release is None:
        return None
    if series.state != "active" or release.state != "active":
        return None
    skips = skips_of(session, [series.id])[series.id]
    if not rule_of(series, skips).is_occurrence(delivery.occurs_at):
        return None  # skipped or moved since it was claimed
    return delivery, release, series


def _reminder(
    session: Session,
    release: Release,
    series: MeetingSeries,
    delivery: MeetingDelivery,
    *,
    sent_at: datetime,
) -> Rendered:
    assert series.id is not None
    occurs_at = delivery.occurs_at
    return render.reminder(
        release,
        series,
        occurs_at,
        sent_at=sent_at,
        late_by=reminders.late_by(reminders.due_of(delivery), sent_at),
        posted=status_updates.statuses(session, series.id, occurs_at),
        missing=status_updates.missing(session, release, series.id, occurs_at),
    )


def register(outbox: Outbox) -> None:
    """Teach the outbox how burndown messages render, refresh and remember their ts."""
    outbox.teach(
        REMINDER,
        on_sent=lambda session, ref, ts: reminders.remember_message(session, int(ref), ts),
        refresher=refresh_reminder,
        renderer=render_reminder,
    )
    outbox.teach(STATUS_REQUEST, renderer=render_status_request)
