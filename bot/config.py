"""The one place that reads the environment (and `.env` through python-dotenv)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///releasebot.db"


class ConfigError(Exception):
    """A configuration problem, told in one line with its fix."""


@dataclass(frozen=True)
class Settings:
    """Everything releasebot reads from its environment."""

    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "0.0.0.0"  # noqa: S104  (a server for Slack to reach)
    port: int = 3000
    admins: frozenset[str] = field(default_factory=frozenset)
    templates_dir: Path | None = None
    gate_allow: tuple[str, ...] = ()
    log_level: str = "INFO"
    listener_threads: int = 64
    http_threads: int = 64
    replan_seconds: float = 10.0
    gate_damping: int = 2
    gate_repeat_seconds: int = 1800
    gate_escalate_after: int = 3
    gate_min_interval: float = 10.0
    gate_timeout: float = 10.0
    # What `${NAME}` in gate headers and URLs resolves against (None: the process environment).
    environment: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def gate_environment(self) -> Mapping[str, str]:
        """The variables gate headers and URLs may name: `.env` and the process environment."""
        return os.environ if self.environment is None else self.environment

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token asks for Socket Mode instead of HTTP."""
        return bool(self.app_token)

    def require_tokens(self) -> None:
        """Raise ConfigError naming the first missing secret the bot needs to run."""
        if not self.bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: put the bot token (xoxb-...) in .env or the "
                "environment (see .env.example)."
            )
        if not self.signing_secret and not self.socket_mode:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information "
                "page into .env (see .env.example)."
            )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from None


def normalize_api_url(url: str) -> str:
    """Slack's WebClient joins method names onto the base URL, so it must end in '/'."""
    return url if url.endswith("/") else url + "/"


def load_environment(dotenv_path: str | Path | None = ".env") -> dict[str, str]:
    """The process environment over the values of `.env` (the environment wins)."""
    values: dict[str, str] = {}
    if dotenv_path and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ)
    return values


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from a mapping (default: environment and `.env`)."""
    env = load_environment() if env is None else env
    templates = env.get("RELEASEBOT_TEMPLATES_DIR", "").strip()
    return Settings(
        bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
        signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
        app_token=env.get("SLACK_APP_TOKEN", "").strip(),
        api_url=normalize_api_url(env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL),
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        host=env.get("HOST", "").strip() or "0.0.0.0",  # noqa: S104
        port=_int(env, "PORT", 3000),
        admins=frozenset(_split(env.get("RELEASEBOT_ADMINS", ""))),
        templates_dir=Path(templates) if templates else None,
        gate_allow=tuple(_split(env.get("RELEASEBOT_GATE_ALLOW", ""))),
        log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
        listener_threads=_int(env, "RELEASEBOT_LISTENER_THREADS", 64),
        http_threads=_int(env, "RELEASEBOT_HTTP_THREADS", 64),
        replan_seconds=_float(env, "RELEASEBOT_REPLAN_SECONDS", 10.0),
        gate_damping=max(1, _int(env, "RELEASEBOT_GATE_DAMPING", 2)),
        gate_repeat_seconds=max(1, _int(env, "RELEASEBOT_GATE_REPEAT_SECONDS", 1800)),
        gate_escalate_after=max(0, _int(env, "RELEASEBOT_GATE_ESCALATE_AFTER", 3)),
        gate_min_interval=max(0.1, _float(env, "RELEASEBOT_GATE_MIN_INTERVAL_SECONDS", 10.0)),
        gate_timeout=max(0.1, _float(env, "RELEASEBOT_GATE_TIMEOUT_SECONDS", 10.0)),
        environment=dict(env),
    )
