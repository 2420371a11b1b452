"""`releasebot doctor`: what is wrong with this installation, and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.db import Database
from bot.migrate import pending


@dataclass(frozen=True)
class Finding:
    """One check's verdict: ok or not, and what to do about it."""

    ok: bool
    what: str
    fix: str = ""


Check = Callable[[Settings, Database], list[Finding]]


def check_tokens(settings: Settings, db: Database) -> list[Finding]:
    """Tokens present and of the right kind."""
    found = []
    if not settings.bot_token:
        found.append(Finding(False, "SLACK_BOT_TOKEN is missing", "set it in .env (xoxb-...)"))
    elif not settings.bot_token.startswith("xoxb-"):
        found.append(Finding(False, "SLACK_BOT_TOKEN is not a bot token", "it starts with xoxb-"))
    else:
        found.append(Finding(True, "bot token present"))
    if settings.socket_mode:
        ok = settings.app_token.startswith("xapp-")
        fix = "an app-level token starts with xapp- and needs connections:write"
        found.append(
            Finding(ok, "Socket Mode app token " + ("present" if ok else "malformed"), fix)
        )
    elif not settings.signing_secret:
        found.append(
            Finding(False, "SLACK_SIGNING_SECRET is missing", "copy it from Basic Information")
        )
    else:
        found.append(Finding(True, "signing secret present"))
    return found


def check_database(settings: Settings, db: Database) -> list[Finding]:
    """The database answers and its schema is at the newest migration."""
    if not db.ping():
        return [Finding(False, f"database {safe_url(db.url)} unreachable", "check DATABASE_URL")]
    findings = [Finding(True, f"database {safe_url(db.url)} reachable")]
    current, head = pending(db)
    if current != head:
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


def safe_url(url: str) -> str:
    """A database URL with any password masked."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


CHECKS: list[Check] = [check_tokens, check_database]


def add_check(check: Check) -> None:
    """Let a feature add its own check (templates, gates)."""
    if check not in CHECKS:
        CHECKS.append(check)


def run_checks(settings: Settings, db: Database) -> list[Finding]:
    """Every check's findings; a check that crashes is itself a finding."""
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            findings.extend(check(settings, db))
        except Exception as err:
            findings.append(Finding(False, f"{check.__name__} failed: {err}"))
    return findings
