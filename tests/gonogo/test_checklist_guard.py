"""The checklist's `requires: gonogo` step (kubernetes-minor's first) follows the poll's outcome."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.support.checklist import (
    BM,
    CHANNEL,
    LEAD,
    answer,
    click,
    new_release,
    start,
    steps_of,
    told,
    value_of,
)
from tests.support.gonogo import click as click_poll
from tests.support.gonogo import nogo, poll_post, poll_value, ts_of


def vote(bot: RunningBot, user: str, action: str, post: Call) -> None:
    """Click Go or No-Go on a poll message; a No-Go gives its reason in the modal."""
    value, ts = poll_value(post), ts_of(bot, post)
    if action == "nogo":
        sent = nogo(bot, user, value, ts, "arm64 images missing", CHANNEL)
        assert sent.status_code == 200 and not sent.text
    else:
        click_poll(bot, user, action, value, ts, CHANNEL)


def done_refusal(bot: RunningBot, ts: str, before: int) -> str:
    """Click Done on the first step; the refusal the lead is told."""
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    return bot.fake.wait_for(lambda: told(bot, LEAD)[before:])[0]


def test_gonogo_step_refuses_done_until_a_poll_closes_go(bot: RunningBot) -> None:
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot, "kubernetes-minor")
    assert steps_of(bot)[0].requires == "gonogo"

    answer(
        bot.slack.command("/gonogo", f"voters <@{BM}> <@{LEAD}>", user_id=LEAD, channel_id=CHANNEL)
    )
    first = poll_post(bot, "Go for release", CHANNEL)
    assert "needs a GO" in done_refusal(bot, ts, 0)  # the poll is still open

    vote(bot, BM, "nogo", first)
    answer(bot.slack.command("/gonogo", "close", user_id=LEAD, channel_id=CHANNEL))
    assert "NO-GO" in done_refusal(bot, ts, len(told(bot, LEAD)))
    assert steps_of(bot)[0].state == "active"

    answer(bot.slack.command("/gonogo", f"Again? voters <@{BM}>", user_id=LEAD, channel_id=CHANNEL))
    vote(bot, BM, "go", poll_post(bot, "Again?", CHANNEL))
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    assert [s.state for s in steps_of(bot)[:2]] == ["done", "active"]
