"""The real `releasebot run` process, driven over HTTP the way Slack drives it."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import SECRET, TOKEN
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient


def bot_env(database_url: str, fake: FakeSlack) -> dict[str, str]:
    """The environment a real deployment would set, pointed at local stand-ins."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "RELEASEBOT_REPLAN_SECONDS": "0.5",
    }


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
    assert "SLACK_BOT_TOKEN is missing" in bad.stdout
    assert "unreachable" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
