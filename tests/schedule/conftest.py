"""A bot with the schedule wired as the integrator will wire it, behind a throwaway command.

`/release` itself is edited elsewhere; until it carries the `schedule` and `milestone`
subcommands, these tests drive them as `/release-test`: /release's own subcommands plus the
schedule's, with `postpone` moving milestones before the burndown cadence (as the real
/release will). The feature is registered on Services the way bot.app will register it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session

from bot.app import create_app, create_services
from bot.burndown import flows as burndown
from bot.core.config import Settings
from bot.core.outbox import Message
from bot.core.text.commandline import CommandLine
from bot.core.web import WebApp
from bot.release import options as release_options
from bot.release import render as release_render
from bot.release import service as releases
from bot.release.models import Release
from bot.schedule import flows as schedule_flows
from handlers import release as release_handlers
from handlers import schedule as schedule_handlers
from handlers.router import Command, Ctx, Reply, Sub, register_command
from tests.conftest import SECRET, RunningBot, _stop_server
from tests.kit.bot_process import free_port
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient

COMMAND = "/release-test"


def follow(session: Session, release: Release, *, actor: str, now: datetime) -> str | None:
    """What moves with release day: milestones first, then the cadence that reads them."""
    lines = [
        schedule_flows.follow_release_day(session, release, actor=actor, now=now),
        burndown.follow_release_day(session, release, actor=actor, now=now),
    ]
    return "\n".join(line for line in lines if line) or None


def postpone(ctx: Ctx, line: CommandLine) -> Reply:
    """`postpone DATE [TIME] [TZ] [-- reason]`, with the schedule following release day."""
    release_options.check_postpone(line.args, line.reason)
    services, now = ctx.services, ctx.services.now()
    with services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        release_at = release_options.parse_new_day(line.args, release, now=now)
        before = releases.postpone(
            s,
            release,
            release_at=release_at,
            reason=line.reason,
            actor=ctx.user_id,
            now=now,
            admins=services.settings.admins,
        )
        also = follow(s, release, actor=ctx.user_id, now=now)
        text, blocks = release_render.postponed(release, before, ctx.user_id, line.reason, also)
        key = f"test:{release.id}:postponed:{release_at.isoformat()}"
        message = Message(key=key, channel=release.channel_id, text=text, blocks=blocks)
        services.outbox.queue(s, message, now=now)
    services.scheduler.poke()
    return Reply(text=f"Release day is now {release_render.release_day(release)}.")


TEST_COMMAND = Command(
    name=COMMAND,
    summary="the channel's release, with its schedule (test wiring).",
    subs={
        **release_handlers.COMMAND.subs,
        "postpone": Sub(postpone, "/release postpone DATE [TIME] [TZ] [-- reason]"),
        **schedule_handlers.SUBS,
    },
    notes=[*release_handlers.COMMAND.notes, *schedule_handlers.NOTES],
)


@contextmanager
def serve(
    settings: Settings, fake: FakeSlack, clock: datetime | None = None
) -> Iterator[RunningBot]:
    """The real app on loopback HTTP, with the schedule registered and /release-test.

    With `clock`, the bot's clocks (services, sender, scheduler) stand at that instant from
    its first moment on.
    """
    from waitress import create_server

    services = create_services(settings)
    if clock is not None:
        services.clock = services.scheduler.clock = lambda: clock
    schedule_flows.register(services)
    app = create_app(services)
    register_command(app, TEST_COMMAND, services)
    server = create_server(
        WebApp.for_services(app, services), host="127.0.0.1", port=settings.port, threads=16
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    services.start()
    url = f"http://127.0.0.1:{settings.port}"
    slack = SlackClient(url, SECRET)
    try:
        yield RunningBot(services, url, slack, fake)
    finally:
        slack.close()
        _stop_server(server)
        thread.join(timeout=5)
        services.stop()
        services.db.dispose()


class Bots:
    """Schedule bots over the test's database: started, stopped, started again."""

    def __init__(self, settings: Settings, fake: FakeSlack) -> None:
        self.settings = settings
        self.fake = fake
        self._running: dict[int, ExitStack] = {}

    def start(self, clock: datetime | None = None, **changes: Any) -> RunningBot:
        """A new bot (own Services, scheduler and sender) on a fresh port; settings changed."""
        stack = ExitStack()
        changed = replace(self.settings, port=free_port(), **changes)
        bot = stack.enter_context(serve(changed, self.fake, clock))
        self._running[id(bot)] = stack
        return bot

    def stop(self, bot: RunningBot) -> None:
        """Stop one bot: its timers and sender end, its database stays."""
        self._running.pop(id(bot)).close()

    def stop_all(self) -> None:
        """Stop every bot still running."""
        for stack in reversed(list(self._running.values())):
            stack.close()
        self._running.clear()


@pytest.fixture
def bots(settings: Settings, fake_slack: FakeSlack) -> Iterator[Bots]:
    """Start and stop schedule bots over the same database."""
    found = Bots(settings, fake_slack)
    yield found
    found.stop_all()


@pytest.fixture
def sbot(bots: Bots) -> RunningBot:
    """A running schedule bot."""
    return bots.start()
