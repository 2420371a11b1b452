"""/release: start, inspect, staff, move and close the channel's release."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.burndown import cadence
from bot.burndown import render as burndown_render
from bot.core import audit
from bot.core.blocks import mentions, mrkdwn
from bot.core.services import Services
from bot.core.text.commandline import CommandLine, user_ids
from bot.core.text.escape import escape, quoted
from bot.core.text.timeparse import ParseError, parse_moment
from bot.release import render, roles
from bot.release import service as releases
from bot.release import timeline as timeline_render
from handlers.router import Command, Ctx, Reply, Sub, register_command

DEFAULT_TIME = time(9, 0)
MAX_REASON = 500


def zone_for(ctx: Ctx) -> ZoneInfo:
    """The caller's Slack profile timezone, the default when a command names none."""
    return ctx.services.people.zone_of(ctx.user_id)


def new(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release new NAME [on DATE [TIME] [TZ]]`."""
    args = line.args
    lowered = [a.lower() for a in args]
    cut = lowered.index("on") if "on" in lowered else len(args)
    name = " ".join(args[:cut]).strip()
    if not name:
        raise ParseError("A release needs a name.")
    release_at, zone = None, None
    if cut < len(args):
        rest = args[cut + 1 :]
        if not rest:
            raise ParseError("`on` needs a date after it, like `on 2027-03-15`.")
        moment, left = parse_moment(
            rest, now=ctx.services.now(), default_zone=zone_for(ctx), default_time=DEFAULT_TIME
        )
        if left:
            raise ParseError(f"I did not understand {quoted(' '.join(left))} after the date.")
        release_at, zone = moment.instant, moment.zone
    zone = zone or zone_for(ctx)
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.create_release(
            s,
            channel_id=ctx.channel_id,
            name=name,
            release_at=release_at,
            zone=zone,
            actor=ctx.user_id,
            now=now,
            creators=ctx.services.creators,
        )
    text, blocks = render.announce_new(release)
    ctx.services.scheduler.poke()
    return Reply(
        text=f"Release *{escape(release.name)}* is set up; you are its lead.",
        after=lambda: ctx.services.notifier.post(ctx.channel_id, text, blocks),
    )


def status(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release status`."""
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        holders = releases.role_holders(s, release.id)
        parts = ctx.services.status_sections(s, release, now)
    text, blocks = render.status_blocks(
        release, phase=releases.phase(release, now), holders=holders, sections=parts, now=now
    )
    return Reply(text=text, blocks=blocks)


def role(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release role ROLE @user...` (or `none` to empty the role)."""
    if not line.args:
        raise ParseError("Name a role and the people who hold it.")
    name, people = line.args[0], line.args[1:]
    if not people:
        raise ParseError("Name the people who hold the role, or `none` to empty it.")
    users = [] if [p.lower() for p in people] == ["none"] else user_ids(people)
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(
            s, release, ctx.user_id, ctx.services.settings.admins, "hand out roles"
        )
        before, after = roles.assign(s, release, role=name, users=users, actor=ctx.user_id, now=now)
    role_name = escape(roles.normalize_role(name))
    if before == after:
        return Reply(text=f"*{role_name}* is already held by {mentions(after)}.")
    note = f"<@{ctx.user_id}> made {mentions(after)} *{role_name}*"
    if not after:
        note = f"<@{ctx.user_id}> emptied the role *{role_name}*; it falls to the lead"
    ctx.services.scheduler.poke()
    return Reply(
        text=f"*{role_name}*: {mentions(after)}",
        after=lambda: ctx.services.notifier.post(ctx.channel_id, note + ".", [mrkdwn(note)]),
    )


def roles_list(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release roles`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        holders = releases.role_holders(s, release.id)
    return Reply(text=render.roles_text(release, holders))


def postpone(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release postpone DATE [TIME] [TZ] [-- reason]`."""
    if not line.args:
        raise ParseError("Say when release day moves to.")
    if len(line.reason) > MAX_REASON:
        raise ParseError(f"Keep the reason under {MAX_REASON} characters.")
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(
            s, release, ctx.user_id, ctx.services.settings.admins, "move release day"
        )
        old_time = (
            release.release_at.astimezone(ZoneInfo(release.zone)).time().replace(tzinfo=None)
            if release.release_at
            else DEFAULT_TIME
        )
        moment, left = parse_moment(
            line.args, now=now, default_zone=ZoneInfo(release.zone), default_time=old_time
        )
        if left:
            raise ParseError(f"I did not understand {quoted(' '.join(left))} after the date.")
        before = releases.postpone(
            s, release, release_at=moment.instant, reason=line.reason, actor=ctx.user_id, now=now
        )
        moved = cadence.move_with_release(s, release, actor=ctx.user_id, now=now)
    ctx.services.scheduler.poke()
    text, blocks = render.postponed(release, before, ctx.user_id, line.reason)
    if moved:
        blocks.append(mrkdwn(burndown_render.cadence_moved(moved)))
    return Reply(
        text=f"Release day is now {render.release_day(release)}.",
        after=lambda: ctx.services.notifier.post(ctx.channel_id, text, blocks),
    )


def timeline(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release timeline`: the audit trail as a Markdown file in the channel."""
    with ctx.services.db.read() as s:
        release = releases.active_release_or_latest(s, ctx.channel_id)
        assert release.id is not None
        events = audit.trail(s, release.id)
    content = timeline_render.markdown(release, events)
    filename = timeline_render.filename(release)

    def upload() -> None:
        ctx.services.notifier.upload(
            ctx.channel_id,
            filename,
            content,
            title=f"Timeline of release {release.name}",
            comment=f"The timeline of release *{escape(release.name)}*, for the retrospective.",
        )

    return Reply(text=f"Uploading the timeline ({len(events)} events)…", after=upload)


def close(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release close [--cancelled]`."""
    flags = {a.lower() for a in line.args}
    if flags - {"--cancelled", "cancelled"}:
        raise ParseError("`close` takes nothing but an optional `--cancelled`.")
    cancelled = bool(flags)
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(s, release, ctx.user_id, ctx.services.settings.admins, "close it")
        releases.close(s, release, cancelled=cancelled, actor=ctx.user_id, now=now)
    ctx.services.scheduler.poke()
    text, blocks = render.closed(release, ctx.user_id)
    return Reply(
        text=f"Release *{escape(release.name)}* is {release.state}.",
        after=lambda: ctx.services.notifier.post(ctx.channel_id, text, blocks),
    )


COMMAND = Command(
    name="/release",
    summary="the channel's release: day, roles, trail.",
    subs={
        "new": Sub(new, "/release new NAME [on DATE [TIME] [TZ]]"),
        "status": Sub(status, "/release status"),
        "role": Sub(role, "/release role ROLE @person... (or none)"),
        "roles": Sub(roles_list, "/release roles"),
        "postpone": Sub(postpone, "/release postpone DATE [TIME] [TZ] [-- reason]"),
        "timeline": Sub(timeline, "/release timeline"),
        "close": Sub(close, "/release close [--cancelled]"),
    },
    notes=[
        "DATE: 2027-03-15, today, tomorrow, fri. TIME: 10:00, 10am, 4:30pm. "
        "TZ: America/Los_Angeles, PT, ET, UTC, CET; without one, your Slack timezone.",
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /release to the app."""
    register_command(app, COMMAND, services)
