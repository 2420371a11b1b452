"""Shared test builders: API tokens made in Slack, and calls to the API over loopback."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import RunningBot
from tests.support.checklist import CHANNEL, LEAD, answer

SECRET = re.compile(r"```(rbt_[A-Za-z0-9_-]+)```")


def make_token(
    bot: RunningBot, name: str = "deploy", scope: str = "write", user: str = LEAD
) -> str:
    """A token made with `/release token add` as a lead would; its secret from the reply."""
    text = answer(
        bot.slack.command("/release", f"token add {name} {scope}", user_id=user, channel_id=CHANNEL)
    )
    found = SECRET.search(text)
    assert found, text
    return found.group(1)


def release_id(bot: RunningBot) -> int:
    """The id of the channel's release."""
    from bot.release import service as releases

    with bot.services.db.read() as s:
        release = releases.active_release(s, CHANNEL)
        assert release.id is not None
        return release.id


def api(bot: RunningBot, secret: str | None) -> httpx.Client:
    """A client of the bot's API, sending `secret` as its bearer token."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.Client(base_url=f"{bot.url}/api/v1", headers=headers, timeout=10)


def problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    """The problem details of an error response, checked to be one."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body = resp.json()
    assert body["status"] == status and body["title"] and body["type"], body
    assert body["detail"], body
    return body
