"""The API's ASGI app served on the web server's own threads, one request to a thread.

A general ASGI-to-WSGI bridge runs the app on one event loop in a thread of its own and
hands each request there and back, and a blocking route hops once more, to a worker
thread. Each hand-off waits for the GIL, so when the bot is busy a call spends more time
being passed between threads than being answered. Here each server thread keeps an event
loop of its own and runs its request on it from start to end. The routes are `async def`
and call the services directly: a route blocks its own thread's loop, which serves that
one request and nothing else, just as a blocking WSGI view blocks its thread.

The request body is read whole before the app runs (the server has buffered it already),
and the response is sent once the app has finished it: the API's answers are small JSON.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from a2wsgi.asgi import build_scope

log = logging.getLogger(__name__)

ASGIApp = Callable[..., Any]
Message = dict[str, Any]


class ThreadLoopApp:
    """A WSGI callable that runs an ASGI app to the end on the calling thread's loop.

    At most `at_once` requests run at a time (0: no limit); the others wait their turn
    before they start. The bot's threads share one interpreter lock, so more requests
    running at once are not answered sooner: each takes longer, and one holding SQLite's
    write lock while twenty others take turns with the interpreter holds every writer up.
    """

    def __init__(self, app: ASGIApp, at_once: int = 0) -> None:
        self.app = app
        self._local = threading.local()
        self._turns = threading.Semaphore(at_once) if at_once > 0 else None

    def _loop(self) -> asyncio.AbstractEventLoop:
        kept: _ThreadLoop | None = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = _ThreadLoop()
        return kept.loop

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        exchange = Exchange(_body(environ))
        if self._turns is not None:
            self._turns.acquire()
        try:
            self._loop().run_until_complete(
                self.app(build_scope(environ), exchange.receive, exchange.send)  # type: ignore[arg-type]
            )
        except Exception:
            log.exception(
                "API request %s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            if exchange.status is None:  # nothing answered yet: answer 500 here
                exchange.status, exchange.headers, exchange.chunks = 500, [], []
        finally:
            if self._turns is not None:
                self._turns.release()
        status = exchange.status or 500
        start_response(f"{status} {_phrase(status)}", exchange.headers)
        return exchange.chunks


class _ThreadLoop:
    """A server thread's event loop, closed when the thread ends (and its locals go)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


class Exchange:
    """One request's body given to the app, and the response it sends, kept until done."""

    def __init__(self, body: bytes) -> None:
        self.body: bytes | None = body
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self._done = asyncio.Event()

    async def receive(self) -> Message:
        """The whole body at once; after it, a disconnect once the response is complete."""
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Keep the status, headers and body the app sends."""
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self._done.set()


def _body(environ: dict[str, Any]) -> bytes:
    """The request body the server buffered."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    return bytes(stream.read(int(length)) if length.isdigit() else stream.read())


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
