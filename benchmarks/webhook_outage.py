"""Webhooks owed during a receiver's outage: all delivered soon after its return, in order, once.

1,000 events are owed to one endpoint (each in its own transaction, as features owe them)
while its receiver is down (not listening) for 60 s; the real dispatcher, on a real database,
retries with its backoff. Once the receiver listens again, every event must arrive within
30 s, in the order it was owed, none twice, each signature verifying with the endpoint's
secret (issue 28).

    python -m benchmarks.webhook_outage [--outage 60] [--events 1000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from contextlib import nullcontext
from datetime import UTC, datetime

from benchmarks.common import fresh_postgres, sqlite_url
from bot.core import migrate
from bot.core.db import Database
from bot.core.events import Event, StepData, release_info
from bot.core.leader import Leadership
from bot.core.outbox import Outbox
from bot.release.models import Release
from bot.webhooks import service
from bot.webhooks.delivery import Dispatcher, Settings
from bot.webhooks.models import WebhookEndpoint
from tests.kit.webhook_receiver import Receiver


def _setup(db: Database, url: str) -> tuple[int, str, Release]:
    """A release with one endpoint at `url`; its id, secret and the release."""
    now = datetime.now(UTC)
    with db.session() as session:
        release = Release(channel_id="CBENCH", name="v1.0", zone="UTC", created_by="UBENCH")
        session.add(release)
        session.flush()
        assert release.id is not None
        endpoint = WebhookEndpoint(
            release_id=release.id,
            url=url,
            secret=service.new_secret(),
            created_by="UBENCH",
            created_at=now,
        )
        session.add(endpoint)
        session.flush()
        assert endpoint.id is not None
        session.expunge(release)
        return endpoint.id, endpoint.secret, release


def _owe(db: Database, release: Release, count: int) -> None:
    """Owe `count` step events, one transaction each (position i is the order owed)."""
    assert release.id is not None
    info = release_info(release)
    for i in range(count):
        data = StepData(
            release=info, checklist="bench", position=i, title=f"step {i}", state="done",
            before="active", actor="UBENCH",
        )  # fmt: skip
        with db.session() as session:
            event = Event("step.done", f"bench:{i}", release.id, data, datetime.now(UTC))
            service.owe(session, event)


def run(database_url: str, outage: float, count: int) -> dict[str, float | int | bool]:
    """Owe the events while the receiver is down; measure delivery after its return."""
    db = Database(database_url)
    migrate.upgrade(db)
    receiver = Receiver()
    receiver.up()
    receiver.down()  # its port is kept: it is down, not gone
    _, secret, release = _setup(db, receiver.url())
    leadership = Leadership(db)
    leadership.acquire()  # the app's scheduler takes the lead; here nobody else does
    dispatcher = Dispatcher(db, Outbox(), leadership, Settings(allow=("127.0.0.1",)))
    down_at = time.monotonic()
    dispatcher.start()
    try:
        _owe(db, release, count)
        time.sleep(max(0.0, down_at + outage - time.monotonic()))
        receiver.up()
        back_at = time.monotonic()
        while len(receiver.delivered()) < count and time.monotonic() < back_at + 120:
            time.sleep(0.05)
        done = time.monotonic()
    finally:
        dispatcher.stop()
        leadership.release()
        receiver.down()
    got = receiver.delivered()
    bodies = [r.verified(secret) for r in got]  # raises if a signature does not verify
    order = [int(b["data"]["position"]) for b in bodies]  # type: ignore[index, call-overload]
    ids = Counter(r.headers["webhook-id"] for r in got)
    db.dispose()
    return {
        "owed": count,
        "delivered": len(ids),
        "delivered twice": sum(1 for n in ids.values() if n > 1),
        "in order": order == sorted(order) and len(set(order)) == count,
        "seconds after return": round(done - back_at, 1),
    }


def main() -> None:
    """Print the figures for SQLite, and PostgreSQL when asked."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the receiver is down")
    parser.add_argument("--events", type=int, default=1000, help="events owed meanwhile")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a fresh database is used)")
    args = parser.parse_args()
    backends = [("SQLite", nullcontext(sqlite_url()))]
    if args.postgres:
        backends.append(("PostgreSQL", fresh_postgres(args.postgres)))
    for name, database in backends:
        with database as url:
            figures = run(url, args.outage, args.events)
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
