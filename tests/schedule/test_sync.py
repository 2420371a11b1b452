"""`/release schedule sync` and the daily sync: what changed in the file moves, once, as a slip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.schedule.models import ScheduleSource
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.kit.gate_server import Answer, GateServer
from tests.schedule.builders import CHANNEL, LEAD, posts_with, say, send, shown, token
from tests.schedule.conftest import Bots
from tests.schedule.upstream_kit import (
    SIG_RELEASE,
    at,
    fixture,
    milestones,
    put,
    run,
    start_bot,
    team,
)
from tests.schedule.upstream_kit import (
    UTC as UTC_ZONE,
)
from tests.support.burndown import dms

MAY = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)
DOCS_FREEZE_ROW = "Wednesday 5th August 2026 (AoE) / Thursday 6th August 2026, 12:00 UTC"
SLIPPED_ROW = "Wednesday 12th August 2026 (AoE) / Thursday 13th August 2026, 12:00 UTC"


@pytest.fixture
def files() -> Iterator[GateServer]:
    with GateServer() as server:
        put(server, SIG_RELEASE, fixture("sig-release-1.37-README.md"))
        yield server


def imported(bots: Bots, files: GateServer) -> RunningBot:
    bot = start_bot(bots, MAY)
    team(bot, U_LEAD="America/Los_Angeles")
    say(bot, "new v1.37 on 2026-08-26 10:00 America/Los_Angeles")
    run(bot, f"schedule import {files.url(SIG_RELEASE)}", "Imported")
    bot.fake.wait_for(lambda: posts_with(bot, "imported the schedule"))
    return bot


def slip_the_docs_freeze(files: GateServer) -> None:
    """The timeline's Docs Freeze row moves a week later (the summary above it stays)."""
    lines = fixture("sig-release-1.37-README.md").split("\n")
    rows = [n for n, line in enumerate(lines) if line.startswith("| **[Docs Freeze]**")]
    assert len(rows) == 1 and DOCS_FREEZE_ROW in lines[rows[0]]
    lines[rows[0]] = lines[rows[0]].replace(DOCS_FREEZE_ROW, SLIPPED_ROW)
    put(files, SIG_RELEASE, "\n".join(lines))


def slips(bot: RunningBot) -> list[str]:
    return [str(c.args) for c in posts_with(bot, "*Slip:*")]


def test_a_sync_after_one_date_changed_moves_that_milestone_and_posts_one_slip(
    bots: Bots, files: GateServer
) -> None:
    bot = imported(bots, files)
    before = {name: m.at for name, m in milestones(bot).items()}
    slip_the_docs_freeze(files)
    answer = run(bot, "schedule sync", "moved")
    assert "1 milestone moved (announced as slips)" in answer
    after = {name: m.at for name, m in milestones(bot).items()}
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"Docs Freeze"}
    assert after["Docs Freeze"] == at("2026-08-13", "12:00", UTC_ZONE)
    posted = bot.fake.wait_for(lambda: slips(bot))
    assert len(posted) == 1
    old, new = at("2026-08-06", "12:00", UTC_ZONE), at("2026-08-13", "12:00", UTC_ZONE)
    assert "*Docs Freeze*" in posted[0] and f"~{token(old)}" in posted[0]
    assert f"*To:* {token(new)}" in posted[0]
    assert "unchanged" in run(bot, "schedule sync", "unchanged")
    assert len(slips(bot)) == 1


def test_an_unchanged_source_posts_nothing(bots: Bots, files: GateServer) -> None:
    bot = imported(bots, files)
    posts = len(bot.fake.posts(CHANNEL))
    assert "nothing moved" in run(bot, "schedule sync", "unchanged")
    assert len(bot.fake.posts(CHANNEL)) == posts and files.hits(SIG_RELEASE) == 2


def unreadable(bot: RunningBot) -> list[Call]:
    """The DMs telling the lead the source could not be read."""
    return [c for c in dms(bot.fake, LEAD) if "could not read" in str(c.args)]


def _yesterday(bot: RunningBot) -> None:
    """As if the last daily sync had been yesterday: today's is due."""
    with bot.services.db.session() as s:
        for source in s.exec(select(ScheduleSource)):
            source.auto_day = "2026-04-30"
            s.add(source)


def test_the_daily_sync_moves_a_slipped_milestone_once(bots: Bots, files: GateServer) -> None:
    bot = imported(bots, files)
    slip_the_docs_freeze(files)
    _yesterday(bot)
    posted = bot.fake.wait_for(lambda: slips(bot), timeout=15)
    assert len(posted) == 1 and "*Docs Freeze*" in posted[0]
    assert milestones(bot)["Docs Freeze"].at == at("2026-08-13", "12:00", UTC_ZONE)
    second = bots.start(MAY, gate_allow=("127.0.0.1",))  # another replica: the day is claimed
    bot.fake.wait_for(lambda: second.services.scheduler.heartbeat is not None, timeout=10)
    assert files.hits(SIG_RELEASE) == 2 and len(slips(bot)) == 1


def test_an_unreachable_source_is_told_to_the_leads_once(bots: Bots, files: GateServer) -> None:
    bot = imported(bots, files)
    files.answers[SIG_RELEASE] = Answer(404, "Not Found", {"Content-Type": "text/plain"})
    _yesterday(bot)
    told_lead = bot.fake.wait_for(lambda: unreadable(bot), timeout=15)
    assert "HTTP 404" in str(told_lead[0].args)
    _yesterday(bot)
    bot.fake.wait_for(lambda: files.hits(SIG_RELEASE) >= 3, timeout=15)
    assert len(unreadable(bot)) == 1
    with bot.services.db.read() as s:
        source = s.exec(select(ScheduleSource)).one()
        assert source.failing_since is not None and "404" in (source.failure or "")
    listing = shown(send(bot, "schedule"))
    assert "Imported from" in listing and "could not be read since" in listing
