"""The database restarted under load: no acknowledged change lost, the bot heals by itself."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlmodel import select

from bot.core.db import Database
from bot.core.models import AuditEvent
from tests.conftest import SECRET
from tests.kit import private_postgres
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env

pytestmark = pytest.mark.skipif(
    not private_postgres.available(), reason="PostgreSQL server binaries are not installed"
)


def test_database_restart_under_load(fake_slack: FakeSlack) -> None:
    with private_postgres.PrivatePostgres() as pg, BotProcess(bot_env(pg.url, fake_slack)) as proc:
        slack = SlackClient(proc.url, SECRET)
        created = slack.command(
            "/release", "new v1 on 2027-03-15 10:00 PT", user_id="U_L", channel_id="C1"
        )
        assert "v1" in created.json()["text"]
        answers: list[tuple[str, int, str]] = []
        health: list[int] = []
        done = threading.Event()

        def load() -> None:
            client = SlackClient(proc.url, SECRET)
            for i in range(60):
                user = f"U_{i:03d}"
                resp = client.command(
                    "/release", f"role docs <@{user}>", user_id="U_L", channel_id="C1"
                )
                answers.append((user, resp.status_code, resp.text))
                time.sleep(0.05)

        def watch() -> None:
            while not done.is_set():
                try:
                    health.append(httpx.get(proc.url + "/healthz", timeout=2).status_code)
                except httpx.HTTPError:
                    health.append(0)
                time.sleep(0.05)

        workers = [threading.Thread(target=load), threading.Thread(target=watch)]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        pg.stop()
        time.sleep(1.5)
        pg.start()
        workers[0].join(timeout=60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and httpx.get(proc.url + "/healthz").status_code != 200:
            time.sleep(0.1)
        done.set()
        workers[1].join(timeout=5)

        assert 503 in health, "/healthz never reported the database outage"
        assert httpx.get(proc.url + "/healthz").status_code == 200
        assert all(status == 200 for _, status, _ in answers)
        assert not any("Traceback" in text for _, _, text in answers)
        acknowledged = {user for user, _, text in answers if f"<@{user}>" in text}
        refused = {user for user, _, text in answers if "not carried out" in text}
        assert acknowledged | refused == {user for user, _, _ in answers}
        db = Database(pg.url)
        with db.read() as s:
            events = s.exec(select(AuditEvent).where(AuditEvent.action == "role.assigned")).all()
        db.dispose()
        stored = {event.after for event in events}
        assert stored == acknowledged, (
            "an acknowledged change was lost or an unacknowledged one kept"
        )
        later = slack.command("/release", "role docs <@U_AFTER>", user_id="U_L", channel_id="C1")
        assert "<@U_AFTER>" in later.json()["text"]
        assert proc.stop() == 0
