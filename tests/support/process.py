"""Shared test builders: process."""

from __future__ import annotations

from tests.conftest import SECRET, TOKEN
from tests.kit.fake_slack import FakeSlack


def bot_env(database_url: str, fake: FakeSlack) -> dict[str, str]:
    """The environment a real deployment would set, pointed at local stand-ins."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "RELEASEBOT_REPLAN_SECONDS": "0.5",
    }
