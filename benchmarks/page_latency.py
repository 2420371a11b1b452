"""Server time of the release page and calendar feed of a big release, quiet and under votes.

The release has 20 burndown series (with skipped days), 30 milestones, 30 gates, a full
30-step checklist mid-way on release day and an open go/no-go poll. Each route is answered
`--renders` times through `handlers.calendar.serve()` (database reads, rendering, headers:
everything but the socket), first on a quiet database, then while writer threads store a
vote burst (200 votes a second, each its own write transaction with an audit event, as
`/gonogo` clicks do).

    python -m benchmarks.page_latency [--renders 200] [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from benchmarks.common import fresh_postgres, sqlite_url
from bot.core import audit, migrate
from bot.core.db import Database
from bot.gonogo.models import Poll, PollVote
from handlers.calendar import serve
from tests.calendar import builders as b

SERIES = 20
GATES = 30
MILESTONES = 30
VOTES_PER_SECOND = 200
VOTE_THREADS = 4


@dataclass(frozen=True)
class Figures:
    """Latencies of one route in one condition, in milliseconds."""

    p50: float
    p95: float
    worst: float


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank, in milliseconds."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def build(db: Database) -> tuple[b.Built, int]:
    """The big release, and its open poll's id."""
    built = b.full_release(db, series_count=SERIES, gate_count=GATES)
    b.milestones(db, built.release, MILESTONES)
    with db.read() as s:
        poll_id = s.exec(select(Poll.id).where(Poll.release_id == built.release.id)).one()
    assert poll_id is not None
    return built, poll_id


def time_route(db: Database, path: str, renders: int) -> Figures:
    """Answer `path` `renders` times (after a few warm-up answers) and time each."""
    services = b.services_for(db)
    for _ in range(5):
        answer = serve(services, "GET", path)
        assert answer is not None and answer[0] == "200 OK", answer and answer[0]
    samples = []
    for _ in range(renders):
        began = time.perf_counter()
        serve(services, "GET", path)
        samples.append(time.perf_counter() - began)
    return Figures(percentile(samples, 50), percentile(samples, 95), max(samples) * 1000)


@contextmanager
def vote_burst(db: Database, built: b.Built, poll_id: int) -> Iterator[list[int]]:
    """Writer threads storing votes at VOTES_PER_SECOND until the block ends."""
    stop = threading.Event()
    stored = [0]
    lock = threading.Lock()
    pause = VOTE_THREADS / VOTES_PER_SECOND

    def writer(index: int) -> None:
        n = 0
        while not stop.is_set():
            began = time.perf_counter()
            user = f"U0V{index:02d}{n:06d}"
            with db.session() as s:
                s.execute(
                    update(Poll)
                    .where(col(Poll.id) == poll_id)
                    .values(revision=col(Poll.revision) + 1)
                )
                s.add(PollVote(poll_id=poll_id, user_id=user, choice="go"))
                audit.record(
                    s,
                    release=built.release,
                    actor=user,
                    action="gonogo.voted",
                    subject=f"poll {poll_id}",
                    after="go",
                    at=b.NOW + timedelta(seconds=n),
                )
            n += 1
            with lock:
                stored[0] += 1
            time.sleep(max(0.0, pause - (time.perf_counter() - began)))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(VOTE_THREADS)]
    for thread in threads:
        thread.start()
    try:
        yield stored
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def measure(url: str, renders: int) -> list[tuple[str, str, Figures]]:
    """Figures for both routes, quiet and under a vote burst, on one database."""
    db = Database(url)
    try:
        migrate.upgrade(db)
        built, poll_id = build(db)
        routes = {"page": f"/r/{built.token}", "feed": f"/calendar/{built.token}.ics"}
        rows = [(name, "quiet", time_route(db, path, renders)) for name, path in routes.items()]
        with vote_burst(db, built, poll_id) as stored:
            began = time.perf_counter()
            for name, path in routes.items():
                rows.append((name, "votes", time_route(db, path, renders)))
            rate = stored[0] / (time.perf_counter() - began)
        print(f"  vote burst: {stored[0]} votes stored, {rate:.0f}/s during the measurement")
        return rows
    finally:
        db.dispose()


def report(backend: str, rows: list[tuple[str, str, Figures]]) -> None:
    """Print one backend's table."""
    for name, condition, f in rows:
        verdict = "ok" if f.p95 < 100 else "OVER 100 ms"
        print(
            f"  {backend:<8} {name:<5} {condition:<6} p50 {f.p50:7.2f} ms  "
            f"p95 {f.p95:7.2f} ms  max {f.worst:7.2f} ms  ({verdict})"
        )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this server")
    args = parser.parse_args()
    print(
        f"release: {SERIES} series, {MILESTONES} milestones, {GATES} gates, "
        "30 checklist steps, an open poll"
    )
    rows = measure(sqlite_url(), args.renders)
    report("sqlite", rows)
    if args.postgres:
        with fresh_postgres(args.postgres) as url:
            report("postgres", measure(url, args.renders))


if __name__ == "__main__":
    main()
