"""200 go/no-go clicks within one second against the real `releasebot run`, and the floor.

Starts the real bot as a subprocess (SQLite, then a fresh Postgres database when one is
given with --postgres URL or answers on 127.0.0.1:5432) talking to a local fake Slack;
a poll asks 200 required voters, and each clicks Go once, the clicks spread evenly over
one second, each on a connection of its own. The voters are required through roles
(`--required roles:10x20`: 10 roles of 20 people, the default) or through one user group
(`--required group:200`: the group is the voter, its 200 members must vote). Then: are all
votes stored, does the poll message converge to 200 Go, and how many chat.update calls did
Slack see for it (at most one per second is the target). A bare Bolt app that only
acknowledges (benchmarks/bare_bolt.py) takes the same burst in the same run: the floor,
and each row's p50x/p99x is its ratio to that floor.

    python -m benchmarks.vote_burst [--required roles:10x20 --required group:200] [--runs 3]
        [--busy 2] [--clicks 200] [--spread 1.0] [--postgres URL | --no-postgres]

`--busy N` runs N CPU-bound processes (`python -c 'while 1: pass'`) beside the whole run
and kills them after, to see the acknowledgement time of a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
GROUP = "S0BENCHVOTERS"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class Started(BotProcess):
    """The bot, given a minute to start: with CPU-bound neighbours it starts slowly."""

    def __enter__(self) -> BotProcess:
        return self.start(timeout=60.0)


@dataclass(frozen=True)
class Required:
    """How the voters are required: `roles` of `size` people each, or one user group."""

    kind: str  # "roles" or "group"
    roles: int
    size: int

    @property
    def voters(self) -> int:
        """How many required voters this makes."""
        return self.roles * self.size

    def __str__(self) -> str:
        return f"roles:{self.roles}x{self.size}" if self.kind == "roles" else f"group:{self.size}"


def required_of(text: str) -> Required:
    """`roles:10x20` or `group:200`, checked (argparse type)."""
    kind, _, size = text.partition(":")
    try:
        if kind == "roles":
            roles, _, per = size.partition("x")
            found = Required("roles", int(roles), int(per))
        elif kind == "group":
            found = Required("group", 1, int(size))
        else:
            raise ValueError(kind)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write roles:ROLESxPEOPLE (roles:10x20) or group:MEMBERS (group:200)"
        ) from None
    if found.voters < 1:
        raise argparse.ArgumentTypeError(f"{text!r} asks nobody to vote")
    return found


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


def open_poll(
    slack: SlackClient, db: Database, users: list[str], required: Required
) -> tuple[str, str]:
    """Release and a poll asking every user (through roles or the group); (button value, ts)."""
    slack.command("/release", "new bench on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL)
    names = [f"<!subteam^{GROUP}|@bench-voters>"]
    if required.kind == "roles":
        names = []
        for start in range(0, len(users), required.size):
            role = f"bench-{start // required.size}"
            people = " ".join(f"<@{u}>" for u in users[start : start + required.size])
            slack.command("/release", f"role {role} {people}", user_id=LEAD, channel_id=CHANNEL)
            names.append(role)
    reply = slack.command(
        "/gonogo", f'"Ship the bench?" voters {" ".join(names)}', user_id=LEAD, channel_id=CHANNEL
    ).json()
    if f"{len(users)} required" not in reply.get("text", ""):
        raise RuntimeError(f"the poll did not start as expected: {reply}")
    # the channel's pace (about one post a second) puts the poll behind the role announcements
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.read() as s:
            poll = s.exec(select(Poll)).first()
        if poll is not None and poll.message_ts:
            return json.dumps({"p": poll.id}, separators=(",", ":")), poll.message_ts
        time.sleep(0.05)
    raise RuntimeError("the poll message was not posted")


def run_releasebot(name: str, database_url: str, required: Required, spread: float) -> Row:
    """The burst against the real bot on one database."""
    count = required.voters
    users = voters(count)
    with FakeSlack() as fake, Started(bot_env(fake.url, database_url, SECRET)) as proc:
        fake.usergroups = {GROUP: users}
        db = Database(database_url)
        with SlackClient(proc.url, SECRET) as slack:
            value, ts = open_poll(slack, db, users, required)
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
        burst.errors += len(fake.ratelimited)  # a call over a workspace budget is a miss too
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
        f"{'':<30}{'acked':>7}{'err':>5}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
        f"{'stored':>8}{'final':>7}{'upd':>5}{'upd/s':>6}{'p50x':>7}{'p99x':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        b = row.burst
        acked = len(b.latencies) - b.errors
        fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
        final = "-" if row.final is None else ("yes" if row.final else "NO")
        lines.append(
            f"{row.name:<30}{acked:>7}{b.errors:>5}"
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


@contextmanager
def busy(processes: int) -> Iterator[None]:
    """`processes` CPU-bound neighbours for the duration (killed after)."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while 1: pass"], stdin=subprocess.DEVNULL)
        for _ in range(processes)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def one_run(args: argparse.Namespace, required: Required, pg: str | None) -> list[Row]:
    """Each backend, then the floor, with one way of requiring the voters."""
    rows = []
    if args.only in (None, "sqlite"):
        rows.append(run_releasebot(f"SQLite {required}", sqlite_url(), required, args.spread))
    if pg and not args.no_postgres and args.only in (None, "postgres"):
        with fresh_postgres(pg) as url:
            rows.append(run_releasebot(f"Postgres {required}", url, required, args.spread))
    floor = run_bare(required.voters, args.spread)
    print(f"\n{required.voters} go/no-go clicks spread over {args.spread:g} s, {required}\n")
    print(table([*rows, floor], floor), flush=True)
    return [*rows, floor]


def floor_misses(rows: list[Row], ratio: float) -> list[str]:
    """Rows whose p99 is over `ratio` times the floor measured in the same run."""
    floor = rows[-1].burst.percentile(99)
    return [
        f"{row.name}: p99 {row.burst.percentile(99):.0f} ms is "
        f"{row.burst.percentile(99) / floor:.2f}x the floor ({floor:.0f} ms), over {ratio:g}x"
        for row in rows[:-1]
        if row.burst.percentile(99) > ratio * floor
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on each backend and print the table; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--required", type=required_of, action="append", help="roles:10x20 (default), group:200"
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of each --required")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes beside it")
    parser.add_argument("--ratio", type=float, default=0.0, help="also miss p99 over N x floor")
    parser.add_argument("--clicks", type=int, default=None, help="voters, in roles of 20")
    parser.add_argument("--spread", type=float, default=1.0, help="seconds the clicks span")
    parser.add_argument("--postgres", default=None, help="Postgres server URL (fresh DB made)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgres", "bare"], default=None)
    args = parser.parse_args(argv)
    if args.clicks is not None and args.clicks % 20:
        parser.error("--clicks must be a multiple of 20")
    kinds = args.required or [Required("roles", (args.clicks or 200) // 20, 20)]
    pg = args.postgres or (DEFAULT_PG if postgres_answers() else None)
    misses: list[str] = []
    with busy(args.busy):
        for required in kinds:
            for _ in range(args.runs):
                rows = one_run(args, required, pg)
                misses += [miss for row in rows[:-1] for miss in verdict(row)]
                misses += floor_misses(rows, args.ratio) if args.ratio else []
    print("\n" + ("\n".join(f"MISSED {m}" for m in misses) if misses else "all targets met"))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
