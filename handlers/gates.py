"""/gate and the manual gate's buttons: Slack in, one call into the gates feature, Slack out."""

from __future__ import annotations

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

ADD_USAGE = (
    '/gate add NAME URL [expect EXPR] [header "Name: value"] [owner @u] [every 10m] '
    "[after 2] [repeat 30m]"
)


def add(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate add NAME URL [expect EXPR] [header "N: v"] [owner @u] [every 10m] ...`."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and the URL to check.")
    given = options.parse(words[2:], min_interval=ctx.services.settings.gate_min_interval)
    runner = flows.GateRunner(ctx.services)
    url = options.unwrap_url(words[1])
    added = runner.add_http(ctx.channel_id, ctx.user_id, words[0], url, given)
    return Reply(text=render.added(added.gate, added.unset), after=partial(runner.post_card, added))


def manual(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate manual NAME [owner @u]`."""
    words = options.raw_words(ctx.text)[1:]
    if not words:
        raise ParseError("Name the gate.")
    given = options.parse(words[1:], min_interval=0, allowed=("owner", "owners"))
    runner = flows.GateRunner(ctx.services)
    added = runner.add_manual(ctx.channel_id, ctx.user_id, words[0], given)
    return Reply(text=render.added(added.gate), after=partial(runner.post_card, added))


def list_gates(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate list`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        found = gates.named_or_all(s, release)
    return Reply(text=render.listing(found, ZoneInfo(release.zone)))


def check_now(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate check [NAME]`: run HTTP checks now; the results come to the caller."""
    name = line.args[0] if line.args else None
    with ctx.services.db.read() as s:
        chosen = gates.named_or_all(s, releases.active_release(s, ctx.channel_id), name)
    if name and chosen[0].kind != HTTP:
        return Reply(text=render.set_by_owners(chosen[0]))
    probes = [flows.probe_of(g) for g in chosen if g.kind == HTTP]
    if not probes:
        return Reply(text=render.results([]))
    run = partial(
        flows.GateRunner(ctx.services).check_and_tell, probes, ctx.channel_id, ctx.user_id
    )
    return Reply(text=render.checking([p.name for p in probes]), after=run)


def remove(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate remove NAME`."""
    if len(line.args) != 1:
        raise ParseError("Name the one gate to remove.")
    runner = flows.GateRunner(ctx.services)
    gate = runner.remove(ctx.channel_id, ctx.user_id, line.args[0])
    retire = partial(runner.retire_card, ctx.channel_id, gate, ctx.user_id)
    return Reply(text=render.removed_note(gate.name), after=retire)


def on_set(click: Click) -> str | None:
    """Mark passing / Mark failing: an owner or lead sets a manual gate."""
    press = ids.decode_set(click.action_id, click.value)
    flows.GateRunner(click.services).set_manual(press, click.user_id)
    return None


COMMAND = Command(
    name="/gate",
    summary="automated and manual gates.",
    subs={
        "add": Sub(add, ADD_USAGE),
        "manual": Sub(manual, "/gate manual NAME [owner @person...]"),
        "list": Sub(list_gates, "/gate list"),
        "check": Sub(check_now, "/gate check [NAME]"),
        "remove": Sub(remove, "/gate remove NAME"),
    },
    notes=[
        'EXPR: `status == 200`, `json.items.0.state == "success"` (also <=, >=, !=, <, >), '
        '`body contains "text"`, joined with `and`. Without it, any 2xx answer passes.',
        "Secrets are never stored: a header or the URL's path or query may name a variable an "
        "operator granted to gates for that host (RELEASEBOT_GATE_SECRETS), like "
        '`header "Authorization: Bearer ${GITHUB_TOKEN}"`.',
        "`after N`: failures in a row before the gate turns red (default 2). "
        "`repeat 30m`: how often owners are reminded while it is red.",
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /gate and its buttons to the app."""
    register_command(app, COMMAND, services)
    on_click(app, ids.SET_PASS, services, on_set)
    on_click(app, ids.SET_FAIL, services, on_set)
