"""Required voters who are away (their Slack status says so) are shown as away on the poll,
and still counted: the poll waits for their vote as for anyone's."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.support.gonogo import click, gonogo, poll_post, poll_value, release_with_docs, ts_of
from tests.support.release import mrkdwn_of

AWAY, HERE = "U_AWAY", "U_HERE"


def poll_text(bot: RunningBot) -> str:
    post = poll_post(bot)
    message = bot.fake.message(post.args["channel"], ts_of(bot, post)) or {}
    return bot.fake.texts_of(message) if message else mrkdwn_of(post)


def test_an_away_voter_is_shown_as_away_and_still_counted(bot: RunningBot) -> None:
    bot.fake.users[AWAY] = {"status_emoji": ":palm_tree:", "status_text": "Back on the 12th"}
    bot.fake.users[HERE] = {"status_emoji": ":coffee:", "status_text": "In a meeting"}
    release_with_docs(bot)
    assert "Poll started" in gonogo(bot, f"Ship it? voters <@{AWAY}> <@{HERE}>")
    text = mrkdwn_of(poll_post(bot))
    assert f"*Away* (still counted): <@{AWAY}> (away (Back on the 12th))" in text
    assert f"<@{HERE}> (" not in text  # a meeting is not being away
    assert "2 missing (of 2 required)" in text

    post = poll_post(bot)
    click(bot, HERE, "go", poll_value(post), ts_of(bot, post))

    def refreshed() -> str | None:
        now = poll_text(bot)
        return now if "1 Go" in now else None

    after = bot.fake.wait_for(refreshed)
    assert "1 missing (of 2 required)" in after  # the away voter still counts as required
    assert f"*Away* (still counted): <@{AWAY}>" in after


def test_a_status_that_has_expired_is_not_away(bot: RunningBot) -> None:
    bot.fake.users[AWAY] = {
        "status_emoji": ":palm_tree:",
        "status_text": "Vacationing",
        "status_expiration": 1_000_000_000,  # in 2001
    }
    release_with_docs(bot)
    gonogo(bot, f"Ship it? voters <@{AWAY}>")
    assert "*Away*" not in mrkdwn_of(poll_post(bot))
