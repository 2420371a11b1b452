"""Deliveries as a receiver sees them: signed (Standard Webhooks), in order, once, retried."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.webhooks.models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from tests.conftest import RunningBot
from tests.kit.webhook_receiver import Receiver
from tests.support.release import CHANNEL, LEAD, answer
from tests.webhooks.conftest import add_webhook, listed, postpone

DAYS = ["2027-03-22", "2027-03-23", "2027-03-24"]


def deliveries(bot: RunningBot) -> list[WebhookDelivery]:
    with bot.services.db.read() as s:
        return list(s.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))))


def endpoint(bot: RunningBot, number: int) -> WebhookEndpoint:
    with bot.services.db.read() as s:
        found = s.get(WebhookEndpoint, number)
        assert found is not None
        return found


def days_of(received: list, secret: str) -> list[str]:  # type: ignore[type-arg]
    """The new release day each delivered release.postponed carries, in arrival order."""
    return [r.verified(secret)["data"]["release"]["release_at"][:10] for r in received]


def test_a_change_arrives_signed_and_verifies_with_the_secret(
    hooked: RunningBot, receiver: Receiver
) -> None:
    _, secret = add_webhook(hooked, receiver.url())
    assert "Release day is now" in postpone(hooked, "2027-03-22")
    (got,) = receiver.wait_for(1)
    body = got.verified(secret)
    assert body["type"] == "release.postponed"
    assert set(body) == {"type", "timestamp", "data"}
    data = body["data"]
    assert isinstance(data, dict)
    assert data["release"]["name"] == "v1.0"
    assert data["reason"] == "waiting on a fix"
    assert data["before"].startswith("2027-03-15")
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"


def test_500_then_200_is_delivered_once_with_the_same_id_and_order_kept(
    hooked: RunningBot, receiver: Receiver
) -> None:
    _, secret = add_webhook(hooked, receiver.url())
    receiver.statuses.extend([500])
    for day in DAYS:
        postpone(hooked, day)
    got = receiver.wait_for(3)
    assert [r.status for r in receiver.received] == [500, 200, 200, 200]
    first, retry = receiver.received[:2]
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.body == retry.body
    assert days_of(got, secret) == DAYS
    assert len({r.headers["webhook-id"] for r in got}) == 3
    time.sleep(1.0)  # nothing is sent again after a 2xx
    assert len(receiver.received) == 4
    assert [d.state for d in deliveries(hooked)] == [DELIVERED] * 3


def test_a_receiver_that_is_down_gets_everything_in_order_once_back(
    hooked: RunningBot, receiver: Receiver
) -> None:
    number, secret = add_webhook(hooked, receiver.url())
    receiver.down()
    for day in DAYS:
        postpone(hooked, day)
    deadline = time.monotonic() + 10
    while endpoint(hooked, number).failures < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = listed(hooked)
    assert "failed attempts" in shown and "3 waiting" in shown, shown
    receiver.up()
    got = receiver.wait_for(3, timeout=15)
    assert days_of(got, secret) == DAYS
    assert len(receiver.received) == 3  # none twice
    hooked.fake.wait_for(lambda: endpoint(hooked, number).failures == 0)
    after = endpoint(hooked, number)
    assert after.failures == 0 and after.last_delivered_at is not None
    shown = listed(hooked)
    assert "failed attempts" not in shown and "last delivered" in shown


def test_a_slow_receiver_is_retried_with_the_same_id_and_the_next_waits(
    hooked: RunningBot, receiver: Receiver
) -> None:
    _, secret = add_webhook(hooked, receiver.url())
    receiver.delay = 1.6  # longer than the bot's 1 s timeout
    postpone(hooked, DAYS[0])
    postpone(hooked, DAYS[1])
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    receiver.delay = 0.0
    deadline = time.monotonic() + 15
    while [d.state for d in deliveries(hooked)] != [DELIVERED] * 2:
        assert time.monotonic() < deadline, deliveries(hooked)
        time.sleep(0.05)
    first, second = deliveries(hooked)
    assert first.attempts >= 2 and second.attempts == 1
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert set(ids[:-1]) == {first.webhook_id}  # every attempt at the first kept its id
    assert ids[-1] == second.webhook_id  # the second went only after the first was delivered
    assert days_of([receiver.received[-1]], secret) == [DAYS[1]]


def test_a_day_of_failures_pauses_the_endpoint_and_tells_each_lead_once(
    hooked: RunningBot, receiver: Receiver
) -> None:
    start = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    hooked.freeze(start)
    number, _ = add_webhook(hooked, receiver.url())
    receiver.status = 500
    postpone(hooked, DAYS[0])
    dispatcher = hooked.services.outbox.webhooks.dispatcher  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while endpoint(hooked, number).failures < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    hooked.freeze(start + timedelta(hours=23, minutes=59))
    dispatcher.poke()
    deadline = time.monotonic() + 10
    while endpoint(hooked, number).failures < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert endpoint(hooked, number).paused_at is None  # not yet a whole day
    hooked.freeze(start + timedelta(hours=24, minutes=1))
    dispatcher.poke()
    deadline = time.monotonic() + 10
    while endpoint(hooked, number).paused_at is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    told = hooked.fake.wait_for(lambda: hooked.fake.posts(f"D{LEAD}"))
    assert "paused" in hooked.fake.texts_of(told[0])
    attempts = len(receiver.received)
    hooked.freeze(start + timedelta(hours=30))
    postpone(hooked, DAYS[1])  # a paused endpoint is owed nothing new
    dispatcher.poke()
    time.sleep(1.0)
    assert len(receiver.received) == attempts  # nothing more is sent to it
    assert len(hooked.fake.posts(f"D{LEAD}")) == 1  # told once
    assert [d.state for d in deliveries(hooked)] == [PENDING]
    assert "paused" in listed(hooked)
    receiver.status = 200
    resumed = answer(
        hooked.slack.command(
            "/release", f"webhook resume {number}", user_id=LEAD, channel_id=CHANNEL
        )
    )
    assert "delivering again" in resumed and "1 events" in resumed
    receiver.wait_for(1)
    hooked.fake.wait_for(lambda: [d.state for d in deliveries(hooked)] == [DELIVERED])


def test_a_failure_behind_a_delivered_event_holds_back_the_rest_in_order(
    hooked: RunningBot, receiver: Receiver
) -> None:
    dispatcher = hooked.services.outbox.webhooks.dispatcher  # type: ignore[attr-defined]
    dispatcher.stop()  # owe all three before any goes, so they are claimed together
    _, secret = add_webhook(hooked, receiver.url())
    for day in DAYS:
        postpone(hooked, day)
    receiver.statuses.extend([200, 500])
    dispatcher.start()
    got = receiver.wait_for(3)
    assert [r.status for r in receiver.received] == [200, 500, 200, 200]
    assert receiver.received[1].headers["webhook-id"] == receiver.received[2].headers["webhook-id"]
    assert days_of(got, secret) == DAYS
    hooked.fake.wait_for(lambda: [d.state for d in deliveries(hooked)] == [DELIVERED] * 3)
    assert [d.attempts for d in deliveries(hooked)] == [1, 2, 1]
