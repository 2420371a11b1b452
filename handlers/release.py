"""/release: start, inspect, staff, move and close the channel's release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.burndown import flows as burndown
from bot.core import audit
from bot.core.asks.milestones import MILESTONES, MarksOf
from bot.core.asks.retro import RETRO_PART
from bot.core.outbox import Outbox
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import escape
from bot.gates import figures as gate_figures
from bot.gates import retro_part as gate_retro
from bot.release import escalation, flows, options, render, retro, roles
from bot.release import service as releases
from bot.release import timeline as timeline_render
from bot.release.groups import groups_in
from bot.release.models import Release
from bot.schedule import flows as schedule
from handlers import calendar as calendar_links
from handlers import schedule as schedule_handlers
from handlers import tokens as token_handlers
from handlers import webhooks as webhook_handlers
from handlers.router import Command, Ctx, Reply, Sub, register_command

if TYPE_CHECKING:
    from sqlmodel import Session  # passed through to the features' services, never opened here


def zone_for(ctx: Ctx) -> ZoneInfo:
    """The caller's Slack profile timezone, the default when a command names none."""
    return ctx.services.people.zone_of(ctx.user_id)


def new(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release new NAME [on DATE [TIME] [TZ]]`."""
    now = ctx.services.now()
    name, release_at, zone = options.parse_new(
        line.args, now=now, caller_zone=lambda: zone_for(ctx)
    )
    release = flows.start(
        ctx.services,
        ctx.channel_id,
        name=name,
        release_at=release_at,
        zone=zone,
        actor=ctx.user_id,
        now=now,
    )
    return Reply(text=f"Release *{escape(release.name)}* is set up; you are its lead.")


def status(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release status` (leads also see messages waiting for Slack)."""
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        holders = releases.role_holders(s, release.id)
        parts = ctx.services.status_sections(s, release, now)
        notice = flows.waiting_note(s, release, ctx.actor, now)
        phase = schedule.phase(s, release, now)
    text, blocks = render.status_blocks(
        release,
        phase=phase,
        holders=holders,
        sections=parts,
        now=now,
        notice=notice,
    )
    return Reply(text=text, blocks=blocks)


def role(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release role ROLE @user|@group...` (or `none` to empty the role)."""
    name, users = options.parse_role(line.args)
    people = ctx.services.people
    # Asked first: a workspace without user groups hears so before anything changes.
    sizes = {group: len(people.members_of(group)) for group in groups_in(users)}
    now = ctx.services.now()
    before, after = flows.assign_role(
        ctx.services, ctx.channel_id, name, users, actor=ctx.actor, now=now
    )
    role_name = roles.normalize_role(name)
    if before == after:
        text = render.role_unchanged(role_name, after)
    else:
        text = render.role_line(role_name, after)
    if sizes:
        text += "\n" + render.group_sizes(sizes, people.groups.ttl_seconds)
    return Reply(text=text)


def roles_list(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release roles`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        holders = releases.role_holders(s, release.id)
    ttl = ctx.services.people.groups.ttl_seconds
    return Reply(text=render.roles_text(release, holders, ttl))


def escalate(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release escalation [WAIT,WAIT...|default]`: how overdue steps climb the ladder."""
    if not line.args:
        waits = flows.escalation_waits(ctx.services, ctx.channel_id)
        return Reply(text=render.escalation_text(waits))
    if [a.lower() for a in line.args] == ["default"]:
        chosen = None
    else:
        chosen = escalation.parse_waits(line.args)
    now = ctx.services.now()
    changed = flows.set_escalation(ctx.services, ctx.channel_id, chosen, actor=ctx.actor, now=now)
    text = render.escalation_text(chosen or ())
    return Reply(text=text if changed else f"Nothing changed. {text}")


def follow_release_day(
    session: Session,
    release: Release,
    *,
    actor: str,
    now: datetime,
    outbox: Outbox | None = None,
    milestones: Sequence[MarksOf] = (),
) -> str | None:
    """What moves with release day: milestones first, then the cadence, which reads them."""
    lines = [
        schedule.follow_release_day(session, release, actor=actor, now=now, outbox=outbox),
        burndown.follow_release_day(session, release, actor=actor, now=now, milestones=milestones),
    ]
    return "\n".join(line for line in lines if line) or None


def postpone(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release postpone DATE [TIME] [TZ] [-- reason]`: milestones and cadence move with it."""
    options.check_postpone(line.args, line.reason)
    now = ctx.services.now()
    release = flows.postpone(
        ctx.services,
        ctx.channel_id,
        line.args,
        line.reason,
        actor=ctx.actor,
        now=now,
        follow=partial(
            follow_release_day,
            actor=ctx.user_id,
            now=now,
            outbox=ctx.services.outbox,
            milestones=ctx.services.answers_to(MILESTONES),
        ),
    )
    return Reply(text=f"Release day is now {render.release_day(release)}.")


def timeline(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release timeline`: the audit trail and its figures as a Markdown file, with charts."""
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        release = releases.active_release_or_latest(s, ctx.channel_id)
        assert release.id is not None
        events = audit.trail(s, release.id)
        parts = ctx.services.answers_to(RETRO_PART)
        figures = retro.figures(s, release, now, events, parts=parts)
        charts = gate_retro.charts(s, release, now, ctx.services.answers_to(MILESTONES))
    content = timeline_render.markdown(release, events, figures)
    filename = timeline_render.filename(release)

    def upload() -> None:
        ctx.services.notifier.upload(
            ctx.channel_id,
            filename,
            content,
            title=f"Timeline of release {release.name}",
            comment=f"The timeline of release *{escape(release.name)}*, for the retrospective.",
        )
        for drawn in charts:  # each counting gate's burndown, as an image in the channel
            gate_figures.post_chart(ctx.services.notifier, drawn)

    return Reply(text=f"Uploading the timeline ({len(events)} events)…", after=upload)


def close(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release close [--cancelled]`."""
    cancelled = options.parse_close(line.args)
    now = ctx.services.now()
    release = flows.close(
        ctx.services, ctx.channel_id, cancelled=cancelled, actor=ctx.actor, now=now
    )
    return Reply(text=f"Release *{escape(release.name)}* is {release.state}.")


COMMAND = Command(
    name="/release",
    summary="the channel's release: day, roles, trail.",
    subs={
        "new": Sub(new, "/release new NAME [on DATE [TIME] [TZ]]"),
        "status": Sub(status, "/release status"),
        "role": Sub(role, "/release role ROLE @person|@group... (or none)"),
        "roles": Sub(roles_list, "/release roles"),
        "escalation": Sub(escalate, "/release escalation [WAIT,WAIT...|default]"),
        "postpone": Sub(postpone, "/release postpone DATE [TIME] [TZ] [-- reason]"),
        **schedule_handlers.SUBS,
        "calendar": Sub(calendar_links.calendar, "/release calendar [reset]"),
        "timeline": Sub(timeline, "/release timeline"),
        **token_handlers.SUBS,
        **webhook_handlers.SUBS,
        "close": Sub(close, "/release close [--cancelled]"),
    },
    notes=[
        "DATE: 2027-03-15, today, tomorrow, fri. TIME: 10:00, 10am, 4:30pm. "
        "TZ: America/Los_Angeles, PT, ET, UTC, CET; without one, your Slack timezone.",
        "A role's backup is the role `ROLE-shadow` (`/release role docs-shadow @person`): "
        "overdue steps ask it after the owners, before the lead. WAIT: 30m, 1h; the last repeats.",
        *schedule_handlers.NOTES,
        *token_handlers.NOTES,
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /release to the app."""
    register_command(app, COMMAND, services)
