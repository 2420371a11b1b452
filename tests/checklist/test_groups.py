"""Checklist steps owned through a user group: the group is pinged as itself, and whoever is in
it in Slack at the click may act, with no command after a change of the group."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.checklist import (
    LEAD,
    MakeBot,
    answer,
    bot_with,
    click,
    new_release,
    start,
    steps_of,
    thread,
    told,
    value_of,
)
from tests.support.release import group_mention, short_group_cache

BMS = "S_BMS"
STEPS = [
    {"title": "Cut the branch", "owner": "lead"},
    {"title": "Mock build", "owner": "branch-manager"},
    {"title": "Nomock build", "owner": "branch-manager"},
]


def test_a_member_added_to_the_group_in_slack_owns_the_next_step_without_a_command(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    short_group_cache(bot, 0.3)
    bot.fake.usergroups[BMS] = ["U_BM1"]
    new_release(bot, {})
    answer(
        bot.slack.command(
            "/release", f"role branch-manager {group_mention(BMS)}", user_id=LEAD, channel_id="C_CL"
        )
    )
    ts = start(bot)
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    up = bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if "you're up with *2." in t])
    assert up[0].startswith(f":arrow_forward: <!subteam^{BMS}>: you're up")
    assert "<@U_BM1>" not in up[0]

    answer(click(bot, "U_NEW", "done", value_of(steps_of(bot)[1]), ts))
    refusal = bot.fake.wait_for(lambda: told(bot, "U_NEW"))[0]
    assert f"Only *branch-manager* (<!subteam^{BMS}>)" in refusal
    assert steps_of(bot)[1].state == "active"

    answer(click(bot, "U_BM1", "done", value_of(steps_of(bot)[1]), ts))
    assert steps_of(bot)[1].state == "done"
    bot.fake.usergroups[BMS].append("U_NEW")  # joins the group in Slack
    time.sleep(0.4)  # past the (shortened) cache of the group's members
    answer(click(bot, "U_NEW", "done", value_of(steps_of(bot)[2]), ts))
    assert steps_of(bot)[2].state == "done"
    assert steps_of(bot)[2].acted_by == "U_NEW"
