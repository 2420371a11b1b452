"""The escalation ladder of a role (owners, shadow, lead) over a real database, and the
`/release escalation` command that sets its waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.db import Database
from bot.core.errors import DomainError, Forbidden
from bot.core.text.timeparse import ParseError
from bot.release import roles
from bot.release import service as releases
from bot.release.escalation import (
    Rung,
    escalation_ladder,
    next_rungs,
    parse_waits,
    set_waits,
)
from bot.release.models import Release
from tests.conftest import RunningBot
from tests.support.actor import acting
from tests.support.release import CHANNEL, LEAD, answer, mrkdwn_of, new_release

NOW = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # 03:00 in Los Angeles, 11:00 in Berlin
ZONES = {
    "U_SAM": "America/Los_Angeles",
    "U_KIM": "Europe/Berlin",
    "U_LEAD": "Asia/Kolkata",
    "U_NOZONE": "",
}
HOUR = timedelta(hours=1)


def zone_of(user: str) -> ZoneInfo:
    if not ZONES.get(user):
        raise DomainError("Slack could not say")
    return ZoneInfo(ZONES[user])


def release_with(db: Database, holders: dict[str, list[str]]) -> Release:
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id="C1",
            name="v1",
            release_at=None,
            zone=ZoneInfo("UTC"),
            actor=LEAD,
            now=NOW,
        )
        for role, users in holders.items():
            roles.assign(s, release, role=role, users=users, actor=acting(LEAD), now=NOW)
    return release


def ladder(db: Database, release: Release, role: str = "docs", **kw: object) -> list[Rung]:
    with db.read() as s:
        fresh = s.get(Release, release.id)
        assert fresh is not None
        return escalation_ladder(s, fresh, role, NOW, zone_of, default_wait=HOUR, **kw)  # type: ignore[arg-type]


def test_owners_then_shadow_then_lead_each_with_who_is_off_work(db: Database) -> None:
    release = release_with(db, {"docs": ["U_SAM"], "docs-shadow": ["U_KIM"]})
    rungs = ladder(db, release)
    assert [(r.label, r.role, r.holders) for r in rungs] == [
        ("owners", "docs", ["U_SAM"]),
        ("backup", "docs-shadow", ["U_KIM"]),
        ("lead", "lead", [LEAD]),
    ]
    assert [r.awake for r in rungs] == [False, True, True]
    assert rungs[0].away == {"U_SAM": "03:00"} and rungs[1].away == {}
    told = next_rungs(rungs, 0)
    assert [r.label for r in told.rungs] == ["owners", "backup"]
    assert told.following is rungs[2] and told.wait == HOUR
    last = next_rungs(rungs, 2)
    assert [r.label for r in last.rungs] == ["lead"] and last.following is None
    assert last.wait is None


def test_no_shadow_means_the_old_owners_then_lead_and_an_empty_role_falls_to_the_lead(
    db: Database,
) -> None:
    release = release_with(db, {"docs": ["U_SAM"]})
    assert [r.label for r in ladder(db, release)] == ["owners", "lead"]
    nobody = ladder(db, release, role="comms")
    assert [(r.label, r.holders, r.fell_to_lead) for r in nobody] == [("owners", [LEAD], True)]


def test_the_release_waits_apply_in_order_and_the_last_repeats(db: Database) -> None:
    release = release_with(db, {"docs": ["U_SAM"], "docs-shadow": ["U_KIM"]})
    with db.session() as s:
        fresh = s.get(Release, release.id)
        assert fresh is not None
        waits = (timedelta(minutes=30),)
        assert set_waits(s, fresh, waits, actor=acting(LEAD), now=NOW)
        assert not set_waits(s, fresh, waits, actor=acting(LEAD), now=NOW)
        with pytest.raises(Forbidden):
            set_waits(s, fresh, None, actor=acting("U_KIM"), now=NOW)
    assert [r.wait for r in ladder(db, release)] == [timedelta(minutes=30)] * 3


def test_an_unknown_zone_counts_as_awake_and_a_sleeping_group_is_named(db: Database) -> None:
    release = release_with(db, {"docs": ["U_NOZONE"], "docs-shadow": ["S_APAC"]})
    rungs = ladder(db, release, members_of=lambda g: frozenset({"U_SAM"}))
    assert rungs[0].awake and rungs[0].away == {}
    assert not rungs[1].awake and rungs[1].groups_away == ["S_APAC"]


def test_waits_are_read_like_durations() -> None:
    assert parse_waits(["30m,1h"]) == (timedelta(minutes=30), HOUR)
    assert parse_waits(["30m", "45m"]) == (timedelta(minutes=30), timedelta(minutes=45))
    with pytest.raises(ParseError):
        parse_waits(["soon"])
    with pytest.raises(ParseError):
        parse_waits(["1m,1m,1m,1m,1m,1m"])


def test_the_command_shows_sets_announces_and_resets_the_ladder(bot: RunningBot) -> None:
    answer(new_release(bot))

    def escalation(text: str, user: str = LEAD) -> str:
        cmd = f"escalation {text}".strip()
        return answer(bot.slack.command("/release", cmd, user_id=user, channel_id=CHANNEL))

    shown = escalation("")
    assert "When a step runs past its expected time or a gate stays red" in shown
    assert "each after the step's expected duration (the default; for a gate" in shown
    assert "away by their Slack status, or on a public holiday" in shown
    assert "Only a lead of this release can set the escalation" in escalation("30m", "U_X")
    shown = escalation("30m,45m")
    assert "backup (`ROLE-shadow`, when it has one) after 30m, then the lead after 45m" in shown
    note = bot.fake.wait_for(
        lambda: [p for p in bot.fake.posts(CHANNEL) if ":ladder:" in mrkdwn_of(p)]
    )
    assert f"<@{LEAD}> changed the escalation" in mrkdwn_of(note[0])
    assert "after 30m" in escalation("")
    assert escalation("30m,45m").startswith("Nothing changed.")
    assert "(the default; for a gate" in escalation("default")
    assert "is not a duration" in escalation("soon")
