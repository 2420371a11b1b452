"""The parts behind the operator routes: health verdicts, metrics, JSON logs, settings, pools."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import text

from bot.core import logs, metrics, migrate
from bot.core.config import ConfigError, Settings, load_settings
from bot.core.db import Database, make_engine
from bot.core.health import Health
from bot.core.leader import LEADER_LOCK, RELEASE_BOUND_SECONDS, Leadership
from bot.core.web import WebApp
from bot.gates.models import Gate
from bot.release.models import Release
from tests.conftest import PG_URL


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(app: WebApp, path: str, method: str = "GET") -> tuple[str, bytes]:
    """One WSGI request to the app: (status line, body)."""
    seen: list[str] = []
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, lambda status, headers: seen.append(status)))
    return seen[0], body


# -- health ---------------------------------------------------------------------------------


def test_liveness_follows_the_timer_loops_heartbeat_or_its_thread(db: Database) -> None:
    clock = Clock()
    beating = SimpleNamespace(replan_seconds=10.0, heartbeat=clock.now - 30)
    assert Health(db, beating, clock=clock).live().ok
    beating.heartbeat = clock.now - 500
    verdict = Health(db, beating, clock=clock).live()
    assert not verdict.ok and "silent for 500s" in verdict.detail
    stopped = threading.Thread(target=lambda: None)
    stopped.start()
    stopped.join()
    verdict = Health(db, SimpleNamespace(_thread=stopped), clock=clock).live()
    assert not verdict.ok and "stopped" in verdict.detail
    assert Health(db, SimpleNamespace(_thread=threading.current_thread())).live().ok
    assert Health(db).live().ok


def test_readiness_wants_current_migrations_and_asks_alembic_only_now_and_then(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    real = migrate.pending

    def counting(database: Database) -> tuple[str | None, str | None]:
        asked.append(1)
        return real(database)

    monkeypatch.setattr(migrate, "pending", counting)
    clock = Clock()
    health = Health(db, clock=clock, migrations_ttl=30)
    assert health.ready().ok and health.ready().ok
    assert len(asked) == 1
    clock.now += 31
    assert health.ready().ok
    assert len(asked) == 2

    script = ScriptDirectory.from_config(migrate.alembic_config(db))
    head = script.get_revision(script.get_current_head())
    older = str(head.down_revision)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    verdict = Health(db).ready()
    assert not verdict.ok and f"database at {older}" in verdict.detail
    with db.engine.begin() as conn:  # a newer release migrated it during a rolling update
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0099'"))
    verdict = Health(db).ready()
    assert verdict.ok and "newer" in verdict.detail


def test_an_unmigrated_or_unreachable_database_fails_readiness_not_liveness(tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    verdict = Health(empty).ready()
    assert not verdict.ok and "releasebot migrate" in verdict.detail
    empty.dispose()
    gone = Database(f"sqlite:///{tmp_path / 'missing' / 'releasebot.db'}")
    app = WebApp(None, gone)  # type: ignore[arg-type]  # probes never touch the Bolt app
    assert call(app, "/livez")[0] == "200 OK"
    status, body = call(app, "/readyz")
    assert status.startswith("503") and json.loads(body) == {
        "ok": False,
        "error": "database unreachable",
    }
    assert call(app, "/healthz")[0].startswith("503")
    assert call(app, "/metrics")[0] == "200 OK"  # a scrape survives the outage
    assert call(app, "/readyz", "POST")[0].startswith("405")
    gone.dispose()


def test_socket_mode_serves_no_slack_route() -> None:
    app = WebApp(None, None, serve_slack=False)  # type: ignore[arg-type]
    assert call(app, "/slack/events", "POST")[0].startswith("404")


# -- metrics --------------------------------------------------------------------------------


def _refusal(status: int, error: str) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    return SlackApiError(error, response)


def test_slack_call_outcomes_and_method_labels() -> None:
    assert metrics.slack_outcome(None) == "ok"
    assert metrics.slack_outcome(_refusal(429, "ratelimited")) == "ratelimited"
    assert metrics.slack_outcome(_refusal(503, "service_unavailable")) == "server_error"
    assert metrics.slack_outcome(_refusal(200, "channel_not_found")) == "error"
    assert metrics.slack_outcome(TimeoutError()) == "server_error"
    assert metrics.method_label("chat_postMessage") == "chat.postMessage"
    assert metrics.method_label("views.publish") == "views.publish"
    assert metrics.method_label("<@U123> said hi") == "other"  # never user text in a label
    counter = metrics.SLACK_API_CALLS
    before = counter.labels("chat.update", "error")._value.get()
    metrics.count_slack_call("chat_update", "error")
    metrics.count_slack_call("chat.update", "no-such-outcome")
    assert counter.labels("chat.update", "error")._value.get() == before + 2


def test_request_kinds() -> None:
    assert metrics.request_kind({"command": "/release", "text": "x"}) == "command"
    assert metrics.request_kind({"type": "block_actions"}) == "action"
    assert metrics.request_kind({"type": "view_submission"}) == "view"
    assert metrics.request_kind({"type": "event_callback"}) == "event"
    assert metrics.request_kind({"type": "url_verification"}) == "other"
    assert metrics.request_kind("not a dict") == "other"


def _families(app_metrics: metrics.AppMetrics) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(app_metrics.render().decode())}


def test_two_apps_in_one_process_share_the_process_metrics(db: Database) -> None:
    first, second = metrics.AppMetrics(db), metrics.AppMetrics(db)
    metrics.set_outbox_pending(3)
    metrics.set_outbox_oldest_age(42.5)
    metrics.TIMER_LAG.observe(0.2)
    for app_metrics in (first, second):
        found = _families(app_metrics)
        assert found["releasebot_outbox_pending"].samples[0].value == 3
        assert found["releasebot_outbox_oldest_age_seconds"].samples[0].value == 42.5
        assert "releasebot_timer_lag_seconds" in found
    metrics.set_outbox_pending(0)
    metrics.set_outbox_oldest_age(0)


def test_gate_states_of_active_releases_and_the_leader(db: Database) -> None:
    with db.session() as session:
        running = Release(channel_id="C1", name="v1", zone="UTC", created_by="U1")
        done = Release(channel_id="C2", name="v0", zone="UTC", created_by="U1", state="released")
        session.add_all([running, done])
        session.flush()
        for name, state in (("ci", "failing"), ("docs", "passing"), ("qa", "passing")):
            session.add(
                Gate(release_id=running.id, name=name, kind="manual", state=state, created_by="U1")
            )
        session.add(
            Gate(release_id=done.id, name="ci", kind="manual", state="failing", created_by="U1")
        )
    leadership = Leadership(db)
    leadership.acquire()
    found = _families(metrics.AppMetrics(db, leadership))
    gates = {s.labels["state"]: s.value for s in found["releasebot_gates"].samples}
    assert gates == {"failing": 1.0, "passing": 2.0}
    assert found["releasebot_leader"].samples[0].value == 1.0
    leadership.release()


# -- logs -----------------------------------------------------------------------------------

BOT_TOKEN = "xoxb-1111-2222-logtesttoken"
SIGNING = "0123456789abcdef-signing"


def _record(message: str, *args: object, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, args, exc_info)


def test_json_lines_carry_the_request_and_mask_every_secret() -> None:
    settings = Settings(bot_token=BOT_TOKEN, signing_secret=SIGNING, log_format="json")
    formatter = logs.make_formatter(settings)
    try:
        raise RuntimeError(f"refused {SIGNING}")
    except RuntimeError as err:
        error = err
    with logs.request_context("req-1", "C_REL"):
        inside = json.loads(formatter.format(_record('token %s said "hi"', BOT_TOKEN, error=error)))
    outside = json.loads(formatter.format(_record("plain")))
    assert inside["level"] == "ERROR" and inside["logger"] == "bot.test"
    assert inside["message"] == 'token **** said "hi"'
    assert inside["request_id"] == "req-1" and inside["channel"] == "C_REL"
    assert "RuntimeError: refused ****" in inside["error"]
    assert inside["timestamp"].endswith("+00:00")
    assert "request_id" not in outside and "channel" not in outside
    text_line = logs.make_formatter(Settings(bot_token=BOT_TOKEN)).format(_record(BOT_TOKEN))
    assert BOT_TOKEN not in text_line and not text_line.startswith("{")


def test_configure_writes_json_lines_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    try:
        logs.configure(Settings(bot_token=BOT_TOKEN, log_format="json"))
        logging.getLogger("bot.test").warning("with %s", BOT_TOKEN)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        sys.excepthook, threading.excepthook = saved[2], saved[3]
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "with ****" and line["level"] == "WARNING"


# -- settings, pool and leader connection ---------------------------------------------------


def test_operator_settings_are_read_and_checked() -> None:
    settings = load_settings(
        {
            "LOG_FORMAT": "JSON",
            "RELEASEBOT_DB_POOL": "4",
            "RELEASEBOT_GATE_PROXY": "http://gates:pr0xy-pass@proxy.example.com:3128",
        }
    )
    assert settings.log_format == "json" and settings.db_pool == 4
    assert settings.gate_proxy == "http://gates:pr0xy-pass@proxy.example.com:3128"
    assert "pr0xy-pass" in settings.secret_values()
    assert "pr0xy-pass" not in repr(settings)
    assert load_settings({}).log_format == "text"
    assert load_settings({}).db_pool == 10 and load_settings({}).gate_proxy == ""
    for env, said in (
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
        ({"RELEASEBOT_DB_POOL": "many"}, "RELEASEBOT_DB_POOL must be a whole number"),
        ({"RELEASEBOT_GATE_PROXY": "socks5://proxy:1080"}, "is not a proxy URL"),
        ({"RELEASEBOT_GATE_PROXY": "proxy.example.com:3128"}, "is not a proxy URL"),
        ({"RELEASEBOT_GATE_PROXY": "http://proxy/path"}, "only scheme, host and port"),
    ):
        with pytest.raises(ConfigError, match=said):
            load_settings(env)


def test_the_postgres_pool_is_sized_by_setting() -> None:
    engine = make_engine("postgresql://rb@127.0.0.1:1/rb", pool_size=4)
    assert engine.pool.size() == 4  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 4  # type: ignore[attr-defined]
    engine.dispose()
    assert RELEASE_BOUND_SECONDS == 25


@pytest.mark.skipif(not PG_URL, reason="the leader lock is PostgreSQL's: set TEST_DATABASE_URL")
def test_the_leader_connection_is_bounded_by_keepalives_and_timeouts(db: Database) -> None:
    leadership = Leadership(db)
    assert leadership.acquire()
    conn = leadership._conn
    shown = {
        name: conn.execute(text(f"SHOW {name}")).scalar()
        for name in (
            "tcp_keepalives_idle",
            "tcp_keepalives_interval",
            "tcp_keepalives_count",
            "statement_timeout",
            "idle_in_transaction_session_timeout",
        )
    }
    assert shown == {
        "tcp_keepalives_idle": "10",
        "tcp_keepalives_interval": "5",
        "tcp_keepalives_count": "3",
        "statement_timeout": "5s",
        "idle_in_transaction_session_timeout": "10s",
    }
    with db.engine.connect() as other:
        held = other.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"k": LEADER_LOCK},
        ).scalar()
    assert held == 1
    leadership.release()
