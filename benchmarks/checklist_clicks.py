"""Acknowledgement time of a checklist click, against a bare Bolt app answering the same click.

A lead walks a long custom checklist with Done clicks, one after another (each step is the
entry condition of the next, so clicks come in order); every click is a guarded transition
written before the acknowledgement. The same clicks go to a bare Bolt app that only
acknowledges: the floor. Target: releasebot's p50 within 1.5x of the floor.

    python -m benchmarks.checklist_clicks [--steps 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlmodel import col, select

from benchmarks.common import (
    bot_env,
    fresh_postgres,
    module_process,
    postgres_answers,
    sqlite_url,
)
from bot.checklist.models import ChecklistStep
from bot.core.db import Database
from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient, block_action_body, sign

SECRET = "bench-secret"
CHANNEL = "C_BENCH"
LEAD = "U_LEAD"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    """The figures of one target."""

    name: str
    latencies: list[float]
    errors: int
    done: int | None = None

    def p(self, q: float) -> float:
        """The q-th percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))] * 1000


def click(url: str, value: str) -> tuple[float, bool]:
    """One signed Done click; (seconds to the acknowledgement, answered 200)."""
    body = block_action_body(
        user_id=LEAD, channel_id=CHANNEL, action_id="checklist:done", value=value
    )
    parts = urlsplit(url)
    began = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("POST", "/slack/events", body=body.encode(), headers=sign(body, SECRET))
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - began, response.status == 200


def template_dir(steps: int) -> Path:
    """A templates folder with one long checklist whose every step the lead owns."""
    folder = Path(sqlite_url()[len("sqlite:///") :]).parent / "templates"
    folder.mkdir()
    body = {
        "name": "bench",
        "description": "a long walk",
        "steps": [{"title": f"Step {n}", "owner": "lead"} for n in range(steps)],
    }
    (folder / "bench.yaml").write_text(yaml.safe_dump(body))
    return folder


def run_releasebot(name: str, database_url: str, steps: int, rounds: int = 3) -> Row:
    """Walk the checklist `rounds` times on the real bot and time every acknowledgement."""
    rows = [_walk(name, database_url, steps, n) for n in range(rounds)]
    return Row(
        name,
        [t for row in rows for t in row.latencies],
        sum(row.errors for row in rows),
        sum(row.done or 0 for row in rows),
    )


def _walk(name: str, database_url: str, steps: int, round_no: int) -> Row:
    env_extra = {"RELEASEBOT_TEMPLATES_DIR": str(template_dir(steps))}
    with FakeSlack() as fake:
        env = {**bot_env(fake.url, database_url, SECRET), **env_extra}
        with BotProcess(env) as proc, SlackClient(proc.url, SECRET) as slack:
            slack.command(
                "/release", "new bench on 2027-03-15 10:00 UTC", user_id=LEAD, channel_id=CHANNEL
            )
            slack.command("/checklist", "start bench", user_id=LEAD, channel_id=CHANNEL)
            db = Database(database_url)
            with db.read() as s:
                before = len(
                    s.exec(select(ChecklistStep).where(ChecklistStep.state == "done")).all()
                )
            latencies, errors = [], 0
            for _ in range(steps):
                with db.read() as s:
                    step = s.exec(
                        select(ChecklistStep)
                        .where(ChecklistStep.state == "active")
                        .order_by(col(ChecklistStep.position))
                    ).first()
                if step is None:
                    errors += 1
                    break
                value = json.dumps({"s": step.id, "st": "active", "v": step.activations})
                time.sleep(0.05)  # a person clicks; let the previous refresh settle
                took, ok = click(proc.url, value)
                latencies.append(took)
                errors += 0 if ok else 1
            with db.read() as s:
                done = len(s.exec(select(ChecklistStep).where(ChecklistStep.state == "done")).all())
            db.dispose()
            slack.command("/release", "close", user_id=LEAD, channel_id=CHANNEL)
    return Row(name, latencies, errors, done - before)


def run_bare(steps: int, direct: bool = False) -> Row:
    """The same clicks against a bare Bolt app (`direct`: answering without the ack poll)."""
    env = {"SLACK_SIGNING_SECRET": SECRET, "BARE_PROCESS_BEFORE_RESPONSE": "1" if direct else "0"}
    with (
        FakeSlack() as fake,
        module_process("benchmarks.bare_bolt", {**env, "SLACK_API_URL": fake.url}) as url,
    ):
        click(url, '{"s":0}')
        results = []
        for n in range(steps * 3):
            results.append(click(url, json.dumps({"s": n, "st": "active", "v": 1})))
            time.sleep(0.05)
    name = "bare Bolt, direct" if direct else "bare Bolt (floor)"
    return Row(name, [t for t, _ in results], sum(1 for _, ok in results if not ok))


def measure(steps: int = 30, postgres: str | None = None) -> tuple[list[Row], Row]:
    """releasebot on SQLite (and Postgres when given) and the floor, in one run."""
    rows = [run_releasebot("releasebot SQLite", sqlite_url(), steps)]
    if postgres:
        with fresh_postgres(postgres) as url:
            rows.append(run_releasebot("releasebot Postgres", url, steps))
    return rows, run_bare(steps)


def table(rows: list[Row], floor: Row, direct: Row | None = None) -> str:
    """The figures as a fixed-width table."""
    head = f"{'':<22}{'clicks':>7}{'err':>5}{'done':>6}{'p50':>8}{'p95':>8}{'max':>8}{'p50x':>7}"
    lines = [head, "-" * len(head)]
    for row in [*rows, floor, *([direct] if direct else [])]:
        done = "-" if row.done is None else str(row.done)
        lines.append(
            f"{row.name:<22}{len(row.latencies):>7}{row.errors:>5}{done:>6}"
            f"{row.p(50):>8.1f}{row.p(95):>8.1f}{row.p(100):>8.1f}{row.p(50) / floor.p(50):>7.2f}"
        )
    lines.append("latencies in ms; p50x = ratio to the bare Bolt floor in this run (target <= 1.5)")
    if direct:
        lines.append(
            "the floor is Bolt as shipped (it polls for the ack every 10 ms); 'direct' is a bare\n"
            "Bolt app that answers when its listener returns, as releasebot does"
        )
    return "\n".join(lines)


def main() -> int:
    """Run and print; non-zero when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="at most 100, a template's limit")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    pg = None if args.no_postgres or not postgres_answers() else DEFAULT_PG
    rows, floor = measure(args.steps, pg)
    print(table(rows, floor, run_bare(args.steps, direct=True)))
    missed = [
        r for r in rows if r.p(50) / floor.p(50) > 1.5 or r.errors or r.done != 3 * args.steps
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
