"""200 go/no-go clicks within one second against the real `releasebot run`, and the floor.

Starts the real bot as a subprocess (SQLite, then a fresh Postgres database when one is
given with --postgres URL or answers on 127.0.0.1:5432) talking to a local fake Slack;
200 people hold roles, a poll asks all of them, and each clicks Go once, the clicks
spread evenly over one second, each on a connection of its own. Then: are all votes
stored, does the poll message converge to 200 Go, and how many chat.update calls did
Slack see for it (at most one per second is the target). A bare Bolt app that only
acknowledges (benchmarks/bare_bolt.py) takes the same burst in the same run: the floor.

    python -m benchmarks.vote_burst [--clicks 200] [--spread 1.0] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

from sqlmodel import func, select

from benchmarks.common import (
    BotProcess,
    Burst,
    bot_env,
    fresh_postgres,
    max_per_window,
    module_process,
    postgres_answers,
    send_burst,
    sqlite_url,
)
from bot.core.db import Database
from bot.gonogo.models import Poll, PollVote
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient, block_action_body, sign

SECRET = "bench-signing-secret"
CHANNEL = "C_BENCH"
LEAD = "U_BENCHLEAD"
PER_ROLE = 20
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Row:
    """One line of the result table."""

    name: str
    burst: Burst
    clicks: int
    stored: int | None = None
    final: bool | None = None
    updates: int | None = None
    per_second: int | None = None


def voters(count: int) -> list[str]:
    """Distinct Slack user ids for the voters."""
    return [f"U{index:06d}" for index in range(count)]


def clicks(value: str, ts: str, users: list[str]) -> list[tuple[str, dict[str, str]]]:
    """A signed Go click per user, as Slack would send it."""
    out = []
    for user in users:
        body = block_action_body(
            user_id=user, channel_id=CHANNEL, action_id="gonogo:go", value=value, message_ts=ts
        )
        out.append((body, sign(body, SECRET)))
    return out


def open_poll(slack: SlackClient, db: Database, users: list[str]) -> tuple[str, str]:
    """Release, roles of 20 people each, and a poll asking all of them; (button value, ts)."""
    slack.command("/release", "new bench on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL)
    roles = []
    for start in range(0, len(users), PER_ROLE):
        role = f"bench-{start // PER_ROLE}"
        people = " ".join(f"<@{u}>" for u in users[start : start + PER_ROLE])
        slack.command("/release", f"role {role} {people}", user_id=LEAD, channel_id=CHANNEL)
        roles.append(role)
    reply = slack.command(
        "/gonogo", f'"Ship the bench?" voters {" ".join(roles)}', user_id=LEAD, channel_id=CHANNEL
    ).json()
    if f"{len(users)} required" not in reply.get("text", ""):
        raise RuntimeError(f"the poll did not start as expected: {reply}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.read() as s:
            poll = s.exec(select(Poll)).first()
        if poll is not None and poll.message_ts:
            return json.dumps({"p": poll.id}, separators=(",", ":")), poll.message_ts
        time.sleep(0.05)
    raise RuntimeError("the poll message was not posted")


def run_releasebot(name: str, database_url: str, count: int, spread: float) -> Row:
    """The burst against the real bot on one database."""
    users = voters(count)
    with FakeSlack() as fake, BotProcess(bot_env(fake.url, database_url, SECRET)) as proc:
        db = Database(database_url)
        with SlackClient(proc.url, SECRET) as slack:
            value, ts = open_poll(slack, db, users)
        time.sleep(1.2)  # let the poll's first refresh pass, so the burst starts clean
        burst = send_burst(f"{proc.url}/slack/events", clicks(value, ts, users), spread)
        burst.errors += len([c for c in fake.ephemerals() if c.args.get("user") in set(users)])
        with db.read() as s:
            stored = int(s.exec(select(func.count()).select_from(PollVote)).one())
        db.dispose()
        want = f"{count} Go · 0 No-Go · 0 missing"
        try:
            fake.wait_for(lambda: want in fake.texts_of(fake.message(CHANNEL, ts) or {}), 10.0)
            final = True
        except AssertionError:
            final = False
        time.sleep(1.5)  # any trailing refresh lands before counting
        updates = [
            c.at
            for c in fake.calls_of("chat.update")
            if c.args.get("ts") == ts and c.at >= burst.started
        ]
    return Row(name, burst, count, stored, final, len(updates), max_per_window(updates))


def run_bare(count: int, spread: float) -> Row:
    """The same burst against a bare Bolt app: the floor."""
    users = voters(count)
    env = {"SLACK_SIGNING_SECRET": SECRET}
    with (
        FakeSlack() as fake,
        module_process("benchmarks.bare_bolt", {**env, "SLACK_API_URL": fake.url}) as url,
    ):
        send_burst(f"{url}/slack/events", clicks('{"p":1}', "1.0", ["U_WARM"]), 0)
        burst = send_burst(f"{url}/slack/events", clicks('{"p":1}', "1.0", users), spread)
    return Row("bare Bolt (floor)", burst, count)


def table(rows: list[Row], floor: Row) -> str:
    """The figures as a fixed-width table."""
    head = (
        f"{'':<22}{'acked':>7}{'err':>5}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
        f"{'stored':>8}{'final':>7}{'upd':>5}{'upd/s':>6}{'p50x':>7}{'p99x':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        b = row.burst
        acked = len(b.latencies) - b.errors
        fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
        final = "-" if row.final is None else ("yes" if row.final else "NO")
        lines.append(
            f"{row.name:<22}{acked:>7}{b.errors:>5}"
            f"{b.percentile(50):>8.1f}{b.percentile(95):>8.1f}{b.percentile(99):>8.1f}"
            f"{b.percentile(100):>8.1f}{fmt(row.stored):>8}{final:>7}{fmt(row.updates):>5}"
            f"{fmt(row.per_second):>6}"
            f"{b.percentile(50) / floor.burst.percentile(50):>7.2f}"
            f"{b.percentile(99) / floor.burst.percentile(99):>7.2f}"
        )
    lines.append("latencies in ms; p50x/p99x = ratio to the bare Bolt floor in this run")
    return "\n".join(lines)


def verdict(row: Row) -> list[str]:
    """What this row misses of the requirement (empty when it meets it)."""
    misses = []
    if row.burst.errors or len(row.burst.latencies) != row.clicks:
        misses.append(f"{row.name}: {row.burst.errors} clicks not acknowledged cleanly")
    if row.burst.percentile(99) >= 300:
        misses.append(f"{row.name}: p99 {row.burst.percentile(99):.0f} ms >= 300 ms")
    if row.stored != row.clicks:
        misses.append(f"{row.name}: {row.stored} votes stored of {row.clicks}")
    if not row.final:
        misses.append(f"{row.name}: the poll message did not converge to {row.clicks} Go")
    if row.per_second is not None and row.per_second > 1:
        misses.append(f"{row.name}: {row.per_second} chat.update calls within one second")
    return misses


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on each backend and print the table; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds the clicks span")
    parser.add_argument("--postgres", default=None, help="Postgres server URL (fresh DB made)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgres", "bare"], default=None)
    args = parser.parse_args(argv)
    if args.clicks % PER_ROLE:
        parser.error(f"--clicks must be a multiple of {PER_ROLE}")
    rows = []
    if args.only in (None, "sqlite"):
        rows.append(run_releasebot("releasebot SQLite", sqlite_url(), args.clicks, args.spread))
    pg = args.postgres or (DEFAULT_PG if postgres_answers() else None)
    if pg and not args.no_postgres and args.only in (None, "postgres"):
        with fresh_postgres(pg) as url:
            rows.append(run_releasebot("releasebot Postgres", url, args.clicks, args.spread))
    floor = run_bare(args.clicks, args.spread)
    print(f"\n{args.clicks} go/no-go clicks spread over {args.spread:g} s\n")
    print(table([*rows, floor], floor))
    misses = [miss for row in rows for miss in verdict(row)]
    print("\n" + ("\n".join(f"MISSED {m}" for m in misses) if misses else "all targets met"))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
