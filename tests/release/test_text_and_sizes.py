"""/release with text as Slack sends it and at the sizes real releases reach, over HTTP."""

from __future__ import annotations

import re

from bot.release import roles
from bot.release import service as releases
from tests.conftest import RunningBot
from tests.support.actor import acting
from tests.support.release import (
    CHANNEL,
    LEAD,
    answer,
    mrkdwn_of,
    mrkdwn_texts,
    new_release,
    plain_texts,
    whole_tokens,
)

ROLES = [f"role-{i:02d}" for i in range(12)]  # with lead, 13 roles


def holders(role_index: int) -> list[str]:
    return [f"UP{role_index:02d}{person:05d}" for person in range(20)]


def test_status_with_13_roles_of_20_people_shows_whole_lines_and_counts_the_rest(
    bot: RunningBot,
) -> None:
    answer(new_release(bot))
    now = bot.services.now()
    with bot.services.db.session() as s:
        release = releases.active_release(s, CHANNEL)
        roles.assign(
            s,
            release,
            role="lead",
            users=[LEAD, *holders(99)[:19]],
            actor=acting(LEAD),
            now=now,
        )
        for index, role in enumerate(ROLES):
            roles.assign(
                s,
                release,
                role=role,
                users=holders(index),
                actor=acting(LEAD),
                now=now,
            )

    resp = bot.slack.command("/release", "status", user_id="U_ANYONE", channel_id=CHANNEL)
    blocks = resp.json()["blocks"]
    assert len(blocks) <= 50
    texts = mrkdwn_texts(blocks)
    assert all(len(text) <= 3000 and whole_tokens(text) for text in texts), texts
    roles_block = next(text for text in texts if text.startswith("*Roles*"))
    lines = roles_block.splitlines()[1:]
    more = re.fullmatch(r"_…and (\d+) more roles: `/release roles` lists them all_", lines[-1])
    assert more is not None, lines[-1]
    shown = lines[:-1]
    assert len(shown) + int(more.group(1)) == 13
    for line in shown:  # every role shown is shown whole: all twenty holders
        assert line.count("<@") == 20 and line.endswith(">"), line

    listed = answer(bot.slack.command("/release", "roles", user_id="U_X", channel_id=CHANNEL))
    assert len(listed) < 40_000 and whole_tokens(listed)
    assert all(f"*{role}*" in listed for role in ROLES) and "more" not in listed


def test_a_name_that_pings_is_escaped_in_the_refusal_to_start_another(bot: RunningBot) -> None:
    # typed with Slack's autocomplete: @here and a person arrive as tokens, & as an entity
    typed = "<!here> &amp; <@U0BAD|bad> on 2027-03-15 10:00 PT"
    answer(new_release(bot, typed))
    refusal = answer(new_release(bot, "v2 on 2027-04-01"))
    assert "already runs release" in refusal
    assert "<!here>" not in refusal and "<@U0BAD" not in refusal
    assert "*&lt;!here&gt; &amp; &lt;@U0BAD|bad&gt;*" in refusal
    post = bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))
    assert "<!here>" not in mrkdwn_of(post[0]) and "<@U0BAD" not in mrkdwn_of(post[0])


def test_a_name_typed_with_ampersand_and_brackets_is_escaped_once(bot: RunningBot) -> None:
    # `/release new R&D <beta> on ...` as Slack sends it
    reply = answer(new_release(bot, "R&amp;D &lt;beta&gt; on 2027-03-15 10:00 PT"))
    assert "*R&amp;D &lt;beta&gt;*" in reply
    post = bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))[0]
    shown = mrkdwn_of(post)
    assert "R&amp;D &lt;beta&gt;" in shown
    assert "&amp;amp;" not in shown and "&amp;lt;" not in shown
    assert "Release R&D <beta>" in plain_texts(post.args["blocks"])

    status = bot.slack.command("/release", "status", user_id=LEAD, channel_id=CHANNEL).json()
    assert "Release R&D <beta>" in plain_texts(status["blocks"])
    assert "R&amp;D &lt;beta&gt;" in status["text"]
    assert not any("&amp;amp;" in text for text in mrkdwn_texts(status["blocks"]))


def test_a_postponement_reason_over_the_limit_is_refused_with_the_limit(bot: RunningBot) -> None:
    answer(new_release(bot))
    reason = "&amp;" * 1001  # 1,001 typed characters, 5,005 as Slack sends them
    refusal = answer(
        bot.slack.command(
            "/release", f"postpone 2027-03-17 -- {reason}", user_id=LEAD, channel_id=CHANNEL
        )
    )
    assert "at most 1,000 characters" in refusal and "1,001" in refusal
    fits = "&amp;" * 1000
    reply = answer(
        bot.slack.command(
            "/release", f"postpone 2027-03-17 -- {fits}", user_id=LEAD, channel_id=CHANNEL
        )
    )
    assert "Release day is now" in reply
    posts = bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) >= 2 and bot.fake.posts(CHANNEL))
    texts = mrkdwn_texts(posts[-1].args["blocks"])
    assert all(whole_tokens(text) for text in texts)
    assert "".join(texts).count("&amp;") == 1000  # shown whole, over two sections
