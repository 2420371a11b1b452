"""People's Slack profiles as far as the bot needs them (timezone, name, whether they are away),
and user groups."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import DomainError
from bot.core.holidays import holiday_in_zone
from bot.core.text.escape import escape, shorten

log = logging.getLogger(__name__)

FALLBACK_ZONE = ZoneInfo("UTC")
TTL_SECONDS = 3600.0
# A Slack status is read again after this long (people set and clear it during the day).
STATUS_TTL_SECONDS = 600.0
AWAY_EMOJI = frozenset({":palm_tree:", ":desert_island:", ":airplane:"})
AWAY_WORDS = re.compile(
    r"\b(vacation|vacationing|holiday|holidays|out of (the )?office|ooo|on leave|pto|off sick)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Profile:
    """What the bot keeps of a person's Slack profile."""

    zone: ZoneInfo
    name: str
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0  # Unix seconds; 0: the status does not expire


def away_by_status(profile: Profile, now: datetime) -> str | None:
    """`away (Vacationing)` when the Slack status says the person is away now, else None.

    Away is the :palm_tree: emoji (or a plane, an island) or words like "vacation" or "out of
    office", with no expiry or one still ahead.
    """
    if profile.status_expiration and profile.status_expiration <= now.timestamp():
        return None
    text = profile.status_text.strip()
    if profile.status_emoji not in AWAY_EMOJI and not AWAY_WORDS.search(text):
        return None
    shown = escape(shorten(text, 80)) if text else f"status {profile.status_emoji}"
    return f"away ({shown})"


# How long a user group's members are kept before Slack is asked again.
GROUP_TTL_SECONDS = 60.0


class Directory:
    """Profile timezones and names (users.info, cached for an hour) and user groups' members.

    Group members come through `groups`, cached for a minute. This runs inside a request
    that must be answered within 3 s, so its client does not wait out rate limits; a failed
    timezone lookup is told to the user instead of guessed.
    """

    def __init__(self, client: WebClient, groups: Groups | None = None) -> None:
        self.client = client
        self.groups = groups or Groups(client)
        self._cache: dict[str, tuple[float, Profile]] = {}
        self._lock = threading.Lock()

    def zone_of(self, user_id: str) -> ZoneInfo:
        """The user's profile timezone; UTC when Slack does not say."""
        return self._profile(user_id).zone

    def away_of(self, user_id: str, now: datetime) -> str | None:
        """Why the person is away now, or None: their Slack status, or a public holiday in
        their country (from their timezone): `on holiday (Republic Day)`.

        Read from the profile cache (the status at most 10 minutes old); meant for timers
        and senders, never a click's request path. None when Slack cannot say.
        """
        try:
            profile = self._profile(user_id, STATUS_TTL_SECONDS)
        except DomainError:
            return None
        by_status = away_by_status(profile, now)
        if by_status:
            return by_status
        found = holiday_in_zone(profile.zone.key, now.astimezone(profile.zone).date())
        return f"on holiday ({escape(found.name)})" if found else None

    def zones_of(self, user_ids: list[str]) -> dict[str, ZoneInfo]:
        """Profile timezones of several people."""
        return {user: self.zone_of(user) for user in user_ids}

    def name_of(self, holder: str) -> str:
        """A person's display name, or a group's @handle, as plain text (never a mention).

        Never raises: when Slack cannot say, a neutral word stands in.
        """
        try:
            if holder.startswith("S"):
                return self.groups.handle_of(holder)
            return self._profile(holder).name
        except DomainError:
            return "a user group" if holder.startswith("S") else "a teammate"

    def members_of(self, group_id: str) -> frozenset[str]:
        """The members of a user group now (cached briefly); DomainError when Slack cannot say."""
        return self.groups.members_of(group_id)

    def _profile(self, user_id: str, max_age: float = TTL_SECONDS) -> Profile:
        with self._lock:
            hit = self._cache.get(user_id)
            if hit and time.monotonic() - hit[0] < max_age:
                return hit[1]
        profile = self._fetch(user_id)
        with self._lock:
            self._cache[user_id] = (time.monotonic(), profile)
        return profile

    def _fetch(self, user_id: str) -> Profile:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except Exception as err:
            log.warning("users.info for %s failed: %s", user_id, err)
            raise DomainError(
                "I could not read your timezone from Slack just now. "
                "Name one in the command (like `PT` or `Europe/Berlin`), or try again."
            ) from None
        profile = user.get("profile") or {}
        name = str(
            profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id
        )
        try:
            zone = ZoneInfo(user.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = FALLBACK_ZONE
        return Profile(
            zone,
            name,
            str(profile.get("status_emoji") or ""),
            str(profile.get("status_text") or ""),
            _int(profile.get("status_expiration")),
        )


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


class Groups:
    """Members of Slack user groups (usergroups.users.list), cached for `ttl_seconds`.

    The cache is short so that a change of a group in Slack counts within a minute, without
    a command; it keeps a burst of clicks from asking Slack (rate tier 2) each time.
    """

    def __init__(self, client: WebClient, ttl_seconds: float = GROUP_TTL_SECONDS) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._handles: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def members_of(self, group_id: str) -> frozenset[str]:
        """The group's members now; DomainError when Slack cannot say."""
        with self._lock:
            hit = self._cache.get(group_id)
            if hit and time.monotonic() - hit[0] < self.ttl_seconds:
                return hit[1]
        try:
            answer = self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as err:
            raise _group_error(group_id, err) from None
        except Exception as err:
            log.warning("usergroups.users.list for %s failed: %s", group_id, err)
            raise DomainError(
                f"I could not read the members of <!subteam^{group_id}> just now; try again."
            ) from None
        members = frozenset(str(u) for u in answer.get("users") or [])
        with self._lock:
            self._cache[group_id] = (time.monotonic(), members)
        return members

    def handle_of(self, group_id: str) -> str:
        """The group's `@handle` as plain text (usergroups.list, cached for an hour)."""
        with self._lock:
            hit = self._handles.get(group_id)
            if hit and time.monotonic() - hit[0] < TTL_SECONDS:
                return hit[1]
        try:
            answer = self.client.usergroups_list()
        except SlackApiError as err:
            raise _group_error(group_id, err) from None
        except Exception as err:
            log.warning("usergroups.list failed: %s", err)
            raise DomainError("I could not read the user groups just now.") from None
        now = time.monotonic()
        with self._lock:
            for group in answer.get("usergroups") or []:
                handle = str(group.get("handle") or group.get("name") or "")
                if group.get("id") and handle:
                    self._handles[str(group["id"])] = (now, f"@{handle}")
            found = self._handles.get(group_id)
        if found is None:
            raise DomainError("Slack does not know that user group.")
        return found[1]


def _group_error(group_id: str, err: SlackApiError) -> DomainError:
    """What to tell the user when Slack refuses to say who is in a group."""
    error = err.response.get("error", "")
    if error == "plan_upgrade_required":
        return DomainError(
            "This workspace has no user groups (Slack offers them on paid plans): "
            "name people instead."
        )
    log.warning("Slack refused to read user group %s: %s", group_id, error)
    if error in ("no_such_subteam", "subteam_not_found"):
        return DomainError(
            f"Slack does not know the user group `{group_id}`; pick it from the list."
        )
    return DomainError(f"I could not read the members of <!subteam^{group_id}>.")


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
