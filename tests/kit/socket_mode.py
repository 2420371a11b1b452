"""Slack's Socket Mode endpoint on loopback: sends envelopes to the bot and collects its acks.

The protocol as Slack speaks it: `apps.connections.open` (answered by `SocketModeSlack`, a
FakeSlack) hands out a `ws://127.0.0.1` URL; on connecting the bot gets a `hello`; each
request arrives as an envelope `{"envelope_id", "type", "payload",
"accepts_response_payload"}` and the bot answers `{"envelope_id", "payload"?}`. Slack asks a
client to reconnect with a `disconnect` message, and may simply close the connection.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.server import Server, ServerConnection, serve

from .fake_methods import Args, SlackError
from .fake_slack import FakeSlack
from .slack_requests import API_APP_ID, block_action_body, event_body, slash_body

Envelope = dict[str, Any]


class SocketModeServer:
    """A Socket Mode server on ws://127.0.0.1:<port>; every connection and ack is recorded."""

    def __init__(self, app_id: str = API_APP_ID) -> None:
        self.app_id = app_id
        self.connections: list[ServerConnection] = []  # in the order they were opened
        self.acks: dict[str, Envelope] = {}
        self.strays: list[str] = []  # messages from the bot that acknowledge nothing sent
        self._sent: set[str] = set()
        self._tickets = itertools.count(1)
        self._changed = threading.Condition()
        self._server: Server | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        """Listen on a free loopback port in a daemon thread."""
        # Slack's client never answers a close frame: do not wait for it long.
        self._server = serve(
            self._serve_connection, "127.0.0.1", 0, compression=None, close_timeout=0.5
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> SocketModeServer:
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
        assert self._server is not None, "SocketModeServer is not started"
        return int(self._server.socket.getsockname()[1])

    def new_url(self) -> str:
        """A fresh connection URL, as `apps.connections.open` hands out one per call."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={next(self._tickets)}&app_id={self.app_id}"

    # -- driving the bot -------------------------------------------------------------------

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> ServerConnection:
        """Wait until `count` connections were opened and the newest is open; return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (len(self.connections) >= count and _is_open(self.connections[-1])):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.connections)} Socket Mode connection(s), wanted {count}"
                    )
                self._changed.wait(min(left, 0.1))
            return self.connections[-1]

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response: bool) -> str:
        """Send one envelope on the newest connection; its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: Envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        with self._changed:
            self._sent.add(envelope_id)
        self.wait_connected().send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Envelope:
        """The bot's acknowledgement of one envelope."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} not acknowledged in {timeout}s")
                self._changed.wait(left)
            return self.acks[envelope_id]

    def command(self, command: str, text: str, **fields: Any) -> Envelope:
        """A slash command (keywords as for slash_body); the bot's acknowledgement."""
        payload = dict(parse_qsl(slash_body(command, text, **fields), keep_blank_values=True))
        return self.wait_ack(self.send("slash_commands", payload, accepts_response=True))

    def click(self, **fields: Any) -> Envelope:
        """A button click (keywords as for block_action_body); the bot's acknowledgement."""
        form = dict(parse_qsl(block_action_body(**fields)))
        payload = json.loads(form["payload"])
        return self.wait_ack(self.send("interactive", payload, accepts_response=False))

    def event(self, event: dict[str, Any], event_id: str) -> Envelope:
        """An Events API event; the bot's acknowledgement."""
        payload = json.loads(event_body(event, event_id=event_id))
        return self.wait_ack(self.send("events_api", payload, accepts_response=False))

    def ask_to_reconnect(self) -> None:
        """Slack's way of rotating a connection: a `disconnect` message on the newest one."""
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {}}
        self.wait_connected().send(json.dumps(message))

    def drop(self) -> None:
        """Close the newest connection from the server's side (a close frame, then TCP)."""
        self.wait_connected().close(code=1001, reason="going away")

    def cut(self) -> None:
        """Cut the newest connection's TCP stream without a close frame (a proxy or NAT reset)."""
        self.wait_connected().close_socket()

    # -- the server's side -----------------------------------------------------------------

    def _serve_connection(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "local", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        connection.send(json.dumps(hello))
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            for message in connection:
                self._receive(message if isinstance(message, str) else message.decode())
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._changed.notify_all()

    def _receive(self, message: str) -> None:
        try:
            answer = json.loads(message)
        except ValueError:
            answer = None
        with self._changed:
            envelope_id = answer.get("envelope_id") if isinstance(answer, dict) else None
            if envelope_id in self._sent and envelope_id not in self.acks:
                self.acks[envelope_id] = answer
            else:
                self.strays.append(message)
            self._changed.notify_all()


def _is_open(connection: ServerConnection) -> bool:
    return connection.state is State.OPEN


class SocketModeSlack(FakeSlack):
    """The fake Web API whose `apps.connections.open` hands out the Socket Mode server's URLs."""

    def __init__(self, socket_server: SocketModeServer, latency: float = 0.0) -> None:
        self.socket_server = socket_server
        self.refuse_with: str | None = None  # e.g. "invalid_auth": a revoked app token
        super().__init__(latency)

    def handlers(self) -> dict[str, Callable[[Args], Args]]:
        """The fake's methods, with connection URLs pointing at the local server."""
        found = super().handlers()
        found["apps.connections.open"] = self._open_connection
        return found

    def _open_connection(self, args: Args) -> Args:
        if self.refuse_with:
            raise SlackError(self.refuse_with)
        return {"url": self.socket_server.new_url()}
