"""/burndown: burndown meetings across timezones."""

from __future__ import annotations

from slack_bolt import App

from bot.commandline import CommandLine
from bot.domain.errors import DomainError
from bot.services import Services
from handlers.router import Command, Ctx, Reply, Sub, register_command


def not_built(ctx: Ctx, line: CommandLine) -> Reply:
    """Placeholder until this command is built."""
    raise DomainError("`/burndown` is not available yet.")


COMMAND = Command(
    name="/burndown",
    summary="burndown meetings across timezones.",
    subs={
        "schedule": Sub(not_built, "/burndown schedule DAYS TIME [TZ]"),
        "list": Sub(not_built, "/burndown list"),
        "next": Sub(not_built, "/burndown next"),
        "skip": Sub(not_built, "/burndown skip DATE"),
        "cancel": Sub(not_built, "/burndown cancel ID"),
        "suggest": Sub(not_built, "/burndown suggest [DURATION]"),
        "cadence": Sub(not_built, "/burndown cadence kubernetes"),
    },
)


def register(app: App, services: Services) -> None:
    """Attach /burndown to the app."""
    register_command(app, COMMAND, services)
