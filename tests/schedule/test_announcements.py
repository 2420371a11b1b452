"""Countdown announcements reach the channel once each, through a restart, over real HTTP.

The running scheduler fires timers on the real clock, so the instants here are anchored a
few hours back from now and the bot's clocks are set to each notice's due time in turn.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.schedule.models import Milestone
from tests.conftest import RunningBot
from tests.schedule.builders import CHANNEL, LEAD, posts_with, say, token
from tests.schedule.conftest import Bots
from tests.support.release import mrkdwn_of


def set_clock(bot: RunningBot, instant: datetime) -> None:
    """Stop the bot's clocks (services, sender, scheduler) at `instant` and replan now."""
    bot.freeze(instant)
    bot.services.scheduler.clock = lambda: instant
    bot.services.scheduler.poke()


def stamp(instant: datetime) -> str:
    return f"{instant:%Y-%m-%d %H:%M} UTC"


def notices(bot: RunningBot, name: str) -> list[str]:
    return [mrkdwn_of(c) for c in posts_with(bot, f":alarm_clock: *{name}*")]


def settle() -> None:
    time.sleep(1.6)  # three replans at 0.5 s, and the sender's polls


def test_countdown_goes_out_once_each_across_a_restart_and_follows_a_move(bots: Bots) -> None:
    real = datetime.now(UTC).replace(second=0, microsecond=0)
    first_due = real - timedelta(hours=3)  # the 2h notice
    freeze = first_due + timedelta(hours=2)  # still ahead at every clock used below
    first = bots.start(clock=first_due - timedelta(minutes=5))
    day = (real + timedelta(days=10)).date()
    assert "lead" in say(first, f"new v2 on {day} 10:00 UTC")
    assert "announced 2h and 1h before" in say(first, "schedule notify 2h,1h")
    say(first, "role branch-manager <@U_BM>")
    answer = say(
        first, f"milestone add Code freeze {stamp(freeze)} owner branch-manager -- Fixes only."
    )
    assert "Added milestone *Code freeze*" in answer

    set_clock(first, first_due)
    (two_hours,) = first.fake.wait_for(lambda: notices(first, "Code freeze"))
    assert "in 2 hours" in two_hours and token(freeze) in two_hours
    assert "<@U_BM>" in two_hours and "Fixes only." in two_hours and "late" not in two_hours
    settle()
    assert len(notices(first, "Code freeze")) == 1

    bots.stop(first)  # the restart: a new bot over the same database
    second = bots.start(clock=first_due + timedelta(seconds=30))
    settle()
    assert len(notices(second, "Code freeze")) == 1  # nothing repeated

    set_clock(second, freeze - timedelta(hours=1))
    second.fake.wait_for(lambda: len(notices(second, "Code freeze")) == 2)
    settle()
    texts = notices(second, "Code freeze")
    assert len(texts) == 2 and "in 1 hour" in texts[1]

    moved_at = freeze - timedelta(minutes=55)
    set_clock(second, moved_at)
    new_freeze = moved_at + timedelta(hours=1, minutes=5)
    reply = say(second, f"milestone move code freeze {stamp(new_freeze)} -- CI is red")
    assert "Moved milestone *Code freeze*" in reply
    moved = second.fake.wait_for(lambda: posts_with(second, "moved milestone *Code freeze*"))
    assert "*Why:* CI is red" in mrkdwn_of(moved[0]) and token(new_freeze) in mrkdwn_of(moved[0])
    with second.services.db.read() as s:
        row = s.exec(select(Milestone)).one()
    assert row.next_notice_at == new_freeze - timedelta(hours=1)  # re-planned for the new date

    set_clock(second, new_freeze - timedelta(hours=1))
    second.fake.wait_for(lambda: len(notices(second, "Code freeze")) == 3)
    settle()
    texts = notices(second, "Code freeze")
    assert len(texts) == 3 and token(new_freeze) in texts[2] and "Moved since" in texts[2]
    assert f"<@{LEAD}>" not in texts[2]  # the owner role is held: its holder is pinged
    assert all(c.args.get("channel") == CHANNEL for c in second.fake.posts(CHANNEL))
