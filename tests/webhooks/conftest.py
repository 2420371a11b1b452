"""Fixtures of the webhook tests: a receiver on loopback and a bot allowed to reach it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import RunningBot
from tests.kit.webhook_receiver import Receiver
from tests.support.release import CHANNEL, LEAD, answer, new_release

SECRET_SHOWN = re.compile(r"`(whsec_[A-Za-z0-9+/=]+)`")
NUMBER_SHOWN = re.compile(r"Webhook #(\d+) added")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, answering 200 until told otherwise."""
    with Receiver() as found:
        yield found


@pytest.fixture
def hooked(make_bot: Callable[..., RunningBot]) -> RunningBot:
    """A bot with a release in CHANNEL, allowed to reach 127.0.0.1, with a 1 s delivery timeout."""
    bot = make_bot(gate_allow=("127.0.0.1",), gate_timeout=1.0)
    assert "v1.0" in answer(new_release(bot))
    return bot


def add_webhook(bot: RunningBot, url: str, events: str = "") -> tuple[int, str]:
    """LEAD's `/release webhook add URL EVENTS`: the endpoint's number and its secret."""
    reply = answer(
        bot.slack.command(
            "/release", f"webhook add {url} {events}".strip(), user_id=LEAD, channel_id=CHANNEL
        )
    )
    secret, number = SECRET_SHOWN.search(reply), NUMBER_SHOWN.search(reply)
    assert secret and number, reply
    return int(number.group(1)), secret.group(1)


def postpone(bot: RunningBot, day: str, reason: str = "waiting on a fix") -> str:
    """LEAD's `/release postpone DAY -- reason` (the answer)."""
    return answer(
        bot.slack.command(
            "/release", f"postpone {day} 10:00 -- {reason}", user_id=LEAD, channel_id=CHANNEL
        )
    )


def listed(bot: RunningBot, user: str = "U_OTHER") -> str:
    """What `/release webhook list` shows `user` (its text and every block)."""
    resp = bot.slack.command("/release", "webhook list", user_id=user, channel_id=CHANNEL)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return str(body.get("text", "")) + "\n" + str(body.get("blocks", ""))
