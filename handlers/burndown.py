"""/burndown and the async status button and form: Slack in, one call into bot.burndown, answer.

`/burndown suggest` is the one part that reads Slack itself: the channel's members
(conversations.members) and their timezones (users.list, paged once); the scoring is
bot.burndown.slots.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.burndown import flows, ids, options, render, slots, slots_render, status_updates
from bot.burndown import service as meetings
from bot.burndown.status_render import saved_note, status_form
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.release import service as releases
from handlers.interactions import Click, Submission, on_click, on_submit, unopened
from handlers.router import Command, Ctx, Reply, Sub, register_command

log = logging.getLogger(__name__)
MAX_MEMBERS = 500
PAGE = 200


def zone_for(ctx: Ctx) -> ZoneInfo:
    """The caller's Slack profile timezone."""
    return ctx.services.people.zone_of(ctx.user_id)


def schedule(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown schedule DAYS TIME [TZ] [options]`."""
    now = ctx.services.now()
    spec = options.parse_schedule(line.args, now=now, default_zone=lambda: zone_for(ctx))
    series, first = flows.schedule(ctx.services, ctx.channel_id, spec, actor=ctx.actor, now=now)
    return Reply(text=render.scheduled_note(series, first))


def list_series(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown list`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        rows = meetings.listing(s, release, ctx.services.now())
    return Reply(text=render.list_text(release, rows))


def next_meeting(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown next`."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        found = meetings.next_meeting(s, release, ctx.services.now())
    return Reply(text=render.next_text(found))


def skip(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown skip DATE [ID]`."""
    now = ctx.services.now()
    day, series_id = options.parse_skip(line.args, today=now.astimezone(zone_for(ctx)).date())
    found = flows.skip(
        ctx.services, ctx.channel_id, day, series_id=series_id, actor=ctx.actor, now=now
    )
    return Reply(text=f"Skipped {len(found)} meeting(s) on {day.isoformat()}.")


def cancel(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown cancel ID`."""
    series_id = options.parse_cancel(line.args)
    now = ctx.services.now()
    flows.cancel(ctx.services, ctx.channel_id, series_id, actor=ctx.actor, now=now)
    return Reply(text=f"Cancelled series #{series_id}.")


def lay_out_cadence(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown cadence kubernetes [TIME [TZ]] [weekly DAY] [options]`."""
    now = ctx.services.now()
    name, template, weekly_day = options.parse_cadence(
        line.args, now=now, caller_zone=lambda: zone_for(ctx)
    )
    created = flows.lay_out_cadence(
        ctx.services, ctx.channel_id, template, weekly_day=weekly_day, actor=ctx.actor, now=now
    )
    return Reply(text=f"Laid out {len(created)} series for the {name} cadence.")


def suggest(ctx: Ctx, line: CommandLine) -> Reply:
    """`/burndown suggest [DURATION]`: answer at once, post the slots when Slack was read."""
    length = options.parse_suggest(line.args)
    now = ctx.services.now()
    return Reply(
        text=slots_render.reading_text(), after=lambda: answer_suggestion(ctx, length, now)
    )


def answer_suggestion(ctx: Ctx, length: timedelta, now: datetime) -> None:
    """Score the coming week for the channel's members and tell the caller (ephemeral)."""
    try:
        members, left_out = _channel_members(ctx)
    except SlackApiError as err:
        reason = str(err.response.get("error"))
        log.warning("conversations.members for %s failed: %s", ctx.channel_id, reason)
        _tell(ctx, slots_render.unreadable_text(reason))
        return
    people, unknown = slots.team_of(members, _profiles_of(ctx, set(members)))
    if not people and not unknown:  # nobody, or only apps and deactivated accounts
        _tell(ctx, slots_render.no_members_text())
        return
    result = slots.suggest([zone for _, zone in people], now, length)
    proposed = [*result.top, *(result.pair or ())]
    off = {slot: slots.holidays_for(slot, people) for slot in proposed}
    text, blocks = slots_render.suggestion_blocks(
        result, length, skipped=left_out, unknown=unknown, off=off
    )
    _tell(ctx, text, blocks)


def channel_people(ctx: Ctx) -> list[tuple[str, ZoneInfo]]:
    """The channel's people and their Slack timezones (empty when Slack cannot say)."""
    try:
        members, _ = _channel_members(ctx)
    except (SlackClientError, OSError) as err:
        log.warning("conversations.members for %s failed: %s", ctx.channel_id, err)
        return []
    people, _ = slots.team_of(members, _profiles_of(ctx, set(members)))
    return people


def _tell(ctx: Ctx, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    ctx.services.notifier.ephemeral(ctx.channel_id, ctx.user_id, text, blocks)


def _channel_members(ctx: Ctx) -> tuple[list[str], int]:
    """The channel's member ids but the bot's (up to MAX_MEMBERS), and how many were left out."""
    members: list[str] = []
    cursor = ""
    while True:
        page = ctx.client.conversations_members(channel=ctx.channel_id, limit=PAGE, cursor=cursor)
        members.extend(str(m) for m in page.get("members") or [])
        cursor = _next_cursor(page)
        if not cursor:
            break
    me = _bot_user(ctx)
    unique = [m for m in dict.fromkeys(members) if m != me]
    return unique[:MAX_MEMBERS], max(0, len(unique) - MAX_MEMBERS)


def _bot_user(ctx: Ctx) -> str:
    """The bot's own user id, so it does not count as a member to meet with."""
    try:
        return str(ctx.client.auth_test().get("user_id") or "")
    except SlackApiError:
        return ""


def _profiles_of(ctx: Ctx, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """Slack's user records (tz, is_bot, deleted) of the wanted people, from users.list.

    Pages through the workspace once, stopping when everyone wanted was seen. The client
    does not wait out rate limits: a page Slack refuses ends the reading with what was
    found, and the people not found count as members without a known timezone.
    """
    found: dict[str, dict[str, Any]] = {}
    cursor = ""
    try:
        while wanted - found.keys():
            page = ctx.services.people.client.users_list(limit=PAGE, cursor=cursor)
            for user in page.get("members") or []:
                if user.get("id") in wanted:
                    found[str(user["id"])] = user
            cursor = _next_cursor(page)
            if not cursor:
                break
    except (SlackClientError, OSError) as err:
        log.warning("users.list stopped after %d of %d people: %s", len(found), len(wanted), err)
    return found


def _next_cursor(page: Any) -> str:
    return str((page.get("response_metadata") or {}).get("next_cursor") or "")


def open_status_form(click: Click) -> None:
    """Open the status form for the button's meeting, if it is ahead and the clicker may post."""
    services = click.services
    series_id, occurs_at = ids.decode_meeting(click.value)
    with services.db.read() as s:
        meeting = status_updates.meeting_for(
            s,
            series_id,
            occurs_at,
            actor=click.actor,
            now=services.now(),
        )
    view = status_form(meeting.release, meeting.series, meeting.occurs_at)
    click.open_modal(view, unopened("the status form", "Nothing was posted."))


def save_status(submission: Submission) -> str:
    """Store the submitted status; the poster is thanked by DM."""
    series_id, occurs_at = ids.decode_meeting(submission.private_metadata, form=True)
    area, colour, notes = ids.form_fields(submission.view)
    row = flows.save_status(
        submission.services,
        series_id,
        occurs_at,
        actor=submission.actor,
        area=area,
        colour=colour,
        notes=notes,
    )
    return saved_note(row.area, row.colour)


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


def register(app: App, services: Services) -> None:
    """Attach /burndown and the status button and form to the app."""
    register_command(app, COMMAND, services)
    on_click(app, ids.STATUS_ACTION, services, open_status_form)
    on_submit(app, ids.STATUS_FORM, services, save_status)
