"""/release schedule and /release milestone: the release's dated milestones and countdown.

These are subcommands of /release (see `SUBS`); each parses, makes one call into the
schedule's flows or service, and answers the caller alone. What the team must see (a new,
moved or removed milestone, a laid-out schedule) the flows owe to the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.core.errors import DomainError
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import escape, quoted
from bot.core.text.timeparse import ParseError
from bot.release import service as releases
from bot.schedule import (
    countdown,
    flows,
    imports,
    options,
    render,
    render_upstream,
    syncing,
    templates,
)
from bot.schedule import service as schedule
from bot.schedule.lint import Team
from bot.schedule.timing import describe_notify, parse_notify
from handlers.burndown import channel_people
from handlers.router import Ctx, Reply, Sub

log = logging.getLogger(__name__)
SCHEDULE_USAGE = (
    "/release schedule [apply TEMPLATE | templates | notify 4w,1w,1d,1h | import URL [MINOR] "
    "| sync | check]"
)
MILESTONE_USAGE = (
    "/release milestone add NAME DATE [TIME] [TZ] [owner ROLE] [-- description] | "
    "move NAME DATE [TIME] [TZ] [-- reason] | remove NAME"
)
NOTES = [
    "A milestone's DATE may be a date (2027-03-01, fri) or an offset from release day "
    "(R-21d, -5w thu, R); without a time it is at 23:59, without a zone in the release's zone.",
]


def schedule_command(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release schedule [apply TEMPLATE | templates | notify OFFSETS]`."""
    what = line.args[0].lower() if line.args else ""
    rest = line.args[1:]
    if what in ("", "list"):
        return listing(ctx)
    if what == "apply":
        if len(rest) != 1:
            raise ParseError(
                "Name one template to apply, like `/release schedule apply kubernetes`."
            )
        return apply(ctx, rest[0])
    if what == "templates":
        return templates_list(ctx)
    if what == "notify":
        return notify(ctx, rest)
    if what in UPSTREAM:
        return UPSTREAM[what](ctx, rest)
    raise ParseError(f"{quoted(line.args[0])} is not something `/release schedule` does.")


def listing(ctx: Ctx) -> Reply:
    """The milestones with per-reader times and how far away each is."""
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        found = schedule.milestones(s, release.id)
        notify = countdown.notify_of(s, release.id)
        source = imports.source_of(s, release)
    text, blocks = render.schedule_list(release, found, notify, now)
    if source is not None:
        blocks = [*blocks, render_upstream.source_context(source, release)]
    return Reply(text=text, blocks=blocks)


def apply(ctx: Ctx, name: str) -> Reply:
    """Lay out a template's milestones from release day."""
    now = ctx.services.now()
    release, done = flows.apply(ctx.services, ctx.channel_id, name, actor=ctx.actor, now=now)
    laid_out = [*done.created, *done.updated]
    passed = sum(1 for m in laid_out if m.at <= now)
    answer = (
        f"Laid out the *{escape(done.template.name)}* schedule for release "
        f"*{escape(release.name)}*: {len(laid_out)} milestones; the channel sees them."
    )
    if passed:
        answer += f" {passed} of them are already past and are not announced."
    if done.kept:
        names = ", ".join(f"*{escape(m.name)}*" for m in done.kept)
        answer += f" Your own {names} stayed as they were."
    laid_names = [m.name for m in laid_out]
    return Reply(text=answer, after=lambda: lint_followup(ctx, laid_names))


def templates_list(ctx: Ctx) -> Reply:
    """The schedule templates there are, and custom files that did not load."""
    found = templates.catalog(ctx.services.settings.templates_dir)
    mistakes = [templates.mistake(e) for e in found.errors]
    text, blocks = render.templates_list(list(found.templates.values()), found.errors, mistakes)
    return Reply(text=text, blocks=blocks)


def notify(ctx: Ctx, words: list[str]) -> Reply:
    """Show or change when milestones are announced."""
    if not words:
        with ctx.services.db.read() as s:
            release = releases.active_release(s, ctx.channel_id)
            current = countdown.notify_of(s, release.id or 0)
        return Reply(
            text=f"Milestones are {describe_notify(current)}. Change it with "
            "`/release schedule notify 4w,1w,1d,1h` (or `off`)."
        )
    offsets = parse_notify("".join(words))
    now = ctx.services.now()
    _, after = flows.set_notify(ctx.services, ctx.channel_id, offsets, actor=ctx.actor, now=now)
    return Reply(text=f"Done: milestones are now {describe_notify(after)}.")


def milestone_command(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release milestone add|move|remove ...`."""
    what = line.args[0].lower() if line.args else ""
    rest = line.args[1:]
    now = ctx.services.now()
    if what == "add":
        change = flows.add(
            ctx.services, ctx.channel_id, rest, line.reason, actor=ctx.actor, now=now
        )
        verb = "Added"
    elif what == "move":
        change = flows.move(
            ctx.services, ctx.channel_id, rest, line.reason, actor=ctx.actor, now=now
        )
        verb = "Moved"
    elif what == "remove":
        name = options.parse_remove(rest)
        change = flows.remove(ctx.services, ctx.channel_id, name, actor=ctx.actor, now=now)
        return Reply(
            text=f"Removed milestone *{escape(change.milestone.name)}*; it is no longer announced."
        )
    else:
        raise ParseError("Say what to do with a milestone: `add`, `move` or `remove`.")
    release, milestone = change.release, change.milestone
    answer = (
        f"{verb} milestone *{escape(milestone.name)}*: {render.at_token(milestone.at, release)} "
        f"({render.left(now, milestone.at)})."
    )
    if change.when is not None and change.when.end_of_day:
        answer += render.end_of_day_note(change.when.zone)
    if milestone.relative_to_release:
        answer += f" It follows release day (`{escape(milestone.offset or '')}`)."
    elif change.was_relative:
        answer += " It is on a fixed date now and no longer follows release day."
    answer += render.after_release_note(release, milestone)
    return Reply(text=answer, after=lambda: lint_followup(ctx, [milestone.name]))


# --- schedules from upstream, and lint --------------------------------------------------------


def team_of(ctx: Ctx) -> Team:
    """The channel's people with their Slack timezones (read from Slack now)."""
    return Team(tuple(channel_people(ctx)))


def _later(ctx: Ctx, work: Callable[[], tuple[str, list[dict[str, Any]] | None]]) -> None:
    """Run slow work after the answer; the caller hears the outcome, or why it failed."""
    try:
        text, blocks = work()
    except DomainError as err:
        text, blocks = f":warning: {err}", None
    except Exception:
        log.exception("schedule work for %s failed", ctx.channel_id)
        text, blocks = (
            ":warning: That did not work because of an error on my side; try again.",
            None,
        )
    ctx.services.notifier.ephemeral(ctx.channel_id, ctx.user_id, text, blocks)


def import_schedule(ctx: Ctx, words: list[str]) -> Reply:
    """`/release schedule import URL [MINOR]`: read the file, lay it out, lint it."""
    url, stream = options.parse_import(words)
    syncing.require_can_import(ctx.services, ctx.channel_id, ctx.actor)
    now = ctx.services.now()

    def work() -> tuple[str, list[dict[str, Any]] | None]:
        return syncing.import_from(
            ctx.services, ctx.channel_id, url, stream, actor=ctx.actor, team=team_of(ctx), now=now
        )

    return Reply(
        text=f"Reading the schedule at `{escape(url[:200])}`; its milestones follow shortly.",
        after=lambda: _later(ctx, work),
    )


def sync_schedule(ctx: Ctx, words: list[str]) -> Reply:
    """`/release schedule sync`: read the imported file again now."""
    if words:
        raise ParseError("`/release schedule sync` takes nothing more: it reads the same file.")
    now = ctx.services.now()

    def work() -> tuple[str, list[dict[str, Any]] | None]:
        answer = syncing.sync_now(ctx.services, ctx.channel_id, actor=ctx.actor, now=now)
        return answer, None

    return Reply(text="Reading the imported schedule again…", after=lambda: _later(ctx, work))


def check_schedule(ctx: Ctx, words: list[str]) -> Reply:
    """`/release schedule check`: lint the schedule as it stands."""
    if words:
        raise ParseError("`/release schedule check` takes nothing more.")
    now = ctx.services.now()
    with ctx.services.db.read() as s:
        releases.active_release(s, ctx.channel_id)  # a clear answer when there is none

    def work() -> tuple[str, list[dict[str, Any]] | None]:
        done = syncing.check(ctx.services, ctx.channel_id, team=team_of(ctx), now=now)
        blocks = render_upstream.findings_blocks(done.findings)
        return render_upstream.findings_text(done.findings), blocks

    return Reply(
        text="Checking the schedule against weekends and the team's holidays…",
        after=lambda: _later(ctx, work),
    )


def lint_followup(ctx: Ctx, names: list[str]) -> None:
    """After an add, a move or an apply: the caller hears lint findings about it, if any."""
    try:
        found = syncing.findings_about(
            ctx.services, ctx.channel_id, names, team=team_of(ctx), now=ctx.services.now()
        )
    except DomainError:
        return
    if found:
        blocks = render_upstream.findings_blocks(found)
        text = render_upstream.findings_text(found)
        ctx.services.notifier.ephemeral(ctx.channel_id, ctx.user_id, text, blocks)


UPSTREAM: dict[str, Callable[[Ctx, list[str]], Reply]] = {
    "import": import_schedule,
    "sync": sync_schedule,
    "check": check_schedule,
}

SUBS = {
    "schedule": Sub(schedule_command, SCHEDULE_USAGE),
    "milestone": Sub(milestone_command, MILESTONE_USAGE),
}
