"""Two `releasebot run` replicas on one Postgres behind one URL behave exactly as one.

Reminders across replicas (and a killed leader) are covered in tests/e2e/test_replicas.py;
this file covers checklist clicks and votes arriving at both replicas at once.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, func, select

from bot.checklist.models import ChecklistStep
from bot.core.db import Database
from bot.core.models import AuditEvent
from bot.gonogo.models import Poll, PollVote
from tests.conftest import SECRET
from tests.kit.balancer import Balancer
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="several replicas need PostgreSQL"
)
CHANNEL = "C_REP"
LEAD = "U_LEAD"
VOTERS = [f"U_V{i:02d}" for i in range(20)]


def test_clicks_and_votes_through_two_replicas(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    steps = [{"title": f"Step {n}", "owner": "lead"} for n in range(3)]
    body = {"name": "rep", "description": "replicas", "steps": steps}
    (templates / "rep.yaml").write_text(yaml.safe_dump(body))
    env = {**bot_env(database_url, fake_slack), "RELEASEBOT_TEMPLATES_DIR": str(templates)}
    db = Database(database_url)
    with BotProcess(env) as one, BotProcess(env) as two, Balancer([one.url, two.url]) as lb:
        slack = SlackClient(lb.url, SECRET)
        slack.command(
            "/release", "new rep on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL
        )
        assert (
            "Started"
            in slack.command("/checklist", "start rep", user_id=LEAD, channel_id=CHANNEL).json()[
                "text"
            ]
        )

        # 20 simultaneous Done clicks on the first step, spread over both replicas
        with db.read() as s:
            first = s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))).first()
        assert first is not None
        value = json.dumps({"s": first.id, "st": "active", "v": first.activations})

        def done(_: int) -> int:
            with SlackClient(lb.url, SECRET) as client:
                return client.click(
                    user_id=LEAD, channel_id=CHANNEL, action_id="checklist:done", value=value
                ).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert list(pool.map(done, range(20))) == [200] * 20
        with db.read() as s:
            states = [
                st.state
                for st in s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position)))
            ]
            dones = s.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action.startswith("step."),
                    AuditEvent.after == "done",  # type: ignore[attr-defined]
                )
            ).one()
        assert states == ["done", "active", "pending"]
        assert dones == 1

        # a poll whose 20 voters click Go at once through both replicas
        mentions = " ".join(f"<@{u}>" for u in VOTERS)
        slack.command("/gonogo", f"Ship? voters {mentions}", user_id=LEAD, channel_id=CHANNEL)
        with db.read() as s:
            poll = s.exec(select(Poll)).one()

        def vote(user: str) -> int:
            with SlackClient(lb.url, SECRET) as client:
                return client.click(
                    user_id=user,
                    channel_id=CHANNEL,
                    action_id="gonogo:go",
                    value=json.dumps({"p": poll.id}),
                    message_ts=poll.message_ts,
                ).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert list(pool.map(vote, VOTERS)) == [200] * 20
        with db.read() as s:
            stored = s.exec(select(func.count()).select_from(PollVote)).one()
            closed = s.exec(select(Poll)).one()
            results = s.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "poll.closed")
            ).one()
        assert stored == 20
        assert closed.outcome == "GO" and results == 1
        assert min(lb.sent) > 10, f"the balancer did not spread the load: {lb.sent}"
        assert "Traceback" not in one.log_text() + two.log_text()
    db.dispose()
