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
from tests.support.gonogo import poll_value, ts_of


def poll_post(bot: RunningBot, question: str) -> Call:
    """The poll message asking `question`, as first posted."""
    return bot.fake.wait_for(
        lambda: [
            c
            for c in bot.fake.posts(CHANNEL)
            if "gonogo:go" in str(c.args.get("blocks")) and question in str(c.args.get("blocks"))
        ]
    )[0]


def vote(bot: RunningBot, user: str, action: str, post: Call) -> None:
    """Click Go or No-Go on a poll message; a No-Go gives its reason in the modal."""
    opened = len(bot.fake.calls_of("views.open"))
    value, ts = poll_value(post), ts_of(bot, post)
    resp = bot.slack.click(
        user_id=user, channel_id=CHANNEL, action_id=f"gonogo:{action}", value=value, message_ts=ts
    )
    assert resp.status_code == 200
    if action == "nogo":
        view = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open")[opened:])[0].args["view"]
        reason = {"reason": {"text": {"type": "plain_text_input", "value": "arm64 images missing"}}}
        sent = bot.slack.submit(
            user_id=user,
            callback_id="gonogo:reason",
            private_metadata=view["private_metadata"],
            values=reason,
        )
        assert sent.status_code == 200 and not sent.text


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
    first = poll_post(bot, "Go for release")
    assert "needs a GO" in done_refusal(bot, ts, 0)  # the poll is still open

    vote(bot, BM, "nogo", first)
    answer(bot.slack.command("/gonogo", "close", user_id=LEAD, channel_id=CHANNEL))
    assert "NO-GO" in done_refusal(bot, ts, len(told(bot, LEAD)))
    assert steps_of(bot)[0].state == "active"

    answer(bot.slack.command("/gonogo", f"Again? voters <@{BM}>", user_id=LEAD, channel_id=CHANNEL))
    vote(bot, BM, "go", poll_post(bot, "Again?"))
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    assert [s.state for s in steps_of(bot)[:2]] == ["done", "active"]
