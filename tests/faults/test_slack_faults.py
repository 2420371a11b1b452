"""Slack answering 429 and 500: requests are still answered in time, messages arrive once."""

from __future__ import annotations

import time

import pytest

from tests.conftest import RunningBot

NEW = "new v1 on 2027-03-15 10:00 America/Los_Angeles"


@pytest.mark.parametrize(("status", "times"), [(429, 2), (500, 2)])
def test_announcement_arrives_once_despite_slack_errors(
    bot: RunningBot, status: int, times: int
) -> None:
    bot.fake.fail("chat.postMessage", status=status, retry_after=1, times=times)
    started = time.monotonic()
    resp = bot.slack.command("/release", NEW, user_id="U_LEAD", channel_id="C1")
    assert time.monotonic() - started < 1.0, "the command waited for Slack's errors"
    assert resp.status_code == 200 and "v1" in resp.json()["text"]
    bot.fake.wait_for(lambda: bot.fake.posts("C1"), timeout=10)
    time.sleep(0.5)
    assert len(bot.fake.posts("C1")) == 1
    assert len(bot.fake.failed_calls) == times


def test_a_rate_limited_profile_lookup_is_told_not_guessed(bot: RunningBot) -> None:
    bot.fake.fail("users.info", status=429, retry_after=30, times=5)
    started = time.monotonic()
    resp = bot.slack.command(
        "/release", "new v2 on 2027-03-15 10:00", user_id="U_Z", channel_id="C2"
    )
    assert time.monotonic() - started < 3.0
    text = resp.json()["text"]
    assert "timezone" in text and "PT" in text
    # nothing was created on a guess
    again = bot.slack.command("/release", "status", user_id="U_Z", channel_id="C2").json()
    assert "no active release" in again["text"]
