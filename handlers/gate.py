"""/gate: automated and manual gates."""

from __future__ import annotations

from slack_bolt import App

from bot.commandline import CommandLine
from bot.domain.errors import DomainError
from bot.services import Services
from handlers.router import Command, Ctx, Reply, Sub, register_command


def not_built(ctx: Ctx, line: CommandLine) -> Reply:
    """Placeholder until this command is built."""
    raise DomainError("`/gate` is not available yet.")


COMMAND = Command(
    name="/gate",
    summary="automated and manual gates.",
    subs={
        "add": Sub(not_built, "/gate add NAME URL"),
        "manual": Sub(not_built, "/gate manual NAME"),
        "list": Sub(not_built, "/gate list"),
        "check": Sub(not_built, "/gate check [NAME]"),
        "remove": Sub(not_built, "/gate remove NAME"),
    },
)


def register(app: App, services: Services) -> None:
    """Attach /gate to the app."""
    register_command(app, COMMAND, services)
