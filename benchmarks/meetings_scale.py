"""10,000 meeting series in 500 channels: planning time, memory, and reminder lag.

Creates the series through the domain functions (each stores its next_due_at) and marks the
work already due as sent (a bot running all along would have sent it), starts the real
`releasebot run` against a local fake Slack, and reads:
- the first replan's duration and timer count (the scheduler logs them at start),
- the process's resident memory (VmRSS) after planning and after the probe reminder,
- the lag of a probe reminder due a few seconds after start (posted minus due time).
It also times the planner in-process over the same database, warm, and once more with every
series' next_due_at pushed into the past (the bot back after a long outage).
Targets: planning < 2 s, RSS < 200 MB, lag < 2 s.

    python -m benchmarks.meetings_scale [--series 10000] [--channels 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text, update

from benchmarks.common import bot_env, fresh_postgres, sqlite_url
from bot.burndown import reminders
from bot.burndown import service as meetings
from bot.burndown.models import MeetingSeries
from bot.core import migrate
from bot.core.db import Database
from bot.release import service as releases
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack

SECRET = "bench-secret"
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Chatham",
    "UTC",
]
DAY_SETS = [0b0011111, 0b0010101, 0b1111111, 0b0000010, 0b0001000]
PLANNED = re.compile(r"planned (\d+) timers in ([\d.]+) ms")


def populate(db: Database, series: int, channels: int, now: datetime) -> float:
    """Create the releases and series through the domain; returns seconds taken."""
    rng = random.Random(7)
    began = time.perf_counter()
    per_channel = series // channels
    for c in range(channels):
        with db.session() as s:
            release = releases.create_release(
                s,
                channel_id=f"C{c:05d}",
                name=f"v{c}",
                release_at=now + timedelta(days=60),
                zone=ZoneInfo("UTC"),
                actor="U_LEAD",
                now=now,
            )
            for _ in range(per_channel):
                spec = meetings.SeriesSpec(
                    days=rng.choice(DAY_SETS),
                    at=clock(rng.randrange(24), rng.choice((0, 15, 30, 45))),
                    zone=ZoneInfo(rng.choice(ZONES)),
                    start=now.date(),
                    areas=("ci", "docs", "release-notes"),
                )
                meetings.create_series(s, release, spec, actor="U_LEAD", now=now)
    return time.perf_counter() - began


def settle(db: Database, now: datetime) -> int:
    """Claim all work already due, as a bot running all along would have sent it."""
    with db.read() as s:
        work, stale = reminders.plan_window(s, now, now)
    with db.session() as s:
        for due in work:
            reminders.claim(s, due, now)
        reminders.push_forward(s, stale)
    return len(work)


def add_probe(db: Database, due: float) -> tuple[datetime, float]:
    """A series whose only reminder falls due about `due`; returns its meeting and exact due."""
    meeting = datetime.fromtimestamp((int(due) // 60 + 2) * 60, UTC)
    offset = round(meeting.timestamp() - due)
    now = datetime.now(UTC)
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id="C_PROBE",
            name="probe",
            release_at=None,
            zone=ZoneInfo("UTC"),
            actor="U_LEAD",
            now=now,
        )
        spec = meetings.SeriesSpec(
            days=0b1111111,
            at=clock(meeting.hour, meeting.minute),
            zone=ZoneInfo("UTC"),
            start=meeting.date(),
            remind=(offset,),
            status_lead=None,
        )
        meetings.create_series(s, release, spec, actor="U_LEAD", now=now)
    return meeting, meeting.timestamp() - offset


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_planner(db: Database, runs: int = 5) -> float:
    """Median in-process duration of one burndown planning pass, in ms."""
    took = []
    for _ in range(runs):
        began = time.perf_counter()
        now = datetime.now(UTC)
        with db.read() as s:
            reminders.plan_window(s, now, now + timedelta(seconds=30))
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took)


def time_after_outage(db: Database) -> tuple[float, int]:
    """One planning pass with every next_due_at a day in the past; ms and stale series."""
    now = datetime.now(UTC)
    with db.session() as s:
        s.execute(update(MeetingSeries).values(next_due_at=now - timedelta(days=1)))
    began = time.perf_counter()
    with db.read() as s:
        _, stale = reminders.plan_window(s, now, now + timedelta(seconds=30))
    return (time.perf_counter() - began) * 1000, len(stale)


def run(url: str, series: int, channels: int) -> dict[str, float]:
    """Populate, start the bot, measure; returns the figures."""
    db = Database(url)
    migrate.upgrade(db)
    now = datetime.now(UTC)
    figures = {"populate_s": populate(db, series, channels, now)}
    figures["settled_before_start"] = float(settle(db, datetime.now(UTC)))
    if not db.is_sqlite:
        with db.engine.connect() as conn:  # what autovacuum would have done by now
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    with FakeSlack() as fake:
        bot = BotProcess({**bot_env(fake.url, url, SECRET), "LOG_LEVEL": "INFO"})
        meeting, due = add_probe(db, time.time() + 12.0)
        bot.start()
        try:
            deadline = time.monotonic() + 30
            while not (found := PLANNED.search(bot.log_text())) and time.monotonic() < deadline:
                time.sleep(0.05)
            if found is None:
                raise RuntimeError(f"no planning line in the log:\n{bot.log_text()[-2000:]}")
            figures["first_plan_ms"] = float(found.group(2))
            figures["first_plan_timers"] = float(found.group(1))
            assert bot.proc is not None
            figures["rss_after_plan_mb"] = rss_mb(bot.proc.pid)
            token = f"<!date^{int(meeting.timestamp())}^"
            posts = fake.wait_for(
                lambda: [c for c in fake.posts("C_PROBE") if token in str(c.args)], timeout=30
            )
            figures["reminder_lag_s"] = posts[0].at - due
            figures["rss_after_reminder_mb"] = rss_mb(bot.proc.pid)
        finally:
            bot.stop()
    figures["planner_warm_ms"] = time_planner(db)
    figures["planner_after_outage_ms"], stale = time_after_outage(db)
    figures["stale_series"] = float(stale)
    db.dispose()
    return figures


def main() -> None:
    """Run the benchmark and print its figures against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--postgres", metavar="URL", help="a Postgres server URL to use")
    args = parser.parse_args()
    if args.postgres:
        with fresh_postgres(args.postgres) as url:
            figures = run(url, args.series, args.channels)
    else:
        figures = run(sqlite_url(), args.series, args.channels)
    backend = "postgres" if args.postgres else "sqlite"
    print(f"meetings_scale ({backend}): {args.series} series in {args.channels} channels")
    targets = {"first_plan_ms": 2000, "rss_after_plan_mb": 200, "reminder_lag_s": 2.0}
    for name, value in figures.items():
        target = targets.get(name)
        mark = "" if target is None else ("  ok" if value < target else "  MISSED")
        limit = "" if target is None else f"  (target < {target})"
        print(f"  {name:26s} {value:10.2f}{limit}{mark}")


if __name__ == "__main__":
    main()
