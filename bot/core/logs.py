"""Logging for the `releasebot` command: text or JSON lines, and no secret value in any line.

Every line (tracebacks included) passes a formatter that replaces the values of the bot's
tokens, signing secret, database password and granted gate secrets by `****`, and so any
webhook signing secret (`whsec_...`, shown once to a lead, and logged by Bolt at DEBUG); uncaught
exceptions, in any thread, are logged through it instead of printed raw. With
LOG_FORMAT=json each line is one JSON object, with the request id and channel of the Slack
request being handled when there is one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from bot.core.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Set while a Slack request is handled (bot.core.web), read by the JSON formatter.
REQUEST_ID: ContextVar[str | None] = ContextVar("releasebot_request_id", default=None)
CHANNEL: ContextVar[str | None] = ContextVar("releasebot_channel", default=None)
# Secrets the bot makes (not configured): masked by their form.
MADE_SECRETS = re.compile(r"whsec_[A-Za-z0-9+/]{16,}={0,2}")


@contextmanager
def request_context(request_id: str, channel: str | None = None) -> Iterator[None]:
    """Tag the log lines written inside the block with a request id and channel."""
    tokens = (REQUEST_ID.set(request_id), CHANNEL.set(channel or None))
    try:
        yield
    finally:
        CHANNEL.reset(tokens[1])
        REQUEST_ID.reset(tokens[0])


class MaskingFormatter(logging.Formatter):
    """A formatter that masks the given secret values wherever they appear."""

    def __init__(self, secrets: Sequence[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, secrets masked."""
        return self.mask(super().format(record))

    def mask(self, text: str) -> str:
        """The text with every secret value replaced by ****."""
        for secret in self.secrets:
            text = text.replace(secret, "****")
        return MADE_SECRETS.sub("whsec_****", text)


class JsonFormatter(MaskingFormatter):
    """One JSON object per line: timestamp, level, logger, message (+ request, channel, error)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line, secrets masked in every field."""
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": self.mask(record.getMessage()),
        }
        request_id, channel = REQUEST_ID.get(), CHANNEL.get()
        if request_id:
            line["request_id"] = request_id
        if channel:
            line["channel"] = channel
        if record.exc_info:
            line["error"] = self.mask(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = self.mask(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def make_formatter(settings: Settings) -> MaskingFormatter:
    """The formatter LOG_FORMAT asks for, masking the settings' secrets."""
    if settings.log_format == "json":
        return JsonFormatter(settings.secret_values())
    return MaskingFormatter(settings.secret_values())


def configure(settings: Settings) -> None:
    """Log at the configured level through the masking formatter, to standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(settings))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(
        args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback
    )


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("releasebot").critical("uncaught error", exc_info=(kind, error, trace))
