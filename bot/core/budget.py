"""Slack's per-workspace budgets: one token bucket per Web API method, shared by every caller.

Slack counts `chat.update`, `views.publish` and the other tiered methods per app and
workspace, whichever channel or person a call is for: twenty live messages updated once a
second each ask for 1,200 updates a minute of a method that allows about 50. The sender asks
its `Budgets` before each call (`take`), so it never sends more than a method's budget in any
minute, and a 429 pauses that method for its Retry-After (`pause`).

A bucket of a budget of N a minute holds at most `burst` tokens and refills at
(N - burst) a minute, so no 60-second window holds more than N calls, whenever they come.

The budgets are the published tiers (REFERENCE "Slack rate limits that bind"), overridable
with RELEASEBOT_SLACK_BUDGETS, e.g. `chat.update=40,views.publish=80` (calls a minute).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    """A method's budget: calls a minute, and how many of them may go at once."""

    per_minute: int
    burst: int = 1

    @property
    def rate(self) -> float:
        """Tokens a second, so that burst + a minute of refill never exceeds per_minute."""
        return max(self.per_minute - self.burst, 1) / 60.0


# Slack's published tiers for the methods the bot calls often (per workspace, per app).
# chat.postMessage is also paced per channel by the sender; Slack gives no workspace figure
# beyond "several hundred a minute", so this one only keeps a runaway in check.
DEFAULT_TIERS: Mapping[str, Tier] = {
    "chat.update": Tier(50, 2),  # Tier 3
    "views.publish": Tier(100, 5),  # Tier 4
    "chat.postMessage": Tier(600, 20),  # special: about 1 a second per channel
    "chat.postEphemeral": Tier(100, 5),  # Tier 4
    "conversations.replies": Tier(50, 2),  # Tier 3
    "conversations.history": Tier(50, 2),  # Tier 3
}


@dataclass
class _Bucket:
    tier: Tier
    tokens: float
    at: float
    paused_until: float = 0.0

    def refill(self, now: float) -> None:
        self.tokens = min(float(self.tier.burst), self.tokens + (now - self.at) * self.tier.rate)
        self.at = now


class Budgets:
    """The token buckets of one workspace (one bot token), one per budgeted method."""

    def __init__(
        self,
        tiers: Mapping[str, Tier] = DEFAULT_TIERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        now = clock()
        self._buckets = {m: _Bucket(t, float(t.burst), now) for m, t in tiers.items()}
        self._lock = threading.Lock()

    def take(self, method: str) -> bool:
        """Spend one call of `method` now if its budget has one (unbudgeted methods always do)."""
        bucket = self._buckets.get(method)
        if bucket is None:
            return True
        with self._lock:
            now = self.clock()
            bucket.refill(now)
            if now < bucket.paused_until or bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def refund(self, method: str) -> None:
        """Give back a call taken but not made."""
        bucket = self._buckets.get(method)
        if bucket is not None:
            with self._lock:
                bucket.tokens = min(float(bucket.tier.burst), bucket.tokens + 1)

    def pause(self, method: str, seconds: float) -> None:
        """Slack answered 429: no call of `method` for `seconds` (its Retry-After)."""
        bucket = self._buckets.get(method)
        if bucket is not None:
            with self._lock:
                until = self.clock() + seconds
                bucket.paused_until = max(bucket.paused_until, until)
                bucket.tokens = 0.0

    def wait(self, method: str) -> float:
        """Seconds until `method` may be called again (0 when it may now)."""
        bucket = self._buckets.get(method)
        if bucket is None:
            return 0.0
        with self._lock:
            now = self.clock()
            bucket.refill(now)
            short = max(0.0, 1 - bucket.tokens) / bucket.tier.rate
            return max(bucket.paused_until - now, short, 0.0)

    def acquire(self, method: str, timeout: float) -> bool:
        """Wait up to `timeout` s for a call of `method`; False if none came (for workers)."""
        deadline = self.clock() + timeout
        while not self.take(method):
            left = deadline - self.clock()
            if left <= 0:
                return False
            time.sleep(min(max(self.wait(method), 0.01), left, 0.5))
        return True

    def tier(self, method: str) -> Tier | None:
        """The budget of `method`, or None when it has none."""
        bucket = self._buckets.get(method)
        return bucket.tier if bucket is not None else None


def parse_budgets(raw: str) -> dict[str, Tier]:
    """The default tiers with RELEASEBOT_SLACK_BUDGETS' overrides (`method=N,...` a minute)."""
    tiers = dict(DEFAULT_TIERS)
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        method, sep, value = part.partition("=")
        method = method.strip()
        try:
            per_minute = int(value.strip()) if sep else 0
        except ValueError:
            per_minute = 0
        if not method or per_minute < 1:
            raise ValueError(
                f"RELEASEBOT_SLACK_BUDGETS: {part!r} is not METHOD=CALLS_A_MINUTE; "
                "write e.g. chat.update=50,views.publish=100."
            )
        old = tiers.get(method)
        burst = min(old.burst if old else 1, max(1, per_minute // 10))
        tiers[method] = Tier(per_minute, burst)
    return tiers
