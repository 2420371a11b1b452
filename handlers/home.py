"""App Home: what waits on the person looking."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import select

from bot.blocks import home as render
from bot.models import Release, RoleAssignment
from bot.services import Services


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    """Render and publish the Home tab for one person."""
    with services.db.read() as s:
        query = (
            select(Release, RoleAssignment.role)
            .join(RoleAssignment, RoleAssignment.release_id == Release.id)  # type: ignore[arg-type]
            .where(RoleAssignment.user_id == user_id, Release.state == "active")
        )
        mine: dict[int, tuple[Release, list[str]]] = {}
        for release, role in s.exec(query):
            assert release.id is not None
            mine.setdefault(release.id, (release, []))[1].append(role)
    client.views_publish(user_id=user_id, view=render.home_view(list(mine.values())))


def register(app: App, services: Services) -> None:
    """Publish the Home tab when someone opens it."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(services, client, str(event["user"]))
