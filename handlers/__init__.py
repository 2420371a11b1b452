"""Thin Slack listeners, one module per feature."""

from __future__ import annotations

from slack_bolt import App

from bot.core.services import Services
from handlers import burndown, checklist, events, gonogo, home, release
from handlers import gates as gate
from handlers.router import Command

COMMANDS: list[Command] = [
    release.COMMAND,
    burndown.COMMAND,
    gonogo.COMMAND,
    checklist.COMMAND,
    gate.COMMAND,
]


def register_all(app: App, services: Services) -> None:
    """Attach every feature's listeners to the app."""
    events.register(app, services)
    for module in (release, burndown, gonogo, checklist, gate, home):
        module.register(app, services)
