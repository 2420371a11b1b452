"""Steps that run a GitHub Actions job, driven as Slack drives them, against a GitHub stand-in."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.checklist import ids
from bot.checklist.models import Checklist, ChecklistJob
from tests.conftest import RunningBot
from tests.kit.github_server import GitHubServer
from tests.support.checklist import (
    BM,
    CHANNEL,
    DOCS,
    LEAD,
    MakeBot,
    answer,
    buttons,
    new_release,
    start,
    steps_of,
    thread,
    told,
    value_of,
    write_template,
)

TOKEN = "ghp_granted_for_the_api_host_only"
REPO, WORKFLOW = "kubernetes/release", "promote.yaml"


def job_steps(**github: Any) -> list[dict[str, Any]]:
    run = {
        "repo": REPO,
        "workflow": WORKFLOW,
        "ref": "release-1.33",
        "inputs": {"version": "{release.version}", "dry_run": False},
        "correlation": "releasebot_run",
        **github,
    }
    run = {key: value for key, value in run.items() if value is not None}
    return [
        {"title": "Promote images", "owner": "branch-manager", "run": {"github": run}},
        {"title": "Announce", "owner": "docs"},
    ]


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.workflows = {REPO: {WORKFLOW}}
        server.run_name = "Promote {version} [{releasebot_run}]"
        yield server


def job_bot(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer, steps: list[dict[str, Any]], **more: Any
) -> RunningBot:
    directory = tmp_path / "templates"
    directory.mkdir(exist_ok=True)
    write_template(directory, "t", steps)
    return make_bot(
        templates_dir=directory,
        github_api=gh.api,
        gate_allow=("127.0.0.1",),
        gate_grants={"GITHUB_TOKEN": ("127.0.0.1",)},
        gate_secret_values={"GITHUB_TOKEN": TOKEN},
        job_poll_seconds=0.2,
        rehearsal_run_seconds=0.5,
        **more,
    )


def run(bot: RunningBot, user: str, value: str, ts: str, action: str = ids.RUN_ACTION) -> str:
    return answer(
        bot.slack.click(
            user_id=user, channel_id=CHANNEL, action_id=action, value=value, message_ts=ts
        )
    )


def jobs(bot: RunningBot) -> list[ChecklistJob]:
    with bot.services.db.read() as s:
        return list(s.exec(select(ChecklistJob)))


def replied(bot: RunningBot, ts: str, *parts: str) -> str:
    """The first thread reply holding every part, once it is there."""

    def found() -> str | None:
        return next((t for t in thread(bot, ts) if all(p in t for p in parts)), None)

    return bot.fake.wait_for(found, timeout=15)


def test_run_dispatches_once_follows_the_run_to_done_and_opens_the_next_step(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    bot = job_bot(make_bot, tmp_path, gh, job_steps())
    answer(
        bot.slack.command(
            "/release", "new v1.33.0 on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL
        )
    )
    answer(
        bot.slack.command(
            "/release", f"role branch-manager <@{BM}>", user_id=LEAD, channel_id=CHANNEL
        )
    )
    ts = start(bot)
    first = steps_of(bot)[0]
    assert buttons(bot, ts)[ids.RUN_ACTION] == value_of(first)
    message = bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {})
    assert "`kubernetes/release` `promote.yaml` on `release-1.33` (press Run)" in message

    # someone who neither owns the step nor leads is refused, and nothing is sent
    run(bot, DOCS, value_of(first), ts)
    refusal = bot.fake.wait_for(lambda: [t for t in told(bot, DOCS) if "can run its job" in t])
    assert f"Only *branch-manager* (<@{BM}>) or a lead (<@{LEAD}>)" in refusal[0]
    assert gh.dispatched() == []

    run(bot, BM, value_of(first), ts)
    running = replied(bot, ts, "is running", "started by")
    (sent,) = gh.dispatched()
    job = jobs(bot)[0]
    assert sent["ref"] == "release-1.33" and sent["return_run_details"] is True
    assert sent["inputs"] == {
        "version": "1.33.0",
        "dry_run": "false",
        "releasebot_run": job.correlation,
    }
    assert gh.dispatches[0][2]["Authorization"] == f"Bearer {TOKEN}"
    run_id = next(iter(gh.runs))
    assert f"<{gh.api}/{REPO}/actions/runs/{run_id}|run {run_id}>" in running
    assert f"started by <@{BM}>" in running

    done = replied(bot, ts, "done by the job")
    assert f"run {run_id}>, started by <@{BM}>" in done
    bot.fake.wait_for(lambda: any("you're up with *2. Announce*" in t for t in thread(bot, ts)))
    assert [s.state for s in steps_of(bot)] == ["done", "active"]
    assert gh.runs[run_id].statuses[-1] == "completed"
    assert "queued" in gh.runs[run_id].statuses and "in_progress" in gh.runs[run_id].statuses
    assert gh.not_modified >= 1, "the run was not asked with its ETag"
    shown = bot.fake.wait_for(
        lambda: (
            (t := bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
            and "done by the job" in t
            and t
        )
    )
    assert f"started by <@{BM}>" in shown

    # the old button, pressed again, starts nothing
    run(bot, BM, value_of(first), ts)
    bot.fake.wait_for(lambda: [t for t in told(bot, BM) if "already marked done" in t])
    assert len(gh.dispatched()) == 1


def test_a_failing_run_fails_the_step_with_its_link_pings_and_retry_offers_run_again(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.conclusion = "failure"
    bot = job_bot(make_bot, tmp_path, gh, job_steps())
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    failed = replied(bot, ts, ":x:", "failed")
    run_id = next(iter(gh.runs))
    assert "the run ended failure" in failed
    assert f"<{gh.api}/{REPO}/actions/runs/{run_id}|run {run_id}>" in failed
    assert f"<@{LEAD}>: the lead is needed" in failed
    assert steps_of(bot)[0].state == "failed"
    bot.fake.wait_for(lambda: ids.RETRY_ACTION in buttons(bot, ts))

    answer(
        bot.slack.click(
            user_id=BM,
            channel_id=CHANNEL,
            action_id=ids.RETRY_ACTION,
            value=value_of(steps_of(bot)[0]),
            message_ts=ts,
        )
    )
    again = steps_of(bot)[0]
    bot.fake.wait_for(lambda: buttons(bot, ts).get(ids.RUN_ACTION) == value_of(again))
    gh.conclusion = "success"
    run(bot, BM, value_of(again), ts)
    replied(bot, ts, "done by the job")
    assert len(gh.dispatched()) == 2  # one per attempt
    assert [j.attempt for j in jobs(bot)] == [1, 2]


def test_a_run_that_outlasts_the_template_timeout_fails_the_step(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.hold = True
    steps = job_steps()
    steps[0]["run"]["timeout"] = "2s"
    bot = job_bot(make_bot, tmp_path, gh, steps)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    failed = replied(bot, ts, ":x:", "timeout")
    assert "no result within the template's timeout of 2s" in failed
    assert steps_of(bot)[0].state == "failed"


def test_a_dispatch_whose_answer_never_came_is_found_among_the_runs_not_sent_again(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.dispatch_delay = 6.0  # GitHub starts the run but its answer comes too late
    bot = job_bot(make_bot, tmp_path, gh, job_steps(), gate_timeout=1.5)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    found = replied(bot, ts, "found among the workflow's runs")
    assert f"run {next(iter(gh.runs))}>" in found
    replied(bot, ts, "done by the job")
    assert len(gh.dispatched()) == 1


def test_a_lookup_that_cannot_tell_asks_a_person_with_the_runs_link(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.old_server = True  # answers 204: the run must be looked up
    bot = job_bot(make_bot, tmp_path, gh, job_steps(correlation=None), job_lookup_seconds=3)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    # someone else dispatched the same workflow by hand a moment ago
    httpx.post(
        f"{gh.api}/repos/{REPO}/actions/workflows/{WORKFLOW}/dispatches",
        json={"ref": "release-1.33"},
    )
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    unsure = replied(bot, ts, "I cannot tell whether")
    assert "2 runs started since Run was pressed" in unsure
    assert f"<{gh.api}/{REPO}/actions/workflows/{WORKFLOW}|the workflow's runs>" in unsure
    assert f"<@{BM}>" in unsure and "I will not send it again" in unsure
    assert len(gh.dispatched()) == 2  # the hand-made one and ours: never a third
    assert jobs(bot)[0].state == "unknown"
    assert steps_of(bot)[0].state == "active"  # a person decides
    # the message converges: Done and Failed stay for a person, Run is gone
    bot.fake.wait_for(lambda: ids.RUN_ACTION not in buttons(bot, ts))
    assert set(buttons(bot, ts)) >= {ids.DONE_ACTION, ids.FAILED_ACTION}


def test_a_refused_dispatch_fails_the_step_saying_why(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.workflows = {}  # GitHub does not know the workflow (or the token may not run it)
    bot = job_bot(make_bot, tmp_path, gh, job_steps())
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    failed = replied(bot, ts, ":x:", "HTTP 404")
    assert "Actions write" in failed and TOKEN not in failed
    assert steps_of(bot)[0].state == "failed"


def test_a_rehearsal_of_a_template_with_job_steps_dispatches_nothing(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    steps = job_steps()
    steps.insert(1, {"title": "Publish packages", "owner": "docs", "run": steps[0]["run"]})
    bot = job_bot(make_bot, tmp_path, gh, steps)
    reply = answer(bot.slack.command("/checklist", "rehearse t", user_id=DOCS, channel_id=CHANNEL))
    assert "REHEARSAL" in reply
    ts = bot.fake.wait_for(lambda: _rehearsal_ts(bot))
    first = steps_of(bot)[0]
    bot.fake.wait_for(lambda: ids.RUN_FAIL_ACTION in buttons(bot, ts))
    run(bot, DOCS, value_of(first), ts)
    done = replied(bot, ts, "done by the job")
    started = replied(bot, ts, "simulated run started")
    for text in (done, started):
        assert "REHEARSAL" in text and "nothing was dispatched" in text
    second = steps_of(bot)[1]
    bot.fake.wait_for(lambda: buttons(bot, ts).get(ids.RUN_FAIL_ACTION) == value_of(second))
    run(bot, DOCS, value_of(second), ts, action=ids.RUN_FAIL_ACTION)
    failed = replied(bot, ts, ":x:", "Publish packages")
    assert "REHEARSAL" in failed and "simulated run ended failure" in failed
    assert "<@" not in failed  # a rehearsal mentions nobody
    assert gh.dispatched() == [] and gh.requests == []


def _rehearsal_ts(bot: RunningBot) -> str | None:
    with bot.services.db.read() as s:
        checklist = s.exec(select(Checklist)).first()
    return checklist.message_ts if checklist else None


def test_run_on_a_step_without_a_job_is_refused(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    bot = job_bot(make_bot, tmp_path, gh, [{"title": "Plain", "owner": "lead"}])
    new_release(bot, {})
    ts = start(bot)
    assert ids.RUN_ACTION not in buttons(bot, ts)
    run(bot, LEAD, value_of(steps_of(bot)[0]), ts)
    bot.fake.wait_for(lambda: [t for t in told(bot, LEAD) if "runs no job" in t])
    assert json.dumps(gh.requests) == "[]"


def test_a_rate_limit_is_waited_out_before_the_run_is_asked_again(
    make_bot: MakeBot, tmp_path: Path, gh: GitHubServer
) -> None:
    gh.hold = True
    bot = job_bot(make_bot, tmp_path, gh, job_steps())
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    run(bot, BM, value_of(steps_of(bot)[0]), ts)
    replied(bot, ts, "is running")
    run_id = next(iter(gh.runs))
    path = f"/repos/{REPO}/actions/runs/{run_id}"
    bot.fake.wait_for(lambda: "in_progress" in gh.runs[run_id].statuses)
    gh.limited_until = time.time() + 2.0  # 403, x-ratelimit-remaining 0, reset in 2 s
    before = gh.hits(path)
    time.sleep(1.5)
    asked = gh.hits(path) - before
    assert 1 <= asked <= 2, f"asked {asked} times while GitHub said to wait"  # 0.2 s: ~7
    gh.hold = False
    replied(bot, ts, "done by the job")
    assert steps_of(bot)[0].state == "done"
