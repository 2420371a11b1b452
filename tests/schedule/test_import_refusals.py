"""Bad schedule sources get a clear answer, and nothing is laid out: tried as a new user would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from bot.core.fetch import guard
from bot.schedule.models import Milestone
from tests.conftest import RunningBot
from tests.kit.gate_server import Answer, GateServer
from tests.schedule.builders import say
from tests.schedule.conftest import Bots
from tests.schedule.upstream_kit import K8S_PATCHES, SIG_RELEASE, fixture, put, run, start_bot

MAY = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)


@pytest.fixture
def files() -> Iterator[GateServer]:
    with GateServer() as server:
        yield server


def ready(bots: Bots, **changes: object) -> RunningBot:
    bot = start_bot(bots, MAY, **changes)
    say(bot, "new v1.31 on 2026-08-26 10:00 America/Los_Angeles")
    return bot


def none_laid_out(bot: RunningBot) -> bool:
    with bot.services.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Milestone)).one()) == 0


def refused(bot: RunningBot, url: str) -> str:
    return run(bot, f"schedule import {url}", ":warning:")


def test_a_missing_file_is_not_found(bots: Bots, files: GateServer) -> None:
    bot = ready(bots)
    files.answers["/gone.yaml"] = Answer(404, "Not Found")
    assert "not found there (HTTP 404)" in refused(bot, files.url("/gone.yaml"))
    assert none_laid_out(bot)


def test_a_web_page_is_not_a_schedule(bots: Bots, files: GateServer) -> None:
    bot = ready(bots)
    put(files, "/page", "<html><body><h1>Releases</h1><p>Soon.</p></body></html>")
    answer = refused(bot, files.url("/page"))
    assert "is not a schedule I can import: line 1" in answer
    assert "`schedules:`" in answer and "What and When" in answer
    assert none_laid_out(bot)


def test_a_patch_without_its_target_date_names_the_field_and_line(
    bots: Bots, files: GateServer
) -> None:
    bot = ready(bots)
    text = fixture("k8s-website-schedule.yaml").replace('    targetDate: "2024-10-15"\n', "", 1)
    put(files, K8S_PATCHES, text)
    answer = refused(bot, files.url(K8S_PATCHES))
    assert "line 10: patch 1.31.2 has no `targetDate`" in answer  # the patch starts there
    assert none_laid_out(bot)


def test_a_timeline_day_that_is_no_date_names_its_line(bots: Bots, files: GateServer) -> None:
    bot = ready(bots)
    text = fixture("sig-release-1.37-README.md").replace("Friday 22nd May 2026", "Friday 22nd", 1)
    put(files, SIG_RELEASE, text)
    answer = refused(bot, files.url(SIG_RELEASE))
    assert "line 52: `Friday 22nd` has no month I can read" in answer


def test_a_file_too_large_is_refused_with_the_limit(bots: Bots, files: GateServer) -> None:
    bot = ready(bots)
    put(files, "/huge.yaml", "schedules:\n" + "# padding\n" * 60_000)
    assert "larger than 512 KB" in refused(bot, files.url("/huge.yaml"))


def test_a_slow_server_is_cut_off_at_the_time_limit(bots: Bots, files: GateServer) -> None:
    bot = ready(bots, gate_timeout=0.5)
    files.answers["/slow.yaml"] = Answer(200, "schedules: []", delay=3.0)
    assert "no answer within 0.5s (timed out)" in refused(bot, files.url("/slow.yaml"))


def test_the_address_guard_refuses_a_private_address(
    bots: Bots, files: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = ready(bots, gate_allow=())
    monkeypatch.setattr(guard, "resolve", lambda h, p: ["10.1.2.3"] if h == "intra.test" else [])
    answer = refused(bot, "http://intra.test/schedule.yaml")
    assert "refused" in answer and "10.1.2.3, a private address" in answer
    assert "RELEASEBOT_GATE_ALLOW" in answer
    assert files.hits() == 0


def test_a_secret_in_the_url_needs_a_grant(bots: Bots, files: GateServer) -> None:
    bot = ready(bots)
    answer = refused(bot, files.url("/s.yaml?token=${RELEASEBOT_SLACK_BOT_TOKEN}"))
    assert "not granted" in answer and "nothing sent" in answer
    assert files.hits() == 0


def test_a_url_is_required_in_the_right_form(bots: Bots) -> None:
    bot = ready(bots)
    assert "is not a URL" in say(bot, "schedule import ftp-thing")
    assert "Give the schedule file's URL" in say(bot, "schedule import")
    assert "not a minor release" in say(bot, "schedule import https://example.test/x.yaml latest")
