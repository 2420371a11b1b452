"""A round-robin HTTP load balancer on loopback: one URL in front of several bot replicas."""

from __future__ import annotations

import http.client
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a burst of clicks queues instead of being reset


class Balancer:
    """Forwards each request to the next backend in turn, as a load balancer would."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))
        self._lock = threading.Lock()
        self.sent = [0] * len(backends)
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The one URL Slack would be given."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def pick(self) -> int:
        """The index of the backend for the next request."""
        with self._lock:
            index = next(self._next)
            self.sent[index] += 1
            return index

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        balancer = self

        class Forward(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                # A backend that refuses connections is down: the next one gets the request, as
                # a balancer's health check would have it. A connection cut mid-request is 502.
                for _ in balancer.backends:
                    target = urlsplit(balancer.backends[balancer.pick()])
                    conn = http.client.HTTPConnection(
                        target.hostname or "", target.port, timeout=15
                    )
                    try:
                        conn.request(method, self.path, body=body, headers=headers)
                        answer = conn.getresponse()
                        payload = answer.read()
                        break
                    except ConnectionRefusedError:
                        continue
                    except OSError:
                        self.send_error(502)
                        return
                    finally:
                        conn.close()
                else:
                    self.send_error(502)
                    return
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self._forward("POST")

            def do_GET(self) -> None:
                self._forward("GET")

        return Forward

    def __enter__(self) -> Balancer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
