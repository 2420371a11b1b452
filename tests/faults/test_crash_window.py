"""The crash window: Slack took a message, the bot died before it recorded that.

The real bot is killed with SIGKILL while Slack holds back its answer to a post it has
already accepted. The bot that runs next finds the message where it is (a thread reply in
its thread: `conversations.history` never shows replies) and records it instead of
posting it again. A live message's update repeated after a crash changes nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select

from bot.checklist.models import Checklist, ChecklistStep
from bot.core.db import Database
from bot.core.outbox import PENDING, OutboxRow
from tests.conftest import SECRET
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

CHANNEL = "C_CRASH"
LEAD = "U_LEAD"


@pytest.fixture
def procs() -> Iterator[list[BotProcess]]:
    """Bots started by a test, killed at its end whatever happened."""
    started: list[BotProcess] = []
    yield started
    for proc in started:
        proc.kill()


def start_checklist(database_url: str, fake: FakeSlack, tmp_path: Path) -> BotProcess:
    templates = tmp_path / "templates"
    templates.mkdir()
    body = {
        "name": "crash",
        "description": "crash window",
        "steps": [{"title": f"Step {n}", "owner": "lead"} for n in range(3)],
    }
    (templates / "crash.yaml").write_text(yaml.safe_dump(body))
    env = {**bot_env(database_url, fake), "RELEASEBOT_TEMPLATES_DIR": str(templates)}
    proc = BotProcess(env).start()
    with SlackClient(proc.url, SECRET) as slack:
        slack.command(
            "/release", "new crash on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL
        )
        slack.command("/checklist", "start crash", user_id=LEAD, channel_id=CHANNEL)
    return proc


def board_ts(db: Database, fake: FakeSlack) -> str:
    def posted() -> str | None:
        with db.read() as s:
            return s.exec(select(Checklist.message_ts)).first()

    return fake.wait_for(posted, timeout=10)


def click_done(proc: BotProcess, db: Database, index: int) -> None:
    with db.read() as s:
        steps = list(s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))))
    step = steps[index]
    value = json.dumps({"s": step.id, "st": "active", "v": step.activations})
    with SlackClient(proc.url, SECRET) as slack:
        answer = slack.click(
            user_id=LEAD, channel_id=CHANNEL, action_id="checklist:done", value=value
        )
    assert answer.status_code == 200


def in_thread(fake: FakeSlack, ts: str, words: str) -> list[str]:
    return [fake.texts_of(m) for m in fake.replies(CHANNEL, ts) if words in fake.texts_of(m)]


def test_a_thread_reply_posted_just_before_a_sigkill_appears_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, procs: list[BotProcess]
) -> None:
    db = Database(database_url)
    proc = start_checklist(database_url, fake_slack, tmp_path)
    procs.append(proc)
    ts = board_ts(db, fake_slack)
    fake_slack.wait_for(lambda: in_thread(fake_slack, ts, "Step 0"), timeout=10)
    # Slack accepts the next thread reply, and the bot dies before hearing back.
    fake_slack.stall("chat.postMessage", 60, when=lambda a: a.get("thread_ts") == ts)
    click_done(proc, db, 0)
    fake_slack.wait_for(fake_slack.stalled.is_set, timeout=10)
    held = fake_slack.posts(CHANNEL)[-1]
    key = held.args["metadata"]["event_payload"]["key"]
    proc.kill()
    fake_slack.release()
    with db.read() as s:
        row = s.exec(select(OutboxRow).where(OutboxRow.key == key)).one()
    assert row.state == PENDING and row.ts is None, "the crash window was not hit"

    proc.start()
    fake_slack.wait_for(lambda: in_thread(fake_slack, ts, "Step 1"), timeout=30)
    fake_slack.wait_for(lambda: not pending(db), timeout=15)
    copies = [
        c for c in fake_slack.posts(CHANNEL) if c.args.get("metadata") == held.args["metadata"]
    ]
    assert len(copies) == 1, "the thread reply was posted again after the crash"
    assert fake_slack.calls_of("conversations.replies"), "the thread was not looked up"
    with db.read() as s:
        recorded = s.exec(select(OutboxRow).where(OutboxRow.key == key)).one()
    stored = [
        m for m in fake_slack.replies(CHANNEL, ts) if m.get("metadata") == held.args["metadata"]
    ]
    assert len(stored) == 1
    assert recorded.state == "sent" and recorded.ts == stored[0]["ts"]
    assert proc.stop() == 0
    db.dispose()


def pending(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.exec(select(OutboxRow.key).where(col(OutboxRow.state) == PENDING)))


def test_a_live_message_update_repeated_after_a_sigkill_changes_it_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, procs: list[BotProcess]
) -> None:
    db = Database(database_url)
    proc = start_checklist(database_url, fake_slack, tmp_path)
    procs.append(proc)
    ts = board_ts(db, fake_slack)
    fake_slack.wait_for(lambda: in_thread(fake_slack, ts, "Step 0"), timeout=10)
    # Slack applies the board's update, and the bot dies before hearing back.
    fake_slack.stall("chat.update", 60, when=lambda a: a.get("ts") == ts)
    click_done(proc, db, 0)
    fake_slack.wait_for(fake_slack.stalled.is_set, timeout=10)
    proc.kill()
    fake_slack.release()
    shown = fake_slack.message(CHANNEL, ts)
    assert shown is not None
    posts_before = len([c for c in fake_slack.posts(CHANNEL) if not c.args.get("thread_ts")])

    proc.start()  # the refresh was not recorded as done: it is made again
    fake_slack.wait_for(lambda: len(fake_slack.calls_of("chat.update")) >= 2, timeout=15)
    fake_slack.wait_for(lambda: not pending(db), timeout=15)
    again = fake_slack.message(CHANNEL, ts)
    assert again is not None
    assert again["blocks"] == shown["blocks"], "the repeated update showed something else"
    top_level = [c for c in fake_slack.posts(CHANNEL) if not c.args.get("thread_ts")]
    assert len(top_level) == posts_before, "a repeated update posted a new message"
    assert len(in_thread(fake_slack, ts, "Step 1")) == 1
    assert proc.stop() == 0
    db.dispose()
