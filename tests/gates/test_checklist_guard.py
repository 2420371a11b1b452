"""A checklist step that names a gate cannot be done while the gate is not green."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import select

from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.kit.gate_server import GateServer
from tests.support.checklist import (
    CHANNEL,
    LEAD,
    answer,
    buttons,
    click,
    new_release,
    start,
    steps_of,
    thread,
    told,
    write_template,
)

OWNER = "U_CI"


def gate_state(bot: RunningBot, name: str) -> str | None:
    with bot.services.db.read() as s:
        found = s.exec(select(Gate).where(Gate.name == name)).first()
    return found.state if found else None


def test_done_is_refused_while_the_gate_is_red_and_allowed_once_green(
    make_bot: Callable[..., RunningBot], tmp_path: Path
) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    steps = [
        {"title": "Mock build", "owner": "lead", "gates": ["ci", "sign-off"]},
        {"title": "Announce", "owner": "lead"},
    ]
    write_template(directory, "t", steps)
    bot = make_bot(templates_dir=directory, gate_allow=("127.0.0.1",))
    with GateServer() as server:
        server.set(503, "down")
        new_release(bot, {})
        line = f"add ci {server.url('/ci')} owner <@{OWNER}> every 1h after 1"
        answer(bot.slack.command("/gate", line, user_id=LEAD, channel_id=CHANNEL))
        answer(bot.slack.command("/gate", "manual sign-off", user_id=LEAD, channel_id=CHANNEL))
        bot.fake.wait_for(lambda: gate_state(bot, "ci") == "failing")
        ts = start(bot)

        answer(click(bot, LEAD, "done", buttons(bot, ts)["checklist:done"], ts))
        refusal = bot.fake.wait_for(lambda: [t for t in told(bot, LEAD) if "not passing" in t])
        assert "*ci*" in refusal[-1] and "*sign-off*" in refusal[-1]
        bot.fake.wait_for(lambda: any(f"<@{OWNER}>" in t for t in thread(bot, ts)))
        assert steps_of(bot)[0].state == "active"

        server.set(200, "{}")
        answer(bot.slack.command("/gate", "check ci", user_id=LEAD, channel_id=CHANNEL))
        bot.fake.wait_for(lambda: gate_state(bot, "ci") == "passing")
        with bot.services.db.read() as s:
            sign_off = s.exec(select(Gate).where(Gate.name == "sign-off")).one()
        value = f'{{"g":{sign_off.id},"v":{sign_off.version},"to":"pass"}}'
        bot.slack.click(
            user_id=LEAD,
            channel_id=CHANNEL,
            action_id="gate:set:pass",
            value=value,
            message_ts=sign_off.message_ts,
        )
        assert gate_state(bot, "sign-off") == "passing"

        answer(click(bot, LEAD, "done", buttons(bot, ts)["checklist:done"], ts))
        assert steps_of(bot)[0].state == "done"
