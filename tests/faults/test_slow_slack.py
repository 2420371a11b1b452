"""Slack's 3 seconds while its Web API is down or slow: every click is acknowledged in time.

The test Slack answers 500s, refuses connections, or answers only after 10 s. A No-Go
click (which opens a modal), a refused Done click, a Go vote and a command are each
acknowledged within 3 s; the person whose form could not open, and the person refused,
are told so once Slack is back; the log says "Slack unavailable" as a warning, without
a traceback.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import col, select

from bot.checklist.models import ChecklistStep
from bot.gonogo.models import Poll, PollVote
from tests.conftest import RunningBot
from tests.kit.fake_slack import FakeSlack

CHANNEL = "C_SLOW"
LEAD = "U_LEAD"
ACK = 3.0


def set_mode(fake: FakeSlack, mode: str) -> Callable[[], None]:
    """Put the test Slack in the mode; returns what ends it."""
    if mode == "500":
        fake.down(120, status=500)
        return fake.up
    if mode == "refused":
        fake.refuse()
        return fake.accept
    fake.latency = 10.0

    def end() -> None:
        fake.latency = 0.0

    return end


def timed(send: Callable[[], httpx.Response]) -> float:
    started = time.monotonic()
    answer = send()
    took = time.monotonic() - started
    assert answer.status_code == 200
    return took


def setting(bot: RunningBot) -> tuple[Poll, ChecklistStep]:
    slack = bot.slack
    slack.command("/release", "new slow on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL)
    slack.command("/gonogo", "Ship? voters <@U_V1> <@U_V2>", user_id=LEAD, channel_id=CHANNEL)
    slack.command("/checklist", "start slow", user_id=LEAD, channel_id=CHANNEL)
    assert bot.services.sender.flush(timeout=20)
    with bot.services.db.read() as s:
        poll = s.exec(select(Poll)).one()
        step = s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))).first()
    assert poll.message_ts and step is not None
    return poll, step


@pytest.mark.parametrize("mode", ["500", "refused", "slow"])
def test_every_ack_within_3s_while_slack_is_down_or_slow(
    make_bot: Callable[..., RunningBot],
    fake_slack: FakeSlack,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    steps = [{"title": f"Step {n}", "owner": "lead"} for n in range(2)]
    (tmp_path / "slow.yaml").write_text(
        yaml.safe_dump({"name": "slow", "description": "slow", "steps": steps})
    )
    bot = make_bot(templates_dir=tmp_path)
    poll, step = setting(bot)
    poll_value = json.dumps({"p": poll.id})
    stale = json.dumps({"s": step.id, "st": "active", "v": step.activations + 7})
    slack = bot.slack
    end = set_mode(fake_slack, mode)
    took = {
        "no-go": timed(
            lambda: slack.click(
                user_id="U_V1", channel_id=CHANNEL, action_id="gonogo:nogo",
                value=poll_value, message_ts=poll.message_ts,
            )
        ),
        "refused done": timed(
            lambda: slack.click(
                user_id=LEAD, channel_id=CHANNEL, action_id="checklist:done", value=stale
            )
        ),
        "go": timed(
            lambda: slack.click(
                user_id="U_V2", channel_id=CHANNEL, action_id="gonogo:go",
                value=poll_value, message_ts=poll.message_ts,
            )
        ),
        "command": timed(
            lambda: slack.command("/release", "status", user_id=LEAD, channel_id=CHANNEL)
        ),
    }  # fmt: skip
    assert all(seconds < ACK for seconds in took.values()), took
    with bot.services.db.read() as s:
        assert [v.user_id for v in s.exec(select(PollVote))] == ["U_V2"]
    end()

    def told(user: str, words: str) -> bool:
        return any(words in fake_slack.texts_of(c) for c in fake_slack.ephemerals(user))

    fake_slack.wait_for(lambda: told("U_V1", "could not open"), timeout=40)
    fake_slack.wait_for(lambda: told(LEAD, ":warning:"), timeout=40)
    assert any("No-Go" in fake_slack.texts_of(c) for c in fake_slack.ephemerals("U_V1"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("Slack unavailable: views.open: ") for w in warnings), warnings
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
