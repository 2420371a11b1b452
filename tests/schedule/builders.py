"""Builders for schedule tests: a release in the database, commands over HTTP, what was posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.db import Database
from bot.release import service as releases
from bot.release.models import Release
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.schedule.conftest import COMMAND
from tests.support.release import answer, mrkdwn_of

CHANNEL = "C_SCHED"
LEAD = "U_LEAD"
OTHER = "U_OTHER"
LA = ZoneInfo("America/Los_Angeles")


def make_release(
    db: Database,
    release_at: datetime | None,
    *,
    zone: ZoneInfo = LA,
    now: datetime,
    channel: str = CHANNEL,
) -> Release:
    """Release v1 in `channel`, led by LEAD, straight into the database."""
    with db.session() as s:
        return releases.create_release(
            s,
            channel_id=channel,
            name="v1",
            release_at=release_at,
            zone=zone,
            actor=LEAD,
            now=now,
        )


def send(bot: RunningBot, text: str, user: str = LEAD, channel: str = CHANNEL) -> dict[str, Any]:
    """The whole answer (text and blocks) to `/release TEXT`."""
    resp = bot.slack.command(COMMAND, text, user_id=user, channel_id=channel)
    assert resp.status_code == 200, resp.text
    return resp.json() if resp.text else {}


def say(bot: RunningBot, text: str, user: str = LEAD, channel: str = CHANNEL) -> str:
    """The ephemeral text of the answer to `/release TEXT`."""
    resp = bot.slack.command(COMMAND, text, user_id=user, channel_id=channel)
    return answer(resp)


def shown(body: dict[str, Any]) -> str:
    """Everything a reader of an answer sees: its text and its blocks' texts."""
    return str(body.get("text", "")) + "\n" + str(body.get("blocks", ""))


def posts_with(bot: RunningBot, needle: str, channel: str = CHANNEL) -> list[Call]:
    """Messages posted in the channel whose mrkdwn contains `needle`."""
    return [c for c in bot.fake.posts(channel) if needle in mrkdwn_of(c)]


def token(instant: datetime) -> str:
    """The start of the Slack date token of an instant."""
    return f"<!date^{int(instant.timestamp())}^"
