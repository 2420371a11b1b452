"""The HTTP face: POST /slack/events for Slack, GET /healthz for load balancers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context

from bot.core.db import Database

MAX_BODY = 1_000_000
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


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


class WebApp:
    """A WSGI application serving Slack requests and health checks."""

    def __init__(self, app: App, db: Database, path: str = "/slack/events") -> None:
        self.app = app
        self.db = db
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path == self.path and method == "POST":
            return self._slack(environ, start_response)
        return _respond(start_response, "404 Not Found", b"Not Found\n", "text/plain")

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        if self.db.ping():
            return _respond(start_response, "200 OK", b'{"ok": true}\n', "application/json")
        body = json.dumps({"ok": False, "error": "database unreachable"}).encode() + b"\n"
        return _respond(start_response, "503 Service Unavailable", body, "application/json")

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return _respond(start_response, "413 Payload Too Large", b"Too large\n", "text/plain")
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        response = self.app.dispatch(bolt_request(body, environ.get("QUERY_STRING", ""), headers))
        status = f"{response.status} {_REASONS.get(response.status, 'OK')}"
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(status, out_headers)
        return [response.body.encode("utf-8")]


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


def _respond(
    start_response: StartResponse, status: str, body: bytes, content_type: str
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
