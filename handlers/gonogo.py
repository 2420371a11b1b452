"""/gonogo: go/no-go polls."""

from __future__ import annotations

from slack_bolt import App

from bot.commandline import CommandLine
from bot.domain.errors import DomainError
from bot.services import Services
from handlers.router import Command, Ctx, Reply, Sub, register_command


def not_built(ctx: Ctx, line: CommandLine) -> Reply:
    """Placeholder until this command is built."""
    raise DomainError("`/gonogo` is not available yet.")


COMMAND = Command(
    name="/gonogo",
    summary="go/no-go polls.",
    subs={
        "close": Sub(not_built, "/gonogo close"),
    },
)


def register(app: App, services: Services) -> None:
    """Attach /gonogo to the app."""
    register_command(app, COMMAND, services)
