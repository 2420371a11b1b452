"""`releasebot doctor`: what is wrong with this installation, and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from bot.core.config import ConfigError, Settings, safe_url
from bot.core.db import Database
from bot.core.migrate import pending


@dataclass(frozen=True)
class Finding:
    """One check's verdict: ok or not, and what to do about it."""

    ok: bool
    what: str
    fix: str = ""
    skipped: bool = False  # the check could not run (its tables are not there yet)


Check = Callable[[Settings, Database], list[Finding]]


def check_tokens(settings: Settings, db: Database) -> list[Finding]:
    """Tokens present and of the right kind."""
    try:
        settings.require_tokens()
    except ConfigError as err:
        return [Finding(False, str(err))]
    mode = "Socket Mode app token" if settings.socket_mode else "signing secret"
    return [Finding(True, f"bot token and {mode} present")]


def check_database(settings: Settings, db: Database) -> list[Finding]:
    """The database answers and its schema is at the newest migration."""
    if not db.ping():
        return [Finding(False, f"database {safe_url(db.url)} unreachable", "check DATABASE_URL")]
    findings = [Finding(True, f"database {safe_url(db.url)} reachable")]
    current, head = pending(db)
    if current is None:
        findings.append(
            Finding(
                False,
                "the database has never been migrated: it has none of the bot's tables",
                "run: releasebot migrate",
            )
        )
    elif current != head:
        findings.append(
            Finding(
                False,
                f"schema at {current or 'nothing'}, newest is {head}",
                "run: releasebot migrate",
            )
        )
    else:
        findings.append(Finding(True, f"schema current ({head})"))
    return findings


def check_slack(settings: Settings, db: Database) -> list[Finding]:
    """Slack accepts the tokens, and the bot token holds every scope the manifest asks for."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.core.manifest import bot_scopes

    if not settings.bot_token.startswith("xoxb-"):
        return []
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10)
    try:
        answer = client.auth_test()
    except SlackApiError as err:
        error = err.response.get("error", "unknown error")
        fix = "copy the Bot User OAuth Token again from OAuth & Permissions"
        return [Finding(False, f"Slack refuses the bot token ({error})", fix)]
    except Exception as err:
        return [Finding(False, f"Slack could not be reached at {settings.api_url} ({err})")]
    team = answer.get("team") or answer.get("team_id") or "the workspace"
    findings = [Finding(True, f"bot token accepted by Slack ({team})")]
    granted = {s.strip() for s in (_header(answer.headers, "x-oauth-scopes")).split(",")}
    missing = [scope for scope in bot_scopes() if scope not in granted]
    if missing:
        fix = "add them under OAuth & Permissions (or from `releasebot manifest`) and reinstall"
        findings.append(Finding(False, f"the bot token lacks scopes: {', '.join(missing)}", fix))
    else:
        findings.append(Finding(True, "the bot token holds every scope the manifest asks for"))
    if settings.socket_mode:
        app = WebClient(token=settings.app_token, base_url=settings.api_url, timeout=10)
        try:
            app.apps_connections_open(app_token=settings.app_token)
            findings.append(Finding(True, "app-level token opens Socket Mode connections"))
        except SlackApiError as err:
            error = err.response.get("error", "unknown error")
            fix = "generate an app-level token with connections:write on Basic Information"
            findings.append(Finding(False, f"Slack refuses the app token ({error})", fix))
    return findings


def _header(headers: dict[str, object], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return ",".join(value) if isinstance(value, list) else str(value)
    return ""


BASE_CHECKS: list[Check] = [check_tokens, check_database, check_slack]


def run_checks(settings: Settings, db: Database, checks: list[Check]) -> list[Finding]:
    """The base checks' and the given checks' findings; a check that crashes is a finding."""
    findings: list[Finding] = []
    for check in BASE_CHECKS:
        findings.extend(_run(check, settings, db, migrated=True))
    migrated = _migrated(db)
    for check in checks:
        findings.extend(_run(check, settings, db, migrated=migrated))
    return findings


def _migrated(db: Database) -> bool:
    try:
        current, head = pending(db)
    except Exception:
        return False
    return current == head


def _run(check: Check, settings: Settings, db: Database, *, migrated: bool) -> list[Finding]:
    """One check's findings; one that needs tables the database lacks is reported skipped."""
    name = check.__name__.removeprefix("check_").replace("_", " ")
    try:
        return check(settings, db)
    except DBAPIError as err:
        if not migrated:
            what = f"{name}: skipped, it needs the database's tables"
            return [Finding(True, what, "run: releasebot migrate", skipped=True)]
        return [Finding(False, f"{name}: the database failed ({type(err.orig).__name__})")]
    except Exception as err:
        return [Finding(False, f"{check.__name__} failed: {err}")]
