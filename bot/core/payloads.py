"""What a button or a form carries back to us: one compact JSON object, read in one place.

Every feature writes its button values and modal metadata with `encode` and reads them with
`decode`, naming the fields it needs; anything else (a stale, forged or foreign value) is
refused with the same words, and nothing it carries can crash a handler.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.errors import DomainError

NOT_MINE = "That button is not one of mine; nothing changed."
FORM_NOT_MINE = "That form is not one of mine; nothing changed."


class NotMine(DomainError):
    """A button value or form metadata the bot did not make (or no longer understands)."""

    def __init__(self, text: str = NOT_MINE) -> None:
        super().__init__(text)


def encode(**fields: Any) -> str:
    """The fields as a compact JSON object (Slack allows 2,000 characters in a value)."""
    return json.dumps(fields, separators=(",", ":"))


def decode(value: str, *required: str, form: bool = False) -> dict[str, Any]:
    """The JSON object a value was encoded from; NotMine unless it has every required field."""
    refusal = FORM_NOT_MINE if form else NOT_MINE
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        raise NotMine(refusal) from None
    if not isinstance(parsed, dict) or any(name not in parsed for name in required):
        raise NotMine(refusal)
    return parsed


def integer(data: dict[str, Any], name: str) -> int:
    """A field that must be a whole number; NotMine otherwise."""
    try:
        return int(str(data[name]))
    except (KeyError, TypeError, ValueError):
        raise NotMine() from None
