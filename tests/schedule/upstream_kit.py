"""Helpers for import tests: the real schedule files served on loopback, bots that may read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.schedule.models import Milestone
from tests.conftest import RunningBot
from tests.kit.fake_slack import Call
from tests.kit.gate_server import Answer, GateServer
from tests.schedule.builders import CHANNEL, LEAD, say
from tests.schedule.conftest import Bots
from tests.support.release import mrkdwn_of

FIXTURES = Path(__file__).parent / "fixtures"
K8S_PATCHES = "/kubernetes/website/main/data/releases/schedule.yaml"
SIG_RELEASE = "/kubernetes/sig-release/master/releases/release-1.37/README.md"
OPENSTACK = "/openstack/releases/doc/source/indri/schedule.yaml"
PATHS = {
    K8S_PATCHES: "k8s-website-schedule.yaml",
    SIG_RELEASE: "sig-release-1.37-README.md",
    OPENSTACK: "openstack-indri-schedule.yaml",
}
LA = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")


def fixture(name: str) -> str:
    """A fixture file's text."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def serve_fixtures(server: GateServer) -> None:
    """Serve each real file at a path like its own."""
    for path, name in PATHS.items():
        server.answers[path] = Answer(200, fixture(name), {"Content-Type": "text/plain"})


def put(server: GateServer, path: str, text: str) -> None:
    """Serve `text` at `path` from now on."""
    server.answers[path] = Answer(200, text, {"Content-Type": "text/plain"})


def start_bot(bots: Bots, clock: datetime, **changes: Any) -> RunningBot:
    """A bot whose clock stands at `clock`, allowed to read from 127.0.0.1."""
    changes.setdefault("gate_allow", ("127.0.0.1",))
    return bots.start(clock, **changes)


def team(bot: RunningBot, **zones: str) -> None:
    """The channel's members and their Slack timezones (LEAD included)."""
    for user, zone in zones.items():
        bot.fake.users[user] = {"tz": zone}
    bot.fake.channel_members[CHANNEL] = [*zones, "UBOT"]


def told(bot: RunningBot, needle: str, user: str = LEAD, timeout: float = 10.0) -> str:
    """The latest ephemeral to `user` containing `needle` (waited for)."""
    found: list[Call] = bot.fake.wait_for(
        lambda: [c for c in bot.fake.ephemerals(user) if needle in _all(c)], timeout=timeout
    )
    return _all(found[-1])


def _all(call: Call) -> str:
    return str(call.args.get("text", "")) + "\n" + mrkdwn_of(call)


def run(bot: RunningBot, text: str, needle: str, user: str = LEAD) -> str:
    """Send `/release TEXT` and wait for the follow-up that contains `needle`."""
    say(bot, text, user=user)
    return told(bot, needle, user)


def milestones(bot: RunningBot) -> dict[str, Milestone]:
    """The milestones by name."""
    with bot.services.db.read() as s:
        return {m.name: m for m in s.exec(select(Milestone))}


def at(day: str, clock: str = "23:59", zone: ZoneInfo = LA) -> datetime:
    """An instant from a day read by hand (`2026-07-23`), at `clock` in `zone`."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


def waiting(predicate: Callable[[], Any], bot: RunningBot, timeout: float = 10.0) -> Any:
    """Wait for the predicate to hold."""
    return bot.fake.wait_for(predicate, timeout=timeout)
