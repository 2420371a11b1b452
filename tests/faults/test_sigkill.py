"""SIGKILL in the middle of release day, then a restart: state intact, nothing repeated."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlmodel import col, select

from bot.checklist.models import ChecklistStep
from bot.core.db import Database
from bot.gonogo.models import Poll
from tests.conftest import SECRET
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

CHANNEL = "C_KILL"
LEAD = "U_LEAD"


def steps(db: Database) -> list[ChecklistStep]:
    with db.read() as s:
        return list(s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))))


def done(slack: SlackClient, step: ChecklistStep) -> int:
    value = json.dumps({"s": step.id, "st": "active", "v": step.activations})
    return slack.click(
        user_id=LEAD, channel_id=CHANNEL, action_id="checklist:done", value=value
    ).status_code


def test_sigkill_mid_release_and_restart(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    body = {
        "name": "k",
        "description": "kill test",
        "steps": [{"title": f"Step {n}", "owner": "lead"} for n in range(3)],
    }
    (templates / "k.yaml").write_text(yaml.safe_dump(body))
    env = {**bot_env(database_url, fake_slack), "RELEASEBOT_TEMPLATES_DIR": str(templates)}
    db = Database(database_url)
    proc = BotProcess(env).start()
    slack = SlackClient(proc.url, SECRET)
    slack.command("/release", "new k on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL)
    slack.command("/checklist", "start k", user_id=LEAD, channel_id=CHANNEL)
    slack.command("/gonogo", "Ship? voters <@U_V1> <@U_V2>", user_id=LEAD, channel_id=CHANNEL)
    assert done(slack, steps(db)[0]) == 200
    fake_slack.wait_for(
        lambda: any(
            "Step 1" in fake_slack.texts_of(c) and "up" in fake_slack.texts_of(c)
            for c in fake_slack.posts(CHANNEL)
        )
    )
    slack.close()
    proc.kill()

    before_restart = len(fake_slack.calls)
    proc.start()
    slack = SlackClient(proc.url, SECRET)
    assert [s.state for s in steps(db)] == ["done", "active", "pending"]
    with db.read() as s:
        poll = s.exec(select(Poll)).one()
    assert poll.state == "open"
    # the walk goes on where it stopped
    assert done(slack, steps(db)[1]) == 200
    assert [s.state for s in steps(db)] == ["done", "done", "active"]
    vote = slack.click(
        user_id="U_V1",
        channel_id=CHANNEL,
        action_id="gonogo:go",
        value=json.dumps({"p": poll.id}),
        message_ts=poll.message_ts,
    )
    assert vote.status_code == 200
    # nothing that happened before the kill is announced again
    fake_slack.wait_for(lambda: len(fake_slack.calls) > before_restart)
    again = [
        c
        for c in fake_slack.calls[before_restart:]
        if c.method == "chat.postMessage"
        and "Step 1" in fake_slack.texts_of(c)
        and "up" in fake_slack.texts_of(c)
    ]
    assert again == []
    slack.close()
    assert proc.stop() == 0
    db.dispose()
