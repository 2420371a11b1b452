"""App Home shows a member of a user group what waits on the group: its steps, its red gates,
the votes asked of it, each marked "for @group"; and a change made anywhere refreshes it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.home.test_home import home_text, open_home
from tests.support.checklist import CHANNEL, LEAD, MakeBot, answer, bot_with, new_release, start
from tests.support.release import group_mention

BMS = "S_BMS"
MEMBER = "U_BM_MEMBER"
STEPS = [{"title": "Mock build", "owner": "branch-manager"}, {"title": "Ship", "owner": "lead"}]


def say(bot: RunningBot, cmd: str, text: str) -> str:
    return answer(bot.slack.command(cmd, text, user_id=LEAD, channel_id=CHANNEL))


def published_for(bot: RunningBot, user: str) -> int:
    return len([c for c in bot.fake.calls_of("views.publish") if c.args["user_id"] == user])


def test_a_group_members_home_shows_the_groups_step_gate_and_vote(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    bot.fake.usergroups[BMS] = [MEMBER, "U_OTHER_BM"]
    new_release(bot, {})
    say(bot, "/release", f"role branch-manager {group_mention(BMS, 'bms')}")
    open_home(bot, MEMBER, "EvG1")
    first = home_text(bot, MEMBER)
    assert "Nothing waits on you right now" in first

    start(bot)
    say(bot, "/gonogo", f"Ship it? voters {group_mention(BMS, 'bms')}")
    say(bot, "/gate", "manual builds-green owner branch-manager")
    with bot.services.db.read() as s:
        gate = s.exec(select(Gate)).one()
    ts = bot.fake.wait_for(lambda: (g := _gate(bot)) and g.message_ts)
    value = json.dumps({"g": gate.id, "v": gate.version, "to": "fail"})
    bot.slack.click(
        user_id=LEAD, channel_id=CHANNEL, action_id="gate:set:fail", value=value, message_ts=ts
    )

    def shown() -> str | None:  # refreshed by the changes alone: no new open of Home
        text = bot.fake.texts_of(bot.fake.home(MEMBER) or {})
        wanted = ("Your step:", "Your gate is red", "Your vote is missing")
        return text if all(w in text for w in wanted) else None

    text = bot.fake.wait_for(shown, timeout=10)
    mark = f"_for <!subteam^{BMS}>_"
    assert f"Mock build (branch-manager) {mark}" in text
    assert "builds-green" in text and text.count(mark) == 3, text
    outsider = "U_OUTSIDER"
    open_home(bot, outsider, "EvG2")
    assert "Nothing waits on you right now" in home_text(bot, outsider)


def _gate(bot: RunningBot) -> Gate | None:
    with bot.services.db.read() as s:
        return s.exec(select(Gate)).first()
