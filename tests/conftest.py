"""Fixtures: a fresh migrated database per test, a fake Slack, and the bot over real HTTP.

The suite runs on SQLite; with TEST_DATABASE_URL set it runs on that Postgres server too
(each test gets a database of its own, cloned from a migrated template).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app import create_app, create_services
from bot.core import migrate
from bot.core.config import Settings
from bot.core.db import Database, normalize_url
from bot.core.services import Services
from bot.core.web import WebApp
from tests.kit.bot_process import free_port
from tests.kit.fake_slack import FakeSlack
from tests.kit.slack_requests import SlackClient

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
_counter = itertools.count()


def _admin_engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    base, _, _ = normalize_url(url).rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to clone: a SQLite file, or a Postgres template database."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db)
        db.dispose()
        yield str(path)
        return
    name = f"rbtpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin_engine(PG_URL)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(_with_database(PG_URL, name))
    migrate.upgrade(db)
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(db_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if not PG_URL:
        path = tmp_path / "releasebot.db"
        shutil.copy(db_template, path)
        yield f"sqlite:///{path}"
        return
    name = f"rbt_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine(PG_URL)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{db_template}"'))
    yield _with_database(PG_URL, name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test's database handle."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A local stand-in for Slack's Web API; fails the test on invalid blocks or leaked secrets."""
    with FakeSlack() as fake:
        yield fake
        assert fake.errors == [], f"Slack would refuse these payloads: {fake.errors}"
        over = [f"{call.method} at {call.at:.1f}" for call in fake.ratelimited]
        assert over == [], f"calls went over the workspace's per-method budgets: {over}"
        sent = json.dumps([call.args for call in fake.calls + fake.failed_calls], default=str)
        assert TOKEN not in sent and SECRET not in sent, "a bot credential was sent in a message"


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test: no log line (message or traceback) holds the bot's token or signing secret."""
    caplog.set_level(logging.INFO)
    yield
    for record in caplog.records:
        line = record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        assert TOKEN not in line and SECRET not in line, f"a secret was logged: {line[:200]}"


@pytest.fixture
def settings(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    """Settings for a bot talking to the fake Slack and the test database."""
    return Settings(
        bot_token=TOKEN,
        signing_secret=SECRET,
        api_url=fake_slack.url,
        database_url=database_url,
        host="127.0.0.1",
        port=free_port(),
        admins=frozenset({"U_ADMIN"}),
        replan_seconds=0.5,
    )


@dataclass
class RunningBot:
    """The bot served over HTTP on loopback, in this process."""

    services: Services
    url: str
    slack: SlackClient
    fake: FakeSlack

    def freeze(self, instant: datetime) -> None:
        """Make the bot's clock stand still at `instant`."""
        self.services.clock = lambda: instant


def _stop_server(server: Any) -> None:
    """Close every connection from inside waitress's loop, so the loop ends at once."""
    from waitress import wasyncore

    # The loop may have ended already and closed its trigger: then nothing is left to stop.
    with contextlib.suppress(OSError):
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    server.task_dispatcher.shutdown(timeout=5)


def _serve(
    settings: Settings, fake: FakeSlack, clock: datetime | None = None
) -> Iterator[RunningBot]:
    """The app as `releasebot run` builds it; with `clock`, its clocks stand at that instant."""
    from waitress import create_server

    services = create_services(settings)
    if clock is not None:
        services.clock = services.scheduler.clock = lambda: clock
    app = create_app(services)
    server = create_server(
        WebApp.for_services(app, services), host="127.0.0.1", port=settings.port, threads=32
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


@pytest.fixture
def bot(settings: Settings, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    """The real app behind a real HTTP server on loopback."""
    yield from _serve(settings, fake_slack)


@pytest.fixture
def make_bot(settings: Settings, fake_slack: FakeSlack) -> Iterator[object]:
    """Start a bot with changed settings: make_bot(templates_dir=...)."""
    running: list[Iterator[RunningBot]] = []

    def start(**changes: object) -> RunningBot:
        gen = _serve(replace(settings, **changes), fake_slack)  # type: ignore[arg-type]
        running.append(gen)
        return next(gen)

    yield start
    for gen in running:
        with __import__("contextlib").suppress(StopIteration):
            next(gen)
