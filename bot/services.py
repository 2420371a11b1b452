"""What handlers and timers share: settings, database, Slack access, timekeeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from bot.models import utcnow
from bot.notify import Notifier
from bot.people import Creators, Directory
from bot.refresh import Refresher
from bot.scheduler import Scheduler


@dataclass
class Services:
    """One bundle per running app, passed to every feature's register()."""

    settings: Settings
    db: Database
    notifier: Notifier
    people: Directory
    refresher: Refresher
    scheduler: Scheduler
    creators: Creators
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        """The current instant (tests may freeze it)."""
        return self.clock()
