"""Thin Slack listeners, one module per feature."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.core.services import Services
from handlers import api, burndown, calendar, checklist, events, gonogo, home, release
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
    """Attach every feature's listeners to the app, and the calendar's web routes."""
    events.register(app, services)
    services.add_route(partial(calendar.serve, services))
    for module in (release, burndown, gonogo, checklist, gate, home, api):
        module.register(app, services)
