"""Planning meetings: the Kubernetes cadence (moved by postpone) and timezone-fair suggestions."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlmodel import select

from bot.burndown.models import MeetingSeries
from bot.core.models import AuditEvent
from tests.conftest import RunningBot
from tests.support.burndown import CHANNEL, FROZEN, LEAD, burndown, start_release
from tests.support.release import answer, mrkdwn_of


def active(bot: RunningBot) -> dict[str, MeetingSeries]:
    with bot.services.db.read() as s:
        rows = s.exec(select(MeetingSeries).where(MeetingSeries.state == "active"))
        return {row.piece or "": row for row in rows}


def test_cadence_is_laid_out_and_moves_with_release_day(bot: RunningBot) -> None:
    bot.freeze(FROZEN)
    start_release(bot, day="2030-03-12 10:00 PT")  # a Tuesday
    reply = burndown(bot, "cadence kubernetes areas ci,docs")
    assert "Laid out 3 series" in reply
    pieces = active(bot)
    assert pieces["daily"].start_date == date(2030, 3, 4)
    assert pieces["daily"].end_date == date(2030, 3, 15)
    assert pieces["mwf"].start_date == date(2030, 2, 18)
    assert (pieces["daily"].at_time, pieces["daily"].zone) == ("10:00", "America/Los_Angeles")
    post = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if "cadence" in mrkdwn_of(c)]
    )
    assert "Mon/Wed/Fri" in mrkdwn_of(post[0]) and "every weekday" in mrkdwn_of(post[0])

    reply = answer(
        bot.slack.command(
            "/release", "postpone 2030-03-19 -- arm64 CI", user_id=LEAD, channel_id=CHANNEL
        )
    )
    assert "Release day" in reply
    moved = active(bot)
    assert moved["daily"].id == pieces["daily"].id
    assert (moved["daily"].start_date, moved["daily"].end_date) == (
        date(2030, 3, 11),
        date(2030, 3, 22),
    )
    announcement = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if "moved with it" in mrkdwn_of(c)]
    )
    assert f"#{moved['daily'].id} every weekday now" in mrkdwn_of(announcement[0])
    with bot.services.db.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent))]
    assert actions.count("burndown.moved") == 3


def test_cadence_at_another_time_and_weekly_day(bot: RunningBot) -> None:
    bot.freeze(FROZEN)
    start_release(bot, day="2030-03-12 10:00 PT")
    burndown(bot, "cadence kubernetes 16:00 Europe/Berlin weekly thu")
    pieces = active(bot)
    assert pieces["weekly"].days == 1 << 3
    assert (pieces["mwf"].at_time, pieces["mwf"].zone) == ("16:00", "Europe/Berlin")
    again = burndown(bot, "cadence kubernetes")
    assert "Laid out 3 series" in again
    assert len(active(bot)) == 3  # the earlier cadence was replaced, not doubled


def test_suggest_reads_every_member_and_proposes_a_pair(bot: RunningBot) -> None:
    start_release(bot)
    bot.fake.users.update(
        {
            "U_LA": {"tz": "America/Los_Angeles"},
            "U_BER": {"tz": "Europe/Berlin"},
            "U_BLR": {"tz": "Asia/Kolkata"},
        }
    )
    extra = [f"U_EU{i}" for i in range(230)]  # more than one page of members
    for user in extra:
        bot.fake.users[user] = {"tz": "Europe/Berlin"}
    bot.fake.channel_members[CHANNEL] = ["U_LA", "U_BER", "U_BLR", "UBOT", *extra]
    reply = burndown(bot, "suggest 30m", user="U_LA")
    assert "Reading" in reply
    found = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_LA"), timeout=10)
    text = mrkdwn_of(found[-1])
    assert "233 members" in text  # the bot itself does not count
    assert "No single time reaches everyone" in text
    assert "together they reach *233/233*" in text
    assert "America 1/1" in text and "Asia 0/1" in text and "Europe 231/231" in text
    assert "<!date^" in text and " UTC on " in text
    assert len(bot.fake.calls_of("conversations.members")) == 2


def test_suggest_reads_zones_in_one_users_list_pass_and_skips_bots(bot: RunningBot) -> None:
    start_release(bot)
    bot.fake.users.update(
        {
            "U_LA": {"tz": "America/Los_Angeles"},
            "U_BER": {"tz": "Europe/Berlin"},
            "U_GONE": {"tz": "Asia/Tokyo", "deleted": True},
            "U_APP": {"tz": "Asia/Tokyo", "is_bot": True},
        }
    )
    bot.fake.channel_members[CHANNEL] = ["U_LA", "U_BER", "U_GONE", "U_APP", "UBOT"]
    lookups = len(bot.fake.calls_of("users.info"))
    burndown(bot, "suggest", user="U_LA")
    found = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_LA"), timeout=10)
    text = mrkdwn_of(found[-1])
    assert "the 2 members of this channel" in text
    assert "Asia" not in text  # a deactivated account and an app are nobody to meet
    assert "without a known timezone" not in text
    assert len(bot.fake.calls_of("users.list")) == 1
    assert len(bot.fake.calls_of("users.info")) == lookups


def test_suggest_still_answers_when_slack_rate_limits_users_list(bot: RunningBot) -> None:
    start_release(bot)
    bot.fake.users.update({"U_LA": {"tz": "America/Los_Angeles"}, "U_BER": {"tz": "Europe/Berlin"}})
    bot.fake.channel_members[CHANNEL] = ["U_LA", "U_BER", "UBOT"]
    bot.fake.fail("users.list", 429, retry_after=30)
    started = time.monotonic()
    burndown(bot, "suggest 45m", user="U_LA")
    found = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_LA"), timeout=10)
    assert time.monotonic() - started < 10  # not waiting out Slack's Retry-After
    text = mrkdwn_of(found[-1])
    assert "2 members without a known timezone" in text
    assert len(bot.fake.failed_calls) == 1 and bot.fake.failed_calls[0].method == "users.list"


def test_help_documents_the_options(bot: RunningBot) -> None:
    text = burndown(bot, "help")
    for word in ("remind", "link", "areas", "status", "cadence kubernetes", "suggest", "skip"):
        assert word in text


def test_schedule_uses_the_callers_timezone(bot: RunningBot) -> None:
    bot.freeze(FROZEN)
    bot.fake.users[LEAD] = {"tz": "Australia/Sydney"}
    start_release(bot)
    burndown(bot, "schedule weekdays 9am from 2030-06-03")
    series = next(iter(active(bot).values()))
    assert series.zone == "Australia/Sydney"
    nxt = burndown(bot, "next")
    # 09:00 AEST on Monday 3 June 2030 is 23:00 UTC on Sunday
    assert f"<!date^{int(datetime(2030, 6, 2, 23, 0, tzinfo=UTC).timestamp())}^" in nxt
