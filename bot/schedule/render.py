"""How the schedule reads in Slack: the list, the countdown, changes, templates. Pure.

Every instant is a `<!date^...>` token, so each reader sees their own time; its fallback is
written in the release's zone. Names, descriptions and reasons are what people typed (or a
template says) and are escaped once here, in mrkdwn; headers are plain text and shown as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.blocks import SECTION_LIMIT, Blocks, context, header, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.fit import fit_items, fit_lines
from bot.core.text.timefmt import duration, when
from bot.core.yamlfile import TemplateError
from bot.release.models import Release
from bot.release.render import where
from bot.schedule.models import Milestone
from bot.schedule.template_yaml import ScheduleTemplate
from bot.schedule.timing import describe_notify, notice_label

Rendered = tuple[str, Blocks]
MAX_BLOCKS = 50
STATUS_SHOWN = 3
HOME_SHOWN = 5


@dataclass(frozen=True)
class Owner:
    """Who a milestone's owner role mentions: its holders, or the leads when it is empty."""

    role: str
    users: list[str]
    fell_to_lead: bool = False


def at_token(instant: datetime, release: Release) -> str:
    """The instant for every reader, with a fallback in the release's zone."""
    return when(instant, ZoneInfo(release.zone))


def left(now: datetime, at: datetime) -> str:
    """`in 12 days`, `in 1 hour`, `3 days ago`: how far away, in its largest fitting unit."""
    span = at - now
    ahead = span >= timedelta(0)
    span = abs(span)
    if span >= timedelta(hours=23, minutes=30):
        count, unit = round(span / timedelta(days=1)), "day"
    elif span >= timedelta(minutes=50):
        count, unit = round(span / timedelta(hours=1)), "hour"
    else:
        count, unit = max(1, round(span / timedelta(minutes=1))), "minute"
    amount = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"in {amount}" if ahead else f"{amount} ago"


def mention(user: str) -> str:
    """A mention of a person (or of a user group, for a group id)."""
    return f"<!subteam^{user}>" if user.startswith("S") else f"<@{user}>"


def owner_line(owner: Owner | None) -> str | None:
    """`*Owner:* docs: @a, @b` (or the leads it falls to)."""
    if owner is None:
        return None
    people = ", ".join(mention(u) for u in owner.users) or "nobody yet"
    note = " (nobody holds it, so it falls to the lead)" if owner.fell_to_lead else ""
    return f"*Owner:* `{escape(owner.role)}`{note}: {people}"


def _how(milestone: Milestone) -> str:
    if milestone.relative_to_release and milestone.offset == "R":
        return "on release day, and moves with it"
    if milestone.relative_to_release and milestone.offset:
        return f"`{escape(milestone.offset)}` from release day"
    return "fixed date"


# --- the list ------------------------------------------------------------------------------


def milestone_line(milestone: Milestone, release: Release, now: datetime) -> str:
    """One milestone in the list: name, time for every reader, how far, owner, how it moves."""
    name = escape(milestone.name)
    shown = f"*{name}*" if milestone.at > now else f"~{name}~"
    parts = [f"{shown}: {at_token(milestone.at, release)} ({left(now, milestone.at)})"]
    if milestone.owner_role:
        parts.append(f"owner `{escape(milestone.owner_role)}`")
    parts.append(_how(milestone))
    return "• " + " · ".join(parts)


def sections(lines: Sequence[str], room: int) -> Blocks:
    """Lines packed whole into as few sections as they need, at most `room` blocks."""
    blocks: Blocks = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line])) > SECTION_LIMIT:
            blocks.append(mrkdwn("\n".join(current)))
            current = []
        current.append(line)
    if current:
        blocks.append(mrkdwn("\n".join(current)))
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], context("…the list goes on; it is too long for Slack.")]
    return blocks


def schedule_list(
    release: Release, milestones: list[Milestone], notify: tuple[int, ...], now: datetime
) -> Rendered:
    """The answer to `/release schedule`."""
    name = escape(release.name)
    if not milestones:
        text = (
            f"Release *{name}* has no milestones yet. Lay out a whole schedule with "
            "`/release schedule apply kubernetes` (or `kubeflow`, `openstack`; "
            "`/release schedule templates` lists them), or add one with "
            "`/release milestone add NAME DATE [TIME] [TZ] [owner ROLE] [-- description]`."
        )
        return text, [mrkdwn(text)]
    ahead = sum(1 for m in milestones if m.at > now)
    text = f"Schedule of release {name}: {len(milestones)} milestones, {ahead} ahead"
    lines = [milestone_line(m, release, now) for m in milestones]
    blocks: Blocks = [header(f"Schedule of release {release.name}")]
    blocks += sections(lines, MAX_BLOCKS - 2)
    day = at_token(release.release_at, release) if release.release_at else "not set"
    blocks.append(
        context(
            f"Release day: {day} · Times show in your own timezone · Milestones are "
            f"{describe_notify(notify)} in this channel."
        )
    )
    return text, blocks


# --- the countdown -------------------------------------------------------------------------


def countdown(
    release: Release,
    milestone: Milestone,
    owner: Owner | None,
    *,
    offset: int,
    now: datetime,
    late_by: timedelta | None,
) -> Rendered:
    """A countdown notice: what is coming, when for every reader, how far, whose it is."""
    name = escape(milestone.name)
    how_far = left(now, milestone.at)
    text = f"{name} {how_far}: {at_token(milestone.at, release)}"
    lines = [
        f":alarm_clock: *{name}* {how_far} · release *{escape(release.name)}*",
        f"*When:* {at_token(milestone.at, release)}",
    ]
    owned = owner_line(owner)
    if owned:
        lines.append(owned)
    blocks: Blocks = [mrkdwn("\n".join(lines))]
    if milestone.description:
        blocks.append(mrkdwn(escape(milestone.description)))
    if milestone.moves and milestone.move_reason:
        blocks.append(
            mrkdwn(f"_Moved since it was first planned:_ {escape(milestone.move_reason)}")
        )
    foot = f"Announced {notice_label(offset)} ahead · `/release schedule` lists every milestone"
    if late_by is not None:
        foot = (
            f":hourglass: Sent {duration(late_by)} late: the bot was unavailable when this "
            f"announcement fell due. · {foot}"
        )
    blocks.append(context(foot))
    return text, blocks


# --- changes, for the channel ---------------------------------------------------------------


def added(
    release: Release, milestone: Milestone, owner: Owner | None, actor: str, now: datetime
) -> Rendered:
    """The channel hears of a new milestone."""
    name = escape(milestone.name)
    text = f"New milestone {name} for release {escape(release.name)}"
    lines = [
        f":pushpin: <@{actor}> added milestone *{name}* to release *{escape(release.name)}*",
        f"*When:* {at_token(milestone.at, release)} ({left(now, milestone.at)})"
        f" · {_how(milestone)}",
    ]
    owned = owner_line(owner)
    if owned:
        lines.append(owned)
    blocks = [mrkdwn("\n".join(lines))]
    if milestone.description:
        blocks.append(mrkdwn(escape(milestone.description)))
    return text, blocks


def moved(
    release: Release,
    milestone: Milestone,
    before: datetime,
    owner: Owner | None,
    actor: str,
    reason: str,
    now: datetime,
) -> Rendered:
    """The channel hears that a milestone moved, from where to where, and why."""
    name = escape(milestone.name)
    text = f"Milestone {name} of release {escape(release.name)} moved"
    lines = [
        f":arrows_counterclockwise: <@{actor}> moved milestone *{name}* of release "
        f"*{escape(release.name)}*",
        f"*From:* ~{at_token(before, release)}~",
        f"*To:* {at_token(milestone.at, release)} ({left(now, milestone.at)}) · {_how(milestone)}",
    ]
    owned = owner_line(owner)
    if owned:
        lines.append(owned)
    blocks = [mrkdwn("\n".join(lines))]
    if reason:
        blocks.append(mrkdwn(f"*Why:* {escape(reason)}"))
    blocks.append(context("Its countdown starts again for the new date."))
    return text, blocks


def removed(release: Release, milestone: Milestone, actor: str) -> Rendered:
    """The channel hears that a milestone is gone."""
    name = escape(milestone.name)
    text = f"Milestone {name} removed from release {escape(release.name)}"
    body = (
        f":wastebasket: <@{actor}> removed milestone *{name}* (it was "
        f"{at_token(milestone.at, release)}) from release *{escape(release.name)}*. "
        "It is no longer announced."
    )
    return text, [mrkdwn(body)]


def applied(
    release: Release,
    template: ScheduleTemplate,
    laid_out: list[Milestone],
    kept: list[Milestone],
    removed_count: int,
    actor: str,
    notify: tuple[int, ...],
    now: datetime,
) -> Rendered:
    """The channel sees the schedule a template laid out."""
    text = (
        f"Release {escape(release.name)} follows the {escape(template.name)} schedule: "
        f"{len(laid_out)} milestones"
    )
    head = (
        f":calendar: <@{actor}> laid out the *{escape(template.name)}* schedule for release "
        f"*{escape(release.name)}*: {len(laid_out)} milestones"
    )
    if removed_count:
        head += f", {removed_count} of the earlier template removed"
    ordered = sorted([*laid_out, *kept], key=lambda m: m.at)
    blocks: Blocks = [mrkdwn(head)]
    blocks += sections([milestone_line(m, release, now) for m in ordered], MAX_BLOCKS - 3)
    notes = [f"Each one is {describe_notify(notify)} here."]
    if kept:
        names = ", ".join(f"*{escape(m.name)}*" for m in kept)
        notes.append(f"Kept the lead's own {names} instead of the template's.")
    blocks.append(context(" ".join(notes)))
    return text, blocks


def notify_changed(release: Release, after: tuple[int, ...], actor: str) -> Rendered:
    """The channel hears when milestones are announced from now on."""
    text = f"Milestones of release {escape(release.name)} are now {describe_notify(after)}"
    body = (
        f":loudspeaker: <@{actor}> changed the countdown: milestones are now "
        f"{describe_notify(after)}."
    )
    return text, [mrkdwn(body)]


# --- answers to the caller -------------------------------------------------------------------


def end_of_day_note(zone: ZoneInfo) -> str:
    """Said when only a date was given."""
    return f" You gave no time, so it is at the end of that day: 23:59 {zone.key}."


def after_release_note(release: Release, milestone: Milestone) -> str:
    """Said when a milestone falls after release day (allowed, but likely a slip)."""
    if release.release_at is None or milestone.at <= release.release_at:
        return ""
    return (
        f"\n:warning: It falls *after* release day ({at_token(release.release_at, release)}). "
        "That is kept as you asked; check it if it is meant to come before the release."
    )


def templates_list(
    templates: list[ScheduleTemplate], errors: list[TemplateError], mistakes: list[str]
) -> Rendered:
    """The answer to `/release schedule templates`."""
    lines = []
    for template in sorted(templates, key=lambda t: t.name):
        where = "built-in" if template.source == "built-in" else "custom"
        lines.append(
            f"• *{escape(template.name)}* ({where}, {len(template.milestones)} milestones): "
            f"{escape(template.description) or '_no description_'}"
        )
    blocks: Blocks = [header("Schedule templates")]
    blocks += sections(lines, 30)
    if mistakes:
        shown = fit_items(
            [f"• `{escape(m)}`" for m in mistakes],
            10,
            lambda n: f"• _…and {n} more; `releasebot doctor` lists them._",
        )
        blocks.append(
            mrkdwn(":warning: *Custom files with mistakes* (not loaded):\n" + "\n".join(shown))
        )
    blocks.append(context("Apply one with `/release schedule apply NAME` (leads only)."))
    return f"{len(templates)} schedule templates", blocks


# --- others' views ---------------------------------------------------------------------------


def status_section(release: Release, milestones: list[Milestone], now: datetime) -> Section:
    """The schedule part of `/release status` and App Home: the next milestones."""
    ahead = [m for m in milestones if m.at > now]
    lines = [milestone_line(m, release, now) for m in ahead[:STATUS_SHOWN]]
    passed = len(milestones) - len(ahead)
    more = len(ahead) - len(lines)
    tail = []
    if more:
        tail.append(f"{more} more ahead")
    if passed:
        tail.append(f"{passed} passed")
    if tail:
        lines.append(f"_{', '.join(tail)}; `/release schedule` lists them all_")
    if not ahead:
        lines.insert(0, "Every milestone has passed.")
    return Section("Next milestones", lines)


def postponed_line(release: Release, moved: list[tuple[Milestone, datetime]]) -> str | None:
    """For the postponement: the milestones that moved with release day, and where to."""
    if not moved:
        return None
    lines = [f"• *{escape(m.name)}* → {at_token(m.at, release)}" for m, _ in moved]
    head = f":spiral_calendar_pad: {len(moved)} milestones follow release day and moved with it:"
    return head + "\n" + fit_lines(lines, SECTION_LIMIT - len(head) - 1)


def home_lines(upcoming: list[tuple[Milestone, Release, bool]], now: datetime) -> Blocks:
    """App Home: the person's next milestones, each in their own time."""
    if not upcoming:
        return []
    lines = []
    for milestone, release, owned in upcoming[:HOME_SHOWN]:
        mine = f" · yours (`{escape(milestone.owner_role or '')}`)" if owned else ""
        lines.append(
            f"• *{escape(milestone.name)}* {at_token(milestone.at, release)} "
            f"({left(now, milestone.at)}) · {where(release)}"
            f"{mine}"
        )
    return [mrkdwn("*Your next milestones*\n" + fit_lines(lines, SECTION_LIMIT - 30))]
