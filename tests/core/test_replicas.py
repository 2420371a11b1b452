"""Two bot processes on one Postgres database: one runs timers, each reminder goes out once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import PG_URL
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.support.burndown import CHANNEL, bot_env, command, reminder_plan, reminders_of
from tests.support.release import mrkdwn_of

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="several replicas need PostgreSQL (SQLite is one process): set TEST_DATABASE_URL",
)
LEADING = "now runs the timers"


@pytest.fixture
def replicas(fake_slack: FakeSlack, database_url: str) -> Iterator[tuple[BotProcess, BotProcess]]:
    first = BotProcess(bot_env(fake_slack, database_url))
    # the standby keeps the default replan interval: taking over must not wait for it
    second = BotProcess({**bot_env(fake_slack, database_url), "RELEASEBOT_REPLAN_SECONDS": "10"})
    yield first, second
    first.kill()
    second.stop()


def wait_for_log(bot: BotProcess, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in bot.log_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in log:\n{bot.log_text()[-3000:]}")
        time.sleep(0.1)


def test_each_reminder_once_also_when_the_leader_is_killed(
    replicas: tuple[BotProcess, BotProcess], fake_slack: FakeSlack
) -> None:
    leader, standby = replicas
    leader.start()
    wait_for_log(leader, LEADING)
    standby.start()
    time.sleep(1.0)
    assert LEADING not in standby.log_text()
    assert "lead" in command(standby, "/release", "new v1")  # any replica takes commands
    meeting, offsets = reminder_plan(3.0, 5.0, 12.0, 15.0)
    other, other_offsets = reminder_plan(12.5, lead=130.0)
    remind = ",".join(f"{o}s" for o in offsets)
    assert "Scheduled" in command(
        standby, "/burndown", f"schedule daily {meeting:%H:%M} UTC remind {remind}"
    )
    assert "Scheduled" in command(
        leader, "/burndown", f"schedule daily {other:%H:%M} UTC remind {other_offsets[0]}s"
    )
    fake_slack.wait_for(lambda: len(reminders_of(fake_slack, CHANNEL, meeting)) == 2, timeout=10)
    leader.kill()  # SIGKILL: no cleanup, the advisory lock goes with the connection
    killed = time.monotonic()
    wait_for_log(standby, LEADING, timeout=5)
    assert time.monotonic() - killed < 3.0  # it took over within seconds
    fake_slack.wait_for(
        lambda: (
            len(reminders_of(fake_slack, CHANNEL, meeting)) == 4
            and reminders_of(fake_slack, CHANNEL, other)
        ),
        timeout=20,
    )
    time.sleep(1.5)
    posts = reminders_of(fake_slack, CHANNEL, meeting)
    assert len(posts) == 4
    assert len(reminders_of(fake_slack, CHANNEL, other)) == 1
    leads = sorted(mrkdwn_of(p).split("*Burndown in ")[1].split("*")[0] for p in posts)
    assert len(set(leads)) == 4  # four distinct reminders, none twice
    # the standby took over before the next ones fell due: every reminder was on time
    dues = sorted(meeting.timestamp() - o for o in offsets)
    lags = [p.at - due for p, due in zip(sorted(posts, key=lambda p: p.at), dues, strict=True)]
    assert all(0 <= lag < 2.0 for lag in lags), lags
