"""Schedule bots over one database: started, stopped and started again with a fixed clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.app import create_app, create_services
from bot.core.config import Settings
from bot.core.web import WebApp
from tests.conftest import SECRET, RunningBot, _stop_server
from tests.kit.bot_process import free_port
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient

COMMAND = "/release"


@contextmanager
def serve(
    settings: Settings, fake: FakeSlack, clock: datetime | None = None
) -> Iterator[RunningBot]:
    """The real app on loopback HTTP, as `releasebot run` builds it.

    With `clock`, the bot's clocks (services, sender, scheduler) stand at that instant from
    its first moment on.
    """
    from waitress import create_server

    services = create_services(settings)
    if clock is not None:
        services.clock = services.scheduler.clock = lambda: clock
    app = create_app(services)
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
