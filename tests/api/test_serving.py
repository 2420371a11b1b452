"""The API's server: each request answered on its own thread, a few at a time."""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

from handlers.api.serving import ThreadLoopApp


class Counting:
    """An ASGI app that answers after a moment, noting how many requests it held at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        await asyncio.sleep(0.05)
        with self.lock:
            self.now -= 1
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": body[::-1]})


def _call(app: ThreadLoopApp, body: bytes, answers: list[tuple[str, bytes]]) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/x",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    status: list[str] = []
    chunks = app(environ, lambda line, headers: status.append(line))
    answers.append((status[0], b"".join(chunks)))


def _burst(app: ThreadLoopApp, count: int) -> list[tuple[str, bytes]]:
    answers: list[tuple[str, bytes]] = []
    threads = [threading.Thread(target=_call, args=(app, b"abc", answers)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_requests_beyond_the_limit_wait_their_turn_and_all_are_answered() -> None:
    inner = Counting()
    answers = _burst(ThreadLoopApp(inner, at_once=2), 8)
    assert answers == [("201 Created", b"cba")] * 8
    assert inner.most == 2


def test_without_a_limit_requests_run_side_by_side() -> None:
    inner = Counting()
    _burst(ThreadLoopApp(inner), 8)
    assert inner.most > 2
