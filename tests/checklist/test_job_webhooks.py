"""Steps whose job is behind a webhook: a signed event goes out, the job reports via the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.checklist import ids
from bot.checklist.models import ChecklistJob
from tests.conftest import RunningBot
from tests.kit.github_server import GitHubServer
from tests.kit.webhook_receiver import Received, Receiver
from tests.support.api import api, make_token, release_id
from tests.support.checklist import (
    BM,
    CHANNEL,
    LEAD,
    MakeBot,
    answer,
    new_release,
    start,
    steps_of,
    thread,
    told,
    value_of,
    write_template,
)

SECRET_SHOWN = re.compile(r"`(whsec_[A-Za-z0-9+/=]+)`")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found


def hooked_bot(
    make_bot: MakeBot, tmp_path: Path, url: str, timeout: str | None = None
) -> RunningBot:
    run: dict[str, Any] = {"webhook": {"url": url}}
    if timeout:
        run["timeout"] = timeout
    steps = [
        {"title": "Publish packages", "owner": "branch-manager", "run": run},
        {"title": "Announce", "owner": "docs"},
    ]
    directory = tmp_path / "templates"
    directory.mkdir(exist_ok=True)
    write_template(directory, "t", steps)
    bot = make_bot(templates_dir=directory, gate_allow=("127.0.0.1",), gate_timeout=1.0)
    new_release(bot, {"branch-manager": [BM]})
    return bot


def add_webhook(bot: RunningBot, url: str) -> str:
    """A lead's `/release webhook add URL [EVENTS]`: the endpoint's secret, shown once."""
    reply = answer(
        bot.slack.command("/release", f"webhook add {url}", user_id=LEAD, channel_id=CHANNEL)
    )
    found = SECRET_SHOWN.search(reply)
    assert found, reply
    return found.group(1)


def press_run(bot: RunningBot, ts: str, user: str = BM) -> None:
    answer(
        bot.slack.click(
            user_id=user,
            channel_id=CHANNEL,
            action_id=ids.RUN_ACTION,
            value=value_of(steps_of(bot)[0]),
            message_ts=ts,
        )
    )


def step_runs(receiver: Receiver) -> list[Received]:
    return [r for r in receiver.received if b'"step.run"' in r.body]


def test_a_webhook_step_sends_a_signed_event_and_the_job_reports_done_through_the_api(
    make_bot: MakeBot, tmp_path: Path, receiver: Receiver
) -> None:
    bot = hooked_bot(make_bot, tmp_path, receiver.url())
    secret = add_webhook(bot, receiver.url())
    ts = start(bot)
    press_run(bot, ts)
    press_run(bot, ts)  # pressed twice: one event
    (sent,) = bot.fake.wait_for(lambda: step_runs(receiver), timeout=10)
    event = sent.verified(secret)  # signed with the endpoint's own secret
    data: dict[str, Any] = event["data"]  # type: ignore[assignment]
    rid = release_id(bot)
    assert event["type"] == "step.run"
    assert data["position"] == 1 and data["title"] == "Publish packages"
    assert data["started_by"] == BM and data["attempt"] == 1
    assert data["callback"] == {
        "done": f"/api/v1/releases/{rid}/steps/1/done",
        "failed": f"/api/v1/releases/{rid}/steps/1/failed",
    }
    assert any("already pressed Run" in t for t in told(bot, BM))
    bot.fake.wait_for(lambda: any("signed event goes to" in t for t in thread(bot, ts)))

    token = make_token(bot, "publisher", "write")
    with api(bot, token) as client:
        path = str(data["callback"]["done"]).removeprefix("/api/v1")
        resp = client.post(path, json=data["report"])
        assert resp.status_code == 200, resp.text
        assert resp.json()["opened"]["title"] == "Announce"
    assert [s.state for s in steps_of(bot)] == ["done", "active"]
    bot.fake.wait_for(lambda: any("you're up with *2. Announce*" in t for t in thread(bot, ts)))
    assert len(step_runs(receiver)) == 1


def test_a_webhook_job_that_reports_failure_fails_the_step_and_pings(
    make_bot: MakeBot, tmp_path: Path, receiver: Receiver
) -> None:
    bot = hooked_bot(make_bot, tmp_path, receiver.url())
    secret = add_webhook(bot, receiver.url())
    ts = start(bot)
    press_run(bot, ts)
    (sent,) = bot.fake.wait_for(lambda: step_runs(receiver), timeout=10)
    data: dict[str, Any] = sent.verified(secret)["data"]  # type: ignore[assignment]
    with api(bot, make_token(bot, "publisher", "write")) as client:
        path = str(data["callback"]["failed"]).removeprefix("/api/v1")
        resp = client.post(path, json={**data["report"], "reason": "the mirror refused the upload"})
        assert resp.status_code == 200, resp.text
    assert steps_of(bot)[0].state == "failed"
    failed = bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if ":x:" in t])
    assert "the mirror refused the upload" in failed[0] and f"<@{LEAD}>" in failed[0]


def test_a_webhook_step_that_hears_nothing_within_its_timeout_fails(
    make_bot: MakeBot, tmp_path: Path, receiver: Receiver
) -> None:
    bot = hooked_bot(make_bot, tmp_path, receiver.url(), timeout="2s")
    add_webhook(bot, receiver.url())
    ts = start(bot)
    press_run(bot, ts)
    failed = bot.fake.wait_for(
        lambda: [t for t in thread(bot, ts) if ":x:" in t and "heard nothing" in t], timeout=15
    )
    assert "heard nothing from the job within the template's timeout of 2s" in failed[0]
    assert f"<@{LEAD}>: the lead is needed" in failed[0]
    assert steps_of(bot)[0].state == "failed"


def test_a_webhook_step_whose_url_is_no_webhook_of_the_release_is_refused(
    make_bot: MakeBot, tmp_path: Path, receiver: Receiver
) -> None:
    bot = hooked_bot(make_bot, tmp_path, receiver.url())
    ts = start(bot)
    press_run(bot, ts)
    said = bot.fake.wait_for(lambda: [t for t in told(bot, BM) if "not one of" in t])
    assert "/release webhook add URL" in said[0] and "Nothing was sent" in said[0]
    with bot.services.db.read() as s:
        assert s.exec(select(ChecklistJob)).all() == []
    assert receiver.received == []


def test_a_github_job_that_ends_is_heard_by_the_release_webhooks(
    make_bot: MakeBot, tmp_path: Path, receiver: Receiver
) -> None:
    with GitHubServer() as gh:
        gh.workflows = {"kubernetes/release": {"promote.yaml"}}
        run = {"github": {"repo": "kubernetes/release", "workflow": "promote.yaml", "ref": "main"}}
        steps = [
            {"title": "Promote images", "owner": "branch-manager", "run": run},
            {"title": "Announce", "owner": "docs"},
        ]
        directory = tmp_path / "templates"
        directory.mkdir()
        write_template(directory, "t", steps)
        bot = make_bot(
            templates_dir=directory,
            gate_allow=("127.0.0.1",),
            gate_timeout=1.0,
            github_api=gh.api,
            job_poll_seconds=0.2,
        )
        new_release(bot, {"branch-manager": [BM]})
        secret = add_webhook(bot, f"{receiver.url()} step.*")
        ts = start(bot)
        press_run(bot, ts)

        def heard() -> list[dict[str, Any]]:
            bodies = [r.verified(secret) for r in receiver.received]
            return [b for b in bodies if b["type"] == "step.done"]

        (done,) = bot.fake.wait_for(heard, timeout=15)
        data: dict[str, Any] = done["data"]  # type: ignore[assignment]
        assert data["title"] == "Promote images" and data["actor"] == BM

        def types() -> list[object]:
            return [r.verified(secret)["type"] for r in receiver.received]

        # in order: the first step opened, then done by the job, then the next one opened
        bot.fake.wait_for(lambda: types().count("step.active") == 2, timeout=10)
        assert types() == ["step.active", "step.done", "step.active"]
        assert len(gh.dispatched()) == 1
