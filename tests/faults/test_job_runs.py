"""A step's job runs once across replicas and across a leader killed mid-dispatch.

The bots are real `releasebot run` processes; GitHub is the local stand-in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select

from bot.checklist.models import Checklist, ChecklistJob, ChecklistStep
from bot.core.db import Database
from tests.conftest import SECRET
from tests.kit.balancer import Balancer
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.github_server import GitHubServer
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

CHANNEL = "C_JOB"
LEAD = "U_LEAD"
REPO, WORKFLOW = "kubernetes/release", "promote.yaml"


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.workflows = {REPO: {WORKFLOW}}
        server.run_name = "Promote {version} [{releasebot_run}]"
        yield server


def job_env(database_url: str, fake: FakeSlack, gh: GitHubServer, tmp_path: Path) -> dict[str, str]:
    templates = tmp_path / "templates"
    templates.mkdir()
    run = {
        "github": {
            "repo": REPO,
            "workflow": WORKFLOW,
            "ref": "main",
            "inputs": {"version": "{release.version}"},
            "correlation": "releasebot_run",
        }
    }
    steps = [
        {"title": "Promote images", "owner": "lead", "run": run},
        {"title": "Announce", "owner": "lead"},
    ]
    body = {"name": "jobs", "description": "job steps", "steps": steps}
    (templates / "jobs.yaml").write_text(yaml.safe_dump(body))
    return {
        **bot_env(database_url, fake),
        "RELEASEBOT_TEMPLATES_DIR": str(templates),
        "RELEASEBOT_GITHUB_API": gh.api,
        "RELEASEBOT_GATE_ALLOW": "127.0.0.1",
        "RELEASEBOT_GATE_SECRETS": "GITHUB_TOKEN@127.0.0.1",
        "GITHUB_TOKEN": "ghp_for_the_stand_in",
        "RELEASEBOT_GATE_TIMEOUT_SECONDS": "2",
        "RELEASEBOT_JOB_POLL_SECONDS": "0.3",
    }


def started(slack: SlackClient, db: Database, fake: FakeSlack) -> tuple[str, str]:
    """A release whose checklist is started; the first step's Run value and the message ts."""
    slack.command(
        "/release", "new v1.33.0 on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL
    )
    said = slack.command("/checklist", "start jobs", user_id=LEAD, channel_id=CHANNEL).json()
    assert "Started" in said["text"], said
    with db.read() as s:
        first = s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))).first()
    assert first is not None
    value = json.dumps({"s": first.id, "st": "active", "v": first.activations})
    return value, fake.wait_for(lambda: message_ts(db), timeout=10)


def message_ts(db: Database) -> str:
    with db.read() as s:
        checklist = s.exec(select(Checklist)).one()
    return checklist.message_ts or ""


def states(db: Database) -> list[str]:
    with db.read() as s:
        return [
            st.state for st in s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position)))
        ]


def press(url: str, value: str) -> int:
    with SlackClient(url, SECRET) as client:
        return client.click(
            user_id=LEAD, channel_id=CHANNEL, action_id="checklist:run", value=value
        ).status_code


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="replicas need PostgreSQL")
def test_run_pressed_many_times_on_two_replicas_dispatches_once(
    database_url: str, fake_slack: FakeSlack, gh: GitHubServer, tmp_path: Path
) -> None:
    env = job_env(database_url, fake_slack, gh, tmp_path)
    db = Database(database_url)
    with BotProcess(env) as one, BotProcess(env) as two, Balancer([one.url, two.url]) as lb:
        value, _ = started(SlackClient(lb.url, SECRET), db, fake_slack)
        with ThreadPoolExecutor(max_workers=12) as pool:
            assert list(pool.map(lambda _: press(lb.url, value), range(12))) == [200] * 12
        fake_slack.wait_for(lambda: states(db) == ["done", "active"], timeout=30)
        assert len(gh.dispatched()) == 1
        with db.read() as s:
            assert len(s.exec(select(ChecklistJob)).all()) == 1
        told = fake_slack.wait_for(  # the eleven answers reach Slack one after another
            lambda: (
                n
                if (
                    n := sum(
                        "already pressed Run" in c.args.get("text", "")
                        for c in fake_slack.ephemerals(LEAD)
                    )
                )
                >= 11
                else 0
            ),
            timeout=30,
        )
        assert told == 11
        assert min(lb.sent) > 0, f"the balancer did not spread the clicks: {lb.sent}"
        assert "Traceback" not in one.log_text() + two.log_text()
    db.dispose()


def test_the_leader_killed_between_dispatch_and_recording_never_dispatches_again(
    database_url: str, fake_slack: FakeSlack, gh: GitHubServer, tmp_path: Path
) -> None:
    env = job_env(database_url, fake_slack, gh, tmp_path)
    db = Database(database_url)
    gh.dispatch_delay = 30.0  # GitHub starts the run; its answer never reaches the bot
    bot = BotProcess(env).start()
    try:
        value, ts = started(SlackClient(bot.url, SECRET), db, fake_slack)
        assert press(bot.url, value) == 200
        fake_slack.wait_for(lambda: len(gh.dispatched()) == 1, timeout=10)
        bot.kill()  # between GitHub taking the dispatch and the bot recording the run
        with db.read() as s:
            assert s.exec(select(ChecklistJob)).one().state == "sending"
        gh.dispatch_delay = 0.0
        bot.start()
        fake_slack.wait_for(lambda: states(db) == ["done", "active"], timeout=30)

        def replied(part: str) -> bool:
            return any(part in str(m.get("text", "")) for m in fake_slack.replies(CHANNEL, ts))

        fake_slack.wait_for(lambda: replied("found among the workflow's runs"), timeout=10)
        fake_slack.wait_for(lambda: replied("done by the job"), timeout=10)
        assert len(gh.dispatched()) == 1
    finally:
        bot.stop()
        db.dispose()
