"""A webhook receiver on 127.0.0.1 for tests and benchmarks: answers as told, keeps every POST.

It can be down (not listening: connections are refused, as for a stopped service), slow
(answers after a delay) or answer a sequence of statuses (500, then 200).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: path, headers (names lowercased), raw body, status answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def verified(self, secret: str) -> dict[str, object]:
        """The body, if its Standard Webhooks signature verifies with the secret (else raises)."""
        return dict(Webhook(secret).verify(self.body, self.headers))


class Receiver:
    """Serve POSTs on a loopback port that survives being taken down and brought back."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()  # answered first, one each; then `status`
        self.status = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (kept while it is down)."""
        return self._port

    def url(self, path: str = "/hook") -> str:
        """A URL of the receiver on 127.0.0.1."""
        return f"http://127.0.0.1:{self._port}{path}"

    def up(self) -> None:
        """Listen (again, on the same port)."""
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler(self))
        server.daemon_threads = True
        self._port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until up() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, status: int) -> int:
        with self._lock:
            return self.statuses.popleft() if self.statuses else self.status

    def keep(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def delivered(self) -> list[Received]:
        """The POSTs answered 2xx, in arrival order."""
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until `count` POSTs were answered 2xx; all of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.delivered()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{len(self.delivered())} of {count} webhooks arrived in {timeout}s")

    def __enter__(self) -> Receiver:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()


def _handler(owner: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()  # answer at once, as web servers do (no Nagle wait on the body)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if owner.delay:
                time.sleep(owner.delay)
            status = owner.answer(200)
            headers = {k.lower(): v for k, v in self.headers.items()}
            owner.keep(Received(self.path, headers, body, status, time.monotonic()))
            try:
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
