"""Slack's per-workspace budgets: a token bucket per method; live messages coalesced under it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.core.budget import Budgets, Tier, parse_budgets
from bot.core.config import ConfigError, load_settings
from bot.core.db import Database
from bot.core.outbox import Message, Outbox, Update
from bot.core.sender import Sender
from tests.conftest import TOKEN
from tests.core.test_outbox import leading, owe
from tests.kit.fake_slack import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_minute_holds_more_calls_than_the_budget_however_they_come() -> None:
    clock = Clock()
    budgets = Budgets({"chat.update": Tier(50, 5)}, clock=clock)
    sent: list[float] = []
    for _ in range(3000):  # a caller asking ten times a second for five minutes
        if budgets.take("chat.update"):
            sent.append(clock.now)
        clock.now += 0.1
    most = max(sum(1 for t in sent if start <= t < start + 60) for start in sent)
    assert most <= 50
    assert len(sent) >= 5 + 45 * 5 - 1  # and it is spent: the burst, then 45 a minute
    assert budgets.take("users.info")  # a method without a budget is never held


def test_a_429_pauses_the_method_for_its_retry_after_and_a_refund_gives_the_call_back() -> None:
    clock = Clock()
    budgets = Budgets({"views.publish": Tier(100, 5)}, clock=clock)
    assert budgets.take("views.publish")
    budgets.pause("views.publish", 3.0)
    assert not budgets.take("views.publish") and budgets.wait("views.publish") >= 3.0
    clock.now += 3.1
    assert budgets.take("views.publish")
    budgets.refund("views.publish")
    assert budgets.take("views.publish")


def test_budgets_are_configurable_and_a_wrong_setting_says_the_right_form() -> None:
    tiers = load_settings({"RELEASEBOT_SLACK_BUDGETS": "chat.update=30, views.publish=60"})
    assert tiers.slack_budgets["chat.update"].per_minute == 30
    assert (
        tiers.slack_budgets["conversations.history"] == parse_budgets("")["conversations.history"]
    )
    with pytest.raises(ConfigError, match=r"METHOD=CALLS_A_MINUTE.*chat\.update=50"):
        load_settings({"RELEASEBOT_SLACK_BUDGETS": "chat.update=lots"})


@pytest.fixture
def tight(db: Database, fake_slack: FakeSlack) -> Iterator[tuple[Sender, Outbox]]:
    """A sender whose chat.update budget is about one a second, against a Slack allowing two."""
    fake_slack.budgets, fake_slack.budget_window = {"chat.update": 2}, 1.0
    outbox = Outbox()
    client = WebClient(token=TOKEN, base_url=fake_slack.url, timeout=5, retry_handlers=[])
    budgets = Budgets({"chat.update": Tier(60, 1)})
    running = Sender(db, client, outbox, leading(db), poll_seconds=0.05, budgets=budgets)
    running.start()
    yield running, outbox
    running.stop()


def test_live_messages_share_one_budget_latest_version_stalest_first_none_starves(
    db: Database, fake_slack: FakeSlack, tight: tuple[Sender, Outbox]
) -> None:
    sender, outbox = tight
    cards = ["a", "b", "c"]
    ts: dict[str, str] = {}
    version = dict.fromkeys(cards, 0)
    outbox.on_sent["card"] = lambda s, ref, sent: ts.__setitem__(ref, sent)
    outbox.refreshers["card"] = lambda s, ref: Update(
        "chat.update", {"channel": "C_CARDS", "ts": ts[ref], "text": f"{ref} v{version[ref]}"}
    )
    for card in cards:
        owe(db, outbox, Message(f"card-{card}", "C_CARDS", f"{card} v0", live=("card", card)))
    assert sender.flush()
    began = time.time()
    while time.time() < began + 3.5:  # every card changes ten times a second
        for card in cards:
            version[card] += 1
            with db.session() as s:
                outbox.refresh(s, "card", card)
        time.sleep(0.1)
    changed = time.time()
    final = {card: f"{card} v{version[card]}" for card in cards}
    fake_slack.wait_for(
        lambda: all(
            fake_slack.message("C_CARDS", ts[c])["text"] == final[c]  # type: ignore[index]
            for c in cards
        ),
        timeout=8,
    )
    assert time.time() - changed < 5.5  # three cards, about one update a second
    assert fake_slack.ratelimited == [] and fake_slack.failed_calls == []
    during = [c for c in fake_slack.calls_of("chat.update") if began <= c.at <= changed]
    assert {str(c.args["text"]).split()[0] for c in during} == set(cards)  # none starved
    assert len(fake_slack.calls_of("chat.update")) < 3.5 * 30 / 10  # coalesced, not per change
