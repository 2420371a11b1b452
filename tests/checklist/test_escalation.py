"""Overdue steps climb the release's escalation ladder: owners, the role's shadow, the lead;
someone outside working hours is pinged with their local time and the next is asked at once."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.core.models import AuditEvent
from tests.support.checklist import (
    BM,
    LEAD,
    MakeBot,
    answer,
    asleep,
    awake,
    bot_with,
    new_release,
    start,
    steps_of,
    thread,
)
from tests.support.release import mentions_in

SHADOW = "U_SHADOW"
SLOW = [{"title": "Slow build", "owner": "branch-manager", "expected": "1s"}]


def nudges(bot, ts: str) -> list[str]:  # type: ignore[no-untyped-def]
    marks = (":alarm_clock:", ":sos:", ":rotating_light:")
    return [t for t in thread(bot, ts) if t.startswith(marks)]


def escalation(bot, text: str) -> str:  # type: ignore[no-untyped-def]
    return answer(
        bot.slack.command("/release", f"escalation {text}", user_id=LEAD, channel_id="C_CL")
    )


def test_at_night_for_the_owner_the_shadow_is_asked_at_once(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, SLOW)
    asleep(bot, BM)
    awake(bot, SHADOW, LEAD)
    new_release(bot, {"branch-manager": [BM], "branch-manager-shadow": [SHADOW]})
    escalation(bot, "1h")
    ts = start(bot)

    found = bot.fake.wait_for(lambda: nudges(bot, ts), timeout=10)
    assert len(found) == 1
    owners, night, backup, after = found[0].split("\n")
    assert owners.startswith(f":alarm_clock: <@{BM}>: *1. Slow build* has been open for")
    assert re.fullmatch(
        rf":zzz: It is 0[23]:\d\d for <@{BM}>, outside working hours, so I am asking the next "
        r"one now\.",
        night,
    )
    assert backup.startswith(f":sos: <@{SHADOW}>, backup for *branch-manager*: it needs you.")
    assert backup.endswith(f"Owners: <@{BM}>.")
    assert after == "_If it is still open in 1h, I will ask the lead next._"
    assert f"<@{LEAD}>" not in found[0]

    step = steps_of(bot)[0]
    assert step.nudged == 2 and step.nudge_due_at is not None
    assert step.activated_at is not None
    assert step.nudge_due_at - step.activated_at >= timedelta(minutes=59)
    with bot.services.db.read() as s:
        told = s.exec(select(AuditEvent.after).where(AuditEvent.action == "step.nudged")).all()
    assert told == ["owners, backup"]
    time.sleep(1.5)
    assert len(nudges(bot, ts)) == 1  # the lead waits the hour


def test_by_day_each_rung_waits_its_turn_and_the_lead_comes_last(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, SLOW)
    awake(bot, BM, SHADOW, LEAD)
    new_release(bot, {"branch-manager": [BM], "branch-manager-shadow": [SHADOW]})
    escalation(bot, "1s,1s")
    ts = start(bot)

    found = bot.fake.wait_for(lambda: len(nudges(bot, ts)) >= 3 and nudges(bot, ts), timeout=12)
    assert [t.split(" ")[0] for t in found] == [":alarm_clock:", ":sos:", ":rotating_light:"]
    assert f"<@{SHADOW}>" not in found[0] and f"<@{LEAD}>" not in found[1]
    assert found[2].startswith(f":rotating_light: <@{LEAD}>: *1. Slow build* has been open for")
    assert "Zzz" not in "".join(found) and ":zzz:" not in "".join(found)
    time.sleep(1.5)
    assert len(nudges(bot, ts)) == 3
    assert steps_of(bot)[0].nudged == 3 and steps_of(bot)[0].nudge_due_at is None
    posts = [p for p in bot.fake.posts("C_CL") if str(p.args.get("text", "")) in found]
    assert mentions_in(posts).count(f"<@{LEAD}>") == 1
