"""Messages owed during a Slack outage: all delivered soon after Slack's return, none twice.

500 messages across 50 channels are owed while the local Slack stand-in answers 503 to
every call; when it comes back, the outbox sender (the real one, on a real database) must
deliver every message within 10 s, at about one post a second per channel, and post none
twice (PRODUCT.md section 8).

    python -m benchmarks.outbox_outage [--outage 60] [--postgres URL]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from contextlib import nullcontext

from slack_sdk import WebClient

from benchmarks.common import fresh_postgres, sqlite_url
from bot.core import migrate
from bot.core.db import Database
from bot.core.leader import Leadership
from bot.core.outbox import Message, Outbox
from bot.core.sender import Sender
from tests.kit.fake_slack import FakeSlack

CHANNELS = 50
MESSAGES = 500


def run(database_url: str, outage: float) -> dict[str, float]:
    """Owe the messages during an outage; measure delivery after Slack's return."""
    db = Database(database_url)
    migrate.upgrade(db)
    outbox = Outbox()
    with FakeSlack() as fake:
        client = WebClient(token="xoxb-bench", base_url=fake.url, timeout=5, retry_handlers=[])
        leadership = Leadership(db)
        leadership.acquire()  # the app's scheduler takes the lead; here nobody else does
        sender = Sender(db, client, outbox, leadership)
        fake.down(outage)
        back_at = time.monotonic() + outage
        sender.start()
        try:
            for i in range(MESSAGES):
                with db.session() as session:
                    channel = f"C{i % CHANNELS:03d}"
                    outbox.queue(session, Message(f"bench:{i}", channel, f"message {i}"))
            while len(fake.posts()) < MESSAGES and time.monotonic() < back_at + 60:
                time.sleep(0.05)
            done = time.monotonic()
        finally:
            sender.stop()
            leadership.release()
        posts = fake.posts()
        keys = Counter(str(c.args.get("text")) for c in posts)
        per_channel: dict[str, list[float]] = {}
        for call in posts:
            per_channel.setdefault(str(call.args["channel"]), []).append(call.at)
        fastest = max(
            (
                sum(1 for t in times if 0 <= t - start < 1.0)
                for times in per_channel.values()
                for start in times
            ),
            default=0,
        )
    db.dispose()
    return {
        "owed": MESSAGES,
        "delivered": len(keys),
        "posted twice": sum(1 for n in keys.values() if n > 1),
        "seconds after return": round(done - back_at, 1),
        "most posts to one channel in any second": fastest,
        "failed calls during the outage": len(fake.failed_calls),
    }


def main() -> None:
    """Print the figures for SQLite, and PostgreSQL when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0, help="seconds Slack is down")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a fresh database is used)")
    args = parser.parse_args()
    backends = [("SQLite", nullcontext(sqlite_url()))]
    if args.postgres:
        backends.append(("PostgreSQL", fresh_postgres(args.postgres)))
    for name, database in backends:
        with database as url:
            figures = run(url, args.outage)
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
