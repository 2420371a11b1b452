"""The HTTP API under /api/v1: FastAPI routes, one module per feature, mounted in the WSGI app.

Each route reads JSON into a pydantic model, makes the call a Slack click makes (the same
flow, rules, trail and outbox), and answers a pydantic model; the OpenAPI 3.1 document at
/api/v1/openapi.json is generated from those models (`handlers.api.app`). FastAPI runs
inside the WSGI server, each request on its server thread's own event loop
(`handlers.api.serving`), so HTTP mode and Socket Mode serve it on the port of
the probes. It is imported and built on the first API request, keeping it off start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App

import bot.api
from bot.api.access import Gatekeeper
from bot.core.services import Services, WSGIApp


class LazyApi:
    """The API's WSGI app, built on its first request (FastAPI takes a while to import)."""

    def __init__(self, services: Services, keeper: Gatekeeper) -> None:
        self.services = services
        self.keeper = keeper
        self._app: WSGIApp | None = None
        self._lock = threading.Lock()

    def app(self) -> WSGIApp:
        """The built application (built now if it is not yet)."""
        with self._lock:
            if self._app is None:
                from handlers.api.app import wsgi

                self._app = wsgi(self.services, self.keeper)
            return self._app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        found: Iterable[bytes] = self.app()(environ, start_response)
        return found


def register(app: App, services: Services) -> None:
    """Serve the API under /api/v1 on the bot's web port."""
    keeper = services.part(Gatekeeper)
    services.add_mount(bot.api.PREFIX, LazyApi(services, keeper))
