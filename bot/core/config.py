"""The one place that reads the environment (and `.env` through python-dotenv)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from bot.core.budget import DEFAULT_TIERS, Tier, parse_budgets
from bot.core.db import DEFAULT_POOL

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///releasebot.db"
DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_TESTGRID_URL = "https://testgrid.k8s.io"
LOG_FORMATS = ("text", "json")


# Every variable the bot reads for itself: none of them may be granted to gates.
OWN_VARIABLES = frozenset(
    {
        "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
        "DATABASE_URL", "TEST_DATABASE_URL", "HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT",
    }
)  # fmt: skip
OWN_PREFIXES = ("SLACK_", "RELEASEBOT_")
# Values copied unchanged from .env.example, or written as a hint rather than a token.
_PLACEHOLDER = re.compile(r"your[-_]|change[-_]?me|placeholder|\.\.\.|<[^>]*>", re.IGNORECASE)
_N = TypeVar("_N", int, float)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOST_PATTERN = re.compile(r"(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})")


class ConfigError(Exception):
    """A configuration problem, told in one line with its fix."""


def is_own_variable(name: str) -> bool:
    """True for a variable the bot reads for itself (its credentials and settings)."""
    return name in OWN_VARIABLES or name.startswith(OWN_PREFIXES)


def mask(secret: str) -> str:
    """A secret shown as its kind only: `xoxb-****`, or `****`."""
    if not secret:
        return ""
    kind = secret.split("-", 1)[0] if secret.startswith(("xox", "xapp-")) else ""
    return f"{kind}-****" if kind else "****"


def safe_url(url: str) -> str:
    """A database URL with its password masked (SQLAlchemy's own rendering)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: show only its scheme
        return url.split("://", 1)[0] + "://****" if "://" in url else "****"


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
    # RELEASEBOT_GATE_SECRETS: variable -> the host patterns its value may be sent to.
    gate_grants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The values of the granted variables (and of no other), read once at start.
    gate_secret_values: Mapping[str, str] = field(default_factory=dict, compare=False)
    # RELEASEBOT_RELEASE_CREATORS: user ids (U...) and user groups (S...); empty: anyone.
    release_creators: frozenset[str] = field(default_factory=frozenset)
    log_format: str = "text"
    db_pool: int = DEFAULT_POOL
    # RELEASEBOT_GATE_PROXY: the HTTP proxy gate checks go through (empty: direct).
    gate_proxy: str = ""
    # RELEASEBOT_GITHUB_API / RELEASEBOT_TESTGRID_URL: where native gates ask (GHE, tests).
    github_api: str = DEFAULT_GITHUB_API
    # Steps that run a job: how often a run is looked at, how long a lost dispatch is looked
    # for before a person is asked, and how long a rehearsal's simulated run takes.
    job_poll_seconds: float = 15.0
    job_lookup_seconds: float = 120.0
    rehearsal_run_seconds: float = 5.0
    testgrid_url: str = DEFAULT_TESTGRID_URL
    # RELEASEBOT_PUBLIC_URL: where people reach the calendar feed and the release page.
    public_url: str = "http://localhost:3000"
    # RELEASEBOT_GROUP_CACHE_SECONDS: how long a user group's members are kept.
    group_cache_seconds: float = 60.0
    # RELEASEBOT_API_RATE_PER_MINUTE: requests a minute one API token may make.
    api_rate_per_minute: int = 600
    # RELEASEBOT_API_AT_ONCE: API requests served at the same time; the rest wait their turn.
    api_at_once: int = 4
    # RELEASEBOT_SLACK_BUDGETS: calls a minute per Web API method for the whole workspace.
    slack_budgets: Mapping[str, Tier] = field(default_factory=lambda: dict(DEFAULT_TIERS))

    def __repr__(self) -> str:
        shown = {
            "bot_token": mask(self.bot_token),
            "signing_secret": mask(self.signing_secret),
            "app_token": mask(self.app_token),
            "database_url": safe_url(self.database_url),
            "gate_grants": dict(self.gate_grants),
            "api_url": self.api_url,
            "port": self.port,
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ", ...)"

    def secret_values(self) -> list[str]:
        """Every secret value the bot holds, for masking in logs and output."""
        password = _password(self.database_url)
        found = [self.bot_token, self.signing_secret, self.app_token, password]
        found.append(urlsplit(self.gate_proxy).password or "")
        found += list(self.gate_secret_values.values())
        return [value for value in found if value and len(value) >= 4]

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token asks for Socket Mode instead of HTTP."""
        return bool(self.app_token)

    def require_tokens(self) -> None:
        """Raise ConfigError naming the first missing, placeholder or wrong-kind token."""
        where = "OAuth & Permissions page (Bot User OAuth Token)"
        if not self.bot_token:
            raise ConfigError(
                f"SLACK_BOT_TOKEN is not set: put the bot token (xoxb-...) from the app's {where} "
                "in .env or the environment (see .env.example)."
            )
        if _PLACEHOLDER.search(self.bot_token):
            raise ConfigError(
                f"SLACK_BOT_TOKEN still holds the example value: replace it in .env with the bot "
                f"token (xoxb-...) from the app's {where}."
            )
        if not self.bot_token.startswith("xoxb-"):
            kind = (
                "a user token (xoxp-)" if self.bot_token.startswith("xoxp-") else "not a bot token"
            )
            raise ConfigError(
                f"SLACK_BOT_TOKEN is {kind}: use the Bot User OAuth Token (xoxb-...) from the "
                f"app's {where}."
            )
        if self.socket_mode:
            if _PLACEHOLDER.search(self.app_token) or not self.app_token.startswith("xapp-"):
                raise ConfigError(
                    "SLACK_APP_TOKEN is not an app-level token: generate one (xapp-..., scope "
                    "connections:write) on the app's Basic Information page, or leave it empty "
                    "to serve HTTP."
                )
            return
        if not self.signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information "
                "page into .env (see .env.example)."
            )
        if _PLACEHOLDER.search(self.signing_secret):
            raise ConfigError(
                "SLACK_SIGNING_SECRET still holds the example value: replace it in .env with the "
                "Signing Secret from the app's Basic Information page."
            )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _password(url: str) -> str:
    try:
        return make_url(url).password or ""
    except Exception:
        return ""


def parse_gate_grants(raw: str) -> dict[str, tuple[str, ...]]:
    """Read `NAME@host,NAME@*.example.com,...`; ConfigError says which entry is wrong."""
    grants: dict[str, tuple[str, ...]] = {}
    form = "like GITHUB_TOKEN@api.github.com,CI_TOKEN@*.ci.example.com"
    for entry in _split(raw):
        name, at, host = entry.partition("@")
        name, host = name.strip(), host.strip().lower().rstrip(".")
        if not at or not _VARIABLE_NAME.fullmatch(name) or not _HOST_PATTERN.fullmatch(host):
            raise ConfigError(
                f"RELEASEBOT_GATE_SECRETS entry {entry!r} is not VARIABLE@host: write it {form}."
            )
        if is_own_variable(name):
            raise ConfigError(
                f"RELEASEBOT_GATE_SECRETS may not grant {name}: the bot's own credentials and "
                "settings are never sent to gates. Give gates a token of their own."
            )
        grants[name] = (*grants.get(name, ()), host)
    return grants


def parse_gate_proxy(raw: str) -> str:
    """An http:// or https:// proxy URL with a host, or ConfigError saying what is wrong."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        url = urlsplit(raw)
        url.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(
            "RELEASEBOT_GATE_PROXY is not a proxy URL: write it like "
            "http://proxy.example.com:3128 (http:// or https://, user:password@ allowed)."
        )
    if url.path not in ("", "/") or url.query:
        raise ConfigError(
            "RELEASEBOT_GATE_PROXY takes only scheme, host and port, like "
            "http://proxy.example.com:3128."
        )
    return raw


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http(s) base URL without a trailing slash, or ConfigError naming the variable."""
    raw = env.get(name, "").strip() or default
    try:
        url = urlsplit(raw)
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.hostname or url.query:
        raise ConfigError(f"{name} must be an http:// or https:// URL like {default}, not {raw!r}.")
    return raw.rstrip("/")


def _log_format(raw: str) -> str:
    value = raw.strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, not {raw.strip()!r}.")
    return value


def _creators(raw: str) -> frozenset[str]:
    found = _split(raw)
    for entry in found:
        if not re.fullmatch(r"[UWS][A-Z0-9]{2,}", entry):
            raise ConfigError(
                f"RELEASEBOT_RELEASE_CREATORS entry {entry!r} is not a user id (U...) or a user "
                "group id (S...): copy ids from a profile's or group's menu."
            )
    return frozenset(found)


def _granted_values(
    env: Mapping[str, str], grants: Mapping[str, tuple[str, ...]], own: list[str]
) -> dict[str, str]:
    values = {name: env[name] for name in grants if env.get(name)}
    for name, value in values.items():
        if value in own:
            raise ConfigError(
                f"RELEASEBOT_GATE_SECRETS grants {name}, which holds one of the bot's own "
                "credentials: give gates a token of their own."
            )
    return values


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, "a whole number")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, "a number")


def _number(
    env: Mapping[str, str], name: str, default: _N, parse: Callable[[str], _N], form: str
) -> _N:
    """The variable `name` read by `parse`, `default` when unset, ConfigError naming `form`."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {form}, not {raw!r}.") from None


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
    own = {
        "bot_token": env.get("SLACK_BOT_TOKEN", "").strip(),
        "signing_secret": env.get("SLACK_SIGNING_SECRET", "").strip(),
        "app_token": env.get("SLACK_APP_TOKEN", "").strip(),
        "database_url": env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
    }
    grants = parse_gate_grants(env.get("RELEASEBOT_GATE_SECRETS", ""))
    credentials = [v for v in own.values() if v] + [_password(own["database_url"])]
    return Settings(
        **own,
        api_url=normalize_api_url(env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL),
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
        gate_grants=grants,
        gate_secret_values=_granted_values(env, grants, [c for c in credentials if c]),
        release_creators=_creators(env.get("RELEASEBOT_RELEASE_CREATORS", "")),
        log_format=_log_format(env.get("LOG_FORMAT", "")),
        db_pool=max(1, _int(env, "RELEASEBOT_DB_POOL", DEFAULT_POOL)),
        gate_proxy=parse_gate_proxy(env.get("RELEASEBOT_GATE_PROXY", "")),
        github_api=_base_url(env, "RELEASEBOT_GITHUB_API", DEFAULT_GITHUB_API),
        job_poll_seconds=max(0.1, _float(env, "RELEASEBOT_JOB_POLL_SECONDS", 15.0)),
        job_lookup_seconds=max(1.0, _float(env, "RELEASEBOT_JOB_LOOKUP_SECONDS", 120.0)),
        rehearsal_run_seconds=max(0.0, _float(env, "RELEASEBOT_REHEARSAL_RUN_SECONDS", 5.0)),
        testgrid_url=_base_url(env, "RELEASEBOT_TESTGRID_URL", DEFAULT_TESTGRID_URL),
        group_cache_seconds=max(1.0, _float(env, "RELEASEBOT_GROUP_CACHE_SECONDS", 60.0)),
        api_rate_per_minute=max(1, _int(env, "RELEASEBOT_API_RATE_PER_MINUTE", 600)),
        api_at_once=max(1, _int(env, "RELEASEBOT_API_AT_ONCE", 4)),
        public_url=(env.get("RELEASEBOT_PUBLIC_URL", "").strip() or "http://localhost:3000").rstrip(
            "/"
        ),
        slack_budgets=_budgets(env.get("RELEASEBOT_SLACK_BUDGETS", "")),
    )


def _budgets(raw: str) -> dict[str, Tier]:
    try:
        return parse_budgets(raw)
    except ValueError as err:
        raise ConfigError(str(err)) from None
