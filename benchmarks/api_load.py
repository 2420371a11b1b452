"""20 concurrent API clients reading the release and reporting gates, beside the floors.

The real `releasebot run` serves a release with the built-in checklist running, three
manual gates and a push gate per job; 20 jobs, each with a token of its own, call it at
once over keep-alive connections at a steady pace each (a job's calls, not a flood:
`--pace 0` floods), half of the calls `GET /api/v1/releases/{id}` (the whole status) and
half `POST .../gates/ci-N/reports` (each job its own gate). The floors answer the same
calls in the same run: a bare WSGI app under waitress, and a bare FastAPI app served as
the bot serves its API (no database). Target: p95 under 50 ms on SQLite and PostgreSQL.

    python -m benchmarks.api_load [--clients 20] [--calls 100] [--pace 5] [--no-postgres]
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from benchmarks.common import bot_env, fresh_postgres, module_process, postgres_answers, sqlite_url
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient

SECRET = "bench-secret"
CHANNEL = "C_API"
LEAD = "U_LEAD"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TOKEN = re.compile(r"```(rbt_[A-Za-z0-9_-]+)```")
TARGET_P95_MS = 50.0


@dataclass
class Row:
    """What one target answered: latencies by kind of call, and the failures."""

    name: str
    reads: list[float] = field(default_factory=list)
    reports: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def all(self) -> list[float]:
        """Every call's latency."""
        return self.reads + self.reports

    @staticmethod
    def p(samples: list[float], q: float) -> float:
        """The q-th percentile in milliseconds, nearest rank."""
        ordered = sorted(samples)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))] * 1000


def drive(
    name: str, url: str, release: int, tokens: list[str], calls: int, pace: float = 0.0
) -> Row:
    """Each token's client makes `calls` calls, `pace` a second (0: back to back), all at
    once with the others; every latency kept."""
    row = Row(name)
    gap = 1.0 / pace if pace else 0.0
    parts = urlsplit(url)
    ready = threading.Barrier(len(tokens) + 1)

    def client(index: int, token: str) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        auth = {"Authorization": f"Bearer {token}"}
        read = f"/api/v1/releases/{release}"
        ready.wait()
        start = time.perf_counter() + gap * index / max(1, len(tokens))  # staggered
        for n in range(calls):
            reporting = (n + index) % 2 == 1
            wait = start + n * gap - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            began = time.perf_counter()
            try:
                if reporting:
                    body = json.dumps({"result": "pass", "value": n, "detail": f"run {n}"})
                    headers = {**auth, "Content-Type": "application/json"}
                    conn.request("POST", f"{read}/gates/ci-{index}/reports", body, headers)
                else:
                    conn.request("GET", read, headers=auth)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
            took = time.perf_counter() - began
            with row.lock:
                (row.reports if reporting else row.reads).append(took)
                row.errors += 0 if ok else 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i, t)) for i, t in enumerate(tokens)]
    gc.collect()
    gc.disable()  # the clients' own collector pauses are not the server's latency
    try:
        for thread in threads:
            thread.start()
        began = time.perf_counter()
        ready.wait()
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
    row.seconds = time.perf_counter() - began
    return row


def _say(slack: SlackClient, command: str, text: str) -> str:
    answer = slack.command(command, text, user_id=LEAD, channel_id=CHANNEL)
    assert answer.status_code == 200, answer.text
    return str(answer.json().get("text", ""))


def run_releasebot(name: str, database_url: str, clients: int, calls: int, pace: float) -> Row:
    """The real bot with its release set up through Slack, then the jobs' calls."""
    with FakeSlack() as fake:
        env = {
            **bot_env(fake.url, database_url, SECRET),
            "RELEASEBOT_API_RATE_PER_MINUTE": "100000000",  # measuring the server, not the limit
        }
        proc = BotProcess(env).start(timeout=90)  # a loaded machine starts it slowly
        try:
            with SlackClient(proc.url, SECRET) as slack:
                tokens = _set_up(slack, clients)
            release = _release_id(proc.url, tokens[0])
            drive("warm-up", proc.url, release, tokens[:2], 10)
            return drive(name, proc.url, release, tokens, calls, pace)
        finally:
            proc.stop()


def _set_up(slack: SlackClient, clients: int) -> list[str]:
    """The release, its roles, checklist and gates, and a token per client; the tokens."""
    _say(slack, "/release", "new bench on 2027-03-15 10:00 UTC")
    for role in ("branch-manager", "docs", "ci-signal"):
        _say(slack, "/release", f"role {role} <@U_{role.upper().replace('-', '_')}>")
    _say(slack, "/checklist", "start")
    for n in range(clients):  # each job reports its own gate
        _say(slack, "/gate", f"push ci-{n} every 1h owner ci-signal")
    for gate in ("sign-off", "docs-ready", "security"):
        _say(slack, "/gate", f"manual {gate}")
    tokens = []
    for n in range(clients):
        found = TOKEN.search(_say(slack, "/release", f"token add job-{n} write"))
        assert found, "no token in the answer"
        tokens.append(found.group(1))
    return tokens


def _release_id(url: str, token: str) -> int:
    """The bench release's id: the first release the token can see (ids start at 1)."""
    parts = urlsplit(url)
    for candidate in range(1, 10):
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        conn.request(
            "GET", f"/api/v1/releases/{candidate}", headers={"Authorization": f"Bearer {token}"}
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status == 200:
            return candidate
    raise RuntimeError("the token sees no release")


def run_floor(kind: str, clients: int, calls: int, pace: float) -> Row:
    """The same calls to a bare app (`wsgi` or `fastapi`) served the same way."""
    name = {"wsgi": "floor: bare WSGI", "fastapi": "floor: bare FastAPI"}[kind]
    with module_process("benchmarks.bare_api", {"BARE_API": kind}) as url:
        tokens = [f"rbt_floor{n}" for n in range(clients)]
        drive("warm-up", url, 1, tokens[:2], 10)
        return drive(name, url, 1, tokens, calls, pace)


def measure(clients: int, calls: int, postgres: str | None, pace: float) -> list[Row]:
    """releasebot on SQLite (and Postgres when given), and both floors, in one run."""
    rows = [run_releasebot("releasebot SQLite", sqlite_url(), clients, calls, pace)]
    if postgres:
        with fresh_postgres(postgres) as url:
            rows.append(run_releasebot("releasebot Postgres", url, clients, calls, pace))
    floors = [run_floor(kind, clients, calls, pace) for kind in ("fastapi", "wsgi")]
    return [*rows, *floors]


def table(rows: list[Row], clients: int, pace: float) -> str:
    """The figures as a fixed-width table."""
    head = (
        f"{'':<22}{'calls':>7}{'err':>5}{'req/s':>7}{'p50':>7}{'p95':>7}{'max':>7}"
        f"{'read p95':>10}{'report p95':>12}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        rate = len(row.all) / row.seconds if row.seconds else 0.0
        lines.append(
            f"{row.name:<22}{len(row.all):>7}{row.errors:>5}{rate:>7.0f}"
            f"{Row.p(row.all, 50):>7.1f}{Row.p(row.all, 95):>7.1f}{Row.p(row.all, 100):>7.1f}"
            f"{Row.p(row.reads, 95):>10.1f}{Row.p(row.reports, 95):>12.1f}"
        )
    how = f"each {pace:g} calls a second" if pace else "each calling back to back"
    lines.append(
        f"{clients} clients at once, {how}; latencies in ms; "
        f"target: releasebot p95 < {TARGET_P95_MS:g} ms"
    )
    return "\n".join(lines)


def main() -> int:
    """Run and print; non-zero when the target is missed or a call failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="at most 20 (tokens per release)")
    parser.add_argument("--calls", type=int, default=100, help="calls per client")
    parser.add_argument(
        "--pace", type=float, default=5.0, help="calls a second per client; 0: back to back"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    pg = None if args.no_postgres or not postgres_answers() else DEFAULT_PG
    rows = measure(args.clients, args.calls, pg, args.pace)
    print(table(rows, args.clients, args.pace))
    bots = [r for r in rows if r.name.startswith("releasebot")]
    missed = [r for r in bots if Row.p(r.all, 95) >= TARGET_P95_MS or r.errors]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
