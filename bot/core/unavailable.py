"""Slack's outages in plain words: which failures mean "Slack did not answer", said briefly.

A Web API call that fails because Slack is down, slow or refusing connections is not a bug
of ours: it is logged as one WARNING line, "Slack unavailable: METHOD: ERROR", without a
traceback, and the person whose action waited on it is told what was kept and what to
retry. Anything else stays an unexpected error with its traceback.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

log = logging.getLogger("releasebot.slack")

SAVED_NOTE = (
    ":warning: Slack did not answer, so this could not be shown. Nothing you did was lost: "
    "{saved} Please try again in a minute."
)


def refused(err: BaseException) -> bool:
    """True when the request certainly never reached Slack (the connection was refused)."""
    seen: object = err
    for _ in range(8):
        if isinstance(seen, ConnectionRefusedError):
            return True
        if not isinstance(seen, BaseException):
            return False
        seen = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False


def is_outage(err: BaseException) -> bool:
    """True for a failure that means Slack could not take the call (down, slow, 5xx)."""
    if isinstance(err, SlackApiError):
        return getattr(err.response, "status_code", 200) >= 500
    return isinstance(err, OSError | TimeoutError) or type(err).__module__.startswith("urllib")


def plain(err: BaseException) -> str:
    """The failure in a few words: "connection refused", "timed out", "HTTP 503"."""
    if isinstance(err, SlackApiError):
        status = getattr(err.response, "status_code", 200)
        error = err.response.get("error") if hasattr(err.response, "get") else None
        return f"HTTP {status} {error}".strip() if status >= 500 else str(error or status)
    if refused(err):
        return "connection refused"
    text = str(getattr(err, "reason", None) or err) or type(err).__name__
    if isinstance(err, TimeoutError) or "timed out" in text.lower():
        return "timed out"
    return text.splitlines()[0][:200]


def warn(method: str, error: BaseException | str, logger: logging.Logger = log) -> None:
    """Log one WARNING line, no traceback: Slack unavailable: METHOD: ERROR."""
    text = error if isinstance(error, str) else plain(error)
    logger.warning("Slack unavailable: %s: %s", method.replace("_", "."), text)


class _SaidAlready(logging.Filter):
    """Drops slack_sdk's own ERROR line for a call that met no Slack: callers say it plainly."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to send a request to Slack API server")


def sdk_logger() -> logging.Logger:
    """The logger for the bot's Web API clients: slack_sdk's own notes, minus that one."""
    logger = logging.getLogger("releasebot.slack.sdk")
    if not any(isinstance(found, _SaidAlready) for found in logger.filters):
        logger.addFilter(_SaidAlready())
    return logger
