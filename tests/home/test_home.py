"""App Home and the release trail, driven as Slack drives them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bot.core.models import AuditEvent
from bot.gates.models import Gate
from bot.gonogo.models import Poll, PollVote
from tests.conftest import RunningBot
from tests.support.checklist import (
    BM,
    CHANNEL,
    DOCS,
    LEAD,
    MakeBot,
    answer,
    bot_with,
    new_release,
    start,
    steps_of,
)

VOTER = "U_VOTER"
GATEKEEPER = "U_GATE"
STEPS = [
    {"title": "Mock build", "owner": "branch-manager"},
    {"title": "Publish docs", "owner": "docs"},
]


def open_home(bot: RunningBot, user: str, event_id: str, retry: int | None = None) -> Any:
    """Send app_home_opened for `user` as Slack does."""
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
    return bot.slack.event(event, event_id=event_id, retry_num=retry)


def home_text(bot: RunningBot, user: str) -> str:
    """The text of the person's Home once it has been published."""
    bot.fake.wait_for(
        lambda: (
            len([c for c in bot.fake.calls_of("views.publish") if c.args["user_id"] == user]) >= 1
        )
    )
    view = bot.fake.home(user) or {}
    return bot.fake.texts_of(view)


def home_buttons(bot: RunningBot, user: str) -> dict[str, str]:
    """action_id -> value of the buttons on the person's Home."""
    view = bot.fake.home(user) or {}
    found: dict[str, str] = {}
    for block in view.get("blocks", []):
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element["value"]
    return found


def set_up(make_bot: MakeBot, tmp_path: Path) -> RunningBot:
    """A release with a running checklist, an open poll and a red manual gate."""
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {"branch-manager": [BM], "docs": [DOCS]})
    start(bot)
    answer(
        bot.slack.command(
            "/gonogo", f"Ship it? voters <@{VOTER}>", user_id=LEAD, channel_id=CHANNEL
        )
    )
    answer(
        bot.slack.command(
            "/gate", f"manual ci-green owner <@{GATEKEEPER}>", user_id=LEAD, channel_id=CHANNEL
        )
    )
    with bot.services.db.read() as s:
        gate = s.exec(select(Gate)).one()
    value = json.dumps({"g": gate.id, "v": gate.version, "to": "fail"})
    ts = bot.fake.wait_for(lambda: gate_ts(bot))
    resp = bot.slack.click(
        user_id=GATEKEEPER,
        channel_id=CHANNEL,
        action_id="gate:set:fail",
        value=value,
        message_ts=ts,
    )
    assert resp.status_code == 200
    with bot.services.db.read() as s:
        assert s.exec(select(Gate)).one().state == "failing"
    return bot


def gate_ts(bot: RunningBot) -> str | None:
    with bot.services.db.read() as s:
        return s.exec(select(Gate)).one().message_ts


def test_home_shows_each_person_exactly_their_items(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = set_up(make_bot, tmp_path)
    for n, user in enumerate((BM, VOTER, GATEKEEPER, DOCS)):
        assert open_home(bot, user, f"Ev{n}").status_code == 200

    owner = home_text(bot, BM)
    assert "Your step:" in owner and "Mock build" in owner
    assert "Your vote is missing" not in owner and "Your gate is red" not in owner

    voter = home_text(bot, VOTER)
    assert "Your vote is missing" in voter and "Ship it?" in voter
    assert "Your step:" not in voter and "Your gate is red" not in voter

    keeper = home_text(bot, GATEKEEPER)
    assert "Your gate is red" in keeper and "ci-green" in keeper
    assert "Your step:" not in keeper and "Your vote is missing" not in keeper

    waiting_docs = home_text(bot, DOCS).split("Your next meetings")[0]
    assert "Nothing waits on you right now" in waiting_docs


def test_acting_from_home_changes_the_same_state_as_the_channel(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = set_up(make_bot, tmp_path)
    open_home(bot, BM, "Ev-bm")
    home_text(bot, BM)
    done = home_buttons(bot, BM)["checklist:done"]
    resp = bot.slack.click(
        user_id=BM,
        channel_id=None,
        action_id="checklist:done",
        value=done,
        message_ts=None,
        container={"type": "view", "view_id": "V_HOME"},
    )
    assert resp.status_code == 200
    assert [s.state for s in steps_of(bot)] == ["done", "active"]

    open_home(bot, VOTER, "Ev-voter")
    home_text(bot, VOTER)
    go = home_buttons(bot, VOTER)["gonogo:go"]
    resp = bot.slack.click(
        user_id=VOTER,
        channel_id=None,
        action_id="gonogo:go",
        value=go,
        message_ts=None,
        container={"type": "view", "view_id": "V_HOME"},
    )
    assert resp.status_code == 200
    with bot.services.db.read() as s:
        votes = s.exec(select(PollVote)).all()
        poll = s.exec(select(Poll)).one()
    assert [(v.user_id, v.choice) for v in votes] == [(VOTER, "go")]
    assert poll.outcome == "GO"
    # the voter's Home is refreshed: the vote no longer waits on them
    bot.fake.wait_for(
        lambda: "Your vote is missing" not in bot.fake.texts_of(bot.fake.home(VOTER) or {})
    )


def test_a_retried_event_is_processed_once(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {"branch-manager": [BM]})
    assert open_home(bot, BM, "Ev-same").status_code == 200
    assert open_home(bot, BM, "Ev-same", retry=1).status_code == 200
    assert open_home(bot, BM, "Ev-same", retry=2).status_code == 200
    home_text(bot, BM)
    assert bot.services.sender.flush()
    assert len(bot.fake.calls_of("views.publish")) == 1


def test_timeline_of_a_walked_release_lists_every_transition_in_order(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {"branch-manager": [BM], "docs": [DOCS]})
    start(bot)
    for user, step in ((BM, 0), (DOCS, 1)):
        current = steps_of(bot)[step]
        value = json.dumps({"s": current.id, "st": "active", "v": current.activations})
        bot.slack.click(user_id=user, channel_id=CHANNEL, action_id="checklist:done", value=value)
    answer(bot.slack.command("/release", "close", user_id=LEAD, channel_id=CHANNEL))
    answer(bot.slack.command("/release", "timeline", user_id=LEAD, channel_id=CHANNEL))
    content = bot.fake.wait_for(lambda: bot.fake.files)[0].content.decode()

    with bot.services.db.read() as s:
        trail = s.exec(select(AuditEvent).order_by(col(AuditEvent.at), col(AuditEvent.id))).all()
    rows = [line for line in content.splitlines() if line.startswith("| ") and " UTC | " in line][
        1:
    ]
    assert [row.split(" | ")[4] for row in rows] == [e.action for e in trail]
    actions = [e.action for e in trail]
    assert actions[0] == "release.created" and actions[-1] == "release.closed"
    assert actions.index("checklist.started") < actions.index("release.closed")
    assert sum(1 for e in trail if e.action.startswith("step.") and e.after == "done") == 2
    assert "## Step durations" in content
    assert "| Mock build |" in content and "| Publish docs |" in content
