"""Configuration is read in one place, with clear one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_environment, load_settings
from bot.db import normalize_url


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.api_url == "https://slack.com/api/"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.port == 3000
    assert not settings.socket_mode


def test_values_from_the_environment() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
            "RELEASEBOT_ADMINS": "U1, U2",
            "RELEASEBOT_GATE_ALLOW": "ci.internal,10.0.0.0/8",
            "SLACK_APP_TOKEN": "xapp-1",
        }
    )
    assert settings.api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 8080
    assert settings.admins == {"U1", "U2"}
    assert settings.gate_allow == ("ci.internal", "10.0.0.0/8")
    assert settings.socket_mode


def test_bad_number_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="PORT must be a whole number"):
        load_settings({"PORT": "eighty"})


def test_missing_tokens_are_named() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        load_settings({}).require_tokens()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).require_tokens()


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("PORT", "5000")
    values = load_environment(env_file)
    assert values["PORT"] == "5000"
    assert load_settings(values).log_level == "DEBUG"


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u@127.0.0.1/db",
        "postgresql://u@127.0.0.1/db",
        "postgresql+psycopg://u@127.0.0.1/db",
    ],
)
def test_every_postgres_spelling_uses_psycopg(url: str) -> None:
    assert normalize_url(url) == "postgresql+psycopg://u@127.0.0.1/db"


def test_run_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr
