"""`/release schedule import URL`: the real published files, served on loopback, laid out.

Every expected date below was read by hand from the fixture files (see fixtures/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.models import ScheduleSource
from tests.kit.gate_server import GateServer
from tests.schedule.builders import LEAD, OTHER, posts_with, say, token
from tests.schedule.conftest import Bots
from tests.schedule.upstream_kit import (
    K8S_PATCHES,
    OPENSTACK,
    SIG_RELEASE,
    at,
    milestones,
    run,
    serve_fixtures,
    start_bot,
    team,
)
from tests.schedule.upstream_kit import UTC as UTC_ZONE

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def files() -> Iterator[GateServer]:
    with GateServer() as server:
        serve_fixtures(server)
        yield server


def test_the_sig_release_timeline_imports_with_the_dates_of_the_file(
    bots: Bots, files: GateServer
) -> None:
    bot = start_bot(bots, datetime(2026, 5, 1, 16, 0, tzinfo=UTC))
    team(bot, U_LEAD="America/Los_Angeles")
    assert "lead" in say(bot, "new v1.37 on 2026-08-26 10:00 America/Los_Angeles")
    answer = run(bot, f"schedule import {files.url(SIG_RELEASE)}", "Imported")
    assert "Kubernetes v1.37" in answer and "38 new milestones" in answer
    found = milestones(bot)
    assert len(found) == 38
    expected = {
        "Start of Release Cycle": at("2026-05-18"),
        "Begin Production Readiness Freeze": at("2026-06-10", "12:00", UTC_ZONE),
        "Begin Enhancements Freeze": at("2026-06-17", "12:00", UTC_ZONE),
        "KubeCon India": at("2026-06-18"),  # a range of days: its first
        "Begin Code Freeze and Test Freeze": at("2026-07-23", "12:00", UTC_ZONE),
        "KubeCon Japan": at("2026-07-28"),
        "v1.37.0-rc.0 released": at("2026-08-05"),
        "Docs Freeze": at("2026-08-06", "12:00", UTC_ZONE),
        "v1.37.0 released": at("2026-08-26"),
        "Feature blog publication starts": at("2026-08-27"),
    }
    for name, instant in expected.items():
        assert found[name].at == instant, name
    assert found["Begin Code Freeze and Test Freeze"].marks == "code-freeze"
    assert found["Docs Freeze"].marks == "docs-freeze"
    assert found["v1.37.0 released"].marks == "release"
    posted = bot.fake.wait_for(lambda: posts_with(bot, "imported the schedule"))
    assert token(expected["Begin Production Readiness Freeze"]) in str(posted[0].args)
    # A real finding in the real file: the placeholder deadline falls on a US public holiday.
    assert "Docs deadline — Open placeholder PRs" in answer
    assert "Independence Day (observed) in United States" in answer


def test_the_kubernetes_patch_file_imports_the_minor_the_release_is_named_for(
    bots: Bots, files: GateServer
) -> None:
    bot = start_bot(bots, datetime(2024, 9, 20, 16, 0, tzinfo=UTC))
    team(bot, U_LEAD="America/Los_Angeles")
    assert "lead" in say(bot, "new 1.31-patches on 2024-10-15 10:00 America/Los_Angeles")
    answer = run(bot, f"schedule import {files.url(K8S_PATCHES)}", "Imported")
    assert "Kubernetes 1.31 patch releases" in answer and "7 new milestones" in answer
    assert "3 already past" in answer and "Lint found nothing" in answer
    assert {name: m.at for name, m in milestones(bot).items()} == {
        "1.31 release": at("2024-08-13"),
        "1.31.1 cherry-pick deadline": at("2024-09-06"),
        "1.31.1 release": at("2024-09-11"),
        "1.31.2 cherry-pick deadline": at("2024-10-11"),
        "1.31.2 release": at("2024-10-15"),
        "1.31 maintenance mode": at("2025-08-28"),
        "1.31 end of life": at("2025-10-28"),
    }


def test_the_real_patch_file_s_own_year_typo_is_flagged(bots: Bots, files: GateServer) -> None:
    bot = start_bot(bots, datetime(2024, 9, 20, 16, 0, tzinfo=UTC))
    team(bot, U_LEAD="America/Los_Angeles")
    say(bot, "new patches on 2024-10-15 10:00 America/Los_Angeles")
    asked = run(bot, f"schedule import {files.url(K8S_PATCHES)}", "Say which one")
    assert "`1.31`, `1.30`, `1.29`, `1.28`" in asked
    answer = run(bot, f"schedule import {files.url(K8S_PATCHES)} 1.28", "Imported")
    assert "31 new milestones" in answer  # 1.28.0, .1 (`N/A`) and .4: no cherry-pick deadline
    assert milestones(bot)["1.28.6 cherry-pick deadline"].at == at("2023-01-12")
    assert "*1.28.6 cherry-pick deadline* · _year_" in answer
    assert "a typo for 2024?" in answer and "Suggested: *Fri 12 Jan 2024*" in answer
    assert answer.count("_year_") == 1
    assert "*1.28 maintenance mode* · _already past_" in answer  # not history in the file


def test_the_openstack_series_imports_each_event_on_the_thursday_of_its_week(
    bots: Bots, files: GateServer
) -> None:
    bot = start_bot(bots, datetime(2026, 10, 1, 16, 0, tzinfo=UTC))
    team(bot, U_LEAD="Europe/Berlin")
    assert "lead" in say(bot, "new indri on 2027-03-24 15:00 Europe/Berlin")
    answer = run(bot, f"schedule import {files.url(OPENSTACK)}", "Imported")
    assert "OpenStack Indri" in answer and "17 new milestones" in answer
    found = milestones(bot)
    assert len(found) == 17
    berlin = {
        "Virtual PTG": "2026-10-15",
        "Milestone 1": "2026-11-19",
        "Cycle-trailing release deadline": "2026-12-03",
        "Milestone 2": "2027-01-14",
        "Feature freeze": "2027-02-18",
        "Requirements freeze": "2027-02-18",
        "RC1 target week": "2027-03-04",
        "Hard string freeze": "2027-03-04",
        "Final RCs and intermediary releases": "2027-03-18",
        "Final release": "2027-03-24",  # the Wednesday of R+0
    }
    for name, day in berlin.items():
        assert found[name].at == at(day, zone=BERLIN), name
    assert found["Final release"].marks == "release"


def test_only_a_lead_imports_and_nothing_is_read_for_anyone_else(
    bots: Bots, files: GateServer
) -> None:
    bot = start_bot(bots, datetime(2026, 5, 1, 16, 0, tzinfo=UTC))
    say(bot, "new v1.37 on 2026-08-26 10:00 America/Los_Angeles")
    refused = say(bot, f"schedule import {files.url(SIG_RELEASE)}", user=OTHER)
    assert "Only a lead" in refused and f"<@{LEAD}>" in refused
    assert files.hits() == 0
    with bot.services.db.read() as s:
        assert s.get(ScheduleSource, 1) is None
