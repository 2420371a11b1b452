"""Schedule bots over one database: started, stopped and started again with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.core.config import Settings
from tests.conftest import RunningBot, _serve
from tests.kit.bot_process import free_port
from tests.kit.fake_slack import FakeSlack

COMMAND = "/release"


def serve(
    settings: Settings, fake: FakeSlack, clock: datetime | None = None
) -> AbstractContextManager[RunningBot]:
    """The real app on loopback HTTP; with `clock`, its clocks stand at that instant."""
    return contextmanager(_serve)(settings, fake, clock)


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
