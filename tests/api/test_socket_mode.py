"""`releasebot run` in Socket Mode serves the API on the probes' port, as in HTTP mode."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.kit.bot_process import BotProcess
from tests.kit.socket_mode import SocketModeServer, SocketModeSlack
from tests.support.process import bot_env

APP_TOKEN = "xapp-1-A0RELEASE-1234-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
LEAD, CHANNEL = "U_LEAD", "C_REL"


@pytest.fixture
def socket_server() -> Iterator[SocketModeServer]:
    with SocketModeServer() as server:
        yield server


@pytest.fixture
def slack(socket_server: SocketModeServer) -> Iterator[SocketModeSlack]:
    with SocketModeSlack(socket_server) as fake:
        yield fake


def test_a_token_made_over_socket_mode_reads_the_release(
    database_url: str, socket_server: SocketModeServer, slack: SocketModeSlack
) -> None:
    env = {**bot_env(database_url, slack), "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""}
    proc = BotProcess(env).start()
    try:
        socket_server.wait_connected()
        socket_server.command("/release", "new v2 on 2027-03-15", user_id=LEAD, channel_id=CHANNEL)
        made = socket_server.command(
            "/release", "token add dash read", user_id=LEAD, channel_id=CHANNEL
        )
        found = re.search(r"```(rbt_[A-Za-z0-9_-]+)```", made["payload"]["text"])
        assert found, made
        auth = {"Authorization": f"Bearer {found.group(1)}"}
        assert httpx.get(f"{proc.url}/api/v1/openapi.json").json()["openapi"].startswith("3.1")
        status = httpx.get(f"{proc.url}/api/v1/releases/1", headers=auth)
        assert status.status_code == 200, status.text
        assert status.json()["name"] == "v2" and status.json()["checklist"] is None
    finally:
        proc.stop()
