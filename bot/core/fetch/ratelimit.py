"""How long GitHub wants to be left alone, read from the headers of its answer."""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, datetime, timedelta

from bot.core.fetch.request import Response

MAX_WAIT = timedelta(hours=1)  # a rate limit never puts work off longer than this
DEFAULT_WAIT = timedelta(minutes=1)  # a secondary limit that names no time


def github_wait(
    response: Response, now: datetime, *, retry_after: Container[int] | None = None
) -> datetime | None:
    """When GitHub will answer again, if it said it will not now; at most MAX_WAIT away.

    `retry_after`: the statuses whose Retry-After header counts (None: every status).
    """
    headers = response.headers
    after = _number(headers.get("retry-after"))
    if after is not None and (retry_after is None or response.status in retry_after):
        return now + min(timedelta(seconds=max(after, 1)), MAX_WAIT)
    if headers.get("x-ratelimit-remaining", "").strip() != "0":
        if response.status in (403, 429) and "rate limit" in response.body.lower():
            return now + DEFAULT_WAIT
        return None
    reset = _number(headers.get("x-ratelimit-reset"))
    if reset is None:
        return now + DEFAULT_WAIT
    at = datetime.fromtimestamp(reset, UTC)
    return min(max(at, now + timedelta(seconds=1)), now + MAX_WAIT)


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None and raw.strip() else None
    except ValueError:
        return None
