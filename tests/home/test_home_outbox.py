"""App Home as a live view of the outbox: at 20 releases, and through a Slack outage."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.checklist.models import Checklist, ChecklistStep
from bot.core.models import utcnow
from bot.gates.models import MANUAL, Gate
from bot.gonogo import service as gonogo
from bot.release import service as releases
from tests.conftest import RunningBot
from tests.support.actor import acting
from tests.support.gonogo import click, poll_post, poll_value, release_with_docs, ts_of
from tests.support.gonogo import gonogo as start_poll

VIEWER = "U_VIEW"


def open_home(bot: RunningBot, user: str, event_id: str) -> None:
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
    assert bot.slack.event(event, event_id=event_id).status_code == 200


def published(bot: RunningBot, user: str) -> list[Any]:
    return [c for c in bot.fake.calls_of("views.publish") if c.args["user_id"] == user]


def twenty_releases(bot: RunningBot) -> None:
    """20 releases led by VIEWER, each with their red gate, their active step and their vote."""
    now = utcnow()
    with bot.services.db.session() as s:
        for n in range(20):
            release = releases.create_release(
                s,
                channel_id=f"C_H{n:02d}",
                name=f"v1.{n} <beta> & co",
                release_at=None,
                zone=ZoneInfo("UTC"),
                actor=VIEWER,
                now=now,
            )
            assert release.id is not None
            gate = Gate(release_id=release.id, name=f"ci-{n}", kind=MANUAL, owners=VIEWER)
            gate.state, gate.state_since, gate.created_by = "failing", now, VIEWER
            checklist = Checklist(
                release_id=release.id,
                channel_id=release.channel_id,
                template="t",
                started_by=VIEWER,
            )
            s.add_all([gate, checklist])
            s.flush()
            assert checklist.id is not None
            s.add(
                ChecklistStep(
                    checklist_id=checklist.id,
                    position=0,
                    title=f"Cut the branch {n}",
                    owner="lead",
                    state="active",
                    activations=1,
                    activated_at=now,
                )
            )
            gonogo.start(
                s,
                release,
                question=f"Ship v1.{n}?",
                voters=[VIEWER],
                deadline=None,
                actor=acting(VIEWER),
                now=now,
            )


def test_home_with_twenty_releases_keeps_what_waits_first_within_100_blocks(
    bot: RunningBot,
) -> None:
    twenty_releases(bot)
    open_home(bot, VIEWER, "Ev-20")
    bot.fake.wait_for(lambda: published(bot, VIEWER))
    view = bot.fake.home(VIEWER) or {}
    blocks = view["blocks"]
    assert len(blocks) <= 100  # and the fake Slack found nothing to refuse
    texts = [bot.fake.texts_of(b) for b in blocks]
    gates = [i for i, t in enumerate(texts) if "Your gate is red" in t]
    steps = [i for i, t in enumerate(texts) if "Your step:" in t]
    votes = [i for i, t in enumerate(texts) if "Your vote is missing" in t]
    assert len(gates) == 20 and len(steps) == 20  # every red gate and every step, whole
    assert max(gates) < min(steps) and max(steps) < min(votes)
    assert 0 < len(votes) < 20
    left = next(t for t in texts if "more waiting on you" in t)
    assert f"…and {20 - len(votes)} more waiting on you ({20 - len(votes)} votes)" in left
    assert "<#C_H" in left
    overview = "\n".join(texts[max(votes) :])
    assert "Your releases* (20)" in overview and "<#C_H19>" in overview
    assert "v1.3 &lt;beta&gt; &amp; co" in overview
    assert texts[-1].startswith("Updated")


def test_home_reaches_the_viewer_after_a_slack_outage(bot: RunningBot) -> None:
    release_with_docs(bot)
    start_poll(bot, "Ready? voters <@U_A>")
    post = poll_post(bot)
    value, ts = poll_value(post), ts_of(bot, post)
    bot.fake.down(120)
    open_home(bot, "U_A", "Ev-down")
    bot.fake.wait_for(lambda: [c for c in bot.fake.failed_calls if c.method == "views.publish"])
    click(bot, "U_A", "go", value, ts)  # a change while Slack is down: Home is owed again
    assert published(bot, "U_A") == []
    bot.fake.up()
    bot.fake.wait_for(lambda: published(bot, "U_A"), timeout=8)
    assert bot.services.sender.flush()
    shown = bot.fake.texts_of(bot.fake.home("U_A") or {})
    assert "Your vote is missing" not in shown and "Nothing waits on you" in shown
    assert len(published(bot, "U_A")) == 1  # the refreshes folded into one publish
