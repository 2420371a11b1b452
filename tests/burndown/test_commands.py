"""/burndown driven through the HTTP endpoint: series, reminders on time, status, cadence."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.burndown import service as meetings
from bot.burndown.models import MeetingDelivery, MeetingSeries
from bot.core.models import AuditEvent
from bot.release import service as releases
from tests.conftest import RunningBot
from tests.support.burndown import (
    CHANNEL,
    FROZEN,
    LEAD,
    burndown,
    late_by,
    reminder_plan,
    reminders_of,
    start_release,
)
from tests.support.release import answer, mrkdwn_of

UTC_ZONE = ZoneInfo("UTC")


def schedule_text(meeting: datetime, offsets: list[int], extra: str = "") -> str:
    remind = ",".join(f"{o}s" for o in offsets)
    return f"schedule daily {meeting:%H:%M} UTC remind {remind} {extra}".strip()


def count(bot: RunningBot, model: type) -> int:
    with bot.services.db.read() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_schedule_announces_and_lists_with_local_time_tokens(bot: RunningBot) -> None:
    bot.freeze(FROZEN)
    start_release(bot)
    reply = burndown(
        bot,
        "schedule mon,wed,fri 10:00 America/Los_Angeles from 2030-03-04 until 2030-03-29 "
        "remind 60m,10m link <https://meet.example/burn|meet> areas ci,docs status 24h",
    )
    assert "#1" in reply and "Mon, Wed, Fri at 10:00 America/Los_Angeles" in reply
    post = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(CHANNEL) if "series" in mrkdwn_of(c)]
    )
    # 2030-03-04 10:00 PST is 18:00 UTC
    first = int(datetime(2030, 3, 4, 18, 0, tzinfo=UTC).timestamp())
    assert f"<!date^{first}^" in mrkdwn_of(post[0])
    listed = burndown(bot, "list", user="U_ANYONE")
    assert "*#1*" in listed and f"<!date^{first}^" in listed
    assert "<https://meet.example/burn|Join the meeting>" in listed
    assert "areas: ci, docs" in listed and "reminders 1h, 10m before" in listed
    nxt = burndown(bot, "next", user="U_ANYONE")
    assert f"<!date^{first}^" in nxt and "2030-03-04 18:00 UTC" in nxt
    status = bot.slack.command("/release", "status", user_id="U_ANYONE", channel_id=CHANNEL)
    assert f"<!date^{first}^" in json.dumps(status.json())
    with bot.services.db.read() as s:
        assert [e.action for e in s.exec(select(AuditEvent))][-1] == "burndown.scheduled"


def test_daylight_saving_moves_the_utc_instant_not_the_local_time(bot: RunningBot) -> None:
    bot.freeze(FROZEN)
    start_release(bot)
    burndown(bot, "schedule mon 10:00 PT from 2030-03-04 until 2030-03-11")
    burndown(bot, "skip 2030-03-04")
    nxt = burndown(bot, "next")
    # after the US spring change (2030-03-10) 10:00 PDT is 17:00 UTC
    assert "2030-03-11 17:00 UTC" in nxt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schedule", "which days"),
        ("schedule someday 10:00", "not a set of days"),
        ("schedule mon 27:99", "27:99"),
        ("schedule mon 10:00 IST", "Asia/Kolkata"),
        ("schedule mon 10:00 UTC remind soon", "not a duration"),
        ("schedule mon 10:00 UTC remind 9d", "7 days"),
        ("schedule mon 10:00 UTC link javascript:alert(1)", "not a web link"),
        ("schedule mon 10:00 UTC colour red", "The options are"),
        ("schedule mon 10:00 UTC from 2030-03-10 until 2030-03-01", "comes before"),
        ("schedule mon 10:00 UTC until 2020-01-01", "comes before"),
        ("schedule mon 10:00 UTC from 9999-12-30", "three years"),
        ("cancel x", "not a series number"),
        ("cancel 99", "no active series #99"),
        ("skip 2030-13-01", "not a real date"),
        ("cadence scrum", "not a cadence I know"),
        ("suggest 9h", "4 hours"),
    ],
)
def test_bad_input_is_answered_and_changes_nothing(
    bot: RunningBot, text: str, expected: str
) -> None:
    start_release(bot)
    reply = burndown(bot, text)
    assert expected in reply and "Traceback" not in reply
    assert count(bot, MeetingSeries) == 0


def test_only_a_lead_schedules_skips_and_cancels_and_a_release_is_needed(bot: RunningBot) -> None:
    assert "no active release" in burndown(bot, "schedule mon 10:00 UTC")
    start_release(bot)
    assert "Only a lead" in burndown(bot, "schedule mon 10:00 UTC", user="U_X")
    burndown(bot, "schedule mon 10:00 UTC")
    assert "Only a lead" in burndown(bot, "cancel 1", user="U_X")
    assert "Only a lead" in burndown(bot, "skip mon", user="U_X")
    assert "Only a lead" in burndown(bot, "cadence kubernetes", user="U_X")
    assert "Cancelled series #1" in burndown(bot, "cancel 1", user="U_ADMIN")
    assert "no active series #1" in burndown(bot, "cancel 1")


def test_a_reminder_fires_within_two_seconds_of_its_due_time(bot: RunningBot) -> None:
    start_release(bot)
    answer(
        bot.slack.command("/release", "role ci-signal <@U_CI>", user_id=LEAD, channel_id=CHANNEL)
    )
    meeting, offsets = reminder_plan(4.0)
    reply = burndown(
        bot, schedule_text(meeting, offsets, "link https://meet.example/x areas ci,docs")
    )
    assert "Scheduled" in reply
    due = meeting.timestamp() - offsets[0]
    posts = bot.fake.wait_for(lambda: reminders_of(bot.fake, CHANNEL, meeting), timeout=10)
    lag = posts[0].at - due
    assert 0 <= lag < 2.0, f"reminder posted {lag:.2f}s after its due time"
    text = mrkdwn_of(posts[0])
    assert "<https://meet.example/x|Join the meeting>" in text
    assert "*Areas:* ci, docs" in text
    assert "<@U_CI>" in text and f"<@{LEAD}>" in text  # nobody posted status yet
    assert "late" not in text
    time.sleep(1.5)  # several replans later it is still there once
    assert len(reminders_of(bot.fake, CHANNEL, meeting)) == 1


def test_skipped_and_cancelled_meetings_get_no_reminder(bot: RunningBot) -> None:
    start_release(bot)
    meeting, offsets = reminder_plan(3.0)
    burndown(bot, schedule_text(meeting, offsets))
    burndown(bot, schedule_text(meeting, offsets))
    day = meeting.date().isoformat()
    assert "Skipped 1 meeting" in burndown(bot, f"skip {day} 1")
    assert "Cancelled series #2" in burndown(bot, "cancel 2")
    time.sleep(4.5)
    assert reminders_of(bot.fake, CHANNEL, meeting) == []
    with bot.services.db.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent))]
    assert "burndown.skipped" in actions and "burndown.cancelled" in actions


def test_missed_reminder_is_sent_late_once_and_a_started_meetings_is_dropped(
    bot: RunningBot,
) -> None:
    """The database as the bot finds it after being down: work due, never claimed."""
    now = time.time()
    started = math.floor(now / 60) * 60  # a meeting that began up to a minute ago
    ahead = math.ceil((now + 10) / 60) * 60  # one that has not started yet
    past = datetime.fromtimestamp(started - 90, UTC)
    with bot.services.db.session() as s:
        release = releases.create_release(
            s, channel_id=CHANNEL, name="v1", release_at=None, zone=UTC_ZONE, actor=LEAD, now=past
        )
        for instant, offset in ((started, 60), (ahead, round(ahead - (now - 20)))):
            at = datetime.fromtimestamp(instant, UTC)
            spec = meetings.SeriesSpec(
                days=0b1111111,
                at=clock(at.hour, at.minute),
                zone=UTC_ZONE,
                start=at.date(),
                remind=(offset,),
                status_lead=None,
            )
            meetings.create_series(s, release, spec, actor=LEAD, now=past)
    bot.services.scheduler.poke()
    late = bot.fake.wait_for(
        lambda: reminders_of(bot.fake, CHANNEL, datetime.fromtimestamp(ahead, UTC)), timeout=5
    )
    lag = late_by(late[0])
    assert lag is not None and 18 <= lag <= 25, mrkdwn_of(late[0])
    time.sleep(1.5)
    assert len(reminders_of(bot.fake, CHANNEL, datetime.fromtimestamp(ahead, UTC))) == 1
    assert reminders_of(bot.fake, CHANNEL, datetime.fromtimestamp(started, UTC)) == []
    with bot.services.db.read() as s:
        rows = list(s.exec(select(MeetingDelivery)))
    assert [(r.late, int(r.occurs_at.timestamp())) for r in rows] == [(True, ahead)]
