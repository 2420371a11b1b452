"""One front door per feature: the long-lived parts are made once and stopped with Services.

The app is built as `releasebot run` builds it (Services, then the Bolt app with every
listener), so a handler that made its own runner or writer would be counted here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from bot.app import create_app, create_services
from bot.core.config import Settings
from bot.core.errors import DomainError
from bot.core.feature import Feature
from bot.gates.flows import GateRunner
from bot.gonogo.votes import Ballot
from bot.gonogo.writer import VoteWriter
from bot.home.flows import Homes

FEATURES = {
    "release",
    "burndown",
    "gonogo",
    "checklist",
    "gates",
    "schedule",
    "webhooks",
    "home",
    "calendar",
    "api",
}


def _counted(monkeypatch: pytest.MonkeyPatch, made: Counter[str], *kinds: type) -> None:
    """Count every construction of these classes from now on."""
    for kind in kinds:
        init = vars(kind)["__init__"]

        def counting(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            made[type(self).__name__] += 1
            _init(self, *args, **kwargs)

        monkeypatch.setattr(kind, "__init__", counting)


def _slow_check() -> Any:
    time.sleep(0.2)
    return "checked"


def _threads(prefix: str) -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(prefix)]


def test_each_long_lived_part_is_made_once_by_its_feature(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: Counter[str] = Counter()
    _counted(monkeypatch, made, GateRunner, VoteWriter, Homes)
    services = create_services(settings)
    create_app(services)
    try:
        assert made == {"GateRunner": 1, "VoteWriter": 1, "Homes": 1}
        assert {feature.name for feature in services.features} == FEATURES
        assert len(services.features) == len(FEATURES)
        for kind in (GateRunner, VoteWriter, Homes):
            assert isinstance(services.part(kind), kind)
    finally:
        services.db.dispose()


def test_a_front_door_registers_once(settings: Settings) -> None:
    services = create_services(settings)
    try:
        with pytest.raises(ValueError, match="gates feature is registered already"):
            services.add_feature(Feature("gates", services.part(GateRunner)))
    finally:
        services.db.dispose()


def test_services_stop_ends_the_check_workers_and_the_vote_writer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: Counter[str] = Counter()
    for kind in (GateRunner, VoteWriter):
        stop = kind.stop

        def counting(self: Any, _stop: Any = stop) -> None:
            stopped[type(self).__name__] += 1
            _stop(self)

        monkeypatch.setattr(kind, "stop", counting)
    services = create_services(settings)
    create_app(services)
    services.start()
    try:
        pool = services.part(GateRunner).checks
        checked, _ = pool.submit(1, _slow_check)
        with pytest.raises(DomainError):  # no such poll: refused, and the writer thread runs
            services.part(VoteWriter).cast(999_999, Ballot(user="U1", choice="go"))
        assert pool.threads() == 1 and _threads("votes")
    finally:
        services.stop()
        services.db.dispose()
    assert stopped == {"GateRunner": 1, "VoteWriter": 1}
    assert checked.result(timeout=0) == "checked"  # the check in flight finished first
    assert pool.threads() == 0
    assert not _threads("votes") and not _threads("gate-check-")
