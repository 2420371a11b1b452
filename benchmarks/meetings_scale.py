"""Meeting series at scale (10,000 in 500 channels, or 100,000): planning, memory, reminder lag.

Creates the releases through the domain and the series in bulk, as `create_series` writes them
(each with its stored next_due_at), and marks the work already due as claimed (a bot running
all along would have sent it), starts the real `releasebot run` against a local fake Slack,
and reads:
- the first replan's duration and timer count (the scheduler logs them at start),
- the process's resident memory (VmRSS) after planning and after the probe reminder,
- the lag of a probe reminder due a few seconds after start (posted minus due time), due
  together with a clump of others (1% of the series, as a popular time like 10:00 brings);
- the bot started again with every stored due time a day behind (back after a day away):
  its first plan, and how long from launch until no series is left behind.
It also times the planner in-process over the same database, warm, and once more with every
series' next_due_at pushed into the past.
Targets: 10,000 series planned < 2 s with RSS < 200 MB; 100,000 < 5 s with RSS < 300 MB;
reminder lag < 2 s.

    python -m benchmarks.meetings_scale [--series 10000|100000] [--channels 500] [--clump N]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, text, update
from sqlmodel import col, select

from benchmarks.common import bot_env, fresh_postgres, sqlite_url
from bot.burndown import reminders
from bot.burndown import service as meetings
from bot.burndown.models import MeetingDelivery, MeetingSeries
from bot.burndown.recurrence import next_due
from bot.burndown.series import plan_of
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
BULK = 5000


def populate(db: Database, series: int, channels: int, now: datetime) -> float:
    """Create the releases through the domain and their series in bulk; seconds taken."""
    rng = random.Random(7)
    began = time.perf_counter()
    with db.session() as s:
        release_ids = [
            releases.create_release(
                s,
                channel_id=f"C{c:05d}",
                name=f"v{c}",
                release_at=now + timedelta(days=60),
                zone=ZoneInfo("UTC"),
                actor="U_LEAD",
                now=now,
            ).id
            for c in range(channels)
        ]
    rows = []
    for index in range(series):
        row = series_row(
            release_ids[index % channels],
            f"C{index % channels:05d}",
            days=rng.choice(DAY_SETS),
            at_time=f"{rng.randrange(24):02d}:{rng.choice((0, 15, 30, 45)):02d}",
            zone=rng.choice(ZONES),
            now=now,
        )
        rows.append(row)
        if len(rows) == BULK:
            _insert(db, MeetingSeries, rows)
            rows = []
    _insert(db, MeetingSeries, rows)
    return time.perf_counter() - began


def series_row(
    release_id: int | None,
    channel: str,
    *,
    days: int,
    at_time: str,
    zone: str,
    now: datetime,
    start: date | None = None,
    remind: tuple[int, ...] = meetings.DEFAULT_REMIND,
    status_lead: int | None = meetings.DEFAULT_STATUS_LEAD,
) -> dict[str, object]:
    """A series row as `create_series` writes it, with its next due time."""
    row = MeetingSeries(
        release_id=release_id or 0,
        channel_id=channel,
        days=days,
        at_time=at_time,
        zone=zone,
        start_date=start or now.date(),
        remind=",".join(str(o) for o in remind),
        status_lead=status_lead,
        areas="ci\ndocs\nrelease-notes",
        created_by="U_LEAD",
        created_at=now,
        plan_from=now,
    )
    row.next_due_at = next_due(plan_of(row), set(), now)  # what refresh_due stores
    return row.model_dump(exclude={"id"})


def _insert(db: Database, model: type, rows: list[dict[str, object]]) -> None:
    if rows:
        with db.session() as s:
            s.execute(insert(model), rows)


def settle(db: Database, now: datetime) -> int:
    """Claim all work already due (a bot running all along sent it); how much there was.

    The planner takes PLAN_BATCH series a pass, so this passes until nothing is due.
    """
    claimed = 0
    while True:
        with db.read() as s:
            work, stale = reminders.plan_window(s, now, now)
        if not work and not stale:
            return claimed
        _insert(
            db,
            MeetingDelivery,
            [
                {
                    "series_id": due.series_id,
                    "occurs_at": due.item.occurs_at,
                    "kind": due.item.kind,
                    "offset_s": due.item.offset,
                    "claimed_at": now,
                }
                for due in work
            ],
        )
        with db.session() as s:
            reminders.push_forward(s, stale)
        claimed += len(work)


def add_probe(db: Database, due: float, clump: int, channels: int) -> tuple[datetime, float]:
    """A series whose only reminder falls due about `due`, with `clump` others due with it.

    The clump is what a popular time brings (every series meeting at 10:00): the probe's
    lag is measured while the bot claims and sends all of them. Returns the probe's meeting
    and its exact due time.
    """
    meeting = datetime.fromtimestamp((int(due) // 60 + 2) * 60, UTC)
    offset = round(meeting.timestamp() - due)
    now = datetime.now(UTC)
    spec = meetings.SeriesSpec(
        days=0b1111111,
        at=clock(meeting.hour, meeting.minute),
        zone=ZoneInfo("UTC"),
        start=meeting.date(),
        remind=(offset,),
        status_lead=None,
    )
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
        meetings.create_series(s, release, spec, actor="U_LEAD", now=now)
        others = [releases.active_release(s, f"C{c:05d}") for c in range(min(clump, channels))]
    rows = [
        series_row(
            others[index % len(others)].id,
            others[index % len(others)].channel_id,
            days=spec.days,
            at_time=f"{meeting:%H:%M}",
            zone="UTC",
            now=now,
            start=meeting.date(),
            remind=(offset,),
            status_lead=None,
        )
        for index in range(clump)
    ]
    _insert(db, MeetingSeries, rows)
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
    push_back(db)
    now = datetime.now(UTC)
    began = time.perf_counter()
    with db.read() as s:
        _, stale = reminders.plan_window(s, now, now + timedelta(seconds=30))
    return (time.perf_counter() - began) * 1000, len(stale)


def first_plan(bot: BotProcess, earlier: int) -> tuple[float, float]:
    """Duration (ms) and timer count of a process's first plan (`earlier` runs logged before)."""
    deadline = time.monotonic() + 60
    while len(found := PLANNED.findall(bot.log_text())) <= earlier:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no planning line in the log:\n{bot.log_text()[-2000:]}")
        time.sleep(0.05)
    timers, took = found[earlier]
    return float(took), float(timers)


def overdue(db: Database) -> int:
    """Series whose stored next due time has passed (the planner has not caught up on them)."""
    now = datetime.now(UTC)
    query = select(func.count()).where(
        MeetingSeries.state == "active", col(MeetingSeries.next_due_at) < now
    )
    with db.read() as s:
        return int(s.exec(query).one())


def catch_up_after_a_day_away(bot: BotProcess, db: Database) -> dict[str, float]:
    """Start the bot with every stored due time a day behind: its first plan, and all of them."""
    push_back(db)
    began = time.monotonic()
    bot.start()
    took, timers = first_plan(bot, earlier=1)
    assert bot.proc is not None
    figures = {
        "away_first_plan_ms": took,
        "away_first_plan_timers": timers,
        "away_rss_mb": rss_mb(bot.proc.pid),
    }
    while overdue(db) and time.monotonic() - began < 120:
        time.sleep(0.1)
    figures["away_all_planned_s"] = time.monotonic() - began
    figures["away_rss_after_all_mb"] = rss_mb(bot.proc.pid)
    return figures


def push_back(db: Database) -> None:
    """Every series' stored next due time a day in the past (the bot was away that long)."""
    with db.session() as s:
        s.execute(update(MeetingSeries).values(next_due_at=datetime.now(UTC) - timedelta(days=1)))


def run(url: str, series: int, channels: int, clump: int) -> dict[str, float]:
    """Populate, start the bot, measure, restart it after a day away; returns the figures."""
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
        meeting, due = add_probe(db, time.time() + 12.0, clump, channels)
        bot.start()
        try:
            figures["first_plan_ms"], figures["first_plan_timers"] = first_plan(bot, earlier=0)
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
        try:
            figures.update(catch_up_after_a_day_away(bot, db))
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
    parser.add_argument(
        "--clump", type=int, help="reminders due with the probe (default: 1%% of the series)"
    )
    args = parser.parse_args()
    clump = args.series // 100 if args.clump is None else args.clump
    if args.postgres:
        with fresh_postgres(args.postgres) as url:
            figures = run(url, args.series, args.channels, clump)
    else:
        figures = run(sqlite_url(), args.series, args.channels, clump)
    backend = "postgres" if args.postgres else "sqlite"
    print(
        f"meetings_scale ({backend}): {args.series} series in {args.channels} channels, "
        f"{clump} reminders due with the probe"
    )
    large = args.series > 10_000
    plan_ms, rss_mb_limit = (5000, 300) if large else (2000, 200)
    targets = {
        "first_plan_ms": plan_ms,
        "rss_after_plan_mb": rss_mb_limit,
        "reminder_lag_s": 2.0,
        "away_first_plan_ms": plan_ms,
        "away_rss_mb": rss_mb_limit,
        "away_all_planned_s": plan_ms / 1000,
        "away_rss_after_all_mb": rss_mb_limit,
    }
    for name, value in figures.items():
        target = targets.get(name)
        mark = "" if target is None else ("  ok" if value < target else "  MISSED")
        limit = "" if target is None else f"  (target < {target})"
        print(f"  {name:26s} {value:10.2f}{limit}{mark}")


if __name__ == "__main__":
    main()
