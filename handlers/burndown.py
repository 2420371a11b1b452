"""/burndown: burndown meetings across timezones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlmodel import Session

from bot.burndown import cadence, render
from bot.burndown import flows as burndown_timers
from bot.burndown import service as meetings
from bot.burndown import suggest as burndown_suggest
from bot.burndown.options import parse_cadence, parse_schedule, parse_series_id
from bot.burndown.recurrence import next_occurrence
from bot.core import status
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import quoted
from bot.core.text.timeparse import ParseError, parse_date, parse_duration
from bot.release import service as releases
from bot.release.models import Release
from handlers import burndown_status_form as burndown_status
from handlers.router import Command, Ctx, Reply, Sub, register_command

MAX_SUGGEST = timedelta(hours=4)


def zone_for(ctx: Ctx) -> ZoneInfo:
    """The caller's Slack profile timezone."""
    return ctx.services.people.zone_of(ctx.user_id)


def _announce(ctx: Ctx, text: str, blocks: list[dict[str, object]]) -> None:
    ctx.services.notifier.post(ctx.channel_id, text, blocks)


def schedule(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown schedule DAYS TIME [TZ] [options]`."""
    now = ctx.services.now()
    spec = parse_schedule(line.args, now=now, default_zone=zone_for(ctx))
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        _require_lead(ctx, s, release, "schedule burndown meetings")
        series = meetings.create_series(s, release, spec, actor=ctx.user_id, now=now)
    ctx.services.scheduler.poke()
    first = next_occurrence(meetings.rule_of(series), now)
    text, blocks = render.scheduled(series, first, ctx.user_id)
    shown = render.meeting_time(series, first) if first else "none"
    return Reply(
        text=f"Scheduled series #{series.id}: {render.rule_text(series)}. First meeting: {shown}.",
        after=lambda: _announce(ctx, text, blocks),
    )


def list_series(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown list`."""
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        found = meetings.active_series(s, release.id)
        skips = meetings.skips_of(s, [x.id for x in found if x.id is not None])
    rows = [(x, next_occurrence(meetings.rule_of(x, skips[x.id or 0]), now)) for x in found]
    return Reply(text=render.list_text(release, rows))


def next_meeting(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown next`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        found = meetings.next_meeting(s, release, ctx.services.now())
    return Reply(text=render.next_text(found))


def skip(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown skip DATE [ID]`."""
    if not line.args or len(line.args) > 2:
        raise ParseError("Name the day to skip, and optionally the series number.")
    now = ctx.services.now()
    day = parse_date(line.args[0], today=now.astimezone(zone_for(ctx)).date())
    series_id = parse_series_id(line.args[1]) if len(line.args) == 2 else None
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        _require_lead(ctx, s, release, "skip burndown meetings")
        found = meetings.skip(s, release, day, series_id=series_id, actor=ctx.user_id, now=now)
    ctx.services.scheduler.poke()
    text, blocks = render.skipped(found, ctx.user_id)
    return Reply(
        text=f"Skipped {len(found)} meeting(s) on {day.isoformat()}.",
        after=lambda: _announce(ctx, text, blocks),
    )


def cancel(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown cancel ID`."""
    if len(line.args) != 1:
        raise ParseError("Name the series to cancel by its number (see `/burndown list`).")
    series_id = parse_series_id(line.args[0])
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        _require_lead(ctx, s, release, "cancel burndown series")
        series = meetings.cancel(s, release, series_id, actor=ctx.user_id, now=now)
    ctx.services.scheduler.poke()
    text, blocks = render.cancelled(series, ctx.user_id)
    return Reply(text=f"Cancelled series #{series_id}.", after=lambda: _announce(ctx, text, blocks))


def lay_out_cadence(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown cadence kubernetes [TIME [TZ]] [weekly DAY] [options]`."""
    now = ctx.services.now()
    name, template, weekly_day = parse_cadence(
        line.args,
        now=now,
        caller_zone=zone_for(ctx),
        default=(cadence.DEFAULT_TIME, cadence.DEFAULT_ZONE),
    )
    if name not in cadence.CADENCES:
        known = ", ".join(f"`{c}`" for c in cadence.CADENCES)
        raise ParseError(f"{quoted(name)} is not a cadence I know. I know {known}.")
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        _require_lead(ctx, s, release, "lay out the burndown cadence")
        created, replaced = cadence.lay_out(
            s,
            release,
            template,
            weekly_day=cadence.DEFAULT_WEEKLY_DAY if weekly_day is None else weekly_day,
            actor=ctx.user_id,
            now=now,
        )
    ctx.services.scheduler.poke()
    text, blocks = render.cadence_laid_out(release, created, replaced, ctx.user_id)
    return Reply(
        text=f"Laid out {len(created)} series for the {name} cadence.",
        after=lambda: _announce(ctx, text, blocks),
    )


def suggest(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown suggest [DURATION]`."""
    if len(line.args) > 1:
        raise ParseError("`suggest` takes at most a meeting length, like `45m`.")
    length = parse_duration(line.args[0]) if line.args else timedelta(minutes=30)
    if length > MAX_SUGGEST:
        raise ParseError("A burndown longer than 4 hours will not fit anyone's day.")
    now = ctx.services.now()
    return Reply(
        text="Reading this channel's members and their timezones; the best times follow shortly.",
        after=lambda: burndown_suggest.answer(ctx, length, now),
    )


def _require_lead(ctx: Ctx, s: Session, release: Release, doing: str) -> None:
    releases.require_lead(s, release, ctx.user_id, ctx.services.settings.admins, doing)


COMMAND = Command(
    name="/burndown",
    summary="burndown meetings across timezones.",
    subs={
        "schedule": Sub(
            schedule,
            "/burndown schedule DAYS TIME [TZ] [from DATE] [until DATE] [remind 60m,10m] "
            "[link URL] [areas a,b,c] [status 24h]",
        ),
        "list": Sub(list_series, "/burndown list"),
        "next": Sub(next_meeting, "/burndown next"),
        "skip": Sub(skip, "/burndown skip DATE [ID]"),
        "cancel": Sub(cancel, "/burndown cancel ID"),
        "suggest": Sub(suggest, "/burndown suggest [DURATION]"),
        "cadence": Sub(
            lay_out_cadence,
            "/burndown cadence kubernetes [TIME [TZ]] [weekly DAY] [remind ..] [link ..] "
            "[areas ..] [status ..]",
        ),
    },
    notes=[
        "DAYS: daily, weekdays, mon,wed,fri, tue. TIME: 10:00, 10am, 4:30pm. TZ: "
        "America/Los_Angeles, PT, CET, UTC; without one, your Slack timezone. The meeting "
        "keeps its local time across daylight-saving changes.",
        "Options: `remind` how long before to post reminders (default 60m,10m; `none`); `link` "
        "the call's URL; `areas` the burndown areas people report on; `status` how long before "
        "each meeting the role holders get a DM asking for their status (default 24h; `none`).",
        "`cadence kubernetes` counts back from release day: a weekly meeting (Mondays, or "
        "`weekly DAY`) until code slush three weeks before the release week, Mon/Wed/Fri "
        "through code freeze, then every weekday from the week before the release week until "
        "the Friday after release day. Default time 10:00 America/Los_Angeles. It moves with "
        "`/release postpone`.",
        "`skip DATE` skips that day's meetings in every series (or only series ID). `suggest` "
        "scores 30-minute slots over the coming week by who is inside 08:00-18:00 local time.",
    ],
)


def status_section(session: Session, release: Release, now: datetime) -> status.Section | None:
    """The burndown part of `/release status`: the next meeting."""
    assert release.id is not None
    count = len(meetings.active_series(session, release.id))
    if not count:
        return None
    return render.status_section(meetings.next_meeting(session, release, now), count)


def register(app: App, services: Services) -> None:
    """Attach /burndown, its timers, its status button and form to the app."""
    register_command(app, COMMAND, services)
    services.add_section("burndown", 30, status_section)
    burndown_timers.register(services)
    burndown_status.register(app, services)
