"""Roles held by Slack user groups: assigned with `/release role`, shown as the group, led
through the group's members as Slack has them now, and refused clearly on a free workspace."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.release.models import RoleAssignment
from tests.conftest import RunningBot
from tests.support.release import (
    CHANNEL,
    LEAD,
    answer,
    group_mention,
    mentions_in,
    new_release,
    short_group_cache,
)

LEADS = "S_LEADS"
DOCS = "S_DOCS"


def release_cmd(bot: RunningBot, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command("/release", text, user_id=user, channel_id=CHANNEL))


def holders(bot: RunningBot, role: str) -> list[str]:
    with bot.services.db.read() as s:
        rows = s.exec(select(RoleAssignment).where(RoleAssignment.role == role)).all()
    return [row.user_id for row in rows]


def test_a_role_is_handed_to_a_group_and_people_together(bot: RunningBot) -> None:
    bot.fake.usergroups[DOCS] = ["U_D1", "U_D2", "U_D3"]
    answer(new_release(bot))
    reply = release_cmd(bot, f"role docs {group_mention(DOCS, 'docs-team')} <@U_SOLO>")
    assert f"*docs*: <!subteam^{DOCS}>, <@U_SOLO>" in reply
    assert f"<!subteam^{DOCS}> has 3 members now" in reply and "kept for 1 minute" in reply
    assert holders(bot, "docs") == [DOCS, "U_SOLO"]

    note = bot.fake.wait_for(
        lambda: [p for p in bot.fake.posts(CHANNEL) if "*docs*" in str(p.args.get("text"))]
    )
    assert mentions_in(note) == [f"<@{LEAD}>", f"<!subteam^{DOCS}>", "<@U_SOLO>"]

    listed = release_cmd(bot, "roles", user="U_ANYONE")
    assert f"*docs*: <!subteam^{DOCS}>, <@U_SOLO>" in listed
    assert "kept for 1 minute" in listed and "without a command" in listed


def test_members_of_a_lead_group_lead_as_slack_has_them_now(bot: RunningBot) -> None:
    short_group_cache(bot, 0.3)
    bot.fake.usergroups[LEADS] = ["U_L1"]
    answer(new_release(bot))
    release_cmd(bot, f"role lead {group_mention(LEADS, 'leads')} <@{LEAD}>")
    assert "*docs*" in release_cmd(bot, "role docs <@U_D1>", user="U_L1")

    refused = release_cmd(bot, "role docs <@U_D2>", user="U_L2")
    assert "Only a lead of this release" in refused and f"<!subteam^{LEADS}>" in refused
    bot.fake.usergroups[LEADS].append("U_L2")  # joins the group in Slack; no command
    time.sleep(0.4)
    assert "*docs*: <@U_D2>" in release_cmd(bot, "role docs <@U_D2>", user="U_L2")


def test_a_workspace_without_user_groups_is_told_so_and_nothing_changes(
    bot: RunningBot,
) -> None:
    answer(new_release(bot))
    bot.fake.usergroups = None
    reply = release_cmd(bot, f"role docs {group_mention(DOCS)}")
    assert "This workspace has no user groups" in reply and "name people instead" in reply
    assert holders(bot, "docs") == []


def test_an_unknown_group_or_a_plain_handle_is_refused(bot: RunningBot) -> None:
    answer(new_release(bot))
    assert "Slack does not know the user group" in release_cmd(
        bot, f"role docs {group_mention('S_GONE')}"
    )
    assert "not a mention of a person or a user group" in release_cmd(bot, "role docs @docs-team")
    assert holders(bot, "docs") == []
