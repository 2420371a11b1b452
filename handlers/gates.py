"""/gate: automated and manual gates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlmodel import Session, col, select

from bot.core import status
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.errors import DomainError
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.timeparse import ParseError
from bot.gates import options, render
from bot.gates import service as gates
from bot.gates.flows import GateRunner, probe_of
from bot.gates.models import Gate
from bot.gates.probe import check, guard, secrets
from bot.release import service as releases
from bot.release.models import Release
from handlers.interactions import Click, on_click
from handlers.router import Command, Ctx, Reply, Sub, register_command

ADD_USAGE = (
    '/gate add NAME URL [expect EXPR] [header "Name: value"] [owner @u] [every 10m] '
    "[after 2] [repeat 30m]"
)
DEFAULT_INTERVAL = 600


def _new_gate(ctx: Ctx, name: str, kind: str, given: options.Options) -> Gate:
    settings = ctx.services.settings
    return Gate(
        release_id=0,
        name=gates.valid_name(name),
        kind=kind,
        owners=" ".join(dict.fromkeys(given.owners or [ctx.user_id])),
        expect=given.expect,
        headers=check.dump_headers(given.headers),
        damping=given.damping or settings.gate_damping,
        repeat_seconds=given.repeat or settings.gate_repeat_seconds,
        interval_seconds=given.interval or DEFAULT_INTERVAL,
        created_by=ctx.user_id,
    )


def _store(ctx: Ctx, gate: Gate) -> Reply:
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(s, release, ctx.user_id, ctx.services.settings.admins, "add gates")
        gate.state_since = now
        if gate.kind == gates.HTTP:
            gate.next_check_at = now
        gates.add(s, release, gate, actor=ctx.user_id, now=now, creators=ctx.services.creators)
        zone = ZoneInfo(release.zone)
    ctx.services.scheduler.poke()
    text, blocks = render.card(gate, zone)

    def post_card() -> None:
        ts = ctx.services.notifier.post(ctx.channel_id, text, blocks)
        if ts and gate.id is not None:
            with ctx.services.db.session() as s:
                gates.remember_message(s, gate.id, message_ts=ts)
            GateRunner(ctx.services).refresh_card(gate.id)

    return Reply(text=render.added(gate, ctx.user_id), after=post_card)


def add(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate add NAME URL [expect EXPR] [header "N: v"] [owner @u] [every 10m] ...`."""
    words = options.raw_words(ctx.text)[1:]
    if len(words) < 2:
        raise ParseError("Name the gate and the URL to check.")
    given = options.parse(words[2:], min_interval=ctx.services.settings.gate_min_interval)
    gate = _new_gate(ctx, words[0], gates.HTTP, given)
    gate.url = options.unwrap_url(words[1])
    if check.host_has_variable(gate.url):
        raise DomainError("Environment variables may go in the URL's path or query, not its host.")
    settings = ctx.services.settings
    granted = secrets.from_settings(settings.gate_grants, settings.gate_secret_values)
    named = secrets.named_in(gate.url, given.headers)
    try:
        granted.check(gate.url, named)
        guard.check(gate.url, settings.gate_allow)
    except secrets.NotGranted as err:
        raise DomainError(f"I will not add that gate: {err}") from None
    except guard.Refused as err:
        raise DomainError(f"I will not check that URL: {err}") from None
    reply = _store(ctx, gate)
    missing = [v for v in named if granted.value(v) is None]
    if missing:
        names = ", ".join(f"`${{{v}}}`" for v in missing)
        reply.text += f"\n:warning: {names} is not set for the bot, so checks fail until it is."
    return reply


def manual(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate manual NAME [owner @u]`."""
    words = options.raw_words(ctx.text)[1:]
    if not words:
        raise ParseError("Name the gate.")
    given = options.parse(words[1:], min_interval=0, allowed=("owner", "owners"))
    return _store(ctx, _new_gate(ctx, words[0], gates.MANUAL, given))


def list_gates(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate list`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        found = gates.gates_of(s, release.id)
    return Reply(text=render.listing(found, ZoneInfo(release.zone)))


def check_now(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate check [NAME]`: run HTTP checks now; the results come to the caller."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        if line.args:
            chosen = [gates.by_name(s, release, line.args[0])]
        else:
            chosen = gates.gates_of(s, release.id)
    manual_ones = [g for g in chosen if g.kind != gates.HTTP]
    if line.args and manual_ones:
        gate = manual_ones[0]
        return Reply(text=f"`{gate.name}` is a manual gate, set by its owners; it is {gate.state}.")
    probes = [probe_of(g) for g in chosen if g.kind == gates.HTTP]
    if not probes:
        return Reply(text=render.results([]))

    def run() -> None:
        runner = GateRunner(ctx.services)
        rows = runner.check_many(probes, ctx.services.now, ctx.user_id)
        ctx.services.notifier.ephemeral(ctx.channel_id, ctx.user_id, render.results(rows))

    count = f"{len(probes)} gates" if len(probes) > 1 else f"`{probes[0].name}`"
    return Reply(text=f"Checking {count} now; the results follow.", after=run)


def remove(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gate remove NAME`."""
    if len(line.args) != 1:
        raise ParseError("Name the one gate to remove.")
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(s, release, ctx.user_id, ctx.services.settings.admins, "remove gates")
        gate = gates.remove(s, release, line.args[0], actor=ctx.user_id, now=now)
    text, blocks = render.removed(gate.name, ctx.user_id)
    ts = gate.message_ts
    ctx.services.scheduler.poke()

    def retire_card() -> None:
        if ts:
            ctx.services.notifier.update(ctx.channel_id, ts, text, blocks)

    return Reply(text=f"Gate `{gate.name}` is removed.", after=retire_card)


def on_set(click: Click) -> str | None:
    """`gate:set:pass|fail`: an owner or lead marks a manual gate passing or failing."""
    data = click.data()
    gate_id, version, to = data.get("g"), data.get("v"), data.get("to")
    if (
        not isinstance(gate_id, int)
        or not isinstance(version, int)
        or click.action_id != f"gate:set:{to}"
    ):
        raise DomainError("That button is not one of mine; nothing changed.")
    services = click.services
    with services.db.session() as s:
        gate, change = gates.set_manual(
            s,
            gate_id,
            to_pass=to == "pass",
            version=version,
            user_id=click.user_id,
            admins=services.settings.admins,
            now=services.now(),
        )
        release = releases.get(s, gate.release_id)
    services.notifier.later(GateRunner(services).announce, gate, release, change)
    return None


def section(session: Session, release: Release, now: datetime) -> status.Section | None:
    """The gates part of `/release status`."""
    assert release.id is not None
    found = gates.gates_of(session, release.id)
    if not found:
        return None
    red = sum(1 for g in found if g.state == gates.FAILING)
    title = f"Gates ({red} failing)" if red else "Gates"
    return status.Section(title, render.status_lines(found, ZoneInfo(release.zone)))


def check_gates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the allow-list reads well and gate headers find their variables."""
    findings = []
    for entry in settings.gate_allow:
        if not guard.valid_allow_entry(entry):
            fix = "use host names (ci.internal) or networks (10.0.0.0/8), comma-separated"
            findings.append(
                Finding(False, f"RELEASEBOT_GATE_ALLOW entry {entry!r} is unusable", fix)
            )
    if settings.gate_allow and not findings:
        findings.append(Finding(True, f"gates may also reach {', '.join(settings.gate_allow)}"))
    query = select(Gate).join(Release, col(Release.id) == col(Gate.release_id))
    with db.read() as s:
        stored = list(s.exec(query.where(Release.state == "active")))
    granted = secrets.from_settings(settings.gate_grants, settings.gate_secret_values)
    for name, hosts in settings.gate_grants.items():
        where = ", ".join(hosts)
        if granted.value(name) is None:
            fix = f"set {name} in the bot's environment (.env), or gates using it fail"
            findings.append(Finding(False, f"gate secret {name} is granted but not set", fix))
        else:
            findings.append(Finding(True, f"gate secret {name} may be sent to {where}"))
    for gate in stored:
        url, headers = gate.url or "", check.load_headers(gate.headers)
        try:
            granted.check(url, secrets.named_in(url, headers))
        except secrets.NotGranted as err:
            fix = "grant it in RELEASEBOT_GATE_SECRETS, or remove the gate; its checks fail"
            findings.append(Finding(False, f"gate {gate.name}: {err}", fix))
            continue
        for variable in secrets.named_in(url, headers):
            if granted.value(variable) is None:
                fix = f"set {variable} in the bot's environment (.env), or the gate fails"
                findings.append(Finding(False, f"gate {gate.name} needs ${{{variable}}}", fix))
    return findings


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
    """Attach /gate, its buttons, its timers and its status section to the app."""
    register_command(app, COMMAND, services)
    services.add_step_guard(gates.require_gates)
    on_click(app, "gate:set:pass", services, on_set)
    on_click(app, "gate:set:fail", services, on_set)
    services.scheduler.add_planner("gates", GateRunner(services).planner)
    services.add_section("gates", 50, section)
