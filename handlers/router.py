"""Slash command routing: subcommands, help, and one place that turns errors into answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core.db import retry_transient
from bot.core.services import Services
from bot.core.text.commandline import CommandLine, split
from bot.core.text.escape import quoted
from handlers.errors import explain
from handlers.request import Request


@dataclass
class Reply:
    """What the caller sees (ephemeral), and work to do after Slack got the answer."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    after: Callable[[], object] | None = None


@dataclass(frozen=True)
class Ctx(Request):
    """Who typed what, where."""

    command: str
    channel_id: str
    trigger_id: str
    text: str


Handler = Callable[[Ctx, CommandLine], Reply | str]


@dataclass(frozen=True)
class Sub:
    """A subcommand: its handler and its one-line grammar."""

    run: Handler
    usage: str


@dataclass
class Command:
    """A slash command: its subcommands, its help, and what runs with no known subcommand."""

    name: str
    summary: str
    subs: dict[str, Sub]
    fallback: Sub | None = None
    notes: list[str] = field(default_factory=list)

    def help_text(self) -> str:
        """The command's grammar, one line per subcommand."""
        lines = [f"*{self.name}*: {self.summary}"]
        usages = [sub.usage for sub in self.subs.values()]
        if self.fallback:
            usages.insert(0, self.fallback.usage)
        lines += [f"• `{usage}`" for usage in dict.fromkeys(usages)]
        lines += [f"_{note}_" for note in self.notes]
        return "\n".join(lines)

    def listener(self, services: Services) -> Callable[..., None]:
        """The Bolt listener for this command."""

        def listen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            self.dispatch(ack, body, client, services)

        return listen

    def dispatch(
        self, ack: Ack, body: dict[str, Any], client: WebClient, services: Services
    ) -> None:
        """Parse, run the subcommand, answer the caller, then do the slow work."""
        ctx = Ctx(
            services=services,
            client=client,
            command=self.name,
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            trigger_id=str(body.get("trigger_id", "")),
            text=str(body.get("text", "")),
        )
        sub: Sub | None = None
        try:
            line = split(ctx.text)
            if line.sub in ("help", "-h", "--help", "?"):
                ack(text=self.help_text(), response_type="ephemeral")
                return
            sub = self.subs.get(line.sub) or self.fallback
            if sub is None:
                ack(text=self._unknown(line), response_type="ephemeral")
                return
            run = sub.run
            reply = retry_transient(lambda: run(ctx, line))
        except Exception as err:
            ack(
                text=explain(err, usage=sub.usage if sub else None, help_hint=self.name),
                response_type="ephemeral",
            )
            return
        if isinstance(reply, str):
            reply = Reply(text=reply)
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        if reply.after is not None:
            services.notifier.later(reply.after)

    def _unknown(self, line: CommandLine) -> str:
        if not line.sub:
            return self.help_text()
        return f":warning: {quoted(line.sub)} is not a `{self.name}` command.\n\n{self.help_text()}"


def register_command(app: App, command: Command, services: Services) -> None:
    """Attach a command's listener to the app."""
    app.command(command.name)(command.listener(services))
