"""Names people give things (tokens, gates, roles): how a typed name is read and checked."""

from __future__ import annotations

import re
from collections.abc import Callable


def lowered_name(text: str, rule: re.Pattern[str], refusal: Callable[[], Exception]) -> str:
    """`text` stripped and lowercased when the whole of it fits `rule`; else `refusal()` raised.

    `refusal` builds the error (its class and wording belong to the caller), so a feature
    keeps its own message while every name is read the same way.
    """
    name = text.strip().lower()
    if not rule.fullmatch(name):
        raise refusal()
    return name
