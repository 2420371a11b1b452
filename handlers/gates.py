"""/gate and the manual gate's buttons: Slack in, one call into the gates feature, Slack out.

The listeners speak for the feature's one `GateRunner`, the same one that runs the timers,
so a `/gate check` and a scheduled check of the same gate share the check workers and join.
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
from bot.gates.models import CHECKED
from bot.release import service as releases
from handlers.interactions import Click, on_click
from handlers.router import Command, Ctx, Reply, Sub, register_command

GateHandler = Callable[[flows.GateRunner, Ctx, CommandLine], Reply]
ADD_USAGE = (
    '/gate add NAME URL [expect EXPR] [header "Name: value"] [owner @u|ROLE] [every 10m] '
    "[after 2] [repeat 30m]"
)
GITHUB_USAGE = "/gate github NAME QUERY... [owner @u|ROLE] [every 10m] [after 2] [repeat 30m]"
PUSH_USAGE = "/gate push NAME [every 1h] [owner @u|ROLE] [after 1] [repeat 30m]"
TESTGRID_USAGE = (
    "/gate testgrid NAME DASHBOARD... [informing DASHBOARD...] [owner @u|ROLE] [every 10m] "
    "[alert-on-yellow]"
)


def add(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate add NAME URL [expect EXPR] [header "N: v"] [owner @u] [every 10m] ...`."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and the URL to check.")
    given = options.parse(words[2:], min_interval=ctx.services.settings.gate_min_interval)
    url = options.unwrap_url(words[1])
    added = runner.add_http(ctx.channel_id, ctx.actor, words[0], url, given)
    return Reply(text=_added(added))


def manual(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate manual NAME [owner @u|ROLE]`."""
    words = options.raw_words(ctx.text)[1:]
    if not words:
        raise ParseError("Name the gate.")
    given = options.parse(words[1:], min_interval=0, allowed=("owner", "owners"))
    added = runner.add_manual(ctx.channel_id, ctx.actor, words[0], given)
    return Reply(text=_added(added))


def github(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate github NAME QUERY... [owner @u|ROLE] [every 10m] ...`: a GitHub search gate."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and the GitHub search, like `repo:org/repo is:open`.")
    start = options.split_at_options(words[1:], options.NATIVE) + 1
    given = options.parse(words[start:], min_interval=_min_interval(ctx), allowed=options.NATIVE)
    added = runner.add_github(ctx.channel_id, ctx.actor, words[0], words[1:start], given)
    return Reply(text=_added(added))


def testgrid(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate testgrid NAME DASHBOARD... [informing DASHBOARD...] [owner ...] [alert-on-yellow]`."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and at least one blocking TestGrid dashboard.")
    flags = (options.ALERT_ON_YELLOW,)
    start = options.split_at_options(words[1:], options.NATIVE, flags) + 1
    given = options.parse(
        words[start:], min_interval=_min_interval(ctx), allowed=options.NATIVE, flags=flags
    )
    added = runner.add_testgrid(ctx.channel_id, ctx.actor, words[0], words[1:start], given)
    return Reply(text=_added(added))


def push(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate push NAME [every 1h] [owner @u|ROLE] ...`: a gate CI reports to."""
    words = options.raw_words(ctx.text)[1:]
    if not words:
        raise ParseError("Name the gate CI will report to.")
    given = options.parse(words[1:], min_interval=_min_interval(ctx), allowed=options.NATIVE)
    added = runner.add_push(ctx.channel_id, ctx.actor, words[0], given)
    return Reply(text=_added(added))


def chart(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate chart NAME`: the gate's burndown chart, posted to the channel as an image."""
    if len(line.args) != 1:
        raise ParseError("Name the one gate to chart.")
    drawn = runner.chart(ctx.channel_id, line.args[0])
    return Reply(
        text=f"Drawing the burndown of `{drawn.gate}` ({len(drawn.points)} checks)…",
        after=partial(runner.post_chart, drawn),
    )


def _added(added: flows.Added) -> str:
    return render.added(added.gate, added.unset, owners=list(added.owners), hints=added.hints)


def _min_interval(ctx: Ctx) -> float:
    return ctx.services.settings.gate_min_interval


def list_gates(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate list [NAME]`."""
    name = line.args[0] if line.args else None
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        found = gates.named_or_all(s, release, name)
        owners = gates.owners_by_gate(s, found)
    now = ctx.services.now()
    text, blocks = render.listing(found, ZoneInfo(release.zone), owners, now)
    return Reply(text=text, blocks=blocks)


def check_now(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate check [NAME]`: run checks now (joining running ones); results to the caller."""
    name = line.args[0] if line.args else None
    with ctx.services.db.read() as s:
        chosen = gates.named_or_all(s, releases.active_release(s, ctx.channel_id), name)
    if name and chosen[0].kind not in CHECKED:
        return Reply(text=render.set_by_owners(chosen[0]))
    probes = [flows.probe_of(g) for g in chosen if g.kind in CHECKED]
    if not probes:
        return Reply(text=render.results([]))
    asked = runner.check_now(probes, ctx.channel_id, ctx.user_id)
    return Reply(text=render.checking(asked.started, asked.joined))


def remove(runner: flows.GateRunner, ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate remove NAME`."""
    if len(line.args) != 1:
        raise ParseError("Name the one gate to remove.")
    gate = runner.remove(ctx.channel_id, ctx.actor, line.args[0])
    return Reply(text=render.removed_note(gate.name))


def on_set(runner: flows.GateRunner, click: Click) -> str | None:
    """Mark passing / Mark failing: an owner or lead sets a manual gate."""
    press = ids.decode_set(click.action_id, click.value)
    runner.set_manual(press, click.actor)
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
            "github": sub(github, GITHUB_USAGE),
            "testgrid": sub(testgrid, TESTGRID_USAGE),
            "manual": sub(manual, "/gate manual NAME [owner @person|ROLE...]"),
            "push": sub(push, PUSH_USAGE),
            "list": sub(list_gates, "/gate list [NAME]"),
            "check": sub(check_now, "/gate check [NAME]"),
            "chart": sub(chart, "/gate chart NAME"),
            "remove": sub(remove, "/gate remove NAME"),
        },
        notes=[
            'EXPR: `status == 200`, `json.items.0.state == "success"` (also <=, >=, !=, <, >), '
            '`body contains "text"`, joined with `and`. Without it, any 2xx answer passes.',
            "Secrets are never stored: a header or the URL's path or query may name a variable "
            "an operator granted to gates for that host (RELEASEBOT_GATE_SECRETS), like "
            '`header "Authorization: Bearer ${GITHUB_TOKEN}"`.',
            "`after N`: failures in a row before the gate turns red (default 2). "
            "`repeat 30m`: how often owners are reminded while it is red. "
            "`owner ROLE`: whoever holds the role when it matters; nobody falls to the leads.",
            "`github`: green at 0 results of the search; the alert lists the open items. "
            "A rate limit or incomplete results leave it unknown, never green.",
            "`testgrid`: red when a blocking job fails (or, blocking all green, an informing "
            "one); yellow when a blocking job is flaky or stale. Yellow is not green for "
            "steps, and alerts only with `alert-on-yellow`.",
            "`push`: CI reports pass, fail or yellow (with a value and a detail) through the "
            "API; without a report within `every` (default 1h) it is unknown, never green.",
            "`chart NAME`: the burndown of a gate that counts (GitHub, or `json.X <= N`).",
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
    runner = services.part(flows.GateRunner)
    register_command(app, command(runner), services)
    on_click(app, ids.SET_PASS, services, partial(on_set, runner))
    on_click(app, ids.SET_FAIL, services, partial(on_set, runner))
