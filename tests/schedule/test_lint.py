"""Schedule lint, tried as a new user would: check, and the warnings after add, move, import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import RunningBot
from tests.kit.gate_server import GateServer
from tests.schedule.builders import LEAD, say
from tests.schedule.conftest import Bots
from tests.schedule.upstream_kit import (
    K8S_PATCHES,
    fixture,
    put,
    run,
    start_bot,
    team,
    told,
)

JANUARY = datetime(2030, 1, 2, 16, 0, tzinfo=UTC)


@pytest.fixture
def lbot(bots: Bots) -> RunningBot:
    """A release in LA with members in Los Angeles and Berlin, and the kubernetes schedule."""
    bot = start_bot(bots, JANUARY)
    team(bot, U_LEAD="America/Los_Angeles", U_BER="Europe/Berlin")
    assert "lead" in say(bot, "new v1.33 on 2030-04-24 10:00 America/Los_Angeles")
    assert "Laid out" in say(bot, "schedule apply kubernetes")
    return bot


def test_a_clean_schedule_has_no_findings(lbot: RunningBot) -> None:
    answer = run(lbot, "schedule check", "Lint found nothing")
    assert "_weekend_" not in answer and "_holiday_" not in answer


def test_a_milestone_on_a_saturday_is_flagged_with_the_friday_before(lbot: RunningBot) -> None:
    assert "Added" in say(lbot, "milestone add Docs review 2030-03-16")
    warned = told(lbot, "_weekend_")
    assert "*Docs review* · _weekend_" in warned
    assert "Saturday 16 March 2030 in America/Los_Angeles" in warned
    assert "Suggested: *Fri 15 Mar 2030*" in warned


def test_a_holiday_in_a_members_country_names_it_and_the_member(lbot: RunningBot) -> None:
    say(lbot, "milestone add Blog review 2030-04-19 10:00")  # Good Friday: 19:00 in Berlin
    warned = told(lbot, "_holiday_")
    assert "*Blog review* · _holiday_" in warned
    assert "Good Friday in Germany (DE)" in warned and "<@U_BER>" in warned
    assert "<@U_LEAD>" not in warned  # not a public holiday in the United States
    assert "Suggested: *Thu 18 Apr 2030*" in warned


def test_a_milestone_moved_out_of_its_templates_order_is_flagged(lbot: RunningBot) -> None:
    assert "Moved" in say(lbot, "milestone move Docs freeze 2030-03-01")
    warned = told(lbot, "_order_")
    assert "*Docs freeze* · _order_" in warned
    assert "meant to come after Release branch cut and rc.0 (Wednesday 3 April 2030)" in warned
    assert "Suggested: *Wed 3 Apr 2030*" in warned


def test_a_milestone_after_release_day_is_flagged(lbot: RunningBot) -> None:
    say(lbot, "milestone add Docs wrap-up 2030-05-02 10:00")
    warned = told(lbot, "_after release day_")
    assert "after release day (Wednesday 24 April 2030)" in warned
    assert "Suggested: *Tue 23 Apr 2030*" in warned


def test_check_lists_every_finding_and_changes_nothing(lbot: RunningBot) -> None:
    say(lbot, "milestone add Docs review 2030-03-16")
    say(lbot, "milestone add Docs wrap-up 2030-05-02 10:00")
    answer = run(lbot, "schedule check", "Lint: 2 findings")
    assert (
        "*Docs review* · _weekend_" in answer and "*Docs wrap-up* · _after release day_" in answer
    )
    assert "Findings only warn" in answer


@pytest.fixture
def files() -> Iterator[GateServer]:
    with GateServer() as server:
        yield server


def test_a_year_typo_in_a_copy_of_the_real_patch_file_is_flagged(
    bots: Bots, files: GateServer
) -> None:
    real = fixture("k8s-website-schedule.yaml")
    typo = real.replace('targetDate: "2024-10-15"', 'targetDate: "2023-10-15"', 1)
    assert typo != real
    put(files, K8S_PATCHES, typo)
    bot = start_bot(bots, datetime(2024, 9, 20, 16, 0, tzinfo=UTC))
    team(bot, U_LEAD="America/Los_Angeles")
    say(bot, "new v1.31 on 2024-10-15 10:00 America/Los_Angeles")
    answer = run(bot, f"schedule import {files.url(K8S_PATCHES)}", "Imported", user=LEAD)
    assert "*1.31.2 release* · _year_" in answer
    assert "its year 2023 differs" in answer and "Suggested: *Tue 15 Oct 2024*" in answer
    assert answer.count("_year_") == 1 and "Lint: 1 finding" in answer


def test_applying_a_template_warns_of_its_days_that_are_holidays(bots: Bots) -> None:
    bot = start_bot(bots, JANUARY)
    team(bot, U_LEAD="America/Los_Angeles")
    say(bot, "new v1.40 on 2030-12-25 10:00 America/Los_Angeles")
    assert "Laid out" in say(bot, "schedule apply kubernetes")
    warned = told(bot, "_holiday_")
    assert "*Release day* · _holiday_" in warned
    assert "Christmas Day in United States (US)" in warned and "<@U_LEAD>" in warned
    assert "Suggested: *Tue 24 Dec 2030*" in warned
