"""Slack retries events it thinks failed; each event_id is handled once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot.core.models import ProcessedEvent
from bot.core.services import Services


def register(app: App, services: Services) -> None:
    """Add the middleware that drops events already handled."""

    @app.middleware
    def drop_repeated_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        try:
            with services.db.session() as s:
                s.add(ProcessedEvent(event_id=str(event_id)[:64], received_at=services.now()))
        except IntegrityError:
            return BoltResponse(status=200, body="")
        return next()
