"""What every request from a person in Slack carries: the app, the client, who asked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from slack_sdk import WebClient

from bot.core.actor import Actor
from bot.core.services import Services


@dataclass(frozen=True)
class Request:
    """A person's request: a slash command, a click or a submitted modal."""

    services: Services
    client: WebClient
    user_id: str

    @cached_property
    def actor(self) -> Actor:
        """Who acts in this request, built once on first use."""
        return self.services.actor(self.user_id)
