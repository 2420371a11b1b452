"""App Home: the person's Home is owed (published through the outbox) when they open it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.services import Services
from bot.home.flows import Homes


def register(app: App, services: Services) -> None:
    """Publish the Home of whoever opens it (the feature refreshes it when releases change)."""
    homes = services.part(Homes)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            homes.opened(str(event.get("user", "")))
