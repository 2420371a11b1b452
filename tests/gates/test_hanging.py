"""Thirty gates whose CI hangs hold only the gate check workers, never what posts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import col, select

from bot.core.outbox import Message
from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.gates.builders import say
from tests.kit.gate_server import GateServer

OTHER_CHANNEL, ASKER = "C_SHIP", "U_ASKER"
GATES = 30
HANG = 6.0  # the CI server answers long after the gate timeout
TIMEOUT = 2.0


@pytest.fixture
def hanging() -> Iterator[GateServer]:
    with GateServer() as srv:
        srv.set(200, json.dumps({"state": "ok"}), delay=HANG)
        yield srv


@pytest.fixture
def gbot(make_bot: Callable[..., RunningBot]) -> RunningBot:
    return make_bot(gate_allow=("127.0.0.1",), gate_min_interval=0.5, gate_timeout=TIMEOUT)


def unchecked(bot: RunningBot) -> int:
    """How many gates have no result yet."""
    with bot.services.db.read() as s:
        return len(s.exec(select(Gate).where(col(Gate.last_checked_at).is_(None))).all())


def test_hanging_gate_checks_never_delay_another_channels_poll_nor_multiply_requests(
    gbot: RunningBot, hanging: GateServer
) -> None:
    say(gbot, "/release", "new v1.31 on 2027-03-15 10:00 PT")
    say(gbot, "/release", "new v2.0 on 2027-04-15 10:00 PT", channel=OTHER_CHANNEL)
    for n in range(GATES):
        reply = say(gbot, "/gate", f"add ci-{n:02d} {hanging.url(f'/ci/{n}')} every 1h")
        assert "added" in reply, reply
    gbot.fake.wait_for(lambda: hanging.hits() >= 8)  # every check worker is now stuck

    answers = [say(gbot, "/gate", "check", user=ASKER) for _ in range(3)]
    assert answers[-1].startswith(f"All {GATES} gates are being checked already"), answers
    assert all("being checked already" in answer for answer in answers)
    one = say(gbot, "/gate", "check ci-29", user="U_ONE")
    assert one.startswith("`ci-29` is being checked already"), one

    asked = time.monotonic()
    reply = say(gbot, "/gonogo", '"Ship v2.0?" voters <@U_A>', channel=OTHER_CHANNEL)
    assert "voter" in reply, reply
    gbot.fake.wait_for(
        lambda: [c for c in gbot.fake.posts(OTHER_CHANNEL) if "Ship v2.0?" in gbot.fake.texts_of(c)]
    )
    assert time.monotonic() - asked < 3.0

    queued = time.monotonic()
    with gbot.services.db.session() as s:
        gbot.services.outbox.queue(s, Message(key="test:owed", channel=OTHER_CHANNEL, text="owed"))
    gbot.fake.wait_for(lambda: any(c.args["text"] == "owed" for c in gbot.fake.posts()))
    assert time.monotonic() - queued < 3.0
    assert hanging.hits() <= GATES and unchecked(gbot) > 0  # posted while checks still hang

    told = gbot.fake.wait_for(lambda: len(gbot.fake.ephemerals(ASKER)) >= 3 or None, 30)
    assert told
    for result in gbot.fake.ephemerals(ASKER):
        shown = gbot.fake.texts_of(result)
        assert shown.count(":x:") == GATES and shown.count("timed out") == GATES
    single = gbot.fake.wait_for(lambda: gbot.fake.ephemerals("U_ONE"))
    assert gbot.fake.texts_of(single[0]).startswith(":x: `ci-29`: no answer within 2s")
    assert hanging.hits() == GATES  # one request per gate, however often it was asked
