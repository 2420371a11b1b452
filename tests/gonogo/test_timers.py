"""Poll timers on real time: the reminder before the deadline, the close at it, after restarts."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core.db import Database
from bot.core.models import AuditEvent, utcnow
from bot.gonogo import service as gonogo
from bot.release import service as releases
from bot.release.models import Release
from tests.conftest import RunningBot
from tests.support.actor import acting
from tests.support.gonogo import (
    CHANNEL,
    LEAD,
    click,
    poll_closing_in,
    poll_post,
    poll_value,
    release_with_docs,
)
from tests.support.release import answer, mrkdwn_of


def thread_posts(bot: RunningBot, ts: str) -> list:  # type: ignore[type-arg]
    return [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]


def audit_actions(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_poll_closes_by_itself_at_the_deadline_once(bot: RunningBot) -> None:
    release_with_docs(bot)
    poll_id = poll_closing_in(bot, 2, ["U_A", "U_B"])
    post = poll_post(bot)
    ts = bot.fake.wait_for(lambda: polls_ts(bot, poll_id))
    click(bot, "U_A", "go", poll_value(post), ts)
    result = bot.fake.wait_for(lambda: thread_posts(bot, ts), timeout=6)
    assert "NO DECISION" in mrkdwn_of(result[0]) and "<@U_B>" in mrkdwn_of(result[0])
    assert "Closed at the deadline" in mrkdwn_of(result[0])
    bot.fake.wait_for(lambda: "Result" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
    time.sleep(1.2)  # a few more planning rounds: nothing closes or posts twice
    assert len(thread_posts(bot, ts)) == 1
    assert [e.after for e in audit_actions(bot.services.db, "poll.closed")] == ["NO DECISION"]


def test_missing_voters_are_pinged_once_fifteen_minutes_before(bot: RunningBot) -> None:
    release_with_docs(bot)
    poll_id = poll_closing_in(bot, 15 * 60 + 3, ["U_A", "U_B"])
    post = poll_post(bot)
    ts = bot.fake.wait_for(lambda: polls_ts(bot, poll_id))
    click(bot, "U_A", "go", poll_value(post), ts)
    ping = bot.fake.wait_for(lambda: thread_posts(bot, ts), timeout=8)
    text = mrkdwn_of(ping[0])
    assert "<@U_B>" in text and "<@U_A>" not in text and "<!date^" in text
    assert ping[0].args.get("reply_broadcast") is True
    time.sleep(1.2)
    assert len(thread_posts(bot, ts)) == 1
    assert len(audit_actions(bot.services.db, "poll.reminded")) == 1


def test_a_deadline_passed_while_the_bot_was_down_closes_at_start(
    db: Database,
    make_bot,  # type: ignore[no-untyped-def]
) -> None:
    now = utcnow()
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id=CHANNEL,
            name="v2",
            release_at=None,
            zone=ZoneInfo("UTC"),
            actor=LEAD,
            now=now - timedelta(hours=2),
        )
        gonogo.start(
            s,
            release,
            question="",
            voters=["U_A"],
            deadline=now - timedelta(minutes=5),
            actor=acting(LEAD),
            now=now - timedelta(hours=1),
        )
    bot: RunningBot = make_bot()
    posts = bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL), timeout=6)
    assert "NO DECISION" in mrkdwn_of(posts[0])
    time.sleep(1.0)
    assert len(bot.fake.posts(CHANNEL)) == 1  # no stale reminder before the result
    assert audit_actions(db, "poll.reminded") == []
    with db.read() as s:
        rel = s.exec(select(Release)).one()
        assert gonogo.latest_outcome(s, rel.id or 0) == gonogo.NO_DECISION


def test_status_shows_the_open_poll_then_the_result(bot: RunningBot) -> None:
    release_with_docs(bot)
    status = answer(bot.slack.command("/release", "status", user_id="U_X", channel_id=CHANNEL))
    body = bot.slack.command("/release", "status", user_id="U_X", channel_id=CHANNEL).json()
    assert "No poll yet" in status + str(body.get("blocks"))
    answer(
        bot.slack.command(
            "/gonogo",
            "Ship? voters <@U_A> by 2099-01-01 10:00 UTC",
            user_id=LEAD,
            channel_id=CHANNEL,
        )
    )
    body = bot.slack.command("/release", "status", user_id="U_X", channel_id=CHANNEL).json()
    blocks = str(body.get("blocks"))
    assert "Ship?" in blocks and "0 Go" in blocks and "<@U_A>" in blocks
    assert f"<!date^{4070944800}^" in blocks
    answer(bot.slack.command("/gonogo", "close", user_id=LEAD, channel_id=CHANNEL))
    body = bot.slack.command("/release", "status", user_id="U_X", channel_id=CHANNEL).json()
    assert "NO DECISION" in str(body.get("blocks"))


def polls_ts(bot: RunningBot, poll_id: int) -> str | None:
    with bot.services.db.read() as s:
        return gonogo.get(s, poll_id).message_ts
