"""Logging for the `releasebot` command: one format, and no secret value in any line.

Every line (tracebacks included) passes a formatter that replaces the values of the bot's
tokens, signing secret, database password and granted gate secrets by `****`; uncaught
exceptions, in any thread, are logged through it instead of printed raw.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from types import TracebackType

from bot.core.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
        return text


def configure(settings: Settings) -> None:
    """Log at the configured level through the masking formatter, to standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(settings.secret_values()))
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
