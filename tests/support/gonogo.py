"""Shared test builders: gonogo."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot.core.models import utcnow
from bot.gonogo import flows, ids
from bot.gonogo.models import Poll
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.support.release import answer, new_release

CHANNEL = "C_REL"
LEAD = "U_LEAD"
ACTIONS = {"go": ids.GO_ACTION, "nogo": ids.NOGO_ACTION, "close": ids.CLOSE_ACTION}


def release_with_docs(bot: RunningBot) -> None:
    answer(new_release(bot))
    answer(bot.slack.command("/release", "role docs <@U_D1>", user_id=LEAD, channel_id=CHANNEL))


def gonogo(bot: RunningBot, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command("/gonogo", text, user_id=user, channel_id=CHANNEL))


def poll_closing_in(
    bot: RunningBot, seconds: float, voters: list[str], question: str = "Ship it?"
) -> int:
    """A poll opened as `/gonogo` opens one, its deadline `seconds` of real time away."""
    started = flows.start(
        bot.services,
        CHANNEL,
        bot.services.actor(LEAD),
        question=question,
        users=voters,
        role_names=[],
        deadline=utcnow() + timedelta(seconds=seconds),
        now=utcnow(),
    )
    assert started.tally.poll.id is not None
    return started.tally.poll.id


def poll_post(bot: RunningBot, question: str = "", channel: str = CHANNEL) -> Call:
    """The poll message (asking `question`, when given) as first posted in the channel."""

    def posted() -> list[Call]:
        found = [c for c in bot.fake.posts(channel) if ids.GO_ACTION in json.dumps(c.args)]
        return [c for c in found if question in str(c.args.get("blocks"))]

    return bot.fake.wait_for(posted)[0]


def poll_value(post: Call) -> str:
    for block in post.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ids.GO_ACTION:
                return str(element["value"])
    raise AssertionError("no Go button in the poll message")


def ts_of(bot: RunningBot, post: Call) -> str:
    return str(bot.fake.wait_for(lambda: poll_row(bot) and poll_row(bot).message_ts))  # type: ignore[union-attr]


def poll_row(bot: RunningBot) -> Poll | None:
    with bot.services.db.read() as s:
        return s.exec(select(Poll).order_by(Poll.id.desc())).first()  # type: ignore[union-attr]


def click(bot: RunningBot, user: str, action: str, value: str, ts: str, channel: str = CHANNEL):  # type: ignore[no-untyped-def]
    resp = bot.slack.click(
        user_id=user, channel_id=channel, action_id=ACTIONS[action], value=value, message_ts=ts
    )
    assert resp.status_code == 200
    return resp


def nogo(bot: RunningBot, user: str, value: str, ts: str, reason: str, channel: str = CHANNEL):  # type: ignore[no-untyped-def]
    """Click No-Go, then give `reason` in the modal it opens; the submission's response."""
    before = len(bot.fake.calls_of("views.open"))
    click(bot, user, "nogo", value, ts, channel)
    opened = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open")[before:])
    view = opened[0].args["view"]
    assert view["callback_id"] == "gonogo:reason"
    values = {"reason": {"text": {"type": "plain_text_input", "value": reason}}}
    return bot.slack.submit(
        user_id=user,
        callback_id=ids.REASON_FORM,
        private_metadata=view["private_metadata"],
        values=values,
    )
