"""50 concurrent writers on SQLite through the real HTTP server: zero "database is locked".

Each writer is a release lead in a channel of their own, firing role hand-overs as fast as
the server answers. Every hand-over is a write transaction with an audit event.

    python -m benchmarks.sqlite_writers [--writers 50] [--requests 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import func, select

from bot.core import migrate
from bot.core.db import Database
from bot.core.models import AuditEvent
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient

SECRET = "bench-secret"


@dataclass
class Outcome:
    """What the writers saw."""

    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    http_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(url: str, index: int, requests: int, start: threading.Event, out: Outcome) -> None:
    """One lead: create a release, then hand the docs role over `requests` times."""
    client = SlackClient(url, SECRET)
    lead, channel = f"U_L{index:03d}", f"C_{index:03d}"
    client.command(
        "/release", f"new w{index} on 2027-03-15 10:00 PT", user_id=lead, channel_id=channel
    )
    start.wait()
    for n in range(requests):
        began = time.perf_counter()
        try:
            resp = client.command(
                "/release", f"role docs <@U_{index:03d}_{n:03d}>", user_id=lead, channel_id=channel
            )
        except httpx.HTTPError:
            resp = None
        elapsed = time.perf_counter() - began
        with out.lock:
            out.latencies.append(elapsed)
            if resp is None or resp.status_code != 200:
                out.http_errors += 1
            elif "not carried out" in resp.text:
                out.refused += 1
    client.close()


def run(writers: int = 50, requests: int = 20) -> dict[str, float | int | str]:
    """Run the benchmark and return its figures."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-sqlite-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(Database(url))
    with FakeSlack() as fake:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "",
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": url,
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        with BotProcess(env) as proc:
            start = threading.Event()
            out = Outcome()
            threads = [
                threading.Thread(target=writer, args=(proc.url, i, requests, start, out))
                for i in range(writers)
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            began = time.perf_counter()
            start.set()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
            proc.stop()
            locked = proc.log_text().count("database is locked")
    db = Database(url)
    with db.read() as s:
        stored = s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "role.assigned")
        ).one()
    db.dispose()
    lat = sorted(out.latencies)
    return {
        "writers": writers,
        "requests": len(lat),
        "stored": int(stored),
        "locked_errors": locked,
        "refused": out.refused,
        "http_errors": out.http_errors,
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1),
        "writes_per_s": round(len(lat) / wall, 1),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    for key, value in run(args.writers, args.requests).items():
        print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
