"""Push gates fed by CI, a milestone moved by a job, the poll's tally, and the rate limit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.core.models import AuditEvent
from bot.gates.models import Gate, GateCheck
from tests.conftest import RunningBot
from tests.support.api import api, make_token, problem, release_id
from tests.support.checklist import (
    CHANNEL,
    LEAD,
    MakeBot,
    answer,
    bot_with,
    new_release,
    start,
    write_template,
)

OWNER = "U_CI"
STEPS = [{"title": "Promote images", "owner": "lead", "gates": ["ci-signal"]}]


def _bot(make_bot: MakeBot, tmp_path: Path, **changes: object) -> RunningBot:
    directory = tmp_path / "templates"
    directory.mkdir()
    write_template(directory, "t", STEPS)
    return make_bot(templates_dir=directory, **changes)


def _gate(bot: RunningBot, name: str = "ci-signal") -> Gate:
    with bot.services.db.read() as s:
        gate = s.exec(select(Gate).where(Gate.name == name)).first()
        assert gate is not None
        return gate


def _posts_with(bot: RunningBot, text: str) -> list[str]:
    return [t for t in (bot.fake.texts_of(p) for p in bot.fake.posts(CHANNEL)) if text in t]


def _gate_command(bot: RunningBot, line: str) -> str:
    return answer(bot.slack.command("/gate", line, user_id=LEAD, channel_id=CHANNEL))


def test_ci_reports_to_a_push_gate_which_alerts_recovers_and_charts(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {})
    added = _gate_command(bot, f"push ci-signal every 1h owner <@{OWNER}>")
    assert "Gate `ci-signal` added (push" in added and "/gates/ci-signal/reports" in added
    assert _gate(bot).state == "unknown"
    rid = release_id(bot)
    with api(bot, make_token(bot, "ci", "write")) as client:
        url = f"/releases/{rid}/gates/ci-signal/reports"
        red = client.post(url, json={"result": "fail", "value": 3, "detail": "3 jobs failing"})
        assert red.status_code == 200, red.text
        assert red.json()["state"] == "failing" and red.json()["detail"] == "3 jobs failing"
        alert = bot.fake.wait_for(lambda: _posts_with(bot, "is failing"))
        assert f"<@{OWNER}>" in alert[0]

        start(bot)  # the step its gate holds back cannot be done by the job either
        held = problem(client.post(f"/releases/{rid}/steps/1/done"), 409)
        assert "ci-signal" in held["detail"] and "not passing" in held["detail"]

        green = client.post(url, json={"result": "pass", "value": 0})
        assert green.json()["state"] == "passing"
        bot.fake.wait_for(lambda: _posts_with(bot, "passing again"))
        assert client.post(f"/releases/{rid}/steps/1/done").status_code == 200

        assert problem(client.post(url, json={"result": "green"}), 422)["errors"][0]["field"] == (
            "body.result"
        )
        assert problem(
            client.post(f"/releases/{rid}/gates/nope/reports", json={"result": "pass"}), 404
        )
    _gate_command(bot, "manual sign-off")
    with api(bot, make_token(bot, "ci2", "write")) as client:
        manual = client.post(f"/releases/{rid}/gates/sign-off/reports", json={"result": "pass"})
        assert "only push gates" in problem(manual, 409)["detail"]
    with bot.services.db.read() as s:
        history = s.exec(select(GateCheck).order_by(col(GateCheck.id))).all()
        trail = s.exec(select(AuditEvent).where(AuditEvent.action == "gate.failing")).all()
    assert [(h.result, h.value) for h in history] == [("fail", 3.0), ("pass", 0.0)]
    assert [e.actor for e in trail] == [f"api:ci (made by <@{LEAD}>)"]


def test_a_push_gate_without_a_report_in_time_turns_unknown_never_green(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = _bot(make_bot, tmp_path, gate_min_interval=0.5)
    new_release(bot, {})
    _gate_command(bot, "push ci-signal every 1s")
    rid = release_id(bot)
    with api(bot, make_token(bot, "ci", "write")) as client:
        url = f"/releases/{rid}/gates/ci-signal/reports"
        assert client.post(url, json={"result": "pass"}).json()["state"] == "passing"
        gate = bot.fake.wait_for(lambda: (g := _gate(bot)).state == "unknown" and g, timeout=10)
        assert "no report since" in (gate.last_detail or "")
        shown = client.get(f"/releases/{rid}").json()["gates"][0]
        assert shown["state"] == "unknown" and "no report since" in shown["detail"]
        # a late report counts again
        assert client.post(url, json={"result": "yellow"}).json()["state"] == "yellow"


def test_a_job_moves_a_milestone_and_the_channel_hears_why(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {}, day="2030-04-15 10:00 UTC")
    answer(
        bot.slack.command(
            "/release",
            "milestone add Code freeze 2030-03-25 02:00 UTC",
            user_id=LEAD,
            channel_id=CHANNEL,
        )
    )
    rid = release_id(bot)
    with api(bot, make_token(bot, "sched", "write")) as client:
        moved = client.post(
            f"/releases/{rid}/milestones/code freeze/move",
            json={"to": "2030-03-28T02:00:00Z", "reason": "CI is red"},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["at"].startswith("2030-03-28T02:00")
        assert moved.json()["moved_reason"] == "CI is red"
        naive = client.post(
            f"/releases/{rid}/milestones/code freeze/move",
            json={"to": "2030-03-29T02:00:00", "reason": "x"},
        )
        assert problem(naive, 422)["errors"][0]["field"] == "body.to"
        past = client.post(
            f"/releases/{rid}/milestones/code freeze/move",
            json={"to": "2001-01-01T00:00:00Z", "reason": "x"},
        )
        assert "ahead" in problem(past, 422)["detail"]
        status = client.get(f"/releases/{rid}").json()
    post = bot.fake.wait_for(lambda: _posts_with(bot, "moved milestone *Code freeze*"))
    assert "CI is red" in post[0]
    assert status["milestones"][0]["at"].startswith("2030-03-28")
    with bot.services.db.read() as s:
        moved_by = s.exec(select(AuditEvent).where(AuditEvent.action == "milestone.moved")).one()
    assert moved_by.actor == f"api:sched (made by <@{LEAD}>)"


def test_the_poll_tally_as_the_poll_counts_it(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {})
    rid = release_id(bot)
    with api(bot, make_token(bot, "dash", "read")) as client:
        assert "no go/no-go poll" in problem(client.get(f"/releases/{rid}/poll"), 404)["detail"]
        answer(
            bot.slack.command(
                "/gonogo", f"Ship it? voters <@{LEAD}> <@U_B>", user_id=LEAD, channel_id=CHANNEL
            )
        )
        tally = bot.fake.wait_for(
            lambda: (r := client.get(f"/releases/{rid}/poll")).status_code == 200 and r.json()
        )
        assert tally["state"] == "open" and tally["required"] == 2
        assert sorted(tally["missing"]) == sorted([LEAD, "U_B"]) and tally["go"] == []
        assert client.get(f"/releases/{rid}").json()["poll"] == tally


def test_each_token_is_rate_limited_with_retry_after(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = _bot(make_bot, tmp_path, api_rate_per_minute=60)  # bursts of 6, then one a second
    new_release(bot, {})
    rid = release_id(bot)
    first, second = make_token(bot, "one", "read"), make_token(bot, "two", "read")
    with api(bot, first) as client:
        codes = [client.get(f"/releases/{rid}").status_code for _ in range(8)]
        assert codes[:6] == [200] * 6 and codes[-1] == 429
        limited = client.get(f"/releases/{rid}")
        body = problem(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1 and "wait" in body["detail"]
        with api(bot, second) as other:  # another token has its own allowance
            assert other.get(f"/releases/{rid}").status_code == 200
        time.sleep(int(limited.headers["Retry-After"]) + 0.1)
        assert client.get(f"/releases/{rid}").status_code == 200
    assert datetime.now(UTC)  # the clock is real: the allowance refilled with time
