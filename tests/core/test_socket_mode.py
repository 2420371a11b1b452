"""`releasebot run` in Socket Mode, end to end: a local Socket Mode server drives the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.core.db import Database
from bot.gonogo.models import Poll
from tests.conftest import SECRET, TOKEN
from tests.kit.bot_process import BotProcess, free_port
from tests.kit.socket_mode import SocketModeServer, SocketModeSlack
from tests.support.process import bot_env

APP_TOKEN = "xapp-1-A0RELEASE-1234-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
LEAD, VOTER, CHANNEL = "U_LEAD", "U_A", "C_REL"


@pytest.fixture
def socket_server() -> Iterator[SocketModeServer]:
    with SocketModeServer() as server:
        yield server


@pytest.fixture
def slack(socket_server: SocketModeServer) -> Iterator[SocketModeSlack]:
    with SocketModeSlack(socket_server) as fake:
        yield fake
        assert fake.errors == [], f"Slack would refuse these payloads: {fake.errors}"


@pytest.fixture
def bot(database_url: str, slack: SocketModeSlack) -> Iterator[BotProcess]:
    env = {**bot_env(database_url, slack), "SLACK_APP_TOKEN": APP_TOKEN}
    env["SLACK_SIGNING_SECRET"] = ""  # Socket Mode needs none
    proc = BotProcess(env)
    yield proc.start()
    proc.stop()


def requests_by_kind(url: str) -> dict[str, float]:
    """releasebot_slack_requests_total summed per kind, parsed as Prometheus parses it."""
    found: dict[str, float] = {}
    text = httpx.get(url + "/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "releasebot_slack_requests_total":
                kind = sample.labels["kind"]
                found[kind] = found.get(kind, 0.0) + sample.value
    return found


def counted_since(url: str, before: dict[str, float], kinds: dict[str, float]) -> dict[str, float]:
    """How many requests of each of `kinds` were counted since `before`."""
    now = requests_by_kind(url)
    return {kind: now.get(kind, 0.0) - before.get(kind, 0.0) for kind in kinds}


def poll_ts(database_url: str) -> str | None:
    """The message ts of the newest poll, once it is posted."""
    db = Database(database_url)
    try:
        with db.read() as session:
            poll = session.exec(select(Poll).order_by(Poll.id.desc())).first()  # type: ignore[union-attr]
    finally:
        db.dispose()
    return poll.message_ts if poll is not None else None


def go_value(slack: SocketModeSlack) -> str:
    """The value of the Go button in the poll message as posted."""
    post = slack.wait_for(
        lambda: [c for c in slack.posts(CHANNEL) if "gonogo:go" in json.dumps(c.args)]
    )[0]
    for block in post.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "gonogo:go":
                return str(element["value"])
    raise AssertionError("no Go button in the poll message")


def test_commands_clicks_and_home_over_socket_mode_through_a_reconnect(
    bot: BotProcess, socket_server: SocketModeServer, slack: SocketModeSlack, database_url: str
) -> None:
    socket_server.wait_connected()
    assert httpx.get(bot.url + "/livez").status_code == 200
    assert httpx.get(bot.url + "/readyz").status_code == 200
    assert httpx.post(bot.url + "/slack/events", content=b"{}").status_code == 404
    before = requests_by_kind(bot.url)

    created = socket_server.command(
        "/release",
        "new v1.0 on 2027-03-15 10:00 America/Los_Angeles",
        user_id=LEAD,
        channel_id=CHANNEL,
    )
    assert "v1.0" in created["payload"]["text"]  # a command's answer rides on its ack
    opened = socket_server.command(
        "/gonogo", f'"Ship v1.0?" voters <@{VOTER}>', user_id=LEAD, channel_id=CHANNEL
    )
    assert "voter" in opened["payload"]["text"]
    value = go_value(slack)
    ts = slack.wait_for(lambda: poll_ts(database_url))

    clicked = socket_server.click(
        user_id=VOTER, channel_id=CHANNEL, action_id="gonogo:go", value=value, message_ts=ts
    )
    assert set(clicked) <= {"envelope_id", "payload"} and not clicked.get("payload")
    slack.wait_for(lambda: "1 Go" in slack.texts_of(slack.message(CHANNEL, ts) or {}), timeout=10)

    socket_server.event(
        {"type": "app_home_opened", "user": VOTER, "channel": f"D{VOTER}", "tab": "home"},
        event_id="Ev0HOME1",
    )
    slack.wait_for(lambda: slack.home(VOTER))

    moved = {"command": 2.0, "action": 1.0, "event": 1.0}  # each counted once it is acked
    slack.wait_for(lambda: counted_since(bot.url, before, moved) == moved)

    socket_server.drop()  # the connection goes away: the bot opens a new one
    socket_server.wait_connected(2)
    status = socket_server.command("/release", "status", user_id=LEAD, channel_id=CHANNEL)
    assert "v1.0" in json.dumps(status["payload"])
    socket_server.ask_to_reconnect()  # Slack rotating the connection
    socket_server.wait_connected(3)
    again = socket_server.command("/release", "status", user_id=LEAD, channel_id=CHANNEL)
    assert "v1.0" in json.dumps(again["payload"])
    socket_server.cut()  # no close frame: the bot sees the stream end and reconnects
    socket_server.wait_connected(4, timeout=30)
    last = socket_server.command("/release", "status", user_id=LEAD, channel_id=CHANNEL)
    assert "v1.0" in json.dumps(last["payload"])
    assert len(slack.calls_of("apps.connections.open")) >= 4
    assert socket_server.strays == []

    assert bot.stop() == 0
    log = bot.log_text()
    assert "Traceback" not in log
    for secret in (TOKEN, SECRET, APP_TOKEN):
        assert secret not in log


def test_a_refused_app_token_stops_run_with_one_line(
    database_url: str, slack: SocketModeSlack, tmp_path: Path
) -> None:
    slack.refuse_with = "invalid_auth"
    env = {**bot_env(database_url, slack), "SLACK_APP_TOKEN": APP_TOKEN, "PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Slack refused to open a Socket Mode connection (invalid_auth)" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert APP_TOKEN not in done.stdout + done.stderr
