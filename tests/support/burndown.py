"""Shared test builders: burndown."""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime

from tests.conftest import SECRET, TOKEN, RunningBot
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import Call, FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.release import answer, mrkdwn_of

CHANNEL = "C_BURN"
LEAD = "U_LEAD"
FROZEN = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # for tests of dates, not of timers
LATE = re.compile(r"sent (?:(\d+)m ?)?(?:(\d+)s )?late: the bot or Slack was unavailable")


def reminder_plan(*due_in: float, lead: float = 40.0) -> tuple[datetime, list[int]]:
    """A meeting on a whole minute at least `lead` s away, and offsets due `due_in` s from now."""
    now = time.time()
    meeting = math.ceil((now + max(due_in) + lead) / 60) * 60
    offsets = [round(meeting - (now + d)) for d in due_in]
    return datetime.fromtimestamp(meeting, UTC), offsets


def reminders_of(fake: FakeSlack, channel: str, meeting: datetime) -> list[Call]:
    """Reminder posts for one meeting."""
    token = f"<!date^{int(meeting.timestamp())}^"
    return [
        c for c in fake.posts(channel) if "Burndown in" in mrkdwn_of(c) and token in mrkdwn_of(c)
    ]


def dms(fake: FakeSlack, user: str) -> list[Call]:
    """Messages the bot sent to a person's DM channel (the fake names it D + user id)."""
    return fake.posts(f"D{user}")


def late_by(call: Call) -> int | None:
    """How many seconds late a reminder says it was sent, or None when it went out in time."""
    found = LATE.search(mrkdwn_of(call))
    if found is None:
        return None
    minutes, seconds = found.group(1), found.group(2)
    return int(minutes or 0) * 60 + int(seconds or 0)


def burndown(bot: RunningBot, text: str, user: str = LEAD, channel: str = CHANNEL) -> str:
    """The caller's answer to `/burndown TEXT`."""
    return answer(bot.slack.command("/burndown", text, user_id=user, channel_id=channel))


def start_release(
    bot: RunningBot, channel: str = CHANNEL, day: str = "2030-03-12 10:00 PT"
) -> None:
    """Start release v1 in the channel, led by LEAD."""
    reply = answer(
        bot.slack.command("/release", f"new v1 on {day}", user_id=LEAD, channel_id=channel)
    )
    assert "lead" in reply


def bot_env(fake: FakeSlack, database_url: str) -> dict[str, str]:
    """Environment for a bot process talking to the fake Slack and the test database."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "RELEASEBOT_REPLAN_SECONDS": "0.5",
        "LOG_LEVEL": "INFO",
    }


def command(bot: BotProcess, cmd: str, text: str) -> str:
    """The answer to a slash command sent by LEAD to a running bot process."""
    with SlackClient(bot.url, SECRET) as slack:
        resp = slack.command(cmd, text, user_id=LEAD, channel_id=CHANNEL)
    assert resp.status_code == 200, resp.text
    return str(resp.json().get("text", ""))
