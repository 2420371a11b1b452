"""The real `releasebot run` process, driven over HTTP the way Slack drives it."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import SECRET, TOKEN
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient
from tests.support.process import bot_env


def test_run_serves_release_over_http_and_stops_cleanly(
    database_url: str, fake_slack: FakeSlack
) -> None:
    with BotProcess(bot_env(database_url, fake_slack)) as proc:
        assert httpx.get(proc.url + "/healthz").status_code == 200
        slack = SlackClient(proc.url, SECRET)
        text = "new v1.0 on 2027-03-15 10:00 America/Los_Angeles"
        created = slack.command("/release", text, user_id="U_LEAD", channel_id="C1")
        assert created.status_code == 200 and "v1.0" in created.json()["text"]
        status = slack.command("/release", "status", user_id="U_LEAD", channel_id="C1").json()
        assert "<!date^1805130000^" in str(status["blocks"])
        fake_slack.wait_for(lambda: fake_slack.posts("C1"))
        assert proc.stop() == 0
    assert "Traceback" not in proc.log_text()
    assert TOKEN not in proc.log_text() and SECRET not in proc.log_text()


def test_doctor_reports_problems_and_passes_when_configured(
    database_url: str, fake_slack: FakeSlack, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **bot_env(database_url, fake_slack)}
    good = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert good.returncode == 0, good.stdout
    assert "all good" in good.stdout
    env["SLACK_BOT_TOKEN"] = ""
    env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "missing" / "nowhere.db")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in bad.stdout
    assert "unreachable" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


def _doctor(env: dict[str, str], cwd: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=cwd,  # type: ignore[arg-type]
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_doctor_compares_granted_scopes_with_the_manifest_and_hides_secrets(
    database_url: str, fake_slack: FakeSlack, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **bot_env(database_url, fake_slack)}
    env["RELEASEBOT_GATE_SECRETS"] = "CI_TOKEN@ci.example.com,GH_TOKEN@api.github.com"
    env["CI_TOKEN"] = "ci-s3cret-value"
    good = _doctor(env, tmp_path)
    assert "the bot token holds every scope the manifest asks for" in good.stdout
    assert "gate secret CI_TOKEN may be sent to ci.example.com" in good.stdout
    assert "FAIL gate secret GH_TOKEN is granted but not set" in good.stdout
    fake_slack.scopes = [s for s in fake_slack.scopes if s not in ("usergroups:read", "im:write")]
    env["DATABASE_URL"] = "postgresql://rb:pg-s3cret-pw@127.0.0.1:1/rb"
    bad = _doctor(env, tmp_path)
    assert bad.returncode == 1
    assert "FAIL the bot token lacks scopes: im:write, usergroups:read" in bad.stdout
    assert "rb:***@127.0.0.1:1/rb unreachable" in bad.stdout
    assert [c for c in fake_slack.calls_of("auth.test")]
    output = good.stdout + good.stderr + bad.stdout + bad.stderr
    for secret in (TOKEN, SECRET, "ci-s3cret-value", "pg-s3cret-pw"):
        assert secret not in output
    env["SLACK_APP_TOKEN"] = "xapp-1-app-token"
    socket = _doctor(env, tmp_path)
    assert "app-level token opens Socket Mode connections" in socket.stdout
    assert fake_slack.calls_of("apps.connections.open")
