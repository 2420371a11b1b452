"""A release day under faults: two replicas on PostgreSQL, and every promise counted.

Two `releasebot run` replicas share a PostgreSQL server of the run's own, behind one URL.
While a 400-voter poll is voted, a 60-step checklist is walked (every Done clicked twice,
once on each replica) and a dozen meeting reminders fall due, faults are injected one after
the other: Slack's Web API answers 500s, then refuses connections (60 s in all); the leader
is killed with SIGKILL right after Slack accepted a message from it (the crash window);
PostgreSQL is restarted with `pg_ctl restart -m fast`; the new leader is killed too. Each
killed replica is started again. Then a ledger compares what was acknowledged with what was
stored and what Slack received.

    python -m benchmarks.chaos [--scale 1.0] [--runs 1]

`--scale 0.1` is the short version the test suite runs (a tenth of the people, steps,
reminders and outage).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import yaml
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from bot.checklist.models import ChecklistStep
from bot.core import migrate
from bot.core.db import Database
from bot.core.models import AuditEvent
from bot.core.outbox import PENDING, SENT, OutboxRow
from bot.gonogo.models import Poll, PollVote
from tests.kit.balancer import Balancer
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import Call, FakeSlack
from tests.kit.private_postgres import PrivatePostgres
from tests.kit.slack_requests import SlackClient

T = TypeVar("T")
SECRET = "chaos-signing-secret"
CHANNEL = "C_CHAOS"
LEAD = "U_LEAD"
PER_ROLE = 20
ACK_LIMIT = 3.0
START_TIMEOUT = 90.0  # a replica's start on a busy machine
LEADER_ONLY = frozenset(
    {"chat.postMessage", "chat.update", "conversations.history", "conversations.replies"}
)


@dataclass(frozen=True)
class Plan:
    """The size of the day: people, steps, reminders, the outage."""

    voters: int
    steps: int
    reminders: int
    outage: float
    settle: float

    @classmethod
    def at(cls, scale: float) -> Plan:
        """The full day (scale 1) or a smaller one."""
        return cls(
            voters=max(10, round(400 * scale)),
            steps=max(4, round(60 * scale)),
            reminders=max(2, round(12 * scale)),
            outage=max(4.0, 60 * scale),
            settle=max(3.0, 8 * scale),
        )


@dataclass
class Requests:
    """Every request the day sent: how long its acknowledgement took, and how it ended."""

    latencies: list[float] = field(default_factory=list)
    cut: int = 0  # the connection was cut (a replica killed while it had the request)
    slow: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, slack: SlackClient, kind: str, **kw: object) -> httpx.Response | None:
        """One signed request; None when it got no answer."""
        started = time.monotonic()
        try:
            answer = slack.click(**kw) if kind == "click" else slack.submit(**kw)
        except httpx.HTTPError:
            answer = None
        took = time.monotonic() - started
        with self.lock:
            if answer is None or answer.status_code >= 500:
                self.cut += 1
            else:
                self.latencies.append(took)
                if took > ACK_LIMIT:
                    what = kw.get("action_id") or kw.get("callback_id")
                    self.slow.append(f"  slow ack: {what} {took:.2f} s at {clock()}")
        return answer if answer is not None and answer.status_code == 200 else None


@dataclass
class Ledger:
    """What was acknowledged against what was stored and what Slack got."""

    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        """True when no promise broke."""
        zero = (
            "votes lost", "votes phantom", "reminders twice", "reminders missing",
            "moves lost", "moves twice", "messages twice", "messages missing",
            "acks over 3 s", "seconds with two leaders acting", "outbox rows left",
            "messages failed",
        )  # fmt: skip
        return all(self.figures.get(name, 0) == 0 for name in zero)

    def lines(self) -> list[str]:
        """The ledger, one figure a line."""
        return [f"{name:<34} {value:g}" for name, value in self.figures.items()] + self.notes


class Day:
    """The release day: its people, its replicas, its faults."""

    def __init__(self, plan: Plan, pg: PrivatePostgres, fake: FakeSlack, root: Path) -> None:
        self.plan = plan
        self.pg = pg
        self.fake = fake
        self.db = Database(pg.url)
        self.requests = Requests()
        self.voters = [f"U{n:05d}" for n in range(plan.voters)]
        self.acked: dict[str, str] = {}
        self.tried: set[str] = set()
        self.replicas = [BotProcess(self._env(n, root)) for n in (1, 2)]
        self.poll_value = ""
        self.poll_ts = ""
        self.reminder_keys: list[str] = []
        self.clicked: set[int] = set()
        self.faults_done = threading.Event()
        self.restarts: list[threading.Thread] = []
        self.phases: list[str] = []

    def _env(self, number: int, root: Path) -> dict[str, str]:
        return {
            # Each replica has a token of its own, so the test Slack can tell who called.
            "SLACK_BOT_TOKEN": f"xoxb-chaos-replica-{number}",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "",
            "SLACK_API_URL": self.fake.url,
            "DATABASE_URL": self.pg.url,
            "HOST": "127.0.0.1",
            "RELEASEBOT_REPLAN_SECONDS": "1",
            "RELEASEBOT_TEMPLATES_DIR": str(root),
        }

    # --- the setting -----------------------------------------------------------------------

    def setup(self, url: str) -> None:
        """A release with a poll and a checklist, and channels with a reminder due each."""
        with SlackClient(url, SECRET) as slack:
            say(slack, "/release", "new chaos on 2027-03-15 10:00 UTC", CHANNEL)
            roles = []
            for start in range(0, len(self.voters), PER_ROLE):
                people = " ".join(f"<@{u}>" for u in self.voters[start : start + PER_ROLE])
                roles.append(f"voters-{start // PER_ROLE}")
                say(slack, "/release", f"role {roles[-1]} {people}", CHANNEL)
            say(slack, "/gonogo", f'"Ship it?" voters {" ".join(roles)}', CHANNEL)
            say(slack, "/checklist", "start chaos", CHANNEL)
            self._reminders(slack)
        poll = wait(lambda: self._posted_poll(), 30, "the poll was not posted")
        self.poll_value, self.poll_ts = json.dumps({"p": poll.id}), str(poll.message_ts)

    def _posted_poll(self) -> Poll | None:
        poll = self.read(lambda s: s.exec(select(Poll)).first())
        return poll if poll is not None and poll.message_ts else None

    def _reminders(self, slack: SlackClient) -> None:
        """One meeting per channel, its reminder due at a moment spread over the faults."""
        span = self.plan.outage + 4 * self.plan.settle
        now = time.time()
        for n in range(self.plan.reminders):
            channel = f"C_REM_{n:02d}"
            due = now + 5 + span * n / max(1, self.plan.reminders - 1)
            meeting = math.ceil((due + 90 + span) / 60) * 60
            offset = round(meeting - due)
            at = datetime.fromtimestamp(meeting, UTC)
            say(slack, "/release", f"new rem{n} on 2027-03-15 10:00 UTC", channel)
            say(slack, "/burndown", f"schedule daily {at:%H:%M} UTC remind {offset}s", channel)
            self.reminder_keys.append(channel)

    # --- the people ------------------------------------------------------------------------

    def vote(self, url: str, user: str) -> None:
        """Go for most, No-Go with a reason for every fifth voter."""
        self.tried.add(user)
        with SlackClient(url, SECRET) as slack:
            if int(user[1:]) % 5:
                if self.requests.send(slack, "click", **self._button(user, "gonogo:go")):
                    self.acked[user] = "go"
                return
            trigger = f"chaos.{user}.{time.monotonic_ns()}"
            kw = {**self._button(user, "gonogo:nogo"), "trigger_id": trigger}
            if not self.requests.send(slack, "click", **kw):
                return
            if not any(
                c.args.get("trigger_id") == trigger for c in self.fake.calls_of("views.open")
            ):
                return  # the form did not open: the person was told to click again
            form = {
                "user_id": user,
                "callback_id": "gonogo:reason",
                "private_metadata": json.dumps({"p": self._poll_id(), "c": CHANNEL}),
                "values": {"reason": {"text": {"type": "plain_text_input", "value": "not yet"}}},
            }
            answer = self.requests.send(slack, "submit", **form)
            if answer is not None and "errors" not in (answer.text or ""):
                self.acked[user] = "nogo"

    def _button(self, user: str, action: str) -> dict[str, object]:
        return {
            "user_id": user,
            "channel_id": CHANNEL,
            "action_id": action,
            "value": self.poll_value,
            "message_ts": self.poll_ts,
        }

    def _poll_id(self) -> int:
        return int(json.loads(self.poll_value)["p"])

    def voting(self, url: str, spread: float) -> None:
        """Every voter votes once, spread over the faults; those not acked try again later."""
        with ThreadPoolExecutor(max_workers=16) as pool:
            for user in self.voters:
                pool.submit(self.vote, url, user)
                time.sleep(spread / len(self.voters))
        self.faults_done.wait()
        time.sleep(self.plan.settle)  # answers owed during the faults arrive
        for user in self.voters:
            if user not in self.acked or self._told_to_retry(user):
                self.acked.pop(user, None)
                self.vote(url, user)  # "please try again": the person does

    def _told_to_retry(self, user: str) -> bool:
        """The person was told their vote was not saved (or the form did not open)."""
        return any(":warning:" in self.fake.texts_of(c) for c in self.fake.ephemerals(user))

    def walking(self) -> None:
        """Each step's Done clicked at once on both replicas, until the step is done."""
        pause = (self.plan.outage + 3 * self.plan.settle) / self.plan.steps
        for index in range(self.plan.steps):
            deadline = time.monotonic() + 120
            while not self._done(index) and time.monotonic() < deadline:
                self._click_both(index)
                if not self._done(index):
                    time.sleep(0.5)
            time.sleep(pause)

    def _click_both(self, index: int) -> None:
        step = self._steps()[index]
        if step.state != "active":
            return
        assert step.id is not None
        self.clicked.add(step.id)
        value = json.dumps({"s": step.id, "st": "active", "v": step.activations})

        def click(replica: BotProcess) -> None:
            if not replica.running:
                return
            with SlackClient(replica.url, SECRET) as slack:
                self.requests.send(
                    slack, "click", user_id=LEAD, channel_id=CHANNEL,
                    action_id="checklist:done", value=value,
                )  # fmt: skip

        both = [threading.Thread(target=click, args=(r,)) for r in self.replicas]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()

    def read(self, query: Callable[[Session], T]) -> T:
        """A read of the day's database, asked again while PostgreSQL restarts."""
        for _ in range(100):
            try:
                with self.db.read() as s:
                    return query(s)
            except OperationalError:
                self.db.dispose()
                time.sleep(0.2)
        raise RuntimeError("the database did not come back")

    def _steps(self) -> list[ChecklistStep]:
        order = col(ChecklistStep.position)
        return self.read(lambda s: list(s.exec(select(ChecklistStep).order_by(order))))

    def _done(self, index: int) -> bool:
        return self._steps()[index].state == "done"

    # --- the faults ------------------------------------------------------------------------

    def faults(self) -> None:
        """Slack down (500s, then refused), a leader killed in the crash window, PostgreSQL
        restarted, the new leader killed; each killed replica started again."""
        plan = self.plan
        time.sleep(plan.settle)
        self.phase("Slack answers 500")
        self.fake.down(plan.outage / 2, status=500)
        time.sleep(plan.outage / 2)
        self.phase("Slack refuses connections")
        self.fake.refuse()
        time.sleep(plan.outage / 2)
        self.phase("Slack back")
        self.fake.accept()
        time.sleep(plan.settle)
        self.phase("leader killed in the crash window")
        self._kill_in_crash_window()
        time.sleep(plan.settle)
        self.phase("pg_ctl restart -m fast")
        self.pg.restart()
        self.phase("PostgreSQL back")
        time.sleep(plan.settle)
        self.phase("new leader killed")
        leader = self._leader()
        if leader is not None:
            leader.kill()
            self._restart(leader)
        time.sleep(plan.settle)
        for thread in self.restarts:
            thread.join()
        self.faults_done.set()

    def _restart(self, replica: BotProcess) -> None:
        """Start a killed replica again, in the background (the day goes on meanwhile)."""
        thread = threading.Thread(target=replica.start, kwargs={"timeout": START_TIMEOUT})
        thread.start()
        self.restarts.append(thread)

    def phase(self, name: str) -> None:
        """Note when a fault began (printed beside slow acks)."""
        self.phases.append(f"  {clock()} {name}")

    def _kill_in_crash_window(self) -> None:
        outbox_post = lambda a: bool(a.get("metadata"))  # noqa: E731
        self.fake.stall("chat.postMessage", 30, when=outbox_post)
        try:
            wait(self.fake.stalled.is_set, 30, "no message to hold")
            held = next(c for c in reversed(self.fake.posts()) if c.args.get("metadata"))
            victim = self.replicas[int(held.token.rsplit("-", 1)[1]) - 1]
            victim.kill()
        finally:
            self.fake.release()
        self._restart(victim)

    def _leader(self) -> BotProcess | None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for replica in self.replicas:
                try:
                    if "releasebot_leader 1.0" in replica.get("/metrics").text:
                        return replica
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        return None

    # --- the ledger ------------------------------------------------------------------------

    def quiet(self) -> None:
        """Wait until every reminder fell due and the outbox holds nothing pending."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            reminders = len(self._reminder_posts())
            left = self.read(_pending)
            if reminders >= self.plan.reminders and not left:
                time.sleep(2.0)  # anything posted twice lands by now
                return
            time.sleep(0.5)

    def _reminder_posts(self) -> list[Call]:
        channels = set(self.reminder_keys)
        return [
            c
            for c in self.fake.posts()
            if c.args.get("channel") in channels and "Burndown in" in self.fake.texts_of(c)
        ]

    def ledger(self) -> Ledger:
        """Count everything."""
        out = Ledger()
        out.figures.update(self._votes())
        out.figures.update(self._reminders_sent())
        out.figures.update(self._moves())
        out.figures.update(self._messages())
        rows = self.read(lambda s: list(s.exec(select(OutboxRow).where(OutboxRow.state != SENT))))
        for (state, key, error), count in Counter(
            (r.state, r.key.split(":")[0], r.error) for r in rows
        ).items():
            out.notes.append(f"  {count} {state} ({key}): {error}")
        late = [t for t in self.requests.latencies if t > ACK_LIMIT]
        out.figures["requests acked"] = len(self.requests.latencies)
        out.figures["acks over 3 s"] = len(late)
        out.figures["slowest ack (s)"] = round(max(self.requests.latencies, default=0.0), 2)
        out.figures["requests cut by a kill"] = self.requests.cut
        out.figures["seconds with two leaders acting"] = round(two_leaders(self.fake.calls), 2)
        out.notes += self.phases + self.requests.slow
        return out

    def _votes(self) -> dict[str, float]:
        stored = self.read(lambda s: {v.user_id: v.choice for v in s.exec(select(PollVote))})
        lost = [u for u, choice in self.acked.items() if stored.get(u) != choice]
        for user in lost:
            told = [self.fake.texts_of(c)[:120] for c in self.fake.ephemerals(user)]
            print(
                f"  vote of {user} acked as {self.acked[user]}, stored {stored.get(user)}: {told}"
            )
        phantom = [u for u in stored if u not in self.tried]
        return {
            "votes acked": len(self.acked),
            "votes counted": len(stored),
            "votes lost": len(lost),
            "votes phantom": len(phantom),
        }

    def _reminders_sent(self) -> dict[str, float]:
        keys = Counter(
            str(c.args["metadata"]["event_payload"]["key"]) for c in self._reminder_posts()
        )
        return {
            "reminders owed": self.plan.reminders,
            "reminders sent": len(keys),
            "reminders twice": sum(1 for n in keys.values() if n > 1),
            "reminders missing": max(0, self.plan.reminders - len(keys)),
        }

    def _moves(self) -> dict[str, float]:
        steps = self._steps()
        query = (
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action).startswith("step."), AuditEvent.after == "done")
        )
        moves = self.read(lambda s: s.exec(query).one())
        done = sum(1 for step in steps if step.state == "done")
        return {
            "checklist moves clicked": len(self.clicked),
            "checklist moves applied": done,
            "moves lost": len(self.clicked) - done,
            "moves twice": max(0, int(moves) - done),
        }

    def _messages(self) -> dict[str, float]:
        rows = self.read(lambda s: list(s.exec(select(OutboxRow))))
        posted = Counter(
            str(c.args["metadata"]["event_payload"]["key"])
            for c in self.fake.posts()
            if c.args.get("metadata")
        )
        owed = [r for r in rows if r.state in (SENT, PENDING) and not r.ephemeral_to]
        return {
            "messages owed": len(owed),
            "messages delivered": sum(1 for r in owed if r.key in posted),
            "messages twice": sum(1 for n in posted.values() if n > 1),
            "messages missing": sum(1 for r in owed if r.key not in posted),
            "answers owed to one person": len([r for r in rows if r.ephemeral_to]),
            "answers sent to them": len([r for r in rows if r.ephemeral_to and r.state == SENT]),
            "messages dropped (moment passed)": len([r for r in rows if r.state == "dropped"]),
            "messages failed": len([r for r in rows if r.state == "failed"]),
            "outbox rows left": len([r for r in rows if r.state == PENDING]),
        }


def clock() -> str:
    """The wall-clock time, to the tenth of a second."""
    now = time.time()
    return time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 10) % 10}"


def _pending(session: Session) -> int:
    waiting = select(func.count()).select_from(OutboxRow).where(OutboxRow.state == PENDING)
    return int(session.exec(waiting).one())


def two_leaders(calls: list[Call]) -> float:
    """Seconds in which both replicas made leader-only calls (each call counts ±0.5 s)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for call in calls:
        if call.method in LEADER_ONLY and call.token:
            if call.method == "chat.postMessage" and not call.args.get("metadata"):
                continue
            spans.setdefault(call.token, []).append((call.at - 0.5, call.at + 0.5))
    merged = {token: _merge(found) for token, found in spans.items()}
    tokens = list(merged)
    total = 0.0
    for i, first in enumerate(tokens):
        for second in tokens[i + 1 :]:
            for a0, a1 in merged[first]:
                for b0, b1 in merged[second]:
                    total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def say(slack: SlackClient, command: str, text: str, channel: str) -> None:
    """A slash command by the lead that must succeed (the day's setting)."""
    answer = slack.command(command, text, user_id=LEAD, channel_id=channel)
    if answer.status_code != 200:
        raise RuntimeError(f"{command} {text[:40]}: HTTP {answer.status_code}")


def wait(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise RuntimeError(what)


def template(root: Path, steps: int) -> None:
    """The day's checklist template: `steps` steps, all the lead's."""
    body = {
        "name": "chaos",
        "description": "a release day under faults",
        "steps": [{"title": f"Step {n}", "owner": "lead"} for n in range(steps)],
    }
    (root / "chaos.yaml").write_text(yaml.safe_dump(body))


def run(scale: float = 1.0) -> Ledger:
    """One day under faults at this scale; its ledger."""
    plan = Plan.at(scale)
    root = Path(tempfile.mkdtemp(prefix="chaos-"))
    template(root, plan.steps)
    with PrivatePostgres() as pg, FakeSlack() as fake:
        db = Database(pg.url)
        migrate.upgrade(db)
        db.dispose()
        day = Day(plan, pg, fake, root)
        first, second = day.replicas
        try:
            first.start(timeout=START_TIMEOUT)
            wait(lambda: "now runs the timers" in first.log_text(), 30, "nobody leads")
            second.start(timeout=START_TIMEOUT)
            with Balancer([first.url, second.url]) as lb:
                day.setup(lb.url)
                spread = plan.outage + 3 * plan.settle
                people = [
                    threading.Thread(target=day.voting, args=(lb.url, spread)),
                    threading.Thread(target=day.walking),
                ]
                for person in people:
                    person.start()
                day.faults()
                for person in people:
                    person.join()
                day.quiet()
                return day.ledger()
        finally:
            for replica in day.replicas:
                replica.stop()
            day.db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the day (1 = full)")
    parser.add_argument("--runs", type=int, default=1, help="days in a row")
    args = parser.parse_args(argv)
    clean = True
    for number in range(1, args.runs + 1):
        started = time.monotonic()
        ledger = run(args.scale)
        print(f"== chaos run {number} (scale {args.scale:g}, {time.monotonic() - started:.0f} s)")
        print("\n".join(ledger.lines()), flush=True)
        clean = clean and ledger.clean()
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
