"""Release announcements through the outbox: after an outage, leads told what Slack refuses."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.core.outbox import FAILED, OutboxRow
from tests.conftest import RunningBot
from tests.support.release import (
    CHANNEL,
    LEAD,
    answer,
    bot_removed_from,
    mrkdwn_of,
    new_release,
)


def rows(bot: RunningBot, prefix: str) -> list[OutboxRow]:
    with bot.services.db.read() as s:
        found = s.exec(select(OutboxRow).order_by(col(OutboxRow.id)))
        return [row for row in found if row.key.startswith(prefix)]


def release_cmd(bot: RunningBot, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command("/release", text, user_id=user, channel_id=CHANNEL))


def test_announcements_made_while_slack_is_down_arrive_once_in_order(bot: RunningBot) -> None:
    assert "no active release" in release_cmd(bot, "roles")  # Bolt has checked its token
    bot.fake.down(30.0)
    answer(new_release(bot))
    release_cmd(bot, "role docs <@U_DOCS>")
    release_cmd(bot, "postpone 2027-03-17 -- arm64 CI")
    release_cmd(bot, "close")
    assert bot.fake.posts(CHANNEL) == []  # Slack is down; the commands were answered anyway
    # the sender tries while Slack is down (once it leads: on PostgreSQL a moment after start)
    bot.fake.wait_for(lambda: any(c.method == "chat.postMessage" for c in bot.fake.failed_calls))
    bot.fake.up()
    posts = bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) >= 4 and bot.fake.posts(CHANNEL))
    expected = ["started release", "*docs*", "moved release day", "is out"]
    texts = [mrkdwn_of(post) for post in posts]
    assert all(word in text for word, text in zip(expected, texts, strict=True)), texts
    time.sleep(1.0)
    assert len(bot.fake.posts(CHANNEL)) == 4


def test_leads_hear_once_when_the_bot_was_removed_from_the_channel(bot: RunningBot) -> None:
    answer(new_release(bot, "R&amp;D on 2027-03-15 10:00 PT"))
    bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))
    with bot_removed_from(bot.fake, CHANNEL):
        release_cmd(bot, "role lead <@U_LEAD> <@U_CO>")
        release_cmd(bot, "role docs <@U_DOCS>")
        failed = bot.fake.wait_for(
            lambda: (
                len([r for r in rows(bot, "release:1:role:") if r.state == FAILED]) == 2
                and rows(bot, "release:1:role:")
            ),
            timeout=10,
        )
        bot.fake.wait_for(lambda: dms(bot) == 2, timeout=10)
        time.sleep(1.0)
    assert [row.error for row in failed] == ["not_in_channel", "not_in_channel"]
    told = bot.fake.posts(f"D{LEAD}") + bot.fake.posts("DU_CO")
    assert len(told) == 2  # each lead once, though two messages failed
    text = mrkdwn_of(told[0])
    assert f"<#{CHANNEL}>" in text and "*R&amp;D*" in text and "/invite @" in text
    assert len(bot.fake.posts(CHANNEL)) == 3  # each refused message was tried once


def dms(bot: RunningBot) -> int:
    return len(bot.fake.posts(f"D{LEAD}") + bot.fake.posts("DU_CO"))


def test_leads_see_messages_waiting_for_slack_in_status(bot: RunningBot) -> None:
    answer(new_release(bot))
    bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))
    bot.fake.down(60.0)
    release_cmd(bot, "role docs <@U_DOCS>")
    assert "waiting" not in str(status_blocks(bot, LEAD))  # not yet a minute
    with bot.services.db.session() as s:  # as if Slack had been down for two minutes
        two_minutes_ago = bot.services.now() - timedelta(minutes=2)
        s.execute(update(OutboxRow).values(created_at=two_minutes_ago))
    shown = str(status_blocks(bot, LEAD))
    assert "1 message is waiting to be posted in this channel, the oldest since <!date^" in shown
    assert "waiting" not in str(status_blocks(bot, "U_DOCS"))  # for leads only
    bot.fake.up()
    bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) == 2, timeout=10)
    # the sender records what Slack took a moment after Slack answers
    bot.fake.wait_for(lambda: "waiting" not in str(status_blocks(bot, LEAD)), timeout=5)


def status_blocks(bot: RunningBot, user: str) -> list[dict[str, object]]:
    resp = bot.slack.command("/release", "status", user_id=user, channel_id=CHANNEL)
    return list(resp.json()["blocks"])
