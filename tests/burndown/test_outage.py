"""Reminders through a Slack outage, over HTTP: sent once when Slack is back, or dropped."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from sqlmodel import select

from bot.burndown.messages import reminder_key
from bot.burndown.models import MeetingDelivery
from bot.core.outbox import DROPPED, SENT, OutboxRow
from tests.conftest import RunningBot
from tests.support.burndown import CHANNEL, burndown, late_by, reminders_of, start_release


def schedule(bot: RunningBot, meeting: datetime, offset: int) -> None:
    reply = burndown(bot, f"schedule daily {meeting:%H:%M} UTC remind {offset}s status none")
    assert "Scheduled" in reply, reply


def test_reminders_due_in_an_outage_are_sent_late_once_or_dropped_once_their_meeting_began(
    bot: RunningBot,
) -> None:
    start_release(bot)  # Bolt checks its token before Slack goes away
    now = time.time()
    starts = math.ceil((now + 6) / 60) * 60  # meeting A; meeting B a minute later
    due = now + 3.0  # both reminders
    first = datetime.fromtimestamp(starts, UTC)
    second = datetime.fromtimestamp(starts + 60, UTC)
    schedule(bot, first, round(starts - due))
    schedule(bot, second, round(starts + 60 - due))
    bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) == 3)  # the announcements

    time.sleep(max(0.0, due - 1.5 - time.time()))
    back = starts + 4.0  # Slack returns after meeting A began
    bot.fake.down(back - time.time())
    late = bot.fake.wait_for(
        lambda: reminders_of(bot.fake, CHANNEL, second), timeout=back - time.time() + 10
    )
    assert late[0].at >= back
    said = late_by(late[0])
    assert said is not None and abs(said - (late[0].at - due)) < 2.0, said
    assert any(call.method == "chat.postMessage" for call in bot.fake.failed_calls)
    time.sleep(1.5)
    assert len(reminders_of(bot.fake, CHANNEL, second)) == 1
    assert reminders_of(bot.fake, CHANNEL, first) == []  # its meeting began: never posted

    with bot.services.db.read() as s:
        deliveries = list(s.exec(select(MeetingDelivery).order_by(MeetingDelivery.series_id)))
        rows = {
            row.key: row for row in s.exec(select(OutboxRow)) if row.key.startswith("reminder:")
        }
    dropped = rows[reminder_key(1, first, deliveries[0].offset_s)]
    assert dropped.state == DROPPED and "no longer useful" in (dropped.error or "")
    assert deliveries[0].message_ts is None  # claimed once, never posted
    sent = rows[reminder_key(2, second, deliveries[1].offset_s)]
    assert sent.state == SENT and deliveries[1].message_ts == sent.ts
