"""A job drives the checklist through the API as a person drives it with buttons."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from bot.core.models import AuditEvent
from tests.support.api import api, make_token, problem, release_id
from tests.support.checklist import (
    BM,
    CHANNEL,
    LEAD,
    MakeBot,
    bot_with,
    new_release,
    start,
    steps_of,
    thread,
)

THREE = [
    {"title": "Cut the branch", "owner": "lead"},
    {"title": "Mock build", "owner": "branch-manager"},
    {"title": "Publish docs", "owner": "docs"},
]


def _trail(bot) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with bot.services.db.read() as s:
        return list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))


def test_a_job_marks_the_active_step_done_and_slack_shows_it(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    secret = make_token(bot, "deploy", "write")
    rid = release_id(bot)
    with api(bot, secret) as client:
        resp = client.post(f"/releases/{rid}/steps/1/done", json={"title": "Cut the branch"})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["step"]["state"] == "done" and body["step"]["position"] == 1
        assert body["opened"]["title"] == "Mock build"

        # The checklist message in Slack converges to the step done and the next one open.
        def shows_it() -> bool:
            text = bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {})
            return "done by" in text and "Mock build" in text

        bot.fake.wait_for(shows_it)
        assert any(c.args.get("ts") == ts for c in bot.fake.calls_of("chat.update"))
        bot.fake.wait_for(lambda: any(f"<@{BM}>: you're up" in t for t in thread(bot, ts)))
        done = [e for e in _trail(bot) if e.action == "step.done"]
        assert [e.actor for e in done] == [f"api:deploy (made by <@{LEAD}>)"]

        # The same call again is a stale button: refused, and nothing changes.
        before = [(s.state, s.activations) for s in steps_of(bot)]
        trail = len(_trail(bot))
        again = problem(client.post(f"/releases/{rid}/steps/1/done", json={}), 409)
        assert "Cut the branch was already marked done by" in again["detail"]
        assert [(s.state, s.activations) for s in steps_of(bot)] == before
        assert len(_trail(bot)) == trail

        # The status shows where the release stands.
        status = client.get(f"/releases/{rid}").json()
        assert [s["state"] for s in status["checklist"]["steps"]] == ["done", "active", "pending"]
        assert status["checklist"]["current"] == 2
        assert {"name": "branch-manager", "holders": [BM]} in status["roles"]


def test_failed_and_skip_need_a_reason_and_a_title_must_match(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    rid = release_id(bot)
    with api(bot, make_token(bot)) as client:
        wrong = problem(client.post(f"/releases/{rid}/steps/1/done", json={"title": "Mock"}), 409)
        assert "Step 1 is Cut the branch, not Mock" in wrong["detail"]
        missing = problem(client.post(f"/releases/{rid}/steps/1/failed", json={}), 422)
        assert missing["errors"][0]["field"] == "body.reason"
        unknown = problem(
            client.post(f"/releases/{rid}/steps/1/failed", json={"reason": "x", "reasn": "y"}),
            422,
        )
        assert "body.reasn" in unknown["detail"]
        typed = problem(client.post(f"/releases/{rid}/steps/1/done", json={"attempt": "two"}), 422)
        assert typed["errors"][0]["field"] == "body.attempt"
        assert problem(client.post(f"/releases/{rid}/steps/9/done"), 404)["detail"]

        failed = client.post(f"/releases/{rid}/steps/1/failed", json={"reason": "tag push denied"})
        assert failed.status_code == 200, failed.text
        assert failed.json()["step"]["state"] == "failed"
        bot.fake.wait_for(lambda: any("tag push denied" in t for t in thread(bot, ts)))
        skipped = client.post(f"/releases/{rid}/steps/1/skip", json={"reason": "done by hand"})
        assert skipped.json()["step"]["state"] == "skipped", skipped.text
    assert [s.state for s in steps_of(bot)][:2] == ["skipped", "active"]


def test_tokens_are_checked_before_anything(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {})
    start(bot)
    rid = release_id(bot)
    reader = make_token(bot, "dash", "read")
    writer = make_token(bot, "deploy", "write")
    with api(bot, None) as client:
        assert "Bearer" in problem(client.get(f"/releases/{rid}"), 401)["detail"]
        assert "openapi.json" in problem(client.get("/nothing/here"), 404)["detail"]
        assert "DELETE" in problem(client.delete(f"/releases/{rid}"), 405)["detail"]
    with api(bot, "rbt_not-a-real-token") as client:
        assert problem(client.get(f"/releases/{rid}"), 401)["detail"]
    with api(bot, reader) as client:
        assert client.get(f"/releases/{rid}").status_code == 200
        refused = problem(client.post(f"/releases/{rid}/steps/1/done"), 403)
        assert "can only read" in refused["detail"]
        # another release's id answers as a release that does not exist
        other = problem(client.get(f"/releases/{rid + 1}"), 404)
        nowhere = problem(client.get("/releases/999999"), 404)
        assert other["detail"].replace(str(rid + 1), "N") == nowhere["detail"].replace(
            "999999", "N"
        )
    revoked = bot.slack.command("/release", "token revoke deploy", user_id=LEAD, channel_id=CHANNEL)
    assert "revoked" in revoked.json()["text"]
    with api(bot, writer) as client:
        problem(client.post(f"/releases/{rid}/steps/1/done"), 401)
    assert steps_of(bot)[0].state == "active"
    listed = bot.slack.command("/release", "token list", user_id=LEAD, channel_id=CHANNEL).json()
    assert "`dash` (read)" in listed["text"] and "deploy" not in listed["text"]
    assert reader not in listed["text"]


def test_a_token_revoked_right_after_a_call_is_refused_on_the_next_one(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    """The bot trusts a token it has just read for a moment, but never past its revocation."""
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {})
    start(bot)
    rid = release_id(bot)
    writer = make_token(bot, "deploy", "write")
    with api(bot, writer) as client:
        assert client.get(f"/releases/{rid}").status_code == 200
        revoked = bot.slack.command(
            "/release", "token revoke deploy", user_id=LEAD, channel_id=CHANNEL
        )
        assert "revoked" in revoked.json()["text"]
        assert "revoked" in problem(client.get(f"/releases/{rid}"), 401)["detail"]
        problem(client.post(f"/releases/{rid}/steps/1/done"), 401)
    assert steps_of(bot)[0].state == "active"


def test_two_jobs_marking_the_same_step_at_once_make_one_transition(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {"branch-manager": [BM]})
    start(bot)
    rid = release_id(bot)
    secrets = [make_token(bot, f"job-{n}", "write") for n in range(4)]

    def call(secret: str) -> int:
        with api(bot, secret) as client:
            return client.post(f"/releases/{rid}/steps/1/done", json={}).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(call, secrets))
    assert codes == [200, 409, 409, 409]
    assert [e.action for e in _trail(bot)].count("step.done") == 1
    assert [s.state for s in steps_of(bot)] == ["done", "active", "pending"]
