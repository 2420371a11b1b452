"""Slack down (503) around checklist changes: clicks are kept, and Slack hears of them once.

Every message the checklist owes goes through the outbox, so a Done clicked, or a checklist
started, while Slack answers 503 reaches the channel after Slack is back: the message shows
the new state, the next owner is told once, and nothing is posted twice.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlmodel import col, select

from bot.checklist.models import Checklist
from bot.core import outbox
from bot.core.db import Database
from tests.conftest import SECRET
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.checklist import (
    BM,
    CHANNEL,
    LEAD,
    MakeBot,
    answer,
    boards_posted,
    bot_with,
    buttons,
    click,
    new_release,
    start,
    steps_of,
    thread,
    updates_of,
    value_of,
    write_template,
    you_are_up,
)
from tests.support.process import bot_env

TWO = [
    {"title": "Cut the branch", "owner": "lead"},
    {"title": "Mock build", "owner": "branch-manager"},
]


def test_a_done_clicked_while_slack_is_down_reaches_the_channel_once_it_is_back(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, TWO)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    bot.fake.wait_for(lambda: you_are_up(bot, ts, LEAD) == 1)
    assert bot.services.sender.flush()
    updates_before = len(updates_of(bot, ts))

    bot.fake.down(3)
    resp = click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts)
    assert answer(resp) == ""  # acknowledged at once, nothing to tell the clicker
    assert [s.state for s in steps_of(bot)] == ["done", "active"]  # and stored
    bot.fake.wait_for(lambda: bot.fake.failed_calls, timeout=3)  # Slack refused meanwhile
    assert you_are_up(bot, ts, BM) == 0

    second = steps_of(bot)[1]
    bot.fake.wait_for(
        lambda: buttons(bot, ts).get("checklist:done") == value_of(second), timeout=15
    )
    bot.fake.wait_for(lambda: you_are_up(bot, ts, BM) == 1, timeout=15)
    assert bot.services.sender.flush(timeout=15)
    time.sleep(1.5)  # a refresh or a ping sent twice would show by now
    assert you_are_up(bot, ts, BM) == 1
    assert len([t for t in thread(bot, ts) if "*1. Cut the branch* done by" in t]) == 1
    assert len(updates_of(bot, ts)) - updates_before == 1
    assert len(boards_posted(bot)) == 1
    with bot.services.db.read() as s:
        assert outbox.backlog(s).pending == 0


def test_a_checklist_started_while_slack_is_down_is_posted_once_it_is_back(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, TWO)
    new_release(bot, {"branch-manager": [BM]})
    assert bot.services.sender.flush()

    bot.fake.down(3)
    reply = answer(bot.slack.command("/checklist", "start t", user_id=LEAD, channel_id=CHANNEL))
    assert "Started" in reply
    bot.fake.wait_for(lambda: bot.fake.failed_calls, timeout=3)
    assert boards_posted(bot) == []

    def posted() -> str | None:
        with bot.services.db.read() as s:
            return s.exec(select(Checklist.message_ts)).first()

    ts = bot.fake.wait_for(posted, timeout=15)
    bot.fake.wait_for(lambda: you_are_up(bot, ts, LEAD) == 1, timeout=15)
    assert bot.services.sender.flush(timeout=15)
    time.sleep(1.0)
    assert len(boards_posted(bot)) == 1 and you_are_up(bot, ts, LEAD) == 1
    assert set(buttons(bot, ts)) == {"checklist:done", "checklist:failed", "checklist:skip"}


def test_a_ping_for_a_step_done_before_slack_took_it_is_dropped_not_sent(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, [*TWO, {"title": "Publish", "owner": "lead"}])
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    assert bot.services.sender.flush()

    bot.fake.down(3)
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    answer(click(bot, BM, "done", value_of(steps_of(bot)[1]), ts))  # before BM was ever told
    bot.fake.wait_for(lambda: you_are_up(bot, ts, LEAD) == 2, timeout=15)
    assert bot.services.sender.flush(timeout=15)
    assert you_are_up(bot, ts, BM) == 0  # the step was done: "you're up" would mislead
    with bot.services.db.read() as s:
        rows = s.exec(
            select(outbox.OutboxRow).where(col(outbox.OutboxRow.key).endswith(":up"))
        ).all()
    assert sorted(r.state for r in rows) == ["dropped", "sent", "sent"]
    second = steps_of(bot)[2]
    bot.fake.wait_for(lambda: buttons(bot, ts).get("checklist:done") == value_of(second))


def test_a_checklist_started_just_before_a_crash_is_posted_after_the_restart(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    write_template(directory, "t", TWO)
    env = {**bot_env(database_url, fake_slack), "RELEASEBOT_TEMPLATES_DIR": str(directory)}
    db = Database(database_url)
    proc = BotProcess(env).start()
    try:
        with SlackClient(proc.url, SECRET) as slack:
            new = "new v1 on 2027-03-15 10:00 UTC"
            answer(slack.command("/release", new, user_id=LEAD, channel_id=CHANNEL))
            fake_slack.down(60)  # the checklist is decided, never posted: then the bot dies
            started = slack.command("/checklist", "start t", user_id=LEAD, channel_id=CHANNEL)
            assert "Started" in answer(started)
            fake_slack.wait_for(lambda: fake_slack.failed_calls)
        proc.kill()
        with db.read() as s:
            assert s.exec(select(Checklist.message_ts)).one() is None
        fake_slack.up()
        proc.start()
        # within a claim's 30 s even if the kill landed while a post was in flight
        ts = fake_slack.wait_for(lambda: message_ts(db), timeout=45)
        fake_slack.wait_for(lambda: you_are_up_in(fake_slack, ts) == 1, timeout=15)
        time.sleep(1.5)
        headers = [
            p
            for p in fake_slack.posts(CHANNEL)
            if "Release-day checklist ·" in fake_slack.texts_of(p)
        ]
        assert len(headers) == 1 and you_are_up_in(fake_slack, ts) == 1
    finally:
        proc.stop()
        db.dispose()


def message_ts(db: Database) -> str | None:
    with db.read() as s:
        return s.exec(select(Checklist.message_ts)).first()


def you_are_up_in(fake: FakeSlack, ts: str) -> int:
    replies = fake.replies(CHANNEL, ts)
    return sum(1 for m in replies if f"<@{LEAD}>: you're up" in str(m.get("text", "")))
