"""People's Slack profiles, as far as the bot needs them: their timezone."""

from __future__ import annotations

import logging
import threading
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

from bot.domain.errors import DomainError

log = logging.getLogger(__name__)

FALLBACK_ZONE = ZoneInfo("UTC")
TTL_SECONDS = 3600.0


class Directory:
    """Looks up profile timezones with users.info, cached for an hour.

    This runs inside a request that must be answered within 3 s, so its client does not
    wait out rate limits; a failed lookup is told to the user instead of guessed.
    """

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._cache: dict[str, tuple[float, ZoneInfo]] = {}
        self._lock = threading.Lock()

    def zone_of(self, user_id: str) -> ZoneInfo:
        """The user's profile timezone; UTC when Slack does not say."""
        with self._lock:
            hit = self._cache.get(user_id)
            if hit and time.monotonic() - hit[0] < TTL_SECONDS:
                return hit[1]
        zone = self._fetch(user_id)
        with self._lock:
            self._cache[user_id] = (time.monotonic(), zone)
        return zone

    def zones_of(self, user_ids: list[str]) -> dict[str, ZoneInfo]:
        """Profile timezones of several people."""
        return {user: self.zone_of(user) for user in user_ids}

    def _fetch(self, user_id: str) -> ZoneInfo:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except Exception as err:
            log.warning("users.info for %s failed: %s", user_id, err)
            raise DomainError(
                "I could not read your timezone from Slack just now. "
                "Name one in the command (like `PT` or `Europe/Berlin`), or try again."
            ) from None
        try:
            return ZoneInfo(user.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return FALLBACK_ZONE
