"""Shared test builders: gonogo."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.gonogo.models import Poll
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.support.release import answer, new_release

CHANNEL = "C_REL"
LEAD = "U_LEAD"


def release_with_docs(bot: RunningBot) -> None:
    answer(new_release(bot))
    answer(bot.slack.command("/release", "role docs <@U_D1>", user_id=LEAD, channel_id=CHANNEL))


def gonogo(bot: RunningBot, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command("/gonogo", text, user_id=user, channel_id=CHANNEL))


def poll_post(bot: RunningBot) -> Call:
    """The poll message as first posted in the channel."""
    found = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if "gonogo:go" in json.dumps(c.args)]
    )
    return found[0]


def poll_value(post: Call) -> str:
    for block in post.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "gonogo:go":
                return str(element["value"])
    raise AssertionError("no Go button in the poll message")


def ts_of(bot: RunningBot, post: Call) -> str:
    return str(bot.fake.wait_for(lambda: poll_row(bot) and poll_row(bot).message_ts))  # type: ignore[union-attr]


def poll_row(bot: RunningBot) -> Poll | None:
    with bot.services.db.read() as s:
        return s.exec(select(Poll).order_by(Poll.id.desc())).first()  # type: ignore[union-attr]


def click(bot: RunningBot, user: str, action: str, value: str, ts: str, channel: str = CHANNEL):  # type: ignore[no-untyped-def]
    resp = bot.slack.click(
        user_id=user, channel_id=channel, action_id=f"gonogo:{action}", value=value, message_ts=ts
    )
    assert resp.status_code == 200
    return resp
