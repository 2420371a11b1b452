"""A local stand-in for Slack's Web API, served on 127.0.0.1 for tests."""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from bot.core.budget import DEFAULT_TIERS
from bot.core.manifest import bot_scopes

from .block_rules import check_message, check_view
from .fake_methods import Args, SlackError, SlackMethods

T = TypeVar("T")
JSON_FIELDS = frozenset({"blocks", "view", "attachments", "files", "metadata"})
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
# Calls a minute Slack allows per method for the whole workspace (its published tiers): the
# methods the bot's sender budgets are enforced unless a test says otherwise; ephemerals are
# posted outside the sender (a refusal to the clicker), so their budget is opt-in:
# FakeSlack(budgets=ALL_BUDGETS).
ALL_BUDGETS: Mapping[str, int] = {m: t.per_minute for m, t in DEFAULT_TIERS.items()}
SENDER_METHODS = ("chat.update", "views.publish", "chat.postMessage", "conversations.history")
WORKSPACE_BUDGETS: Mapping[str, int] = {m: ALL_BUDGETS[m] for m in SENDER_METHODS}
BUDGET_WINDOW = 60.0


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    at: float
    token: str = ""  # the bearer token it came with (tells replicas apart)


@dataclass
class _Stall:
    method: str
    seconds: float
    when: Callable[[dict[str, Any]], bool] | None
    remaining: int


@dataclass
class _Fault:
    status: int
    retry_after: int
    remaining: int
    channel: str | None = None


def parse_args(query: str, body: bytes, content_type: str) -> Args:
    """Merge query-string and body arguments, decoding JSON-valued form fields."""
    args: Args = dict(parse_qsl(query, keep_blank_values=True))
    if body and "json" in content_type:
        args.update(json.loads(body))
    elif body:
        args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in JSON_FIELDS & args.keys():
        if isinstance(args[key], str) and args[key][:1] in ("[", "{"):
            args[key] = json.loads(args[key])
    return args


def collect_texts(value: Any) -> list[str]:
    """Every string found under a "text" key, recursively, in document order."""
    if isinstance(value, list):
        return [text for item in value for text in collect_texts(item)]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, item in value.items():
        if key == "text" and isinstance(item, str):
            found.append(item)
        else:
            found.extend(collect_texts(item))
    return found


class FakeSlack(SlackMethods):
    """Slack's Web API on a loopback port: records calls, checks Block Kit, injects faults."""

    def __init__(
        self, latency: float = 0.0, budgets: Mapping[str, int] | None = WORKSPACE_BUDGETS
    ) -> None:
        self.latency = latency
        # Per-method budgets of the workspace: past one, calls are answered 429 (None: off).
        self.budgets = dict(budgets or {})
        self.budget_window = BUDGET_WINDOW  # seconds a budget counts (a test may shorten it)
        # What auth.test says the bot token holds (x-oauth-scopes); tests may withhold some.
        self.scopes: list[str] = list(bot_scopes())
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0
        super().__init__()
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Serve on 127.0.0.1 at a free port (the same one after refuse()) in a daemon thread."""
        self._server = _Server(("127.0.0.1", self._port), _handler_for(self))
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def refuse(self) -> None:
        """Stop listening: every call meets a refused connection until accept()."""
        self.stop()

    def accept(self) -> None:
        """Listen again on the same port after refuse()."""
        if self._server is None:
            self.start()

    def _serve(self) -> None:
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._port, "FakeSlack is not started"
        return self._port

    @property
    def url(self) -> str:
        """Base URL for slack_sdk.WebClient(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def reset(self) -> None:
        """Forget recorded calls, messages, views, files and faults (keeps users and channels)."""
        with self._lock:
            self.calls: list[Call] = []
            self.failed_calls: list[Call] = []
            self.errors: list[str] = []
            self._faults: dict[str, list[_Fault]] = {}
            self._budget_calls: dict[str, deque[float]] = {}
            self.ratelimited: list[Call] = []  # calls answered 429 for going over a budget
            self._down_until = 0.0
            self._down_status = 503
            self._stalls: list[_Stall] = []
            self.stalled = threading.Event()
            self._unstall = threading.Event()
            self.clear_state()

    # -- test controls and queries ---------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `channel` only, if named) answer `status`."""
        with self._lock:
            fault = _Fault(status, retry_after, times, channel)
            self._faults.setdefault(method, []).append(fault)

    def down(self, seconds: float, status: int = 503) -> None:
        """Answer every call with HTTP `status` for the next `seconds` (an outage)."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            self._down_status = status

    def up(self) -> None:
        """End an outage now."""
        with self._lock:
            self._down_until = 0.0

    def stall(
        self,
        method: str,
        seconds: float,
        *,
        when: Callable[[Args], bool] | None = None,
        times: int = 1,
    ) -> None:
        """Accept the next matching call of `method`, then hold its answer back `seconds`.

        Slack has the message (it shows in history and threads) while the caller still
        waits: the moment a crash leaves a message posted but not recorded. `stalled` is
        set when a call is held; `release()` lets every held answer go.
        """
        with self._lock:
            self._unstall.clear()
            self._stalls.append(_Stall(method, seconds, when, times))

    def release(self) -> None:
        """Answer every held call now and hold no more."""
        with self._lock:
            self._stalls.clear()
        self._unstall.set()

    def take_stall(self, method: str, args: Args) -> float:
        """Seconds to hold this accepted call's answer back (0: answer now)."""
        with self._lock:
            for stall in self._stalls:
                if stall.method == method and (stall.when is None or stall.when(args)):
                    stall.remaining -= 1
                    if stall.remaining <= 0:
                        self._stalls.remove(stall)
                    self.stalled.set()
                    return stall.seconds
        return 0.0

    def hold(self, seconds: float) -> None:
        """Wait out a stall (ended early by release())."""
        self._unstall.wait(seconds)

    def handlers(self) -> dict[str, Callable[[Args], Args]]:
        """The workspace's methods, plus reading a channel's history and a thread's replies."""
        return {
            **super().handlers(),
            "conversations.history": self._history,
            "conversations.replies": self._replies,
        }

    def _history(self, args: Args) -> Args:
        """Top-level messages, newest first; thread replies only if also sent to the channel."""
        channel = str(args.get("channel", ""))
        oldest = float(args.get("oldest") or 0)
        found = [
            dict(m)
            for (where, ts), m in self._messages.items()
            if where == channel
            and float(ts) >= oldest
            and (m.get("thread_ts") in (None, ts) or _truthy(m.get("reply_broadcast")))
        ]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        _strip_metadata(found, args)
        return {"messages": found[: int(args.get("limit") or 100)], "has_more": False}

    def _replies(self, args: Args) -> Args:
        """A thread: its parent, then its replies oldest first, a page at a time (cursor)."""
        channel, parent = str(args.get("channel", "")), str(args.get("ts", ""))
        if (channel, parent) not in self._messages:
            raise SlackError("thread_not_found")
        thread = [
            dict(m)
            for (where, ts), m in self._messages.items()
            if where == channel and (ts == parent or m.get("thread_ts") == parent)
        ]
        thread.sort(key=lambda m: float(m["ts"]))
        _strip_metadata(thread, args)
        start = int(str(args.get("cursor") or "0").removeprefix("page:") or 0)
        end = start + min(int(args.get("limit") or 1000), 1000)
        more = end < len(thread)
        meta = {"next_cursor": f"page:{end}" if more else ""}
        return {"messages": thread[start:end], "has_more": more, "response_metadata": meta}

    def calls_of(self, method: str) -> list[Call]:
        """Recorded successful-transport calls of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posts(self, channel: str | None = None) -> list[Call]:
        """chat.postMessage calls, optionally only those to `channel`."""
        calls = self.calls_of("chat.postMessage")
        return [c for c in calls if channel is None or c.args.get("channel") == channel]

    def ephemerals(self, user: str | None = None) -> list[Call]:
        """chat.postEphemeral calls, optionally only those shown to `user`."""
        calls = self.calls_of("chat.postEphemeral")
        return [c for c in calls if user is None or c.args.get("user") == user]

    def message(self, channel: str, ts: str) -> Args | None:
        """The latest state of a posted message (text, blocks, thread_ts...), or None."""
        with self._lock:
            found = self._messages.get((channel, ts))
            return dict(found) if found is not None else None

    def replies(self, channel: str, thread_ts: str) -> list[Args]:
        """Messages posted in the thread of `thread_ts`, oldest first."""
        with self._lock:
            msgs = [dict(m) for (ch, _), m in self._messages.items() if ch == channel]
        return [m for m in msgs if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def home(self, user_id: str) -> Args | None:
        """The latest Home tab view published for `user_id`, or None."""
        with self._lock:
            view = self._homes.get(user_id)
            return dict(view) if view is not None else None

    @staticmethod
    def texts_of(item: Call | Args) -> str:
        """All text a user would read in a call, message or view, one string per line."""
        return "\n".join(collect_texts(item.args if isinstance(item, Call) else item))

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Poll `predicate` until it returns something truthy and return that."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                with self._lock:
                    recent = [call.method for call in self.calls[-30:]]
                raise AssertionError(f"condition not met in {timeout}s; recent calls: {recent}")
            time.sleep(0.02)

    # -- request handling ------------------------------------------------------------------

    def take_fault(self, method: str, channel: str = "") -> _Fault | None:
        """Consume one pending injected fault for `method` (and this channel), if any."""
        with self._lock:
            if time.monotonic() < self._down_until:
                return _Fault(self._down_status, 1, 1)
            faults = self._faults.get(method) or []
            fault = next((f for f in faults if f.channel in (None, channel)), None)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault

    def take_budget(self, method: str, args: Args) -> int | None:
        """Count a call against its method's budget; the Retry-After when it is over."""
        limit = self.budgets.get(method)
        if limit is None:
            return None
        with self._lock:
            now = time.monotonic()
            window = self._budget_calls.setdefault(method, deque())
            while window and window[0] <= now - self.budget_window:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return None
            self.ratelimited.append(Call(method, args, time.time()))
            return max(1, math.ceil(window[0] + self.budget_window - now))

    def answer(self, method: str, args: Args, authorized: bool, token: str = "") -> Args:
        """Record a call and compute its JSON answer."""
        with self._lock:
            self.calls.append(Call(method, args, time.time(), token))
            if not authorized:
                return {"ok": False, "error": "not_authed"}
            errors = self._validate(method, args)
            if errors:
                self.errors.extend(f"{method}: {error}" for error in errors)
                meta = {"messages": [f"[ERROR] {e}" for e in errors]}
                return {
                    "ok": False,
                    "error": "invalid_blocks",
                    "errors": errors,
                    "response_metadata": meta,
                }
            handler = self.handlers().get(method)
            if handler is None:
                return {"ok": False, "error": "unknown_method"}
            try:
                return {"ok": True, **handler(args)}
            except SlackError as exc:
                return {"ok": False, "error": str(exc)}
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.errors.append(f"{method}: bad arguments: {exc!r}")
                return {"ok": False, "error": "invalid_arguments"}

    def record_failure(self, method: str, args: Args) -> None:
        """Record a call that was answered with an injected fault."""
        with self._lock:
            self.failed_calls.append(Call(method, args, time.time()))

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """Store bytes sent to an upload URL; False if the file id is unknown."""
        with self._lock:
            return super().receive_upload(file_id, content)

    def _validate(self, method: str, args: Args) -> list[str]:
        if method in MESSAGE_METHODS:
            return check_message(args)
        if method.startswith("views.") and "view" in args:
            return check_view(args["view"])
        return []


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that died before its answer (a killed bot) is no error of the test Slack."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _strip_metadata(messages: list[Args], args: Args) -> None:
    """Slack sends message metadata only to a caller that asks for it."""
    if not _truthy(args.get("include_all_metadata", "")):
        for message in messages:
            message.pop("metadata", None)


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one FakeSlack."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if fake.latency:
                time.sleep(fake.latency)
            if parts.path.startswith("/upload/"):
                self._upload(parts.path.removeprefix("/upload/"), body)
            elif parts.path.startswith("/api/"):
                self._api(parts.path.removeprefix("/api/"), parts.query, body)
            else:
                self._send(404, b"not found", "text/plain")

        do_GET = do_POST

        def _upload(self, file_id: str, body: bytes) -> None:
            if fake.receive_upload(file_id, body):
                self._send(200, b"OK", "text/plain")
            else:
                self._send(404, b"file not found", "text/plain")

        def _api(self, method: str, query: str, body: bytes) -> None:
            try:
                args = parse_args(query, body, self.headers.get("Content-Type") or "")
            except ValueError:
                self._json(200, {"ok": False, "error": "invalid_json"})
                return
            fault = fake.take_fault(method, str(args.get("channel", "")))
            if fault is not None:
                self._fault(method, args, fault)
                return
            wait = fake.take_budget(method, args)
            if wait is not None:
                self._fault(method, args, _Fault(429, wait, 1))
                return
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            token = bearer or str(args.get("token", ""))
            kind = "xapp-" if method == "apps.connections.open" else "xox"
            answer = fake.answer(method, args, authorized=token.startswith(kind), token=token)
            stall = fake.take_stall(method, args) if answer.get("ok") else 0.0
            if stall:
                fake.hold(stall)
            scopes = {"x-oauth-scopes": ",".join(fake.scopes)} if method == "auth.test" else {}
            self._json(200, answer, scopes)

        def _fault(self, method: str, args: Args, fault: _Fault) -> None:
            fake.record_failure(method, args)
            error = "ratelimited" if fault.status == 429 else "internal_error"
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            self._json(fault.status, {"ok": False, "error": error}, headers)

        def _json(self, status: int, answer: Args, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(answer).encode()
            self._send(status, body, "application/json; charset=utf-8", headers)

        def _send(
            self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
