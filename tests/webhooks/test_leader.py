"""Deliveries under the leader's lease (PostgreSQL): a replica that lost it records nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.core.db import Database
from bot.core.events import Event, StepData, release_info
from bot.core.leader import Leadership, StaleLeader
from bot.core.outbox import Outbox
from bot.release.models import Release
from bot.webhooks import service
from bot.webhooks.delivery import Dispatcher, Settings
from bot.webhooks.models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from tests.conftest import PG_URL
from tests.kit.webhook_receiver import Receiver

pytestmark = pytest.mark.skipif(not PG_URL, reason="leadership is a PostgreSQL lease")


def owe_three(db: Database, url: str) -> tuple[int, str]:
    now = datetime.now(UTC)
    with db.session() as s:
        release = Release(channel_id="C1", name="v1", zone="UTC", created_by="U1")
        s.add(release)
        s.flush()
        assert release.id is not None
        endpoint = WebhookEndpoint(
            release_id=release.id, url=url, secret=service.new_secret(), created_by="U1"
        )
        s.add(endpoint)
        s.flush()
        for i in range(3):
            data = StepData(
                release=release_info(release), checklist="t", position=i + 1, title=f"s{i}",
                state="done", before="active", actor="U1",
            )  # fmt: skip
            service.owe(s, Event("step.done", f"k{i}", release.id, data, now))
        assert endpoint.id is not None
        return endpoint.id, endpoint.secret


def test_a_replica_that_lost_the_lead_records_nothing_and_the_new_one_delivers(
    db: Database, receiver: Receiver
) -> None:
    endpoint_id, secret = owe_three(db, receiver.url())
    settings = Settings(allow=("127.0.0.1",))
    one = Leadership(db, holder="one")
    assert one.acquire()
    old = Dispatcher(db, Outbox(), one, settings)
    old_epoch = one.epoch
    claimed = old._claim(endpoint_id, old_epoch)
    assert [row.key for row in claimed] == ["k0", "k1", "k2"]
    one.release()  # its lease is gone: another replica takes the lead with a newer epoch
    other = Database(db.url)
    two = Leadership(other, holder="two")
    assert two.acquire() and (two.epoch or 0) > (old_epoch or 0)

    assert not old._may_send(old_epoch)  # it sends nothing more
    with pytest.raises(StaleLeader):  # and what it would write down is refused
        old._settle(endpoint_id, [(claimed[0], 200)], old_epoch)
    with db.read() as s:
        assert [d.state for d in s.exec(select(WebhookDelivery))] == [PENDING] * 3

    new = Dispatcher(other, Outbox(), two, settings)
    new.start()  # frees the old leader's claims on taking the lead, then delivers
    try:
        got = receiver.wait_for(3, timeout=15)
        assert [r.verified(secret)["data"]["position"] for r in got] == [1, 2, 3]
        assert [r.headers["webhook-id"] for r in got] == [row.webhook_id for row in claimed]
        assert new.flush(10)
    finally:
        new.stop()
        two.release()
    with other.read() as s:
        rows = s.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))).all()
    assert [d.state for d in rows] == [DELIVERED] * 3
    other.dispose()
