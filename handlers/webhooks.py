"""/release webhook: the release's signed webhooks out (add, list, remove, resume).

A subcommand of /release (see `SUBS`): each parses, makes one call into the webhooks'
flows, and answers the caller alone (ephemeral), so a new endpoint's secret is seen by the
lead who added it and nobody else.
"""

from __future__ import annotations

from bot.core.text.commandline import CommandLine
from bot.core.text.escape import quoted
from bot.core.text.timeparse import ParseError
from bot.webhooks import flows
from handlers.router import Ctx, Reply, Sub

USAGE = (
    "/release webhook add URL [EVENTS] | list | remove N | resume N (EVENTS like step.*,gate.red)"
)


def url_of(word: str) -> str:
    """A URL as typed: Slack sends a link as `<https://x>` or `<https://x|label>`."""
    if word.startswith("<") and word.endswith(">"):
        word = word[1:-1].split("|", 1)[0]
    return word


def webhook(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release webhook add URL [EVENTS] | list | remove N | resume N`."""
    what = line.args[0].lower() if line.args else "list"
    rest = line.args[1:]
    services = ctx.services
    if what == "list":
        text, blocks = flows.listing(services, ctx.channel_id)
        return Reply(text=text, blocks=blocks)
    if what == "add":
        if not rest or len(rest) > 2:
            raise ParseError(
                "Name the URL, and the events if not all: "
                "`/release webhook add https://ci.example.com/hook step.*,gate.red`."
            )
        events = rest[1] if len(rest) > 1 else None
        return Reply(text=flows.add(services, ctx.channel_id, url_of(rest[0]), events, ctx.actor))
    if what in ("remove", "resume"):
        if len(rest) != 1:
            raise ParseError(f"Name one webhook by its number: `/release webhook {what} 2`.")
        act = flows.remove if what == "remove" else flows.resume
        return Reply(text=act(services, ctx.channel_id, url_of(rest[0]), ctx.actor))
    raise ParseError(f"{quoted(line.args[0])} is not something `/release webhook` does.")


SUBS = {"webhook": Sub(webhook, USAGE), "webhooks": Sub(webhook, USAGE)}
