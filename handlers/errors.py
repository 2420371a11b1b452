"""Turning any error into a clear answer for the person who caused it, never a stack trace."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.core import unavailable
from bot.core.db import unreachable
from bot.core.errors import DomainError
from bot.core.text.timeparse import ParseError

log = logging.getLogger("releasebot.errors")


def explain(err: Exception, *, usage: str | None = None, help_hint: str | None = None) -> str:
    """The message for an error: what was wrong and the right form, or a logged reference."""
    if isinstance(err, ParseError | DomainError):
        message = err.message if isinstance(err, DomainError) else str(err)
        text = f":warning: {message}"
        if isinstance(err, ParseError) and usage:
            text += f"\nThe form is `{usage}`"
        if isinstance(err, ParseError) and help_hint:
            text += f" (see `{help_hint} help`)."
        return text
    if unavailable.is_outage(err):
        unavailable.warn(_method_of(err), err)
        return (
            ":warning: Slack did not answer in time, so this was not carried out and nothing "
            "of it was saved. Please try again in a minute."
        )
    said = unreachable(err)
    if said is not None:
        log.warning("database unavailable: %s", said)
        return (
            ":warning: The bot's database did not answer just now, so this was not carried out "
            "and nothing of it was saved. Please try again in a minute."
        )
    ref = secrets.token_hex(4)
    log.exception("unexpected error (ref %s)", ref, exc_info=err)
    return (
        ":x: Something went wrong on our side and your request was not carried out. "
        f"Please try again; if it keeps failing, give your admin the reference `{ref}`."
    )


def _method_of(err: Exception) -> str:
    """The Web API method a failed call was for, when Slack's error says so."""
    if isinstance(err, SlackApiError):
        url = str(getattr(err.response, "api_url", "") or "")
        return url.rstrip("/").rsplit("/", 1)[-1] or "Web API"
    return "Web API"


def on_unhandled(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """Bolt's last resort: log it and answer Slack with a plain, safe message."""
    explain(error)
    return BoltResponse(status=200, body="")
