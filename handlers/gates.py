"""/gate and the manual gate's buttons: Slack in, one call into the gates feature, Slack out.

The listeners speak for one `GateRunner`, the same one that runs the timers, so a
`/gate check` and a scheduled check of the same gate share the check workers and join.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.timeparse import ParseError
from bot.gates import flows, ids, options, render
from bot.gates import service as gates
from bot.gates.models import HTTP
from bot.release import service as releases
from handlers.interactions import Click, on_click
from handlers.router import Command, Ctx, Reply, Sub, register_command

GateHandler = Callable[[flows.GateRunner, Ctx, CommandLine], Reply]
ADD_USAGE = (
    '/gate add NAME URL [expect EXPR] [header "Name: value"] [owner @u] [every 10m] '
    "[after 2] [repeat 30m]"
)


def add(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate add NAME URL [expect EXPR] [header "N: v"] [owner @u] [every 10m] ...`."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and the URL to check.")
    given = options.parse(words[2:], min_interval=ctx.services.settings.gate_min_interval)
    url = options.unwrap_url(words[1])
    added = runner.add_http(ctx.channel_id, ctx.user_id, words[0], url, given)
    return Reply(text=render.added(added.gate, added.unset))


def manual(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate manual NAME [owner @u]`."""
    words = options.raw_words(ctx.text)[1:]
    if not words:
        raise ParseError("Name the gate.")
    given = options.parse(words[1:], min_interval=0, allowed=("owner", "owners"))
    added = runner.add_manual(ctx.channel_id, ctx.user_id, words[0], given)
    return Reply(text=render.added(added.gate))


def list_gates(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate list [NAME]`."""
    name = line.args[0] if line.args else None
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        found = gates.named_or_all(s, release, name)
    text, blocks = render.listing(found, ZoneInfo(release.zone))
    return Reply(text=text, blocks=blocks)


def check_now(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate check [NAME]`: run HTTP checks now (joining running ones); results to the caller."""
    name = line.args[0] if line.args else None
    with ctx.services.db.read() as s:
        chosen = gates.named_or_all(s, releases.active_release(s, ctx.channel_id), name)
    if name and chosen[0].kind != HTTP:
        return Reply(text=render.set_by_owners(chosen[0]))
    probes = [flows.probe_of(g) for g in chosen if g.kind == HTTP]
    if not probes:
        return Reply(text=render.results([]))
    asked = runner.check_now(probes, ctx.channel_id, ctx.user_id)
    return Reply(text=render.checking(asked.started, asked.joined))


def remove(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate remove NAME`."""
    if len(line.args) != 1:
        raise ParseError("Name the one gate to remove.")
    gate = runner.remove(ctx.channel_id, ctx.user_id, line.args[0])
    return Reply(text=render.removed_note(gate.name))


def on_set(runner: flows.GateRunner, click: Click) -> str | None:
    """Mark passing / Mark failing: an owner or lead sets a manual gate."""
    press = ids.decode_set(click.action_id, click.value)
    runner.set_manual(press, click.user_id)
    return None


def command(runner: flows.GateRunner | None = None) -> Command:
    """/gate, its listeners speaking for `runner` (without one it only names and explains)."""

    def sub(run: GateHandler, usage: str) -> Sub:
        return Sub(partial(_with_runner, runner, run), usage)

    return Command(
        name="/gate",
        summary="automated and manual gates.",
        subs={
            "add": sub(add, ADD_USAGE),
            "manual": sub(manual, "/gate manual NAME [owner @person...]"),
            "list": sub(list_gates, "/gate list [NAME]"),
            "check": sub(check_now, "/gate check [NAME]"),
            "remove": sub(remove, "/gate remove NAME"),
        },
        notes=[
            'EXPR: `status == 200`, `json.items.0.state == "success"` (also <=, >=, !=, <, >), '
            '`body contains "text"`, joined with `and`. Without it, any 2xx answer passes.',
            "Secrets are never stored: a header or the URL's path or query may name a variable "
            "an operator granted to gates for that host (RELEASEBOT_GATE_SECRETS), like "
            '`header "Authorization: Bearer ${GITHUB_TOKEN}"`.',
            "`after N`: failures in a row before the gate turns red (default 2). "
            "`repeat 30m`: how often owners are reminded while it is red.",
        ],
    )


def _with_runner(
    runner: flows.GateRunner | None, run: GateHandler, ctx: Ctx, line: CommandLine
) -> Reply:
    if runner is None:
        raise RuntimeError("/gate is registered without its runner; use handlers.gates.register")
    return run(runner, ctx, line)


COMMAND = command()  # the command's name and help, for the manifest


def register(app: App, services: Services) -> None:
    """Attach /gate and its buttons, sharing the timers' runner (and its check workers)."""
    runner = flows.register(services)
    register_command(app, command(runner), services)
    on_click(app, ids.SET_PASS, services, partial(on_set, runner))
    on_click(app, ids.SET_FAIL, services, partial(on_set, runner))
