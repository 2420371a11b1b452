"""A small HTTP service on 127.0.0.1 for gate tests: answers as told, records requests."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """What the service answers to GET: status, body, extra headers, delay before answering."""

    status: int = 200
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class GateServer:
    """Serve `answers[path]` (or `answer`) on a loopback port; keep every request's headers."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answer = Answer()
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """A URL of this service on 127.0.0.1."""
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, status: int = 200, body: str = "{}", **kw: Any) -> None:
        """Change the default answer."""
        self.answer = Answer(status, body, **kw)

    def hits(self, path: str | None = None) -> int:
        """How many requests came (for a path)."""
        with self._lock:
            return sum(1 for p, _ in self.requests if path is None or p == path)

    def record(self, path: str, headers: dict[str, str]) -> Answer:
        with self._lock:
            self.requests.append((path, headers))
        return self.answers.get(path, self.answer)

    def record_post(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        """A POST: gates never send one, so it is refused (servers that take one override)."""
        return Answer(405, '{"message": "Method Not Allowed"}')

    def __enter__(self) -> GateServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: GateServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(owner.record(self.path, dict(self.headers.items())))

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            self._answer(owner.record_post(self.path, dict(self.headers.items()), body))

        def _answer(self, answer: Answer) -> None:
            if answer.delay:
                time.sleep(answer.delay)
            body = answer.body.encode()
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if "Content-Type" not in answer.headers:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
