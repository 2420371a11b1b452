"""20 live messages changing at once, and 50 App Homes, under Slack's per-workspace budgets.

Starts the real bot (SQLite, or a fresh Postgres database with --postgres) against a local
fake Slack that enforces the workspace's budget of every method (chat.update about 50 a
minute, views.publish about 100: calls past one are answered 429). Twenty channels each
get a release: ten run a go/no-go poll, ten a long checklist. Fifty people hold a role in
every release and open their App Home, so each change also owes them a new Home. Then for
`--seconds` (60) every poll takes `--rate` (5) votes a second, and every checklist as many
Done clicks a second as its 100 steps last for the minute: every live message wants a
`chat.update` each second, 1,200 a minute against a budget of 50.

Reports the 429s, the largest delay between a message's last change and Slack showing its
final version (target: 30 s), and the calls per minute of each method (most in any
60-second window, against its budget).

    python -m benchmarks.live_budget [--seconds 60] [--rate 5] [--homes 50] [--postgres URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlmodel import col, select

from benchmarks.common import bot_env, fresh_postgres, max_per_window, sqlite_url
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.db import Database
from bot.gonogo.models import Poll
from bot.release.models import Release
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import Call, FakeSlack
from tests.kit.slack_requests import SlackClient, block_action_body, sign

SECRET = "bench-budget-secret"
LEAD = "U_LEAD"
STEPS = 100  # a checklist template's limit
TARGET_DELAY = 30.0


@dataclass
class Live:
    """One live object: where it is shown, and when it last changed (wall clock)."""

    kind: str  # "poll", "checklist" or "home"
    channel: str
    ts: str = ""
    last_change: float = 0.0
    changes: int = 0
    errors: int = 0
    took: list[float] = field(default_factory=list)
    value: str = ""
    extra: dict[str, int] = field(default_factory=dict)


def post(url: str, body: str) -> bool:
    """One signed interaction, on a connection of its own; True when answered 200."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body=body.encode(), headers=sign(body, SECRET))
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def template_dir() -> Path:
    """A templates folder with one checklist of 100 steps, all the lead's."""
    folder = Path(sqlite_url()[len("sqlite:///") :]).parent / "templates"
    folder.mkdir()
    steps = [{"title": f"Step {n}", "owner": "lead"} for n in range(STEPS)]
    body = {"name": "walk", "description": "a long walk", "steps": steps}
    (folder / "walk.yaml").write_text(yaml.safe_dump(body))
    return folder


def setup(slack: SlackClient, db: Database, homes: list[str], votes: int) -> list[Live]:
    """Twenty releases (ten polls, ten checklists) with the Home people in a role of each."""
    lives: list[Live] = []
    people = " ".join(f"<@{u}>" for u in homes)
    for n in range(20):
        channel = f"C_LIVE{n:02d}"
        slack.command(
            "/release", f"new live-{n} on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=channel
        )
        slack.command("/release", f"role watchers {people}", user_id=LEAD, channel_id=channel)
        if n % 2 == 0:
            names = []
            for r in range(votes // 20 + 1):  # more voters than will vote: it stays open
                team = " ".join(f"<@U{n:02d}V{v:04d}>" for v in range(r * 20, r * 20 + 20))
                slack.command(
                    "/release", f"role voters-{r} {team}", user_id=LEAD, channel_id=channel
                )
                names.append(f"voters-{r}")
            text = f'"Ship live-{n}?" voters {" ".join(names)}'
            reply = slack.command("/gonogo", text, user_id=LEAD, channel_id=channel).json()
            if "required" not in reply.get("text", ""):
                raise RuntimeError(f"the poll did not start as expected: {reply}")
            lives.append(Live("poll", channel))
        else:
            slack.command("/checklist", "start walk", user_id=LEAD, channel_id=channel)
            lives.append(Live("checklist", channel))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(x.ts for x in lives if x.kind == "poll"):
        with db.read() as s:
            for poll in s.exec(select(Poll)):
                for live in lives:
                    if live.kind == "poll" and live.channel == poll.channel_id and poll.message_ts:
                        live.ts, live.value = poll.message_ts, json.dumps({"p": poll.id})
        time.sleep(0.2)
    return lives


def drive_poll(url: str, live: Live, n: int, votes: int, gap: float, stop: float) -> None:
    """Votes at `1/gap` a second, one new voter each, until `stop` or the voters run out."""
    for v in range(votes):
        if time.time() >= stop:
            return
        body = block_action_body(
            user_id=f"U{n:02d}V{v:04d}", channel_id=live.channel, action_id="gonogo:go",
            value=live.value, message_ts=live.ts,
        )  # fmt: skip
        began = time.perf_counter()
        if post(url, body):
            live.changes, live.last_change = live.changes + 1, time.time()
            live.took.append(time.perf_counter() - began)
        else:
            live.errors += 1
        time.sleep(gap)


def drive_checklist(url: str, db: Database, live: Live, gap: float, stop: float) -> None:
    """Done clicks on the active step at `1/gap` a second, until `stop` or the last step."""
    while time.time() < stop:
        with db.read() as s:
            step = s.exec(
                select(ChecklistStep)
                .where(
                    ChecklistStep.state == "active", ChecklistStep.checklist_id == live.extra["id"]
                )
                .order_by(col(ChecklistStep.position))
            ).first()
        if step is None:
            return
        value = json.dumps({"s": step.id, "st": "active", "v": step.activations})
        body = block_action_body(
            user_id=LEAD, channel_id=live.channel, action_id="checklist:done", value=value
        )
        began = time.perf_counter()
        if post(url, body):
            live.changes, live.last_change = live.changes + 1, time.time()
            live.took.append(time.perf_counter() - began)
        else:
            live.errors += 1
        time.sleep(gap)


def checklist_ids(db: Database, lives: list[Live]) -> None:
    """Each checklist's id and the ts of its channel message (the one its clicks update)."""
    with db.read() as s:
        for live in lives:
            if live.kind != "checklist":
                continue
            release = s.exec(select(Release).where(Release.channel_id == live.channel)).first()
            assert release is not None
            found = s.exec(select(Checklist).where(Checklist.release_id == release.id)).first()
            assert found is not None and found.id is not None
            live.extra["id"], live.ts = found.id, found.message_ts or ""


def shown_final(calls: list[Call], key: object) -> tuple[float, str] | None:
    """When Slack started showing the last version of a live object, and that version."""
    final = None
    since = 0.0
    for call in calls:
        text = json.dumps(call.args.get("blocks") or call.args.get("view"), sort_keys=True)
        if text != final:
            final, since = text, call.at
    return (since, final) if final is not None else None


def main(argv: list[str] | None = None) -> int:
    """Run once and print the figures; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.0, help="changes a second per poll")
    parser.add_argument("--homes", type=int, default=50)
    parser.add_argument("--postgres", default=None, help="Postgres server URL (fresh DB made)")
    parser.add_argument("--settle", type=float, default=45.0, help="seconds to wait after")
    args = parser.parse_args(argv)
    if args.postgres:
        with fresh_postgres(args.postgres) as url:
            return run(args, url, "PostgreSQL")
    return run(args, sqlite_url(), "SQLite")


def run(args: argparse.Namespace, database_url: str, name: str) -> int:
    """The whole benchmark on one database."""
    votes = int(args.rate * args.seconds)
    homes = [f"U_HOME{n:03d}" for n in range(args.homes)]
    env = {**bot_env("", database_url, SECRET), "RELEASEBOT_TEMPLATES_DIR": str(template_dir())}
    with FakeSlack() as fake:
        env["SLACK_API_URL"] = fake.url
        with BotProcess(env) as proc, SlackClient(proc.url, SECRET) as slack:
            db = Database(database_url)
            lives = setup(slack, db, homes, votes)
            fake.wait_for(lambda: len(fake.posts()) >= 20, timeout=60)
            time.sleep(2)
            checklist_ids(db, lives)
            for n, user in enumerate(homes):
                slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, f"Ev{n:04d}")
            time.sleep(5)  # the first Homes and the messages' first refreshes go out
            started = time.time()
            stop = started + args.seconds
            threads = []
            for n, live in enumerate(lives):
                if live.kind == "poll":
                    gap = 1 / args.rate
                    target = drive_poll
                    params: tuple[object, ...] = (proc.url, live, n, votes, gap, stop)
                else:
                    gap = max(1 / args.rate, args.seconds / STEPS)
                    target = drive_checklist  # type: ignore[assignment]
                    params = (proc.url, db, live, gap, stop)
                threads.append(threading.Thread(target=target, args=params, daemon=True))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            last_change = max(live.last_change for live in lives)
            print(
                f"changes done; waiting up to {args.settle:.0f} s for Slack to settle", flush=True
            )
            time.sleep(args.settle)
            db.dispose()
        report = summarize(fake, lives, homes, last_change, started, name, args)
    print(report["text"])
    return 0 if report["ok"] else 1


def summarize(
    fake: FakeSlack,
    lives: list[Live],
    homes: list[str],
    last_change: float,
    started: float,
    name: str,
    args: argparse.Namespace,
) -> dict[str, object]:
    """The figures, and whether every target holds."""
    delays: list[float] = []
    stale: list[str] = []
    for live in lives:
        calls = [c for c in fake.calls_of("chat.update") if c.args.get("ts") == live.ts]
        shown = shown_final(calls, live.ts)
        if shown is None or (live.changes and shown[0] < live.last_change - 0.001 and not calls):
            stale.append(f"{live.kind} {live.channel}")
            continue
        delays.append(max(0.0, shown[0] - live.last_change))
        if live.kind == "poll" and f"{live.changes} Go" not in fake.texts_of(
            fake.message(live.channel, live.ts) or {}
        ):
            stale.append(f"poll {live.channel} does not show {live.changes} Go")
    home_delays = []
    for user in homes:
        calls = [c for c in fake.calls_of("views.publish") if c.args.get("user_id") == user]
        shown = shown_final(calls, user)
        if shown is None:
            stale.append(f"home {user}")
            continue
        home_delays.append(max(0.0, shown[0] - last_change))
    lines = [f"\n{name}: 20 live messages (10 polls, 10 checklists) and {len(homes)} App Homes"]
    lines.append(
        f"changes: {sum(live.changes for live in lives)} over {args.seconds:g} s; "
        f"click errors: {sum(live.errors for live in lives)}"
    )
    took = sorted(t for live in lives for t in live.took) or [float("nan")]
    lines.append(
        f"click acknowledgement p50 {took[len(took) // 2] * 1000:.0f} ms, "
        f"p99 {took[int(len(took) * 0.99)] * 1000:.0f} ms"
    )
    lines.append(
        f"429s answered by Slack: {len(fake.ratelimited)} ({len(fake.failed_calls)} failed calls)"
    )
    worst = max(delays, default=float("nan"))
    worst_home = max(home_delays, default=float("nan"))
    lines.append(f"largest delay from a message's last change to Slack showing it: {worst:.1f} s")
    lines.append(f"largest delay from the last change to a Home showing it: {worst_home:.1f} s")
    over = []
    lines.append(f"{'method':<22}{'calls':>7}{'most in 60 s':>14}{'budget':>8}")
    for method, budget in sorted(fake.budgets.items()):
        at = [c.at for c in fake.calls_of(method) if c.at >= started - 10]
        most = max_per_window(at, 60.0)
        lines.append(f"{method:<22}{len(at):>7}{most:>14}{budget:>8}")
        if most > budget:
            over.append(method)
    ok = not fake.ratelimited and not stale and not over and worst <= TARGET_DELAY
    ok = ok and worst_home <= TARGET_DELAY
    lines += [f"STALE {item}" for item in stale] + [f"OVER BUDGET {m}" for m in over]
    lines.append("all targets met" if ok else "MISSED a target")
    return {"ok": ok, "text": "\n".join(lines)}


if __name__ == "__main__":
    sys.exit(main())
