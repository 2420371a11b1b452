"""A red gate climbs the release's escalation ladder as an overdue step does: owners, the
holders of ROLE-shadow, then the lead; someone who cannot answer now (outside working hours,
away by their Slack status) is passed at once, and the thread says who was asked and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RunningBot
from tests.gates.builders import BROKEN, CHANNEL, LEAD, OK, OWNER, gate_named, say
from tests.kit.gate_server import GateServer
from tests.support.checklist import asleep, awake, zone_at_hour

SHADOW = "U_SHADOW"


@pytest.fixture
def gbot(make_bot: Callable[..., RunningBot]) -> RunningBot:
    """A bot that may reach 127.0.0.1, with a release whose ci-signal role has a shadow."""
    running = make_bot(gate_allow=("127.0.0.1",), gate_min_interval=0.5, gate_timeout=1.0)
    assert "lead" in say(running, "/release", "new v1.31 on 2027-03-15 10:00 PT")
    say(running, "/release", f"role ci-signal <@{OWNER}>")
    say(running, "/release", f"role ci-signal-shadow <@{SHADOW}>")
    return running


def thread_of_alert(bot: RunningBot) -> list[dict[str, Any]]:
    gate = gate_named(bot, "ci")
    if gate is None or not gate.alert_ts:
        return []
    return bot.fake.replies(CHANNEL, gate.alert_ts)


def asked_in_thread(bot: RunningBot, who: str) -> str:
    """The thread reply that asks `who` about the red gate (waits for it)."""
    found = bot.fake.wait_for(
        lambda: [bot.fake.texts_of(m) for m in thread_of_alert(bot) if f"<@{who}>," in str(m)],
        timeout=10,
    )
    return found[0]


def turn_red(bot: RunningBot, server: GateServer) -> None:
    server.set(500, BROKEN)
    reply = say(bot, "/gate", f"add ci <{server.url('/health')}> owner ci-signal every 1s after 1")
    assert "Gate `ci` added" in reply
    bot.fake.wait_for(lambda: (g := gate_named(bot, "ci")) and g.alert_ts)


@pytest.mark.parametrize(
    ("owner_profile", "why"),
    [
        # profiles are built when the test runs: a zone chosen at collection is an hour off
        # by the time a long run reaches the test
        (lambda: {"tz": zone_at_hour(3)}, f"<@{OWNER}> is outside working hours (03:"),
        (
            lambda: {
                "tz": zone_at_hour(12),
                "status_emoji": ":palm_tree:",
                "status_text": "Vacationing",
            },
            f"<@{OWNER}> is away (Vacationing)",
        ),
    ],
    ids=["asleep", "on vacation"],
)
def test_owners_who_cannot_answer_pass_the_red_gate_to_the_shadow_at_once(
    gbot: RunningBot,
    server: GateServer,
    owner_profile: Callable[[], dict[str, Any]],
    why: str,
) -> None:
    gbot.fake.users[OWNER] = owner_profile()
    awake(gbot, SHADOW, LEAD)
    turn_red(gbot, server)
    alert = gbot.fake.wait_for(
        lambda: [p for p in gbot.fake.posts(CHANNEL) if "is failing" in str(p)]
    )
    assert f"<@{OWNER}>" in gbot.fake.texts_of(alert[0].args)  # the owners hear it first

    asked = asked_in_thread(gbot, SHADOW)
    assert why in asked, asked
    assert f"so I am asking the backup (<@{SHADOW}>)" in asked
    assert f"<@{SHADOW}>, backup for *ci-signal*: `ci` just turned failing" in asked
    assert f"I will ask the lead (<@{LEAD}>)" in asked  # and what comes next
    assert f"<@{LEAD}>:" not in asked  # the shadow can answer: the lead waits
    server.set(200, OK)


def test_owners_who_can_answer_are_given_the_wait_before_the_shadow_is_asked(
    gbot: RunningBot, server: GateServer
) -> None:
    awake(gbot, OWNER, SHADOW, LEAD)
    # The wait counts from the turn to red; the alert itself may take a few seconds to be
    # posted behind the channel's earlier announcements (about one post a second).
    say(gbot, "/release", "escalation 8s,1h")
    turn_red(gbot, server)
    gate = gate_named(gbot, "ci")
    assert gate is not None and gate.rungs_told == 1
    asked = asked_in_thread(gbot, SHADOW)
    assert f"No answer from <@{OWNER}> in 8s, so I am asking the backup (<@{SHADOW}>)" in asked
    red_for = (gate_named(gbot, "ci") or gate).rung_due_at
    assert red_for is not None  # the lead is next, after the shadow's wait
    assert [m for m in thread_of_alert(gbot) if f"<@{LEAD}>:" in str(m)] == []
    server.set(200, OK)


def test_nobody_awake_climbs_to_the_lead_at_once_and_says_why_for_each(
    gbot: RunningBot, server: GateServer
) -> None:
    asleep(gbot, OWNER, SHADOW, LEAD)
    turn_red(gbot, server)
    found = gbot.fake.wait_for(
        lambda: [
            gbot.fake.texts_of(m) for m in thread_of_alert(gbot) if "pulling you in" in str(m)
        ],
        timeout=10,
    )
    text = found[0]
    assert f"<@{OWNER}> is outside working hours" in text
    assert f"<@{SHADOW}> is outside working hours" in text
    assert text.index(f"<@{SHADOW}>, backup") < text.index(f"<@{LEAD}>: `ci`")
    assert "there is nobody after them to ask" in text
    server.set(200, OK)
