"""The outbox and its sender against the fake Slack: once, in order, through outages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.core.db import Database
from bot.core.leader import Leadership
from bot.core.models import utcnow
from bot.core.outbox import WAIT, Message, Outbox, OutboxRow, Update, backlog
from bot.core.sender import Sender
from tests.conftest import TOKEN
from tests.kit.fake_slack import FakeSlack


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def sender(db: Database, fake_slack: FakeSlack, outbox: Outbox) -> Iterator[Sender]:
    client = WebClient(token=TOKEN, base_url=fake_slack.url, timeout=5, retry_handlers=[])
    running = Sender(db, client, outbox, leading(db), poll_seconds=0.05)
    running.start()
    yield running
    running.stop()


def leading(db: Database) -> Leadership:
    """The lead, taken as the app's scheduler takes it (on PostgreSQL: the advisory lock)."""
    leadership = Leadership(db)
    leadership.acquire()
    return leadership


def owe(db: Database, outbox: Outbox, *messages: Message) -> None:
    with db.session() as s:
        outbox.queue(s, *messages)


def texts(fake: FakeSlack, channel: str) -> list[str]:
    return [str(c.args.get("text")) for c in fake.posts(channel)]


def rows(db: Database) -> dict[str, OutboxRow]:
    with db.read() as s:
        return {r.key: r for r in s.exec(select(OutboxRow))}


def test_each_message_is_posted_once_in_order_and_its_ts_remembered(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    remembered: dict[str, str] = {}
    outbox.on_sent["card"] = lambda s, ref, ts: remembered.__setitem__(ref, ts)
    owe(db, outbox, *(Message(f"a{i}", "C_A", f"A{i}") for i in range(5)))
    owe(db, outbox, Message("b0", "C_B", "B0", live=("card", "7")))
    owe(db, outbox, Message("a0", "C_A", "A0 again"))  # owed twice: still once
    assert sender.flush()
    assert texts(fake_slack, "C_A") == ["A0", "A1", "A2", "A3", "A4"]
    assert texts(fake_slack, "C_B") == ["B0"]
    stored = rows(db)
    assert all(r.state == "sent" and r.ts for r in stored.values())
    assert remembered == {"7": stored["b0"].ts}


def test_a_reply_waits_for_its_parent_and_goes_in_its_thread(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    owe(
        db,
        outbox,
        Message("parent", "C_T", "the checklist"),
        Message("child", "C_T", "step 1 done", thread_key="parent", broadcast=True),
    )
    assert sender.flush()
    _parent, child = fake_slack.posts("C_T")
    assert child.args["thread_ts"] == rows(db)["parent"].ts and child.args["reply_broadcast"]


def test_an_outage_delays_messages_and_delivers_them_once_after(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    fake_slack.down(3.0)
    owe(db, outbox, Message("r1", "C_O", "reminder"), Message("r2", "C_O", "next"))
    time.sleep(1.0)
    assert fake_slack.posts("C_O") == [] and fake_slack.failed_calls
    fake_slack.wait_for(lambda: len(fake_slack.posts("C_O")) == 2, timeout=12)
    back = time.monotonic()
    assert sender.flush()
    assert texts(fake_slack, "C_O") == ["reminder", "next"]
    assert time.monotonic() - back < 6
    assert rows(db)["r1"].attempts >= 2


def test_a_rate_limited_channel_waits_while_another_keeps_flowing(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    fake_slack.fail("chat.postMessage", 429, retry_after=3, times=1, channel="C_SLOW")
    start = time.monotonic()
    owe(db, outbox, Message("slow", "C_SLOW", "slow one"))
    owe(db, outbox, *(Message(f"fast{i}", "C_FAST", f"fast {i}") for i in range(3)))
    fake_slack.wait_for(lambda: len(fake_slack.posts("C_FAST")) == 3, timeout=5)
    assert time.monotonic() - start < 2.5 and fake_slack.posts("C_SLOW") == []
    fake_slack.wait_for(lambda: fake_slack.posts("C_SLOW"), timeout=8)
    assert time.monotonic() - start >= 3


def test_a_message_whose_moment_passed_is_dropped_with_the_reason(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    past = utcnow() - timedelta(seconds=1)
    owe(db, outbox, Message("late", "C_L", "meeting in 10 minutes", useful_until=past))
    assert sender.flush()
    assert fake_slack.posts("C_L") == []
    late = rows(db)["late"]
    assert late.state == "dropped" and "no longer useful" in (late.error or "")


def test_an_unreachable_channel_fails_the_row_and_tells_once(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    told: list[tuple[str, str]] = []
    outbox.undeliverable.append(lambda s, channel, error, now: told.append((channel, error)))
    owe(db, outbox, Message("x", "", "nowhere"))
    assert sender.flush()
    assert rows(db)["x"].state == "failed" and rows(db)["x"].error == "channel_not_found"
    assert told == [("", "channel_not_found")]


def test_a_post_that_reached_slack_before_a_crash_is_recorded_not_repeated(
    db: Database, fake_slack: FakeSlack, outbox: Outbox
) -> None:
    """The crash window: Slack took the post, the process died before writing it down."""
    owe(db, outbox, Message("k1", "C_K", "posted once"))
    client = WebClient(token=TOKEN, base_url=fake_slack.url, retry_handlers=[])
    ts = client.chat_postMessage(
        channel="C_K",
        text="posted once",
        metadata={"event_type": "releasebot_outbox", "event_payload": {"key": "k1"}},
    )["ts"]
    with db.session() as s:  # as the dead sender left it: claimed, attempted, no answer kept
        row = s.exec(select(OutboxRow)).one()
        row.attempts, row.claimed_until = 1, utcnow() - timedelta(seconds=1)
    restarted = Sender(db, client, outbox, leading(db), poll_seconds=0.05)
    restarted.start()
    try:
        assert restarted.flush()
    finally:
        restarted.stop()
    assert len(fake_slack.posts("C_K")) == 1
    assert rows(db)["k1"].state == "sent" and rows(db)["k1"].ts == ts


def test_two_senders_never_post_the_same_row_twice(
    db: Database, fake_slack: FakeSlack, outbox: Outbox
) -> None:
    owe(db, outbox, *(Message(f"m{i}", f"C_{i % 5}", f"m{i}") for i in range(40)))
    senders = []
    for _ in range(2):
        client = WebClient(token=TOKEN, base_url=fake_slack.url, retry_handlers=[])
        one = Sender(db, client, outbox, leading(db), poll_seconds=0.01)
        one.start()
        senders.append(one)
    try:
        fake_slack.wait_for(lambda: len(fake_slack.posts()) >= 40, timeout=20)
        time.sleep(0.5)
    finally:
        for one in senders:
            one.stop()
    posted = [str(c.args["text"]) for c in fake_slack.posts()]
    assert sorted(posted) == sorted(f"m{i}" for i in range(40))


def test_live_messages_are_refreshed_once_per_burst_and_wait_until_posted(
    db: Database, fake_slack: FakeSlack, outbox: Outbox, sender: Sender
) -> None:
    state: dict[str, Any] = {"ts": None, "count": 0}

    def refresher(session: Session, ref: str) -> Update | object:
        if state["ts"] is None:
            return WAIT
        text = f"count {state['count']}"
        return Update("chat.update", {"channel": "C_LIVE", "ts": state["ts"], "text": text})

    outbox.refreshers["counter"] = refresher
    for n in range(1, 21):
        state["count"] = n
        with db.session() as s:
            outbox.refresh(s, "counter", "1")
    time.sleep(0.5)
    assert fake_slack.calls_of("chat.update") == []  # not posted yet: it waits
    state["ts"] = fake_slack._post_message({"channel": "C_LIVE", "text": "count 0"})["ts"]
    assert sender.flush()
    updates = fake_slack.calls_of("chat.update")
    assert 1 <= len(updates) <= 2 and updates[-1].args["text"] == "count 20"


def test_the_backlog_says_how_many_wait_and_since_when(db: Database, outbox: Outbox) -> None:
    owe(db, outbox, Message("w1", "C_W", "one"), Message("w2", "C_W", "two"))
    with db.read() as s:
        waiting = backlog(s)
    assert waiting.pending == 2 and waiting.age(utcnow()) >= 0
