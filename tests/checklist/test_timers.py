"""The checklist's clock: a step that opens at its time (also across a restart), and nudges.

Timers run on real time, so these steps are due a few seconds from now.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from bot.checklist import ids
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.db import Database
from bot.core.models import AuditEvent
from tests.conftest import SECRET, TOKEN
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.checklist import (
    BM,
    CHANNEL,
    LEAD,
    MakeBot,
    answer,
    audit_actions,
    awake,
    bot_with,
    click,
    new_release,
    start,
    steps_of,
    thread,
    told,
    value_of,
    write_template,
)


def soon(seconds: float) -> tuple[str, str]:
    """(release day for `/release new`, not_before for a template) `seconds` from now, in UTC."""
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"{at:%Y-%m-%d} 00:00 UTC", f"{at:%H:%M:%S} UTC"


def test_a_not_before_step_waits_then_opens_by_itself(make_bot: MakeBot, tmp_path: Path) -> None:
    day, at = soon(3)
    steps = [
        {"title": "Morning build", "owner": "lead"},
        {"title": "Publish", "owner": "branch-manager", "not_before": at},
    ]
    bot = bot_with(make_bot, tmp_path, steps)
    new_release(bot, {"branch-manager": [BM]}, day=day)
    ts = start(bot)
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    publish = steps_of(bot)[1]
    assert publish.state == "waiting"
    early = ids.encode_step(publish.id, "active", 1)
    answer(click(bot, BM, "done", early, ts))
    assert "opens at <!date^" in bot.fake.wait_for(lambda: told(bot, BM))[0]
    assert steps_of(bot)[1].state == "waiting"
    bot.fake.wait_for(
        lambda: [t for t in thread(bot, ts) if "*2. Publish* is next; it opens at" in t]
    )

    bot.fake.wait_for(lambda: steps_of(bot)[1].state == "active", timeout=10)
    opened = steps_of(bot)[1]
    assert opened.activated_at is not None and opened.not_before is not None
    assert opened.activated_at >= opened.not_before
    bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if f"<@{BM}>: you're up" in t])
    time.sleep(1.5)  # several replans later, still opened once and pinged once
    assert len([t for t in thread(bot, ts) if f"<@{BM}>: you're up" in t]) == 1
    assert audit_actions(bot, "step.activated") == ["step.activated"] * 2


def test_an_overdue_step_nudges_its_owners_once_then_the_lead_once(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(
        make_bot, tmp_path, [{"title": "Slow build", "owner": "branch-manager", "expected": "1s"}]
    )
    awake(bot, BM, LEAD)  # inside working hours: each rung waits its turn
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)

    def nudges() -> list[str]:
        return [t for t in thread(bot, ts) if ":alarm_clock:" in t or ":rotating_light:" in t]

    found = bot.fake.wait_for(lambda: len(nudges()) >= 2 and nudges(), timeout=10)
    assert found[0].startswith(f":alarm_clock: <@{BM}>: *1. Slow build*")
    assert found[1].startswith(f":rotating_light: <@{LEAD}>:") and f"Owners: <@{BM}>" in found[1]
    time.sleep(2)
    assert len(nudges()) == 2
    assert steps_of(bot)[0].nudged == 2
    assert audit_actions(bot, "step.nudged") == ["step.nudged"] * 2


def test_a_step_due_while_the_bot_was_down_opens_once_after_restart(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": url,
        "RELEASEBOT_TEMPLATES_DIR": str(directory),
        "RELEASEBOT_REPLAN_SECONDS": "0.5",
        "HOST": "127.0.0.1",
    }
    first = BotProcess(env).start()
    try:
        # templates are read at `/checklist start`, so the step's time counts from here
        day, at = soon(10)  # room for a slow machine to finish the morning and stop the bot
        due = datetime.strptime(f"{day[:10]} {at[:8]}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        steps = [
            {"title": "Morning build", "owner": "lead"},
            {"title": "Afternoon publish", "owner": "branch-manager", "not_before": at},
        ]
        write_template(directory, "t", steps)
        with SlackClient(first.url, SECRET) as slack:
            run_morning(slack, fake_slack, url, day)
    finally:
        first.stop()
    assert datetime.now(UTC) < due, "the first process outlived the step's start; raise soon()"
    db = Database(url)
    try:
        assert state_of(db, 2) == "waiting"
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.5)
        assert state_of(db, 2) == "waiting"  # nobody ran while the bot was down
        second = BotProcess(env).start()
        try:
            fake_slack.wait_for(lambda: state_of(db, 2) == "active", timeout=10)
            fake_slack.wait_for(lambda: pings(fake_slack) == 1)
            time.sleep(1.5)
        finally:
            second.stop()
        assert pings(fake_slack) == 1
        with db.read() as s:
            opened = s.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "step.activated", AuditEvent.subject == "Afternoon publish"
                )
            ).all()
        assert len(opened) == 1 and opened[0].actor == "releasebot"
    finally:
        db.dispose()


def run_morning(slack: SlackClient, fake: FakeSlack, url: str, day: str) -> None:
    """Start the release and its checklist, and finish the morning step."""
    answer(slack.command("/release", f"new v1 on {day}", user_id=LEAD, channel_id=CHANNEL))
    answer(
        slack.command("/release", f"role branch-manager <@{BM}>", user_id=LEAD, channel_id=CHANNEL)
    )
    assert "Started" in answer(
        slack.command("/checklist", "start t", user_id=LEAD, channel_id=CHANNEL)
    )
    db = Database(url)
    try:
        ts = fake.wait_for(lambda: message_ts(db))
        with db.read() as s:
            morning = s.exec(select(ChecklistStep).where(ChecklistStep.position == 1)).one()
        value = ids.encode_step(morning.id, "active", 1)
        resp = slack.click(
            user_id=LEAD, channel_id=CHANNEL, action_id=ids.DONE_ACTION, value=value, message_ts=ts
        )
        assert resp.status_code == 200
        assert state_of(db, 2) == "waiting"
    finally:
        db.dispose()


def message_ts(db: Database) -> str | None:
    with db.read() as s:
        checklist = s.exec(select(Checklist)).first()
    return checklist.message_ts if checklist else None


def state_of(db: Database, position: int) -> str:
    with db.read() as s:
        query = select(ChecklistStep).where(ChecklistStep.position == position)
        return s.exec(query.order_by(col(ChecklistStep.id))).one().state


def pings(fake: FakeSlack) -> int:
    texts = [str(p.args.get("text", "")) for p in fake.posts(CHANNEL)]
    return sum(1 for t in texts if f"<@{BM}>: you're up with *2. Afternoon publish*" in t)
