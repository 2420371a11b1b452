"""The real `releasebot run` process stopped and started again: nothing lost, nothing repeated."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.support.burndown import (
    CHANNEL,
    bot_env,
    command,
    late_by,
    reminder_plan,
    reminders_of,
)
from tests.support.release import mrkdwn_of


def wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


@pytest.fixture
def process(fake_slack: FakeSlack, database_url: str) -> Iterator[BotProcess]:
    bot = BotProcess(bot_env(fake_slack, database_url))
    yield bot
    bot.stop()


def test_restart_loses_nothing_and_repeats_nothing(
    process: BotProcess, fake_slack: FakeSlack
) -> None:
    process.start()
    assert "lead" in command(process, "/release", "new v1")
    start = time.time()
    # due before the stop, while the bot is down, and after it is back
    meeting, offsets = reminder_plan(3.0, 8.0, 18.0)
    reply = command(
        process,
        "/burndown",
        f"schedule daily {meeting:%H:%M} UTC remind {','.join(f'{o}s' for o in offsets)}",
    )
    assert "Scheduled" in reply
    fake_slack.wait_for(lambda: reminders_of(fake_slack, CHANNEL, meeting), timeout=8)
    process.stop()
    wait_until(start + 14.0)  # the second reminder falls due while the bot is down
    process.start()
    posts = fake_slack.wait_for(
        lambda: (
            len(reminders_of(fake_slack, CHANNEL, meeting)) >= 3
            and reminders_of(fake_slack, CHANNEL, meeting)
        ),
        timeout=15,
    )
    time.sleep(1.5)  # replans after the last one must not repeat anything
    assert len(reminders_of(fake_slack, CHANNEL, meeting)) == 3
    texts = [mrkdwn_of(p) for p in posts]
    late = [p for p in posts if late_by(p) is not None]
    assert len(late) == 1, texts
    # the on-time ones went out within 2 s of their due time
    dues = sorted(meeting.timestamp() - o for o in offsets)
    on_time = [p.at for p in posts if late_by(p) is None]
    lags = [at - due for at, due in zip(on_time, (dues[0], dues[2]), strict=True)]
    assert all(0 <= lag < 2.0 for lag in lags), lags
