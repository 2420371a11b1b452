"""Helpers of the gate tests: commands as Slack sends them, gates at the sizes releases reach."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core.db import Database
from bot.gates.models import HTTP, Gate
from bot.release import service as releases
from tests.conftest import RunningBot
from tests.kit.fake_slack import collect_texts

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
CHANNEL = "C_GATE"
LEAD, OWNER, OTHER = "U_LEAD", "U_CI", "U_OTHER"
OK = json.dumps({"state": "ok"})
BROKEN = json.dumps({"state": "broken"})
STATES = ("failing", "unknown", "passing")


def say(bot: RunningBot, cmd: str, line: str, user: str = LEAD, channel: str = CHANNEL) -> str:
    """The answer's text, then the text of its blocks, if any."""
    resp = bot.slack.command(cmd, line, user_id=user, channel_id=channel)
    assert resp.status_code == 200, resp.text
    if not resp.text:
        return ""
    answer = resp.json()
    blocks = "\n".join(collect_texts(answer.get("blocks") or []))
    return "\n".join(part for part in (str(answer.get("text", "")), blocks) if part)


def gate_named(bot: RunningBot, name: str) -> Gate | None:
    """The gate of that name as the database has it now."""
    with bot.services.db.read() as s:
        return s.exec(select(Gate).where(Gate.name == name)).first()


def certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for `host`, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=DNS:{host}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def owners(count: int, start: int = 0) -> list[str]:
    """`count` distinct user ids of the longest ordinary shape."""
    return [f"U{n:010d}" for n in range(start, start + count)]


def crowded_release(
    db: Database,
    channel: str,
    *,
    gates: int,
    owners_each: int,
    states: tuple[str, ...] = STATES,
    lead: str = LEAD,
) -> int:
    """A release whose gates each have many owners, a long URL and a long last result."""
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id=channel,
            name="v9.9",
            release_at=None,
            zone=ZoneInfo("America/Los_Angeles"),
            actor=lead,
            now=NOW,
        )
        assert release.id is not None
        for n in range(gates):
            state = states[n % len(states)]
            s.add(
                Gate(
                    release_id=release.id,
                    name=f"gate-{n:02d}-" + "x" * 30,
                    kind=HTTP,
                    url=f"https://ci.example.com/api/v4/projects/{n}/pipelines?ref=main&"
                    + "q" * 200,
                    expect='json.state == "success" and json.failed <= 0',
                    owners=" ".join(owners(owners_each, start=n * owners_each)),
                    state=state,
                    state_since=NOW - timedelta(minutes=n + 1),
                    fail_streak=3 if state == "failing" else 0,
                    last_result="fail" if state == "failing" else "pass",
                    last_detail="expected <@U0DOCS0002> & more; " + "d" * 400,
                    last_checked_at=NOW - timedelta(minutes=1),
                    created_by=lead,
                )
            )
        return release.id
