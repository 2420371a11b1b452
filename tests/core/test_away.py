"""Who is away, read from a person's Slack profile (status, timezone) through the directory's
cache: away by status, on a public holiday in their country, or neither."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.people import Directory

REPUBLIC_DAY = datetime(2027, 1, 26, 6, 0, tzinfo=UTC)  # 11:30 in Kolkata
ORDINARY_DAY = datetime(2027, 1, 27, 6, 0, tzinfo=UTC)


class Profiles:
    """users.info as Slack answers it, counting the calls."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.users = users
        self.calls = 0

    def users_info(self, user: str) -> dict[str, Any]:
        self.calls += 1
        if user not in self.users:
            raise RuntimeError("user_not_found")
        entry = self.users[user]
        return {"user": {"id": user, "tz": entry.get("tz", "UTC"), "profile": entry}}


def directory(users: dict[str, dict[str, Any]]) -> tuple[Directory, Profiles]:
    client = Profiles(users)
    return Directory(client), client  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"status_emoji": ":palm_tree:"}, "away (status :palm_tree:)"),
        ({"status_text": "Out of office until Monday"}, "away (Out of office until Monday)"),
        ({"status_text": "on VACATION"}, "away (on VACATION)"),
        (
            {"status_emoji": ":palm_tree:", "status_expiration": 1_900_000_000},
            "away (status :palm_tree:)",
        ),
        ({"status_emoji": ":palm_tree:", "status_expiration": 1_000_000_000}, None),  # expired
        ({"status_emoji": ":spiral_calendar_pad:", "status_text": "In a meeting"}, None),
        ({"status_text": "<!channel> vacation"}, "away (&lt;!channel&gt; vacation)"),
    ],
)
def test_a_slack_status_says_away(profile: dict[str, Any], expected: str | None) -> None:
    people, _ = directory({"U1": profile})
    assert people.away_of("U1", ORDINARY_DAY) == expected


def test_a_public_holiday_in_the_persons_country_is_away() -> None:
    people, client = directory({"U_ANA": {"tz": "Asia/Kolkata"}, "U_SAM": {"tz": "Europe/Berlin"}})
    assert people.away_of("U_ANA", REPUBLIC_DAY) == "on holiday (Republic Day)"
    assert people.away_of("U_ANA", ORDINARY_DAY) is None
    assert people.away_of("U_SAM", REPUBLIC_DAY) is None
    assert client.calls == 2  # each profile read once, then from the cache


def test_a_profile_slack_cannot_read_is_not_away() -> None:
    people, _ = directory({})
    assert people.away_of("U_GONE", REPUBLIC_DAY) is None
