"""/release token add|list|revoke: API tokens for jobs, made and revoked by the release's leads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.api import PREFIX, render
from bot.api import tokens as api_tokens
from bot.api.models import READ
from bot.core.text.commandline import CommandLine
from bot.core.text.timeparse import ParseError
from bot.release import service as releases
from handlers.router import Ctx, Reply, Sub

USAGE = "/release token add NAME [read|write] | list | revoke NAME"
NOTES = [
    "A token lets a job call the API (" + PREFIX + ") for this release: `read` sees where it "
    "stands, `write` also marks steps, reports gates and moves milestones, with its maker's "
    "permissions. It is shown once; the trail names it `api:NAME`.",
]


def token(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release token add NAME [read|write]`, `list`, `revoke NAME`."""
    what = line.args[0].lower() if line.args else "list"
    rest = line.args[1:]
    if what == "add":
        if not 1 <= len(rest) <= 2:
            raise ParseError("Name the token, and say `read` or `write` (default `read`).")
        return _add(ctx, rest[0], rest[1] if len(rest) == 2 else READ)
    if what == "list":
        if rest:
            raise ParseError("`token list` takes nothing after it.")
        return _list(ctx)
    if what == "revoke":
        if len(rest) != 1:
            raise ParseError("Name the one token to revoke.")
        return _revoke(ctx, rest[0])
    raise ParseError(f"`token` takes `add`, `list` or `revoke`, not `{what[:20]}`.")


def _add(ctx: Ctx, name: str, scope: str) -> Reply:
    services = ctx.services
    with services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        made = api_tokens.add(s, release, name, scope, actor=ctx.actor, now=services.now())
        assert release.id is not None
        url = f"{services.settings.public_url}{PREFIX}/releases/{release.id}"
    return Reply(text=render.made(made.token, made.secret, url))


def _list(ctx: Ctx) -> Reply:
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        found = api_tokens.live(s, release.id)
    return Reply(text=render.listing(found, ZoneInfo(release.zone)))


def _revoke(ctx: Ctx, name: str) -> Reply:
    services = ctx.services
    with services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        revoked = api_tokens.revoke(s, release, name, actor=ctx.actor, now=services.now())
    return Reply(text=render.revoked(revoked))


SUBS = {"token": Sub(token, USAGE)}
