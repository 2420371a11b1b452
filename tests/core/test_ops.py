"""What operators see of the real `releasebot run`: probes, metrics and JSON logs."""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PG_URL, SECRET, TOKEN
from tests.kit import private_postgres
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env


def samples(proc: BotProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by the Prometheus client's own parser."""
    response = proc.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_status(proc: BotProcess, path: str, status: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while proc.get(path).status_code != status:
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not answer {status} within {timeout}s")
        time.sleep(0.1)


def test_metrics_move_after_a_command_and_logs_are_json_without_secrets(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = {**bot_env(database_url, fake_slack), "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    with BotProcess(env) as proc:
        before = samples(proc)
        slack = SlackClient(proc.url, SECRET)
        reply = slack.command(
            "/release", "new v1.0 on 2027-03-15 10:00 UTC", user_id="U_LEAD", channel_id="C1"
        )
        assert reply.status_code == 200 and "v1.0" in reply.json()["text"]
        bad = slack.raw(
            "command=%2Frelease&text=status", {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert bad.status_code == 401
        after = samples(proc)
        requests = "releasebot_slack_requests_total"
        assert (
            value(after, requests, kind="command", status="200")
            - value(before, requests, kind="command", status="200")
            == 1
        )
        assert (
            value(after, requests, kind="command", status="401")
            - value(before, requests, kind="command", status="401")
            == 1
        )
        acks = "releasebot_slack_ack_seconds_count"
        assert value(after, acks, kind="command") - value(before, acks, kind="command") == 2
        assert value(after, "releasebot_slack_ack_seconds_bucket", kind="command", le="3.0") >= 2
        assert ("releasebot_outbox_pending", ()) in after
        assert ("releasebot_timer_lag_seconds_count", ()) in after
        deadline = time.monotonic() + 10
        while value(samples(proc), "releasebot_leader") != 1.0:  # one replica: it leads
            assert time.monotonic() < deadline, "the only replica never reported that it leads"
            time.sleep(0.2)
        assert proc.stop() == 0

    lines = [line for line in proc.log_text().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"timestamp", "level", "logger", "message"} <= record.keys()
    tagged = [r for r in records if r.get("channel") == "C1" and r.get("request_id")]
    assert tagged, "no log line of the command carried its request id and channel"
    for secret in (TOKEN, SECRET):
        assert secret not in proc.log_text()


@pytest.mark.skipif(
    not private_postgres.available(), reason="PostgreSQL server binaries are not installed"
)
@pytest.mark.skipif(bool(PG_URL), reason="runs once, in the SQLite pass: it brings its own server")
def test_database_down_for_ten_seconds_fails_readiness_not_liveness(fake_slack: FakeSlack) -> None:
    with private_postgres.PrivatePostgres() as pg, BotProcess(bot_env(pg.url, fake_slack)) as proc:
        for path in ("/livez", "/readyz", "/healthz"):
            assert proc.get(path).status_code == 200, path
        pg.stop()
        wait_status(proc, "/readyz", 503, timeout=10)
        assert proc.get("/healthz").status_code == 503
        assert "database unreachable" in proc.get("/readyz").json()["error"]
        down_until = time.monotonic() + 10
        live: list[int] = []
        while time.monotonic() < down_until:
            live.append(proc.get("/livez").status_code)
            time.sleep(0.25)
        assert set(live) == {200}, "a database outage must not fail liveness"
        assert proc.get("/metrics").status_code == 200
        pg.start()
        wait_status(proc, "/readyz", 200, timeout=15)
        assert proc.get("/livez").status_code == 200
        slack = SlackClient(proc.url, SECRET)
        reply = slack.command(
            "/release", "new v2 on 2027-03-15 10:00 UTC", user_id="U_LEAD", channel_id="C2"
        )
        assert "v2" in reply.json()["text"]
        assert proc.stop() == 0
