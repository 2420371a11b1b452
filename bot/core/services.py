"""What handlers and timers share: settings, database, Slack access, timekeeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session

from bot.core.actor import Actor
from bot.core.asks import Ask
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Check
from bot.core.feature import Feature
from bot.core.guards import StepGuard
from bot.core.leader import Leadership
from bot.core.models import utcnow
from bot.core.notify import Notifier
from bot.core.outbox import Outbox
from bot.core.people import Creators, Directory
from bot.core.scheduler import Scheduler
from bot.core.sender import Sender
from bot.core.status import Section, SectionFn

Route = Callable[[str, str], "tuple[str, list[tuple[str, str]], bytes] | None"]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
T = TypeVar("T")
F = TypeVar("F", bound=Feature)


@dataclass
class Services:
    """One bundle per running app, passed to every feature's register()."""

    settings: Settings
    db: Database
    notifier: Notifier
    people: Directory
    scheduler: Scheduler
    creators: Creators
    outbox: Outbox
    sender: Sender
    clock: Callable[[], datetime] = utcnow
    sections: list[tuple[int, str, SectionFn]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    step_guards: list[StepGuard] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    mounts: list[tuple[str, WSGIApp]] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    answers: dict[Ask[Any], list[Any]] = field(default_factory=dict)

    @property
    def leader(self) -> Leadership:
        """The leader lease: `is_leader`, `epoch`, `guard(session, epoch)` for leader-only work."""
        return self.scheduler.leadership

    def actor(self, user_id: str) -> Actor:
        """Who acts in this request: the person, whether an admin, and a reader of their groups."""
        return Actor(user_id, user_id in self.settings.admins, self.people.members_of)

    def now(self) -> datetime:
        """The current instant (tests may freeze it)."""
        return self.clock()

    def start(self) -> None:
        """Start the timers, the outbox sender and every feature's long-lived parts."""
        self.sender.clock = self.now
        self.scheduler.start()
        self.sender.start()
        for feature in self.features:
            feature.start()

    def stop(self) -> None:
        """Stop the timers, the sender and the features, letting what is in flight finish."""
        self.scheduler.stop()
        self.sender.stop()
        for feature in reversed(self.features):
            feature.stop()
        self.notifier.shutdown()

    def add_feature(self, feature: F) -> F:
        """A feature as its front door built it, started and stopped with Services (once)."""
        if any(found.name == feature.name for found in self.features):
            raise ValueError(f"the {feature.name} feature is registered already")
        self.features.append(feature)
        return feature

    def part(self, kind: type[T]) -> T:
        """A feature's long-lived part of this kind (its one gate runner, its vote writer)."""
        for feature in self.features:
            found = feature.part(kind)
            if found is not None:
                return found
        raise LookupError(f"no feature has a {kind.__name__}")

    def add_section(self, name: str, order: int, fn: SectionFn) -> None:
        """A feature's part of `/release status` and Home; lower `order` shows first."""
        self.sections = sorted([*(s for s in self.sections if s[1] != name), (order, name, fn)])

    def status_sections(self, session: Session, release: Any, now: datetime) -> list[Section]:
        """Every feature's section that has something to say, in order."""
        found = (fn(session, release, now) for _, _, fn in self.sections)
        return [section for section in found if section is not None]

    def add_check(self, check: Check) -> None:
        """A feature's `releasebot doctor` check."""
        if check not in self.checks:
            self.checks.append(check)

    def add_route(self, route: Route) -> None:
        """A feature's web route: (method, path) -> (status, headers, body), or None if not its."""
        self.routes.append(route)

    def add_mount(self, prefix: str, app: WSGIApp) -> None:
        """A WSGI application serving every path under `prefix` (the HTTP API)."""
        self.mounts[:] = [*(m for m in self.mounts if m[0] != prefix), (prefix, app)]

    def provide(self, ask: Ask[T], answer: T) -> None:
        """A feature's answer to what another feature asks (an Ask declared in bot.core.asks).

        The asking feature imports only the Ask; every feature that can answer provides its
        answer in its register(), and `answers_to(ask)` hands them over in that order.
        """
        found = self.answers.setdefault(ask, [])
        if answer not in found:
            found.append(answer)

    def answers_to(self, ask: Ask[T]) -> list[T]:
        """Every feature's answer to `ask`, in the order the features registered."""
        return list(self.answers.get(ask, []))

    def add_step_guard(self, guard: StepGuard) -> None:
        """Something that can hold a checklist step back (asked before every Done)."""
        if guard not in self.step_guards:
            self.step_guards.append(guard)
