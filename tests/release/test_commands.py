"""/release driven as Slack drives it: signed requests to the HTTP endpoint, a fake Web API."""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from bot.core.models import AuditEvent
from bot.release.models import Release, RoleAssignment
from tests.conftest import SECRET, RunningBot
from tests.kit.slack_requests import sign, slash_body
from tests.support.release import CHANNEL, LEAD, answer, mrkdwn_of, new_release


def count(bot: RunningBot, model: type) -> int:
    with bot.services.db.read() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_new_release_is_announced_and_status_shows_the_instant(bot: RunningBot) -> None:
    reply = answer(new_release(bot))
    assert "v1.0" in reply and "lead" in reply
    post = bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))
    assert "<!date^1805130000^" in bot.fake.texts_of(post[0])
    status = answer(bot.slack.command("/release", "status", user_id="U_OTHER", channel_id=CHANNEL))
    body = bot.slack.command("/release", "status", user_id="U_OTHER", channel_id=CHANNEL).json()
    shown = status + str(body.get("blocks"))
    assert "<!date^1805130000^" in shown
    assert "America/Los_Angeles" in shown
    assert f"<@{LEAD}>" in shown


def test_status_hands_back_every_database_connection_it_borrowed(bot: RunningBot) -> None:
    """A connection borrowed past its transaction stays out of the pool until the garbage
    collector runs: on PostgreSQL, a busy bot runs out of connections first."""
    answer(new_release(bot))
    gc.disable()
    try:
        for user in (LEAD, "U_OTHER"):
            answer(bot.slack.command("/release", "status", user_id=user, channel_id=CHANNEL))
        pool = bot.services.db.engine.pool
        # the sender and Home's refresh borrow connections too, each for a moment
        bot.fake.wait_for(lambda: pool.checkedout() == 0, timeout=5)
    finally:
        gc.enable()


def test_release_day_without_zone_uses_the_callers_profile(bot: RunningBot) -> None:
    bot.fake.users["U_BER"] = {"tz": "Europe/Berlin", "name": "anna"}
    reply = answer(
        bot.slack.command(
            "/release", "new v2 on 2027-03-15 10:00", user_id="U_BER", channel_id="C2"
        )
    )
    assert "v2" in reply
    with bot.services.db.read() as s:
        release = s.exec(select(Release).where(Release.channel_id == "C2")).one()
    assert release.zone == "Europe/Berlin"
    assert release.release_at == datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


def test_unsigned_and_stale_requests_are_refused(bot: RunningBot) -> None:
    body = slash_body("/release", "new v9", user_id=LEAD, channel_id=CHANNEL)
    unsigned = bot.slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status_code == 401
    stale = bot.slack.raw(body, sign(body, SECRET, timestamp=int(time.time()) - 6 * 60))
    assert stale.status_code == 401
    forged = bot.slack.raw(body, sign(body, "not-the-secret"))
    assert forged.status_code == 401
    assert count(bot, Release) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new v1 on 2026-13-45", "2026-13-45"),
        ("new v1 on 2027-03-15 27:99", "27:99"),
        ("new v1 on 2027-03-15 10:00 Mars/Olympus", "Mars/Olympus"),
        ("new v1 on 2027-03-15 10:00 IST", "Asia/Kolkata"),
        ("", "/release new"),
        ("x" * 5000, "at most"),
        ("new payload=%7B%22type%22 on 2026-13-45", "2026-13-45"),
        ("new v1 on", "date"),
        ("frobnicate", "not a `/release` command"),
        ("new", "name"),
        ("postpone", "when"),
        ('role docs "unclosed', "quote"),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_answer_and_changes_nothing(
    bot: RunningBot, text: str, expected: str
) -> None:
    resp = bot.slack.command("/release", text, user_id=LEAD, channel_id=CHANNEL)
    reply = answer(resp)
    assert expected in reply
    assert "Traceback" not in reply
    assert count(bot, Release) == 0
    assert count(bot, AuditEvent) == 0
    assert bot.fake.posts(CHANNEL) == []


def test_a_command_mentioning_payload_still_works(bot: RunningBot) -> None:
    reply = answer(new_release(bot, "payload-v1 on 2027-03-15 10:00 PT"))
    assert "payload-v1" in reply
    assert count(bot, Release) == 1


def test_release_name_that_pings_is_echoed_as_text(bot: RunningBot) -> None:
    reply = answer(new_release(bot, "<!channel> on 2027-03-15 10:00 PT"))
    assert "<!channel>" not in reply
    post = bot.fake.wait_for(lambda: bot.fake.posts(CHANNEL))
    assert "<!channel>" not in mrkdwn_of(post[0])
    assert "&lt;!channel&gt;" in mrkdwn_of(post[0])


def test_one_active_release_per_channel(bot: RunningBot) -> None:
    answer(new_release(bot))
    reply = answer(new_release(bot, "v2 on 2027-04-01"))
    assert "already runs release" in reply
    assert count(bot, Release) == 1


def test_roles_are_assigned_by_the_lead_and_listed(bot: RunningBot) -> None:
    answer(new_release(bot))
    reply = answer(
        bot.slack.command(
            "/release", "role docs <@U_DOCS|dana> <@U_DOC2>", user_id=LEAD, channel_id=CHANNEL
        )
    )
    assert "<@U_DOCS>" in reply and "<@U_DOC2>" in reply
    listed = answer(bot.slack.command("/release", "roles", user_id="U_X", channel_id=CHANNEL))
    assert "*docs*: <@U_DOCS>, <@U_DOC2>" in listed
    # a hand-over is one command
    answer(bot.slack.command("/release", "role docs <@U_NEW>", user_id=LEAD, channel_id=CHANNEL))
    listed = answer(bot.slack.command("/release", "roles", user_id="U_X", channel_id=CHANNEL))
    assert "*docs*: <@U_NEW>" in listed and "U_DOCS" not in listed


def test_only_a_lead_or_admin_hands_out_roles(bot: RunningBot) -> None:
    answer(new_release(bot))
    before = count(bot, RoleAssignment)
    reply = answer(
        bot.slack.command("/release", "role docs <@U_X>", user_id="U_RANDOM", channel_id=CHANNEL)
    )
    assert "Only a lead" in reply and f"<@{LEAD}>" in reply
    assert count(bot, RoleAssignment) == before
    reply = answer(
        bot.slack.command("/release", "role docs <@U_X>", user_id="U_ADMIN", channel_id=CHANNEL)
    )
    assert "<@U_X>" in reply


def test_role_needs_mentions(bot: RunningBot) -> None:
    answer(new_release(bot))
    reply = answer(
        bot.slack.command("/release", "role docs @dana", user_id=LEAD, channel_id=CHANNEL)
    )
    assert "not a mention" in reply and "/release role" in reply


def test_postpone_moves_release_day_and_announces_the_reason(bot: RunningBot) -> None:
    answer(new_release(bot))
    reply = answer(
        bot.slack.command(
            "/release",
            "postpone 2027-03-17 -- CI is red on <!here> arm64",
            user_id=LEAD,
            channel_id=CHANNEL,
        )
    )
    moved = int(datetime(2027, 3, 17, 17, 0, tzinfo=UTC).timestamp())
    assert f"<!date^{moved}^" in reply
    posts = bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) >= 2 and bot.fake.posts(CHANNEL))
    text = mrkdwn_of(posts[-1])
    assert "CI is red on &lt;!here&gt; arm64" in text and "<!here>" not in text


def test_close_and_timeline_file(bot: RunningBot) -> None:
    answer(new_release(bot))
    answer(bot.slack.command("/release", "role docs <@U_DOCS>", user_id=LEAD, channel_id=CHANNEL))
    refused = answer(bot.slack.command("/release", "close", user_id="U_DOCS", channel_id=CHANNEL))
    assert "Only a lead" in refused
    reply = answer(bot.slack.command("/release", "close", user_id=LEAD, channel_id=CHANNEL))
    assert "released" in reply
    answer(bot.slack.command("/release", "timeline", user_id=LEAD, channel_id=CHANNEL))
    files = bot.fake.wait_for(lambda: bot.fake.files)
    content = files[0].content.decode()
    trail, _, figures = content.partition("## Figures")
    assert "Release day" in figures  # the retrospective's figures follow the trail
    lines = [line for line in trail.splitlines() if line[:3] in {"| 1", "| 2", "| 3", "| 4"}]
    actions = [line.split(" | ")[4] for line in lines]
    assert actions == ["release.created", "role.assigned", "release.closed"]
    assert "America/Los_Angeles" in content


def test_help_answers_for_every_command(bot: RunningBot) -> None:
    for command in ("/release", "/burndown", "/gonogo", "/checklist", "/gate"):
        reply = answer(bot.slack.command(command, "help", user_id=LEAD, channel_id=CHANNEL))
        assert command in reply


def test_healthz_answers_when_the_database_does(bot: RunningBot) -> None:
    import httpx

    assert httpx.get(bot.url + "/healthz").status_code == 200
