"""Prometheus metrics for `GET /metrics`: requests, acknowledgement latency, timers, Slack calls.

Counters and histograms that code anywhere in the process moves (Slack requests, timer lag,
Web API calls, the outbox) are created once per process, outside any registry; each app's
`AppMetrics` registers them in a registry of its own next to what it reads at scrape time
(which replica leads, gate states), so several apps in one process (tests) never collide.
Labels hold fixed vocabularies only: no user text, no ids.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.core.db import Database

if TYPE_CHECKING:
    from bot.core.leader import Leadership

log = logging.getLogger(__name__)

KINDS = ("command", "action", "view", "event", "other")
OUTCOMES = ("ok", "error", "ratelimited", "server_error")
# The classic text format, which every Prometheus reads (every name here is a legacy name).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack allows 3 s for an acknowledgement: the buckets are finest below that.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
_METHOD = re.compile(r"[a-z]+(\.[A-Za-z0-9]+){1,3}")
_STATE = re.compile(r"[A-Za-z_]{1,16}")

disable_created_metrics()  # no *_created series: nothing here needs them

SLACK_REQUESTS = Counter(
    "releasebot_slack_requests",
    "Slack requests handled (HTTP and Socket Mode), by kind and the status answered",
    ["kind", "status"],
    registry=None,
)
ACK_SECONDS = Histogram(
    "releasebot_slack_ack_seconds",
    "Time from receiving a Slack request to acknowledging it, by kind",
    ["kind"],
    buckets=_ACK_BUCKETS,
    registry=None,
)
TIMER_LAG = Histogram(
    "releasebot_timer_lag_seconds",
    "How long after its due time a timer started to run",
    buckets=_LAG_BUCKETS,
    registry=None,
)
SLACK_API_CALLS = Counter(
    "releasebot_slack_api_calls",
    "Slack Web API calls by method and outcome (ok, error, ratelimited, server_error)",
    ["method", "outcome"],
    registry=None,
)
OUTBOX_PENDING = Gauge(
    "releasebot_outbox_pending",
    "Messages owed to Slack and not sent yet",
    registry=None,
)
OUTBOX_OLDEST_AGE = Gauge(
    "releasebot_outbox_oldest_age_seconds",
    "Age of the oldest message waiting to be sent (0 when none waits)",
    registry=None,
)
LEADER_CHANGES = Counter(
    "releasebot_leader_changes",
    "Times this replica gained or lost the lead (change: gained, lost)",
    ["change"],
    registry=None,
)
FENCED_WRITES = Counter(
    "releasebot_fenced_writes",
    "Writes refused because they carried a stale leader epoch",
    registry=None,
)
PROCESS_METRICS = (
    SLACK_REQUESTS,
    ACK_SECONDS,
    TIMER_LAG,
    SLACK_API_CALLS,
    OUTBOX_PENDING,
    OUTBOX_OLDEST_AGE,
    LEADER_CHANGES,
    FENCED_WRITES,
)
for _change in ("gained", "lost"):
    LEADER_CHANGES.labels(_change)
for _kind in KINDS:  # every kind shows from the first scrape, so rates start at zero
    ACK_SECONDS.labels(_kind)
    SLACK_REQUESTS.labels(_kind, "200")

# Gates of releases still running, by state. The gate feature owns these tables; reading two
# columns keeps the shared machinery free of its imports.
GATE_STATES_SQL = text(
    'SELECT g.state, COUNT(*) FROM gate g JOIN "release" r ON r.id = g.release_id '
    "WHERE r.state = 'active' GROUP BY g.state"
)


def request_kind(body: Any) -> str:
    """command, action, view, event or other, from a Slack request's parsed body."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    if kind in ("view_submission", "view_closed"):
        return "view"
    if kind in ("block_actions", "block_suggestion", "interactive_message", "shortcut"):
        return "action"
    if kind in ("message_action", "dialog_submission", "dialog_suggestion"):
        return "action"
    return "other"


def observe_request(kind: str, status: int, seconds: float) -> None:
    """Count one Slack request and its acknowledgement time."""
    kind = kind if kind in KINDS else "other"
    SLACK_REQUESTS.labels(kind, str(int(status))).inc()
    ACK_SECONDS.labels(kind).observe(max(0.0, seconds))


def method_label(method: str) -> str:
    """A Web API method name as a label: `chat_postMessage` and `chat.postMessage` alike."""
    name = method.replace("_", ".")
    return name if _METHOD.fullmatch(name) else "other"


def slack_outcome(error: BaseException | None) -> str:
    """The outcome label of a Web API call that raised `error` (None: it succeeded).

    A 429 is `ratelimited`; a 5xx answer, a timeout or a connection failure is
    `server_error` (Slack could not take it); any other refusal is `error`.
    """
    if error is None:
        return "ok"
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        if status == 429:
            return "ratelimited"
        return "server_error" if status >= 500 else "error"
    return "server_error"


def count_slack_call(method: str, outcome: str) -> None:
    """Count one Web API call; an outcome outside OUTCOMES counts as `error`."""
    SLACK_API_CALLS.labels(method_label(method), outcome if outcome in OUTCOMES else "error").inc()


def count_leader_change(leading: bool) -> None:
    """Count a gained or lost lead."""
    LEADER_CHANGES.labels("gained" if leading else "lost").inc()


def count_fenced() -> None:
    """Count a write refused for its stale leader epoch."""
    FENCED_WRITES.inc()


def set_outbox_pending(count: int) -> None:
    """How many messages owed to Slack are waiting to be sent."""
    OUTBOX_PENDING.set(max(0, count))


def set_outbox_oldest_age(seconds: float) -> None:
    """How long the oldest waiting message has waited (0 when none waits)."""
    OUTBOX_OLDEST_AGE.set(max(0.0, seconds))


class _StateCollector(Collector):
    """Read at scrape time: whether this replica leads, and gate states."""

    def __init__(self, db: Database, leadership: Leadership | None) -> None:
        self.db = db
        self.leadership = leadership

    def collect(self) -> Iterator[Metric]:
        if self.leadership is not None:
            leader = GaugeMetricFamily(
                "releasebot_leader", "1 on the replica that runs timers, 0 on a standby"
            )
            leader.add_metric([], 1.0 if self.leadership.is_leader else 0.0)
            yield leader
            epoch = GaugeMetricFamily(
                "releasebot_leader_epoch",
                "The leader epoch this replica holds or last held (0 before it ever led)",
            )
            epoch.add_metric([], float(self.leadership.last_epoch or 0))
            yield epoch
        counts = self._gate_states()
        if counts is not None:
            gates = GaugeMetricFamily(
                "releasebot_gates", "Gates of active releases by state", labels=["state"]
            )
            for state, count in sorted(counts.items()):
                gates.add_metric([state], float(count))
            yield gates

    def _gate_states(self) -> dict[str, int] | None:
        try:
            with self.db.read() as session:
                rows: Iterable[Any] = session.execute(GATE_STATES_SQL).all()
        except Exception:
            log.debug("gate states not collected: database unavailable", exc_info=True)
            return None
        counts: dict[str, int] = {}
        for state, count in rows:
            ok = isinstance(state, str) and _STATE.fullmatch(state)
            label = state.lower() if ok else "other"
            counts[label] = counts.get(label, 0) + int(count)
        return counts


class AppMetrics:
    """What one app's /metrics serves: the process's metrics and this app's own state."""

    def __init__(self, db: Database, leadership: Leadership | None = None) -> None:
        self.registry = CollectorRegistry()
        for metric in PROCESS_METRICS:
            self.registry.register(metric)
        self.registry.register(_StateCollector(db, leadership))
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
