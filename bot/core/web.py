"""The HTTP face: Slack's requests, probes and metrics; and Socket Mode's, measured alike.

`POST /slack/events` (HTTP mode only), `GET /livez`, `GET /readyz` (and `/healthz`, its old
name), `GET /metrics`. Every Slack request, over HTTP or Socket Mode, is counted and timed
by kind, and its log lines carry a request id and the channel.
"""

from __future__ import annotations

import errno
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.core import logs, metrics
from bot.core.db import Database
from bot.core.health import Health, Verdict
from bot.core.metrics import AppMetrics

if TYPE_CHECKING:
    from bot.core.services import Route, Services, WSGIApp

MAX_BODY = 1_000_000
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PROBES = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})
# Slack's client pings this often, gives a silent connection up after four unanswered pings
# and checks for a lost connection (and opens a new one) at the same pace.
SOCKET_PING_SECONDS = 5.0


def bolt_request(body: str, query: str, headers: dict[str, str | Sequence[str]]) -> BoltRequest:
    """A BoltRequest, with slash commands whose text mentions "payload" parsed correctly."""
    request = BoltRequest(body=body, query=query, headers=headers)
    if not request.body and "payload" in body and not body.lstrip().startswith("{"):
        # Bolt takes any form body containing "payload" for an interaction and finds none.
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            request.body = fields
            request.context = build_context(BoltContext({}), fields)
    return request


def request_id(given: str | None = None) -> str:
    """The caller's request id when it looks like one (a proxy's X-Request-Id), else a new one."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    # Not a secret, only a label for log lines: no system call (uuid4 reads os.urandom,
    # which gives the GIL away on every request of a burst).
    return f"{random.getrandbits(64):016x}"


class WebApp:
    """A WSGI application serving Slack requests (unless in Socket Mode), probes and metrics."""

    def __init__(
        self,
        app: App,
        db: Database,
        path: str = "/slack/events",
        *,
        health: Health | None = None,
        metrics: AppMetrics | None = None,
        serve_slack: bool = True,
        routes: Sequence[Route] = (),
        mounts: Sequence[tuple[str, WSGIApp]] = (),
    ) -> None:
        self.routes = routes
        self.mounts = mounts
        self.app = app
        self.db = db
        self.path = path
        self.health = health or Health(db)
        self.metrics = metrics or AppMetrics(db)
        self.serve_slack = serve_slack

    @classmethod
    def for_services(cls, app: App, services: Services, *, serve_slack: bool = True) -> WebApp:
        """The web face of a running app: probes watch its timer loop, metrics its leadership."""
        scheduler = services.scheduler
        return cls(
            app,
            services.db,
            health=Health(services.db, scheduler),
            metrics=AppMetrics(services.db, scheduler.leadership),
            serve_slack=serve_slack,
            routes=services.routes,
            mounts=services.mounts,
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path in _PROBES:
            if method not in ("GET", "HEAD"):
                return _respond(start_response, "405 Method Not Allowed", b"GET only\n")
            if path == "/metrics":
                return _respond(
                    start_response, "200 OK", self.metrics.render(), metrics.CONTENT_TYPE
                )
            verdict = self.health.live() if path == "/livez" else self.health.ready()
            return _verdict(start_response, verdict)
        if self.serve_slack and path == self.path and method == "POST":
            return self._slack(environ, start_response)
        for prefix, mounted in self.mounts:
            if path == prefix or path.startswith(prefix + "/"):
                return mounted(environ, start_response)
        for route in self.routes:
            answer = route(method, path)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [b"" if method == "HEAD" else body]
        return _respond(start_response, "404 Not Found", b"Not Found\n")

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return _respond(start_response, "413 Payload Too Large", b"Too large\n")
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = bolt_request(body, environ.get("QUERY_STRING", ""), headers)
        kind = metrics.request_kind(request.body)
        with logs.request_context(
            request_id(environ.get("HTTP_X_REQUEST_ID")), request.context.channel_id
        ):
            response = self.app.dispatch(request)
        metrics.observe_request(kind, response.status, time.perf_counter() - started)
        status = f"{response.status} {_REASONS.get(response.status, 'OK')}"
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(status, out_headers)
        return [response.body.encode("utf-8")]


class _EndOfStreamIsReset:
    """A socket whose end of stream raises ConnectionResetError instead of returning b"".

    slack_sdk's built-in client reads a connection closed without a close frame (a proxy or
    NAT dropping it) as an endless stream of empty reads, spinning a core until its pings
    fail five times. An error instead ends its read loop, and its monitor reconnects.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def recv(self, size: int, *flags: int) -> bytes:
        data: bytes = self._sock.recv(size, *flags)
        if not data and size:
            raise ConnectionResetError(errno.ECONNRESET, "Socket Mode connection closed")
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _SocketModeClient(SocketModeClient):
    def connect(self) -> None:
        super().connect()
        session = self.current_session
        if session is not None and session.sock is not None:
            session.sock = _EndOfStreamIsReset(session.sock)  # type: ignore[assignment]


class MeasuredSocketModeHandler(BaseSocketModeHandler):
    """Bolt's Socket Mode handler, counting and timing each envelope like an HTTP request."""

    def __init__(self, app: App, app_token: str, *, concurrency: int = 10) -> None:
        self.app = app
        self.app_token = app_token
        self.client = _SocketModeClient(
            app_token=app_token,
            logger=app.logger,
            web_client=app.client,
            proxy=app.client.proxy,
            ping_interval=SOCKET_PING_SECONDS,
            concurrency=concurrency,
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    def close(self) -> None:
        """Take no more envelopes, answer the ones being handled, then close the connection."""
        client = self.client
        assert isinstance(client, SocketModeClient)
        client.auto_reconnect_enabled = False
        client.closed = True  # its dispatcher stops taking envelopes off the queue
        client.message_workers.shutdown(wait=True)
        client.close()

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        """Dispatch one envelope to the app and acknowledge its envelope_id."""
        started = time.perf_counter()
        request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        kind = metrics.request_kind(request.body)
        with logs.request_context(request_id(req.envelope_id), request.context.channel_id):
            response = self.app.dispatch(request)
            send_response(client, req, response, started)
        metrics.observe_request(kind, response.status, time.perf_counter() - started)


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


def _verdict(start_response: StartResponse, verdict: Verdict) -> Iterable[bytes]:
    status = "200 OK" if verdict.ok else "503 Service Unavailable"
    return _respond(start_response, status, verdict.body(), "application/json")


def _respond(
    start_response: StartResponse, status: str, body: bytes, content_type: str = "text/plain"
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
