"""Go/no-go voters named as a Slack user group: its members at the start must vote, and the
poll mentions the group itself, once, never each member."""

from __future__ import annotations

from sqlmodel import col, select

from bot.gonogo.models import PollVoter
from tests.conftest import RunningBot
from tests.support.gonogo import (
    CHANNEL,
    LEAD,
    click,
    gonogo,
    poll_closing_in,
    poll_post,
    poll_row,
    poll_value,
    release_with_docs,
    ts_of,
)
from tests.support.release import answer, group_mention, mentions_in, mrkdwn_of

TEAM = "S_TEAM"
MEMBERS = [f"U_M{n:02d}" for n in range(40)]


def required_voters(bot: RunningBot) -> list[tuple[str, str | None]]:
    poll = poll_row(bot)
    assert poll is not None
    with bot.services.db.read() as s:
        rows = s.exec(
            select(PollVoter).where(PollVoter.poll_id == poll.id).order_by(col(PollVoter.position))
        ).all()
    return [(row.user_id, row.via) for row in rows]


def test_a_group_of_40_voters_requires_exactly_them_and_pings_the_group_once(
    bot: RunningBot,
) -> None:
    bot.fake.usergroups[TEAM] = list(MEMBERS)
    release_with_docs(bot)
    note = gonogo(bot, f"Ship it? voters {group_mention(TEAM)}")
    assert "40 required voters" in note and f"<!subteam^{TEAM}>" in note

    assert sorted(required_voters(bot)) == sorted((m, TEAM) for m in MEMBERS)
    post = poll_post(bot, "Ship it?")
    assert mentions_in([post]) == [f"<@{LEAD}>", f"<!subteam^{TEAM}>"]  # "Asked by", the group
    assert "when the poll started is a required voter (40 people)" in mrkdwn_of(post)

    # a member's vote is required, someone outside the group is advisory
    ts = ts_of(bot, post)
    click(bot, MEMBERS[0], "go", poll_value(post), ts)
    click(bot, "U_OUTSIDER", "go", poll_value(post), ts)

    def shown() -> str:
        return bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {})

    bot.fake.wait_for(lambda: "39 of them still to vote" in shown() and "Advisory" in shown())
    assert "1 Go · 0 No-Go · 39 missing (of 40 required)" in shown()
    assert "*Advisory* (not counted): 1 Go" in shown()


def test_someone_joining_the_group_after_the_start_votes_as_advisory(bot: RunningBot) -> None:
    bot.fake.usergroups[TEAM] = ["U_A", "U_B"]
    release_with_docs(bot)
    answer(
        bot.slack.command(
            "/release", f"role docs {group_mention(TEAM)}", user_id=LEAD, channel_id=CHANNEL
        )
    )
    gonogo(bot, "Ship it?")  # every role holder: the lead, and the docs group's members
    assert required_voters(bot) == [(LEAD, None), ("U_A", TEAM), ("U_B", TEAM)]
    bot.fake.usergroups[TEAM].append("U_LATE")
    post = poll_post(bot, "Ship it?")
    ts = ts_of(bot, post)
    click(bot, "U_LATE", "go", poll_value(post), ts)
    told = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_LATE"))
    assert "advisory" in str(told[0].args.get("text"))


def test_the_reminder_mentions_the_group_once_and_named_people_in_person(
    bot: RunningBot,
) -> None:
    bot.fake.usergroups[TEAM] = list(MEMBERS)
    release_with_docs(bot)
    poll_id = poll_closing_in(bot, 15 * 60 + 3, [TEAM, "U_SOLO"])
    post = poll_post(bot)
    ts = bot.fake.wait_for(lambda: (poll_row(bot) or None) and poll_row(bot).message_ts)  # type: ignore[union-attr]
    click(bot, MEMBERS[5], "go", poll_value(post), ts)

    def reminders() -> list:  # type: ignore[type-arg]
        return [c for c in bot.fake.posts(CHANNEL) if c.args.get("thread_ts") == ts]

    found = bot.fake.wait_for(reminders, timeout=8)
    assert poll_id and len(found) == 1
    assert sorted(mentions_in(found)) == sorted(["<@U_SOLO>", f"<!subteam^{TEAM}>"])
    assert f"<!subteam^{TEAM}>: 39 of you have not voted yet" in mrkdwn_of(found[0])


def test_a_workspace_without_user_groups_is_told_so(bot: RunningBot) -> None:
    bot.fake.usergroups = None
    release_with_docs(bot)
    note = gonogo(bot, f"Ship it? voters {group_mention(TEAM)}")
    assert "no user groups" in note and "paid plans" in note
    assert poll_row(bot) is None
