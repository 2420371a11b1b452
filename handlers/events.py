"""Slack retries events it thinks failed; each event_id is handled once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.core.services import Services
from bot.core.slack_events import first_delivery


def register(app: App, services: Services) -> None:
    """Add the middleware that drops events already handled."""

    @app.middleware
    def drop_repeated_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        if not first_delivery(services.db, str(event_id), services.now()):
            return BoltResponse(status=200, body="")
        return next()
