"""Async status: the DM before the meeting, the form, the digest in the reminder."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.burndown.models import MeetingStatus
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.support.burndown import (
    CHANNEL,
    LEAD,
    burndown,
    dms,
    reminder_plan,
    reminders_of,
    start_release,
)
from tests.support.release import answer, mrkdwn_of


def button_value(call: Call, action_id: str) -> str:
    for block in call.args.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {call.args}")


def form_values(area: str, colour: str, notes: str) -> dict[str, Any]:
    return {
        "area": {"value": {"type": "static_select", "selected_option": {"value": area}}},
        "colour": {"value": {"type": "radio_buttons", "selected_option": {"value": colour}}},
        "notes": {"value": {"type": "plain_text_input", "value": notes}},
    }


def submit(bot: RunningBot, user: str, metadata: str, values: dict[str, Any]) -> dict[str, Any]:
    resp = bot.slack.submit(
        user_id=user, callback_id="burndown:status_form", private_metadata=metadata, values=values
    )
    assert resp.status_code == 200
    return resp.json() if resp.text else {}


def test_status_requests_form_digest_and_refreshed_reminder(bot: RunningBot) -> None:
    start_release(bot)
    for role, user in (("ci-signal", "U_CI"), ("docs", "U_DOCS")):
        answer(
            bot.slack.command(
                "/release", f"role {role} <@{user}>", user_id=LEAD, channel_id=CHANNEL
            )
        )
    meeting, (status_lead, remind) = reminder_plan(2.0, 7.0)
    burndown(
        bot,
        f"schedule daily {meeting:%H:%M} UTC remind {remind}s status {status_lead}s areas ci,docs",
    )
    # every role holder gets one DM with the button
    requested = bot.fake.wait_for(
        lambda: (
            len(dms(bot.fake, "U_CI") + dms(bot.fake, "U_DOCS") + dms(bot.fake, LEAD)) == 3
            and dms(bot.fake, "U_CI")
        ),
        timeout=8,
    )
    value = button_value(requested[0], "burndown:status")
    assert f"<!date^{int(meeting.timestamp())}^" in mrkdwn_of(requested[0])

    # someone without a role cannot open the form
    bot.slack.click(
        user_id="U_NOBODY", channel_id="DU_NOBODY", action_id="burndown:status", value=value
    )
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_NOBODY"))
    assert "holding a role" in refusal[0].args["text"]
    # a forged value changes nothing and says so
    bot.slack.click(user_id="U_CI", channel_id="DU_CI", action_id="burndown:status", value="{oops")
    forged = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_CI"))
    assert "not one of mine" in forged[0].args["text"]
    assert bot.fake.calls_of("views.open") == []

    bot.slack.click(user_id="U_CI", channel_id="DU_CI", action_id="burndown:status", value=value)
    opened = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))
    view = opened[0].args["view"]
    assert view["callback_id"] == "burndown:status_form"
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == ["ci", "docs"]

    bad = submit(bot, "U_CI", view["private_metadata"], form_values("security", "red", ""))
    assert bad.get("response_action") == "errors"
    submit(bot, "U_CI", view["private_metadata"], form_values("ci", "red", "flaky <!channel> test"))
    with bot.services.db.read() as s:
        rows = list(s.exec(select(MeetingStatus)))
    assert [(r.user_id, r.area, r.colour) for r in rows] == [("U_CI", "ci", "red")]

    posted = bot.fake.wait_for(lambda: reminders_of(bot.fake, CHANNEL, meeting), timeout=10)
    text = mrkdwn_of(posted[0])
    assert ":red_circle: *ci*: flaky &lt;!channel&gt; test (<@U_CI>)" in text
    assert "<!channel>" not in text
    missing = text.split("Still missing status (2):")[1]
    assert "<@U_DOCS>" in missing and f"<@{LEAD}>" in missing and "U_CI" not in missing

    # a status posted after the reminder shows up in it (one coalesced update)
    submit(bot, "U_DOCS", view["private_metadata"], form_values("docs", "green", "all merged"))
    updates = bot.fake.wait_for(lambda: bot.fake.calls_of("chat.update"), timeout=5)
    assert ":large_green_circle: *docs*: all merged (<@U_DOCS>)" in mrkdwn_of(updates[-1])
    time.sleep(1.0)
    requests = [c for c in dms(bot.fake, "U_CI") if "please post your status" in c.args["text"]]
    assert len(requests) == 1  # the status request went out once
    assert "is in" in bot.fake.posts("U_CI")[-1].args["text"]  # and the poster was thanked


def test_a_status_for_a_meeting_that_started_is_refused(bot: RunningBot) -> None:
    start_release(bot)
    meeting, (remind,) = reminder_plan(30.0)
    yesterday = (meeting - timedelta(days=1)).date().isoformat()
    burndown(bot, f"schedule daily {meeting:%H:%M} UTC from {yesterday} remind {remind}s")
    started = json.dumps({"s": 1, "o": int(meeting.timestamp()) - 86400})
    bot.slack.click(user_id=LEAD, channel_id=CHANNEL, action_id="burndown:status", value=started)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(LEAD))
    assert "already started" in refusal[0].args["text"]
    stale = json.dumps({"s": 1, "o": int(meeting.timestamp()) + 60})  # not a meeting of series 1
    bot.slack.click(user_id=LEAD, channel_id=CHANNEL, action_id="burndown:status", value=stale)
    refusals = bot.fake.wait_for(lambda: bot.fake.ephemerals(LEAD)[1:])
    assert "skipped or moved" in refusals[0].args["text"]
    assert bot.fake.calls_of("views.open") == []
