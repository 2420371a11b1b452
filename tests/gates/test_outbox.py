"""What gates owe Slack goes through the outbox: it survives an outage and arrives once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.core.outbox import OutboxRow
from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.gates.builders import BROKEN, CHANNEL, OK, OWNER, say
from tests.kit.fake_slack import Call
from tests.kit.gate_server import GateServer


@pytest.fixture
def gbot(make_bot: Callable[..., RunningBot]) -> RunningBot:
    running = make_bot(
        gate_allow=("127.0.0.1",), gate_min_interval=0.5, gate_timeout=1.0, gate_escalate_after=50
    )
    say(running, "/release", "new v1.31 on 2027-03-15 10:00 PT")
    return running


def gate(bot: RunningBot) -> Gate:
    with bot.services.db.read() as s:
        found = s.exec(select(Gate)).first()
    assert found is not None
    return found


def posts_with(bot: RunningBot, needle: str) -> list[Call]:
    return [c for c in bot.fake.posts(CHANNEL) if needle in bot.fake.texts_of(c)]


def card_updates(bot: RunningBot, ts: str, needle: str) -> list[Call]:
    updates = bot.fake.calls_of("chat.update")
    return [c for c in updates if c.args.get("ts") == ts and needle in bot.fake.texts_of(c)]


def no_direct_posts(bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record any post or update the gates make around the outbox (there must be none)."""
    seen: list[Any] = []
    notifier = bot.services.notifier
    for name in ("post", "update", "dm"):
        monkeypatch.setattr(notifier, name, lambda *a, _n=name, **k: seen.append((_n, a)))
    return seen


def test_slack_down_when_a_gate_turns_red_gets_the_alert_and_its_repings_once_after(
    gbot: RunningBot, server: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = no_direct_posts(gbot, monkeypatch)
    server.set(200, OK)
    line = f"add ci {server.url()} owner <@{OWNER}> every 1s after 1 repeat 1s"
    assert "added" in say(gbot, "/gate", line)
    card = gbot.fake.wait_for(lambda: gate(gbot).message_ts)
    gbot.fake.wait_for(lambda: card_updates(gbot, card, "passing since") or None)

    gbot.fake.down(60)
    server.set(503, BROKEN)
    gbot.fake.wait_for(lambda: gate(gbot).state == "failing")
    gbot.fake.wait_for(lambda: gate(gbot).pings >= 2, timeout=8)  # re-pings decided while down
    assert posts_with(gbot, "is failing") == [] and gate(gbot).alert_ts is None
    gbot.fake.up()

    alert = gbot.fake.wait_for(lambda: posts_with(gbot, "is failing"), timeout=15)[0]
    alert_ts = gbot.fake.wait_for(lambda: gate(gbot).alert_ts)
    assert alert.args.get("thread_ts") is None and f"<@{OWNER}>" in gbot.fake.texts_of(alert)
    replies = gbot.fake.wait_for(lambda: len(gbot.fake.replies(CHANNEL, alert_ts)) >= 2, 15)
    assert replies
    repings = posts_with(gbot, "still failing")
    assert repings and all(c.args.get("thread_ts") == alert_ts for c in repings)
    gbot.fake.wait_for(lambda: card_updates(gbot, card, "failing since") or None, timeout=15)
    shown = gbot.fake.message(CHANNEL, card)
    assert shown is not None and "failing since" in gbot.fake.texts_of(shown)

    server.set(200, OK)
    gbot.fake.wait_for(lambda: posts_with(gbot, "passing again"), timeout=15)
    assert gbot.services.sender.flush(15)
    assert len(posts_with(gbot, "is failing")) == 1  # the alert, once
    assert len(card_updates(gbot, card, "failing since")) == 1  # the card turned red once
    assert len(posts_with(gbot, "passing again")) == 1
    keys = [c.args["metadata"]["event_payload"]["key"] for c in gbot.fake.posts(CHANNEL)]
    assert len(keys) == len(set(keys))  # nothing twice
    assert direct == []


def test_a_card_owed_while_slack_is_down_is_posted_once_when_it_is_back(
    gbot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = no_direct_posts(gbot, monkeypatch)
    gbot.fake.down(60)
    assert "added" in say(gbot, "/gate", f"manual docs owner <@{OWNER}>")
    with gbot.services.db.read() as s:
        owed = s.exec(select(OutboxRow).where(OutboxRow.key.startswith("gate:"))).all()  # type: ignore[attr-defined]
    assert [row.state for row in owed] == ["pending"]
    time.sleep(1.0)
    gbot.fake.up()
    ts = gbot.fake.wait_for(lambda: gate(gbot).message_ts, timeout=15)
    assert gbot.services.sender.flush(10)
    cards = posts_with(gbot, "docs")
    assert len(cards) == 1 and cards[0].args["channel"] == CHANNEL
    assert "Mark passing" in gbot.fake.texts_of(gbot.fake.message(CHANNEL, ts) or {})
    assert direct == []


def test_a_removed_gate_drops_what_it_still_owed(gbot: RunningBot) -> None:
    gbot.fake.down(60)
    say(gbot, "/gate", f"manual docs owner <@{OWNER}>")
    assert "removed" in say(gbot, "/gate", "remove docs")
    gbot.fake.up()
    assert gbot.services.sender.flush(10)
    assert posts_with(gbot, "docs") == []
    with gbot.services.db.read() as s:
        row = s.exec(select(OutboxRow).where(OutboxRow.key.startswith("gate:"))).one()  # type: ignore[attr-defined]
    assert (row.state, row.error) == ("dropped", "the gate was removed")
