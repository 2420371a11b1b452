"""Burndown messages at the sizes real releases reach stay within Slack's limits, tokens whole."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from bot.burndown import render
from bot.burndown.models import MeetingSeries, MeetingStatus
from bot.burndown.service import Upcoming
from bot.release.models import Release
from tests.kit.block_rules import check_message
from tests.support.release import mrkdwn_texts, whole_tokens

MEETING = datetime(2030, 1, 7, 18, 0, tzinfo=UTC)


def release() -> Release:
    return Release(id=1, channel_id="C1", name="R&D <beta>", zone="UTC", created_by="U1")


def series(series_id: int = 1) -> MeetingSeries:
    return MeetingSeries(
        id=series_id,
        release_id=1,
        channel_id="C1",
        days=0b11111,
        at_time="18:00",
        zone="UTC",
        start_date=date(2030, 1, 1),
        link="https://meet.example/x?a=1&b=2",
        areas="ci\ndocs",
        created_by="U1",
    )


def status(index: int) -> MeetingStatus:
    return MeetingStatus(
        series_id=1,
        occurs_at=MEETING,
        user_id=f"UP{index:07d}",
        area="ci" if index % 2 else "docs",
        colour="red",
        notes=f"<!channel> flaky job {index} & " + "x" * 250,
    )


def test_a_reminder_mentions_every_missing_person_and_counts_statuses_left_out() -> None:
    missing = [f"UM{i:07d}" for i in range(261)]  # 13 roles of 20 people, and a lead
    posted = [status(i) for i in range(200)]
    text, blocks = render.reminder(
        release(),
        series(),
        MEETING,
        sent_at=MEETING - timedelta(minutes=10),
        late_by=None,
        posted=posted,
        missing=missing,
    )
    assert check_message({"text": text, "blocks": blocks}) == []
    texts = mrkdwn_texts(blocks)
    assert all(whole_tokens(t) for t in texts)
    joined = "\n".join(texts)
    assert all(f"<@{user}>" in joined for user in missing)  # everyone is pinged
    assert "Still missing status (261):" in joined
    shown = len(re.findall(r"<@UP\d{7}>", joined))
    more = re.search(r"…and (\d+) more", joined)
    assert more is not None and shown + int(more.group(1)) == 200
    assert "<!channel>" not in joined and "&lt;!channel&gt;" in joined
    assert "<https://meet.example/x?a=1&amp;b=2|Join the meeting>" in joined


def test_a_late_reminder_says_how_late_and_how_long_is_really_left() -> None:
    due = MEETING - timedelta(minutes=10)
    sent = due + timedelta(minutes=2, seconds=5)
    text, blocks = render.reminder(
        release(), series(), MEETING, sent_at=sent, late_by=sent - due, posted=[], missing=[]
    )
    shown = "\n".join(mrkdwn_texts(blocks))
    assert "*Burndown in 7m 55s*" in shown
    assert "sent 2m 05s late" in shown and "(sent 2m 05s late)" in text
    assert "R&amp;D &lt;beta&gt;" in text


def test_skipping_forty_series_lists_what_fits_and_counts_the_rest() -> None:
    items = [Upcoming(release(), series(i), MEETING) for i in range(1, 41)]
    text, blocks = render.skipped(items, "U1")
    assert check_message({"text": text, "blocks": blocks}) == []
    body = mrkdwn_texts(blocks)[0]
    assert whole_tokens(body)
    shown = body.count("(series #")
    more = re.search(r"…and (\d+) more: see `/burndown list`", body)
    assert more is not None and shown + int(more.group(1)) == 40
