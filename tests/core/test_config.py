"""Configuration is read in one place, with clear one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_environment, load_settings
from bot.core.db import normalize_url


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


def test_gate_secrets_are_granted_per_host_and_never_the_bots_own() -> None:
    env = {
        "RELEASEBOT_GATE_SECRETS": "GITHUB_TOKEN@api.github.com, CI_TOKEN@*.ci.example.com,"
        "CI_TOKEN@ci.example.com",
        "GITHUB_TOKEN": "ghp-value",
        "UNGRANTED": "never-read",
    }
    settings = load_settings(env)
    assert settings.gate_grants == {
        "GITHUB_TOKEN": ("api.github.com",),
        "CI_TOKEN": ("*.ci.example.com", "ci.example.com"),
    }
    assert settings.gate_secret_values == {"GITHUB_TOKEN": "ghp-value"}
    for own in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL",
                "SLACK_ANYTHING", "RELEASEBOT_ADMINS"):  # fmt: skip
        with pytest.raises(ConfigError, match=f"may not grant {own}"):
            load_settings({"RELEASEBOT_GATE_SECRETS": f"{own}@evil.example"})
    with pytest.raises(ConfigError, match="is not VARIABLE@host"):
        load_settings({"RELEASEBOT_GATE_SECRETS": "GITHUB_TOKEN"})
    with pytest.raises(ConfigError, match="holds one of the bot's own credentials"):
        load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-same-value",
                "COPY": "xoxb-same-value",
                "RELEASEBOT_GATE_SECRETS": "COPY@x.example",
            }
        )


def test_settings_never_show_their_secrets() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-123-secretpart",
            "SLACK_SIGNING_SECRET": "signing-s3cret",
            "SLACK_APP_TOKEN": "xapp-1-appsecret",
            "DATABASE_URL": "postgresql://rb:db-pa55@127.0.0.1:5432/rb",
            "RELEASEBOT_GATE_SECRETS": "GT@x.example",
            "GT": "gate-s3cret",
        }
    )
    shown = repr(settings) + str(settings)
    for secret in ("secretpart", "signing-s3cret", "appsecret", "db-pa55", "gate-s3cret"):
        assert secret not in shown
    assert "xoxb-****" in shown and "postgresql://rb:***@127.0.0.1:5432/rb" in shown
    assert set(settings.secret_values()) >= {"signing-s3cret", "db-pa55", "gate-s3cret"}


def test_log_lines_and_tracebacks_mask_every_secret(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from bot.core import logs

    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1-tok3n", "DATABASE_URL": "postgresql://u:pw-l0gged@h/db"}
    )
    logs.configure(settings)
    log = logging.getLogger("releasebot.test")
    log.warning("token is %s", "xoxb-1-tok3n")
    try:
        raise RuntimeError("could not connect to postgresql://u:pw-l0gged@h/db")
    except RuntimeError:
        log.exception("database down")
    err = capsys.readouterr().err
    assert "xoxb-1-tok3n" not in err and "pw-l0gged" not in err
    assert "token is ****" in err and "Traceback" in err and "postgresql://u:****@h/db" in err
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "x"}, "example value"),
        ({"SLACK_BOT_TOKEN": "xoxp-1-user", "SLACK_SIGNING_SECRET": "x"}, "a user token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "your-signing-secret"}, "example"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "app-level token"),
    ],
)
def test_placeholder_and_wrong_kind_tokens_are_refused(env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        load_settings(env).require_tokens()


def test_run_with_the_example_env_copied_unchanged_says_what_to_do(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SLACK_BOT_TOKEN still holds the example value" in result.stderr
    assert "Traceback" not in result.stderr
