"""/gonogo driven as Slack drives it: signed commands, clicks and modal submissions over HTTP."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.core.models import AuditEvent
from bot.gonogo.models import PollVote
from tests.conftest import RunningBot
from tests.support.gonogo import (
    CHANNEL,
    LEAD,
    click,
    gonogo,
    nogo,
    poll_post,
    poll_row,
    poll_value,
    release_with_docs,
    ts_of,
)
from tests.support.release import mrkdwn_of


def shown(bot: RunningBot, ts: str) -> str:
    message = bot.fake.message(CHANNEL, ts)
    assert message is not None
    return bot.fake.texts_of(message)


def told(bot: RunningBot, user: str) -> str:
    bot.services.sender.flush()  # refusals are owed through the outbox
    return "\n".join(str(c.args.get("text")) for c in bot.fake.ephemerals(user))


def test_required_and_advisory_votes_change_of_vote_and_go(bot: RunningBot) -> None:
    release_with_docs(bot)
    reply = gonogo(bot, '"Ship <!here> v1.0?" voters <@U_A> docs')
    assert "2 required voters" in reply
    post = poll_post(bot)
    text = mrkdwn_of(post)
    assert "Ship &lt;!here&gt; v1.0?" in text and "<!here>" not in text
    assert "<@U_A>" in text and "<@U_D1>" in text
    value, ts = poll_value(post), ts_of(bot, post)

    click(bot, "U_X", "go", value, ts)
    bot.fake.wait_for(lambda: "advisory" in told(bot, "U_X"))
    resp = nogo(bot, "U_A", value, ts, "CI is red on <!channel> arm64")
    assert resp.status_code == 200 and not resp.text
    bot.fake.wait_for(lambda: "1 No-Go" in shown(bot, ts), timeout=4)
    message = bot.fake.message(CHANNEL, ts)
    assert "CI is red on &lt;!channel&gt; arm64" in shown(bot, ts)
    assert "<!channel>" not in json.dumps(message)
    assert "Advisory" in shown(bot, ts) and "<@U_X>" in shown(bot, ts)

    click(bot, "U_A", "go", value, ts)
    bot.fake.wait_for(lambda: "changed your vote from No-Go to Go" in told(bot, "U_A"))
    bot.fake.wait_for(lambda: "1 Go · 0 No-Go · 1 missing" in shown(bot, ts), timeout=4)
    click(bot, "U_D1", "go", value, ts)
    result = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]
    )
    assert result[0].args.get("reply_broadcast") is True
    assert "*GO*" in mrkdwn_of(result[0])
    final = bot.fake.wait_for(lambda: "Result" in shown(bot, ts) and bot.fake.message(CHANNEL, ts))
    assert not [b for b in final["blocks"] if b["type"] == "actions"]
    assert "2 Go · 0 No-Go · 0 missing" in shown(bot, ts)

    click(bot, "U_D1", "go", value, ts)
    bot.fake.wait_for(lambda: "closed" in told(bot, "U_D1") and "GO" in told(bot, "U_D1"))


def test_lead_closes_early_with_no_go_and_nobody_else_may(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "voters <@U_A> <@U_B>")
    post = poll_post(bot)
    value, ts = poll_value(post), ts_of(bot, post)
    click(bot, "U_B", "go", value, ts)
    assert nogo(bot, "U_A", value, ts, "etcd upgrade not validated").status_code == 200
    refused = gonogo(bot, "close", user="U_A")
    assert "Only a lead" in refused and f"<@{LEAD}>" in refused
    click(bot, "U_B", "close", value, ts)
    bot.fake.wait_for(lambda: "Only a lead" in told(bot, "U_B"))
    assert poll_row(bot).state == "open"  # type: ignore[union-attr]

    assert "NO-GO" in gonogo(bot, "close")
    result = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]
    )
    assert "NO-GO" in mrkdwn_of(result[0]) and "etcd upgrade not validated" in mrkdwn_of(result[0])
    assert "no open poll" in gonogo(bot, "close")
    with bot.services.db.read() as s:
        closes = s.exec(select(AuditEvent).where(AuditEvent.action == "poll.closed")).all()
    assert [(e.actor, e.after) for e in closes] == [(LEAD, "NO-GO")]


def test_close_button_by_the_lead_with_votes_missing_is_no_decision(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "")
    post = poll_post(bot)
    assert "Go for release v1.0?" in mrkdwn_of(post)
    value, ts = poll_value(post), ts_of(bot, post)
    click(bot, LEAD, "go", value, ts)
    click(bot, LEAD, "close", value, ts)
    bot.fake.wait_for(lambda: "NO DECISION" in shown(bot, ts), timeout=4)
    result = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]
    )
    assert "<@U_D1>" in mrkdwn_of(result[0])  # the missing voter is named
    click(bot, "U_D1", "go", value, ts)
    bot.fake.wait_for(lambda: "NO DECISION" in told(bot, "U_D1"))
    with bot.services.db.read() as s:
        assert s.exec(select(PollVote).where(PollVote.user_id == "U_D1")).first() is None


def test_only_a_lead_starts_one_poll_at_a_time_and_bad_input_is_explained(
    bot: RunningBot,
) -> None:
    release_with_docs(bot)
    assert "Only a lead" in gonogo(bot, "Ready?", user="U_D1")
    for text, expected in [
        ("voters", "needs people"),
        ("voters @dana", "not a mention"),
        ("by 27:99", "27:99"),
        ("by tomorrow", "needs a time"),
        ("by 10:00 Mars/Olympus", "Mars/Olympus"),
        ("by 2020-01-01 10:00", "passed"),
        ("by 10:00 by 11:00", "once"),
    ]:
        reply = gonogo(bot, text)
        assert expected in reply, (text, reply)
    assert poll_row(bot) is None
    reply = gonogo(bot, "Ready? voters nobody-role")
    assert "1 required voter." in reply and "falls to the lead" in reply
    assert "already open" in gonogo(bot, "Again?")


def test_no_go_from_app_home_asks_the_reason_and_counts(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "voters <@U_A>")
    value = poll_value(poll_post(bot))
    home = {"id": "V_HOME", "type": "home"}
    resp = bot.slack.click(
        user_id="U_A", channel_id=None, action_id="gonogo:nogo", value=value, view=home
    )
    assert resp.status_code == 200
    view = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))[0].args["view"]
    blank = {"reason": {"text": {"type": "plain_text_input", "value": "   "}}}
    refused = bot.slack.submit(
        user_id="U_A",
        callback_id="gonogo:reason",
        private_metadata=view["private_metadata"],
        values=blank,
    ).json()
    assert refused["response_action"] == "errors" and "reason" in refused["errors"]["reason"]
    values = {"reason": {"text": {"type": "plain_text_input", "value": "docs not frozen"}}}
    sent = bot.slack.submit(
        user_id="U_A",
        callback_id="gonogo:reason",
        private_metadata=view["private_metadata"],
        values=values,
    )
    assert sent.status_code == 200 and not sent.text
    with bot.services.db.read() as s:
        vote = s.exec(select(PollVote).where(PollVote.user_id == "U_A")).one()
    assert (vote.choice, vote.reason) == ("nogo", "docs not frozen")
