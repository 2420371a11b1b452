"""The outbox through process deaths: owed messages survive SIGKILL and a leader's death.

The real `releasebot run` process owes announcements while the test Slack is down; the
process is killed with SIGKILL before Slack comes back. Whoever runs next (the same bot
restarted, or a standby replica that takes the lead) delivers each message once.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import PG_URL, SECRET
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

CHANNELS = ["C_OWED_1", "C_OWED_2", "C_OWED_3"]
LEAD = "U_LEAD"


def start_releases(bot: BotProcess) -> None:
    """Start a release in each channel: each owes the channel an announcement."""
    with SlackClient(bot.url, SECRET) as slack:
        for channel in CHANNELS:
            answer = slack.command(
                "/release",
                f"new {channel}-v1 on 2027-03-15 10:00 UTC",
                user_id=LEAD,
                channel_id=channel,
            )
            assert answer.status_code == 200 and "lead" in answer.json()["text"]


def announcements(fake: FakeSlack, channel: str) -> list[str]:
    return [fake.texts_of(c) for c in fake.posts(channel) if f"{channel}-v1" in fake.texts_of(c)]


def test_messages_owed_before_a_sigkill_are_sent_once_after_the_restart(
    database_url: str, fake_slack: FakeSlack
) -> None:
    bot = BotProcess(bot_env(database_url, fake_slack))
    fake_slack.down(120)
    with bot:
        start_releases(bot)
        time.sleep(1.0)  # the sender tries, and fails, at least once
        assert fake_slack.failed_calls and not fake_slack.posts()
        bot.kill()
        fake_slack.up()
        bot.start()
        fake_slack.wait_for(lambda: all(announcements(fake_slack, c) for c in CHANNELS), timeout=20)
        time.sleep(2.0)  # nothing more arrives
        for channel in CHANNELS:
            assert len(announcements(fake_slack, channel)) == 1, channel
        assert bot.stop() == 0


@pytest.mark.skipif(not PG_URL, reason="several replicas need PostgreSQL: set TEST_DATABASE_URL")
def test_a_standby_delivers_what_the_killed_leader_owed_once(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = bot_env(database_url, fake_slack)
    leader = BotProcess(env)
    standby = BotProcess(env)
    fake_slack.down(120)
    try:
        leader.start()
        deadline = time.monotonic() + 10
        while "now runs the timers" not in leader.log_text():
            assert time.monotonic() < deadline, leader.log_text()[-2000:]
            time.sleep(0.1)
        standby.start()
        start_releases(standby)  # decided on the standby, owed to the leader's sender
        time.sleep(1.0)
        assert not fake_slack.posts()
        leader.kill()
        fake_slack.up()
        fake_slack.wait_for(lambda: all(announcements(fake_slack, c) for c in CHANNELS), timeout=20)
        time.sleep(2.0)
        for channel in CHANNELS:
            assert len(announcements(fake_slack, channel)) == 1, channel
    finally:
        leader.kill()
        standby.stop()
