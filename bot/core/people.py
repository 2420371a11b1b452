"""People's Slack profiles, as far as the bot needs them: their timezone."""

from __future__ import annotations

import logging
import threading
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import DomainError

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


GROUP_TTL_SECONDS = 60.0


class Groups:
    """Members of Slack user groups (usergroups.users.list), cached for a minute."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members_of(self, group_id: str) -> frozenset[str]:
        """The group's members now; DomainError when Slack cannot say."""
        with self._lock:
            hit = self._cache.get(group_id)
            if hit and time.monotonic() - hit[0] < GROUP_TTL_SECONDS:
                return hit[1]
        try:
            answer = self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as err:
            error = err.response.get("error", "")
            if error == "plan_upgrade_required":
                raise DomainError(
                    "This workspace has no user groups (Slack offers them on paid plans): "
                    "name people instead."
                ) from None
            log.warning("usergroups.users.list for %s failed: %s", group_id, error)
            raise DomainError(f"I could not read the members of <!subteam^{group_id}>.") from None
        except Exception as err:
            log.warning("usergroups.users.list for %s failed: %s", group_id, err)
            raise DomainError(
                f"I could not read the members of <!subteam^{group_id}> just now; try again."
            ) from None
        members = frozenset(str(u) for u in answer.get("users") or [])
        with self._lock:
            self._cache[group_id] = (time.monotonic(), members)
        return members


class Creators:
    """RELEASEBOT_RELEASE_CREATORS: the people and groups who may start releases and add gates.

    Empty means anyone; workspace admins (RELEASEBOT_ADMINS) always may.
    """

    def __init__(self, allowed: frozenset[str], admins: frozenset[str], groups: Groups) -> None:
        self.allowed = allowed
        self.admins = admins
        self.groups = groups

    def allows(self, user_id: str) -> bool:
        """True when the person is listed, in a listed group, or an admin."""
        if not self.allowed or user_id in self.admins or user_id in self.allowed:
            return True
        return any(
            user_id in self.groups.members_of(entry)
            for entry in sorted(self.allowed)
            if entry.startswith("S")
        )

    def describe(self) -> str:
        """Who may, as mentions (people and groups)."""
        people = [f"<@{e}>" for e in sorted(self.allowed) if not e.startswith("S")]
        groups = [f"<!subteam^{e}>" for e in sorted(self.allowed) if e.startswith("S")]
        return ", ".join(people + groups) or "anyone"
