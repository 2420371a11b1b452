"""The poll's messages through the outbox over HTTP: outages, 500 voters, text as Slack sends."""

from __future__ import annotations

import re
import time

from sqlmodel import select

from bot.gonogo.models import Poll, PollVote
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.support.gonogo import (
    CHANNEL,
    click,
    gonogo,
    nogo,
    poll_closing_in,
    poll_post,
    poll_row,
    poll_value,
    release_with_docs,
    ts_of,
)
from tests.support.release import mrkdwn_of

QUESTION = "Ship R&D <beta>?"
MENTION = re.compile(r"<@(U[A-Z0-9_]+)>")


def in_thread(bot: RunningBot, ts: str) -> list[Call]:
    return [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]


def updates_of(bot: RunningBot, ts: str) -> list[Call]:
    return [c for c in bot.fake.calls_of("chat.update") if c.args.get("ts") == ts]


def test_slack_down_across_the_deadline_gets_the_result_once_after(bot: RunningBot) -> None:
    release_with_docs(bot)
    poll_closing_in(bot, 3, ["U_A", "U_B"], QUESTION)
    post = poll_post(bot, "Ship")
    ts = ts_of(bot, post)
    click(bot, "U_A", "go", poll_value(post), ts)
    bot.fake.wait_for(lambda: "1 Go" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))

    bot.fake.down(120)
    bot.fake.wait_for(lambda: poll_row(bot).state == "closed", timeout=6)  # type: ignore[union-attr]
    tried = bot.fake.wait_for(
        lambda: [c for c in bot.fake.failed_calls if c.args.get("thread_ts") == ts], timeout=6
    )
    assert "NO DECISION" in bot.fake.texts_of(tried[0])  # owed, and tried during the outage
    assert in_thread(bot, ts) == []
    bot.fake.up()

    result = bot.fake.wait_for(lambda: in_thread(bot, ts), timeout=10)
    bot.fake.wait_for(lambda: "Result" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
    assert bot.services.sender.flush()
    time.sleep(1.2)  # any late duplicate would land by now
    assert len(in_thread(bot, ts)) == 1
    assert result[0].args.get("reply_broadcast") is True
    text = mrkdwn_of(result[0])
    assert "NO DECISION" in text and "<@U_B>" in text and "Closed at the deadline" in text
    closed = [c for c in updates_of(bot, ts) if "Result" in bot.fake.texts_of(c)]
    assert len(closed) == 1
    assert not [b for b in closed[0].args["blocks"] if b["type"] == "actions"]


def test_a_500_voter_reminder_mentions_every_missing_voter(bot: RunningBot) -> None:
    release_with_docs(bot)
    voters = [f"UV{n:04d}" for n in range(500)]
    poll_closing_in(bot, 15 * 60 + 3, voters, QUESTION)
    post = poll_post(bot, "Ship")
    ts = ts_of(bot, post)
    assert "0 Go · 0 No-Go · 500 missing (of 500 required)" in mrkdwn_of(post)
    assert "and 460 more" in mrkdwn_of(post)
    click(bot, "UV0007", "go", poll_value(post), ts)

    def reminded() -> set[str]:
        return {u for c in in_thread(bot, ts) for u in MENTION.findall(mrkdwn_of(c))}

    pinged = bot.fake.wait_for(lambda: len(reminded()) >= 499 and reminded(), timeout=15)
    assert pinged == set(voters) - {"UV0007"}
    replies = in_thread(bot, ts)
    assert len(replies) > 1  # split over several messages, each within Slack's limits
    assert replies[0].args.get("reply_broadcast") is True
    assert not any(c.args.get("reply_broadcast") for c in replies[1:])
    assert "499 required votes are still missing" in mrkdwn_of(replies[0])
    every = [u for c in replies for u in MENTION.findall(mrkdwn_of(c)) if u.startswith("UV")]
    assert sorted(every) == sorted(set(every))  # each missing voter mentioned once
    time.sleep(1.0)
    assert len(in_thread(bot, ts)) == len(replies)  # sent once


def test_all_votes_lists_every_voter_of_a_500_voter_poll(bot: RunningBot) -> None:
    release_with_docs(bot)
    voters = [f"UV{n:04d}" for n in range(500)]
    poll_closing_in(bot, 3600, voters, QUESTION)
    post = poll_post(bot, "Ship")
    ts = ts_of(bot, post)
    votes = next(
        b["accessory"]["value"] for b in post.args["blocks"] if b.get("accessory", {}).get("value")
    )
    resp = bot.slack.click(
        user_id="U_X", channel_id=CHANNEL, action_id="gonogo:votes", value=votes, message_ts=ts
    )
    assert resp.status_code == 200
    view = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))[0].args["view"]
    assert set(MENTION.findall(bot.fake.texts_of(view))) == set(voters)
    assert "Still to vote* (500)" in bot.fake.texts_of(view)


def test_text_as_slack_sends_it_is_stored_as_typed_and_escaped_once(bot: RunningBot) -> None:
    release_with_docs(bot)
    # Slack sends `"R&D <beta> ready?"` HTML-encoded.
    reply = gonogo(bot, '"R&amp;D &lt;beta&gt; ready?" voters <@U_A>')
    assert "1 required voter" in reply
    assert poll_row(bot).question == "R&D <beta> ready?"  # type: ignore[union-attr]
    post = poll_post(bot)
    text = mrkdwn_of(post)
    assert "*R&amp;D &lt;beta&gt; ready?*" in text and "&amp;amp;" not in text
    value, ts = poll_value(post), ts_of(bot, post)
    click(bot, "U_A", "nogo", value, ts)
    view = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))[0].args["view"]
    label = view["blocks"][0]["label"]["text"]  # plain_text: shown as typed
    assert "“R&D <beta> ready?”" in label and "1,000 characters" in label
    # The limit is counted on what was typed: 300 ampersands arrive as 1,500 characters.
    gonogo(bot, "close")
    assert "1 required voter" in gonogo(bot, "&amp;" * 300 + " voters <@U_A>")


def test_a_no_go_reason_over_the_limit_is_refused_in_the_modal(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "voters <@U_A>")
    post = poll_post(bot)
    value, ts = poll_value(post), ts_of(bot, post)
    refused = nogo(bot, "U_A", value, ts, "x" * 3000).json()
    assert refused["response_action"] == "errors"
    said = refused["errors"]["reason"]
    assert "1,000 characters" in said and "3,000" in said
    with bot.services.db.read() as s:
        assert s.exec(select(PollVote)).first() is None
    reason = "&<>" * 333 + "x"  # exactly 1,000 as typed
    assert nogo(bot, "U_A", value, ts, reason).status_code == 200
    with bot.services.db.read() as s:
        assert s.exec(select(PollVote)).one().reason == reason
        assert s.exec(select(Poll)).one().state == "open"
    bot.fake.wait_for(lambda: "1 No-Go" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
