"""Renderers for burndown series, announcements and reminders. Pure: data in, Block Kit out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.burndown.models import MeetingSeries, MeetingStatus
from bot.burndown.series import areas_of, remind_of, rule_words
from bot.burndown.service import Upcoming
from bot.burndown.status_render import digest_lines, status_button
from bot.burndown.status_updates import StatusDue
from bot.core.blocks import SECTION_LIMIT, Blocks, actions, context, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import duration, utc_plain, when
from bot.release.models import Release
from bot.release.render import where

PIECE_NAMES = {"weekly": "weekly", "mwf": "Mon/Wed/Fri", "daily": "every weekday"}
# A reminder's digest and mentions may fill this many blocks; past that, "and N more".
DIGEST_BLOCKS = 8
MENTION_BLOCKS = 8


def meeting_time(series: MeetingSeries, instant: datetime) -> str:
    """A meeting instant every reader sees in their own time (fallback: the series' zone)."""
    return when(instant, ZoneInfo(series.zone))


def rule_text(series: MeetingSeries) -> str:
    """'Mon, Wed, Fri at 10:00 America/Los_Angeles, 2027-01-04 to 2027-02-26'."""
    return rule_words(series, ", from", "to")


def extras_text(series: MeetingSeries) -> str:
    """Reminders, status request, areas and cadence of a series, in one short line."""
    offsets = remind_of(series)
    parts = [
        "reminders " + ", ".join(duration(timedelta(seconds=o)) for o in offsets) + " before"
        if offsets
        else "no reminders"
    ]
    if series.status_lead:
        parts.append(f"status asked {duration(timedelta(seconds=series.status_lead))} before")
    areas = areas_of(series)
    if areas:
        parts.append("areas: " + ", ".join(escape(a) for a in areas))
    if series.cadence:
        piece = PIECE_NAMES.get(series.piece or "", series.piece or "")
        parts.append(f"{escape(series.cadence)} cadence ({piece})")
    return " · ".join(parts)


def link_text(series: MeetingSeries) -> str:
    """The meeting link as a Slack link, or ''."""
    return f"<{escape(series.link)}|Join the meeting>" if series.link else ""


def series_line(series: MeetingSeries, next_at: datetime | None) -> str:
    """One series for `/burndown list`."""
    upcoming = meeting_time(series, next_at) if next_at else "no meeting left"
    line = f"*#{series.id}* {rule_text(series)}\n      Next: {upcoming} · {extras_text(series)}"
    if series.link:
        line += f" · {link_text(series)}"
    return line


def list_text(release: Release, rows: list[tuple[MeetingSeries, datetime | None]]) -> str:
    """The answer to `/burndown list`."""
    if not rows:
        return (
            f"Release *{escape(release.name)}* has no burndown series yet. "
            "Add one with `/burndown schedule DAYS TIME [TZ]` or `/burndown cadence kubernetes`."
        )
    lines = [f"*Burndown series of {escape(release.name)}*"]
    lines += [series_line(series, next_at) for series, next_at in rows]
    return "\n".join(lines)


def next_text(found: Upcoming | None) -> str:
    """The answer to `/burndown next`."""
    if found is None:
        return "No burndown meeting is coming up. See `/burndown list`."
    series = found.series
    lines = [
        f":calendar: Next burndown: *{meeting_time(series, found.occurs_at)}* (series #{series.id})"
    ]
    lines.append(f"That is {utc_plain(found.occurs_at)}.")
    if series.link:
        lines.append(link_text(series))
    areas = areas_of(series)
    if areas:
        lines.append("Areas: " + ", ".join(escape(a) for a in areas))
    return "\n".join(lines)


def scheduled_note(series: MeetingSeries, first: datetime | None) -> str:
    """The answer to the lead who scheduled a series."""
    shown = meeting_time(series, first) if first else "none"
    return f"Scheduled series #{series.id}: {rule_text(series)}. First meeting: {shown}."


def scheduled(series: MeetingSeries, next_at: datetime | None, actor: str) -> tuple[str, Blocks]:
    """The channel announcement of a new series."""
    first = meeting_time(series, next_at) if next_at else "none"
    text = f"New burndown series #{series.id}: {rule_text(series)}. First meeting {first}."
    body = (
        f":spiral_calendar_pad: <@{actor}> scheduled burndown series *#{series.id}*: "
        f"{rule_text(series)}\n*First meeting:* {first}\n{extras_text(series)}"
    )
    if series.link:
        body += f"\n{link_text(series)}"
    return text, [mrkdwn(body)]


def cancelled(series: MeetingSeries, actor: str) -> tuple[str, Blocks]:
    """The channel note that a series ended."""
    text = f"<@{actor}> cancelled burndown series #{series.id} ({rule_text(series)})."
    return text, [mrkdwn(f":wastebasket: {text}")]


def skipped(items: list[Upcoming], actor: str) -> tuple[str, Blocks]:
    """The channel note that meetings on a day are skipped."""
    lines = [
        f"• {meeting_time(item.series, item.occurs_at)} (series #{item.series.id})"
        for item in items
    ]
    head = f"<@{actor}> skipped {len(items)} burndown meeting(s)"
    body = fit_lines(lines, SECTION_LIMIT - len(head) - 20, more=_more("`/burndown list`"))
    return f"{head}.", [mrkdwn(f":no_bell: {head}:\n{body}")]


def cadence_basis(mwf_milestone: str | None, daily_milestone: str | None) -> str:
    """Where the cadence's stretches begin: at the schedule's milestones, or by default."""
    mwf = (
        f"Mon/Wed/Fri from the *{escape(mwf_milestone)}* milestone"
        if mwf_milestone
        else "Mon/Wed/Fri from three weeks before the release week (no code-freeze milestone)"
    )
    daily = (
        f"every weekday from the *{escape(daily_milestone)}* milestone"
        if daily_milestone
        else "every weekday for the last two weeks (no docs-freeze milestone)"
    )
    return f"{mwf}; {daily}."


def cadence_laid_out(
    release: Release,
    created: list[MeetingSeries],
    replaced: int,
    actor: str,
    basis: str | None = None,
) -> tuple[str, Blocks]:
    """The channel announcement of a laid-out cadence."""
    text = f"<@{actor}> laid out the burndown cadence of {escape(release.name)}."
    lines = [f":runner: {text}"]
    for series in created:
        piece = PIECE_NAMES.get(series.piece or "", series.piece or "")
        lines.append(f"• *#{series.id}* {piece}: {rule_text(series)}")
    blocks = [mrkdwn("\n".join(lines))]
    note = f"{basis} " if basis else ""
    note += "It moves with release day (`/release postpone`)."
    if replaced:
        note += f" It replaces the {replaced} series of the earlier cadence."
    blocks.append(context(note))
    return text, blocks


def cadence_moved(changed: list[MeetingSeries]) -> str:
    """One line for the postponement announcement: how the cadence moved."""
    parts = []
    for series in changed:
        piece = PIECE_NAMES.get(series.piece or "", series.piece or "")
        if series.state == "active":
            parts.append(f"#{series.id} {piece} now {rule_text(series)}")
        else:
            parts.append(f"#{series.id} {piece} ended")
    return ":repeat: The burndown cadence moved with it: " + "; ".join(parts) + "."


def reminder(
    release: Release,
    series: MeetingSeries,
    occurs_at: datetime,
    *,
    sent_at: datetime,
    late_by: timedelta | None,
    posted: list[MeetingStatus],
    missing: list[str],
) -> tuple[str, Blocks]:
    """The reminder posted in the channel before a meeting, with the status digest.

    `late_by`: how long after its due time it went out, when that was late (Slack or the
    bot was away). Every status posted and every person missing is shown, over several
    blocks if need be; past DIGEST_BLOCKS / MENTION_BLOCKS the rest is counted.
    """
    starts = meeting_time(series, occurs_at)
    lead = duration(timedelta(seconds=round((occurs_at - sent_at).total_seconds())))
    text = f"Burndown of {escape(release.name)} in {lead}: {starts}"
    head = f":alarm_clock: *Burndown in {lead}*: {starts} ({utc_plain(occurs_at)})"
    if late_by is not None:
        late = duration(timedelta(seconds=round(late_by.total_seconds())))
        text += f" (sent {late} late)"
        head += f"\n_(sent {late} late: the bot or Slack was unavailable when it was due)_"
    if series.link:
        head += f"\n{link_text(series)}"
    areas = areas_of(series)
    if areas:
        head += "\n*Areas:* " + ", ".join(escape(a) for a in areas)
    blocks: Blocks = [mrkdwn(head)]
    lines = digest_lines(posted) or ["_nobody posted yet_"]
    blocks += _spread("*Status*", lines, DIGEST_BLOCKS, "\n")
    if missing:
        mentioned = [f"<@{user}>" for user in missing]
        title = f"*Still missing status ({len(missing)}):*"
        blocks += _spread(title, mentioned, MENTION_BLOCKS, ", ")
        blocks.append(actions([status_button(series, occurs_at)]))
    blocks.append(context(f"Series #{series.id} · {rule_text(series)}"))
    return text, blocks


def _more(where: str) -> Callable[[int], str]:
    return lambda n: f"_…and {n} more: see {where}_"


def _spread(title: str, items: list[str], most: int, sep: str) -> Blocks:
    """Items over as many blocks as they need (at most `most`), each item whole."""
    blocks: Blocks = []
    rest = items
    while rest:
        last = len(blocks) == most - 1
        head = title if not blocks else ""
        room = SECTION_LIMIT - len(head) - 1
        taken = _take(rest, room, sep)
        if last and taken < len(rest):
            body = fit_lines(rest, room, more=lambda n: f"…and {n} more", sep=sep)
            taken = len(rest)
        else:
            body = sep.join(rest[:taken])
        blocks.append(mrkdwn(f"{head}\n{body}" if head else body))
        rest = rest[taken:]
    return blocks


def _take(items: list[str], room: int, sep: str) -> int:
    """How many items, from the first, fit whole in `room` characters (at least one)."""
    used = 0
    for index, item in enumerate(items):
        used += len(item) + (len(sep) if index else 0)
        if used > room:
            return max(index, 1)
    return len(items)


def status_section(found: Upcoming | None, count: int) -> Section | None:
    """The burndown part of `/release status`."""
    if count == 0:
        return None
    if found is None:
        return Section("Burndown", [f"{count} series, no meeting left. See `/burndown list`."])
    series = found.series
    lines = [
        f"Next meeting: {meeting_time(series, found.occurs_at)} (series #{series.id}: "
        f"{rule_text(series)})",
        f"{count} active series; `/burndown list` shows them.",
    ]
    return Section("Burndown", lines)


def home_status_due(due: StatusDue) -> Blocks:
    """App Home: a status update the person owes, with the button that opens its form."""
    line = (
        f":memo: *Your status update is due* for the burndown "
        f"{meeting_time(due.series, due.occurs_at)} ({where(due.release)})"
    )
    return [mrkdwn(line), actions([status_button(due.series, due.occurs_at)])]


def home_meetings(upcoming: list[Upcoming]) -> Blocks:
    """App Home: the person's next meetings, each in their own time."""
    if not upcoming:
        return []
    lines = [
        f"• {when(m.occurs_at, ZoneInfo(m.series.zone))} ({where(m.release)})" for m in upcoming
    ]
    return [mrkdwn("*Your next meetings*\n" + "\n".join(lines))]
