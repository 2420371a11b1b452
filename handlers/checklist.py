"""/checklist: the release-day checklist, one step after another."""

from __future__ import annotations

from slack_bolt import App

from bot.commandline import CommandLine
from bot.domain.errors import DomainError
from bot.services import Services
from handlers.router import Command, Ctx, Reply, Sub, register_command


def not_built(ctx: Ctx, line: CommandLine) -> Reply:
    """Placeholder until this command is built."""
    raise DomainError("`/checklist` is not available yet.")


COMMAND = Command(
    name="/checklist",
    summary="the release-day checklist, one step after another.",
    subs={
        "start": Sub(not_built, "/checklist start [TEMPLATE]"),
        "templates": Sub(not_built, "/checklist templates"),
        "status": Sub(not_built, "/checklist status"),
    },
)


def register(app: App, services: Services) -> None:
    """Attach /checklist to the app."""
    register_command(app, COMMAND, services)
