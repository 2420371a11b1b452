"""Leadership is a lease: PostgreSQL restarted under the leader, which stops within a second.

Two replicas' leaderships on a PostgreSQL server of the test's own. The server is stopped
under the leader: it stops leading within a second, the other replica takes the lead with a
newer epoch once the server is back, and the old leader's write (marking a message it had
claimed as sent) is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.core import metrics, migrate
from bot.core.db import Database
from bot.core.leader import Leadership, StaleLeader
from bot.core.models import utcnow
from bot.core.outbox import PENDING, SENT, Message, Outbox, OutboxRow
from bot.core.sender import Sender
from tests.conftest import TOKEN
from tests.kit import private_postgres

pytestmark = pytest.mark.skipif(
    not private_postgres.available(), reason="PostgreSQL server binaries are not installed"
)


def wait_until(predicate: object, timeout: float) -> float:
    """Poll until `predicate()` is true; the seconds it took."""
    started = time.monotonic()
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, "condition not met in time"
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def pg() -> Iterator[private_postgres.PrivatePostgres]:
    with private_postgres.PrivatePostgres() as server:
        db = Database(server.url)
        migrate.upgrade(db)
        db.dispose()
        yield server


def test_a_database_restart_stops_the_leader_and_its_stale_write_is_refused(
    pg: private_postgres.PrivatePostgres,
) -> None:
    db_a, db_b = Database(pg.url), Database(pg.url)
    one, two = Leadership(db_a, holder="one"), Leadership(db_b, holder="two")
    one.start()
    wait_until(lambda: one.is_leader, timeout=10)
    two.start()
    old_epoch = one.epoch
    assert old_epoch is not None
    time.sleep(1.0)
    assert not two.is_leader, "two replicas lead at once"

    # The leader claims a message to post, as its sender does.
    outbox = Outbox()
    with db_a.session() as s:
        outbox.queue(s, Message(key="owed:1", channel="C1", text="owed"))
    client = WebClient(token=TOKEN, base_url="http://127.0.0.1:9/api/", retry_handlers=[])
    sender = Sender(db_a, client, outbox, one)
    with db_a.read() as s:
        row = s.exec(select(OutboxRow)).one()
    assert sender._claim([row], utcnow()) == {row.id}

    pg.stop()
    stopped = time.monotonic()
    took = wait_until(lambda: not one.is_leader, timeout=5)
    assert took < 1.0, f"the old leader went on leading for {took:.2f}s"
    assert one.epoch is None and not two.is_leader
    pg.start()
    db_a.dispose()  # pooled connections died with the server (the app retries once instead)
    db_b.dispose()
    wait_until(lambda: two.is_leader, timeout=20)
    assert not one.is_leader
    assert (two.epoch or 0) > old_epoch
    assert time.monotonic() - stopped > 1.0

    # The new leader's sender takes the row over: it may finish it, the old leader may not.
    with pytest.raises(StaleLeader), db_a.session() as s:
        one.guard(s, old_epoch)
    row.claim_epoch = old_epoch
    with pytest.raises(StaleLeader):
        sender._finish(row, SENT, ts="1.000", now=utcnow())
    with db_b.read() as s:
        kept = s.exec(select(OutboxRow)).one()
    assert kept.state == PENDING and kept.ts is None
    successor = Sender(db_b, client, outbox, two)
    kept.claimed_until = None
    assert successor._claim([kept], utcnow() + timedelta(seconds=31)) == {kept.id}
    successor._finish(kept, SENT, ts="2.000", now=utcnow())
    with db_b.read() as s:
        assert s.exec(select(OutboxRow)).one().ts == "2.000"

    shown = metrics.AppMetrics(db_b, two).render().decode()
    assert "releasebot_leader 1.0" in shown
    assert f"releasebot_leader_epoch {float(two.epoch or 0)}" in shown
    assert 'releasebot_leader_changes_total{change="lost"}' in shown
    one.stop()
    two.stop()
    db_a.dispose()
    db_b.dispose()
