"""Renderers for a release: announcements, status, roles. Pure: data in, Block Kit out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.blocks import SECTION_LIMIT, Blocks, context, header, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import duration, when
from bot.release.groups import groups_in, mention, mentions
from bot.release.models import Release

MAX_BLOCKS = 50
# Typed characters per section: escaped (at most five characters each) they still fit.
TYPED_CHUNK = (SECTION_LIMIT - 20) // 5
# `/release roles` answers in the command's text, which Slack cuts past 40,000 characters.
ROLES_TEXT_LIMIT = 39_000
WHY_UNREACHABLE = {
    "not_in_channel": "I am no longer a member of it",
    "channel_not_found": "Slack cannot find it for me (deleted, or private without me)",
    "is_archived": "it was archived",
}


def release_day(release: Release) -> str:
    """Release day as a date token every reader sees in their own time."""
    if release.release_at is None:
        return "not set yet"
    return when(release.release_at, ZoneInfo(release.zone))


def announce_new(release: Release) -> tuple[str, Blocks]:
    """The channel announcement of a new release."""
    name = escape(release.name)
    text = f"Release {name} starts here. Release day: {release_day(release)}."
    blocks = [
        header(f"Release {release.name}"),
        mrkdwn(
            f":rocket: <@{release.created_by}> started release *{name}* in this channel.\n"
            f"*Release day:* {release_day(release)}\n"
            f"*Lead:* <@{release.created_by}>"
        ),
        context(
            "Assign roles with `/release role ROLE @person`, see where things stand "
            "with `/release status`."
        ),
    ]
    return text, blocks


def role_line(role: str, holders: list[str]) -> str:
    """`*docs*: @a, @group`: a role and who holds it now (people and user groups)."""
    return f"*{escape(role)}*: {mentions(holders)}"


def group_sizes(sizes: dict[str, int], cache_seconds: float) -> str:
    """For the lead who handed a role to user groups: how many people each has now."""
    counts = ", ".join(
        f"<!subteam^{group}> has {n} member{'s' if n != 1 else ''}" for group, n in sizes.items()
    )
    return f"{counts} now. " + (groups_note(list(sizes), cache_seconds) or "")


def groups_note(holders: list[str], cache_seconds: float) -> str | None:
    """What holding a role through a user group means, when some role is held by one."""
    if not groups_in(holders):
        return None
    return (
        "_A user group holds a role through its members at the time: I read them from Slack "
        f"when it matters (kept for {_seconds(cache_seconds)}), so a change of the group in "
        "Slack counts without a command. Pings mention the group itself._"
    )


def _seconds(span: float) -> str:
    whole = max(0, round(span))
    if whole and whole % 60 == 0:
        minutes = whole // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{whole} second{'s' if whole != 1 else ''}"


def role_unchanged(role: str, holders: list[str]) -> str:
    """The answer when a role is handed to the people who hold it already."""
    return f"*{escape(role)}* is already held by {mentions(holders)}."


def role_assigned(role: str, holders: list[str], actor: str) -> tuple[str, Blocks]:
    """The channel note that a role changed hands (or was emptied)."""
    note = f"<@{actor}> made {mentions(holders)} *{escape(role)}*"
    if not holders:
        note = f"<@{actor}> emptied the role *{escape(role)}*; it falls to the lead"
    return note + ".", [mrkdwn(note)]


def escalation_text(waits: tuple[timedelta, ...]) -> str:
    """How overdue work climbs the ladder in this release, in a sentence or two."""
    if waits:
        spans = [duration(w) for w in waits]
        first, second = spans[0], spans[1] if len(spans) > 1 else spans[0]
        how = (
            f"its owners are asked first, then the role's backup (`ROLE-shadow`, when it has "
            f"one) after {first}, then the lead after {second} more"
        )
    else:
        how = (
            "its owners are asked first, then the role's backup (`ROLE-shadow`, when it has "
            "one), then the lead, each after the step's expected duration (the default; for a "
            "gate, the time of its first re-pings)"
        )
    return (
        f"When a step runs past its expected time or a gate stays red, {how}. Someone outside "
        "08:00–20:00 in their Slack timezone, away by their Slack status, or on a public "
        "holiday in their country is still pinged, with why, and the next person is asked at "
        "once instead of after the wait."
    )


def escalation_set(waits: tuple[timedelta, ...], actor: str) -> tuple[str, Blocks]:
    """The channel note that a lead changed how overdue steps escalate."""
    how = escalation_text(waits)
    note = f"<@{actor}> changed the escalation of overdue steps and red gates: {how}"
    return note, [mrkdwn(f":ladder: {note}")]


def roles_lines(holders: dict[str, list[str]]) -> list[str]:
    """One line per role: `role`: @a, @b."""
    return [role_line(role, users) for role, users in holders.items()]


def roles_text(
    release: Release, holders: dict[str, list[str]], group_cache_seconds: float = 60.0
) -> str:
    """The answer to `/release roles`."""
    head = f"*Roles in release {escape(release.name)}*"
    foot = "_A role with nobody in it falls to the lead._"
    everyone = [h for users in holders.values() for h in users]
    note = groups_note(everyone, group_cache_seconds)
    if note:
        foot += "\n" + note
    room = ROLES_TEXT_LIMIT - len(head) - len(foot) - 2
    return "\n".join([head, fit_lines(roles_lines(holders), room), foot])


def state_blocks(
    release: Release,
    *,
    phase: str,
    holders: dict[str, list[str]],
    sections: list[Section],
) -> Blocks:
    """A release's state: phase, release day, roles, then every feature's section.

    One renderer for `/release status` and for each release on App Home. Every list is
    fitted whole line by whole line; what does not fit is counted, never cut mid-token.
    """
    roles_title = "*Roles*\n"
    roles = fit_lines(
        roles_lines(holders),
        SECTION_LIMIT - len(roles_title),
        more=lambda n: f"_…and {n} more roles: `/release roles` lists them all_",
    )
    blocks: Blocks = [
        header(f"Release {release.name}"),
        mrkdwn(
            f"*Phase:* {escape(phase)}\n*Release day:* {release_day(release)}\n"
            f"*Timezone:* {release.zone} · <#{release.channel_id}>"
        ),
        mrkdwn(roles_title + roles),
    ]
    for section in sections:
        title = f"*{escape(section.title)}*\n"
        body = fit_lines(section.lines, SECTION_LIMIT - len(title)) or "_nothing yet_"
        blocks.append(mrkdwn(title + body))
    return blocks


def status_blocks(
    release: Release,
    *,
    phase: str,
    holders: dict[str, list[str]],
    sections: list[Section],
    now: datetime,
    notice: str | None = None,
) -> tuple[str, Blocks]:
    """The answer to `/release status` (`notice`: a line for leads, shown first)."""
    blocks = state_blocks(release, phase=phase, holders=holders, sections=sections)
    if notice:
        blocks.insert(1, mrkdwn(notice))
    footer = context(f"As of {when(now, ZoneInfo(release.zone), style='time')}")
    if len(blocks) >= MAX_BLOCKS:
        left = len(blocks) - (MAX_BLOCKS - 2)
        blocks = blocks[: MAX_BLOCKS - 2]
        blocks.append(context(f"…and {left} more parts that do not fit in one message."))
    blocks.append(footer)
    return f"Release {escape(release.name)}: {escape(phase)}", blocks


def waiting_line(count: int, oldest: datetime, zone: ZoneInfo) -> str:
    """For leads: messages to the channel that Slack has not taken yet, and since when."""
    many = "message is" if count == 1 else "messages are"
    return (
        f":hourglass_flowing_sand: {count} {many} waiting to be posted in this channel, "
        f"the oldest since {when(oldest, zone)}. Slack has not taken them yet (an outage or "
        "its rate limits); they go out, once each, as soon as it does."
    )


def unreachable(release: Release, error: str) -> tuple[str, Blocks]:
    """The DM to a lead when the bot can no longer post in the release's channel."""
    name = escape(release.name)
    why = WHY_UNREACHABLE.get(error, f"Slack answers `{escape(error)}`")
    text = f"I can no longer post in <#{release.channel_id}> for release {name}: {why}."
    body = (
        f":warning: I can no longer post in <#{release.channel_id}>, the channel of release "
        f"*{name}*: {why}.\nReminders, votes, checklist steps and gate alerts for it do not "
        f"reach the team until I am back. "
    )
    if error == "is_archived":
        body += "Unarchive the channel, then invite me back: "
    else:
        body += "Invite me back: "
    body += f"in <#{release.channel_id}>, type `/invite @` followed by my name."
    return text, [mrkdwn(body)]


def postponed(
    release: Release, before: datetime | None, actor: str, reason: str, also: str | None = None
) -> tuple[str, Blocks]:
    """The channel announcement that release day moved (`also`: what moved with it)."""
    zone = ZoneInfo(release.zone)
    old = when(before, zone) if before else "not set"
    text = f"Release {escape(release.name)} moves to {release_day(release)}."
    body = (
        f":calendar: <@{actor}> moved release day of *{escape(release.name)}*\n"
        f"*From:* ~{old}~\n*To:* {release_day(release)}"
    )
    blocks = [mrkdwn(body)]
    if reason:
        blocks += typed_blocks("*Why:* ", reason)
    if also:
        blocks.append(mrkdwn(also))
    return text, blocks


def typed_blocks(title: str, typed: str) -> Blocks:
    """Text a person typed, escaped, whole over as many sections as it needs (split at spaces)."""
    blocks: Blocks = []
    rest = typed
    while rest:
        piece = rest[:TYPED_CHUNK]
        if len(piece) < len(rest) and " " in piece[TYPED_CHUNK // 2 :]:
            piece = piece[: piece.rindex(" ") + 1]
        blocks.append(mrkdwn(("" if blocks else title) + escape(piece)))
        rest = rest[len(piece) :]
    return blocks


def closed(release: Release, actor: str) -> tuple[str, Blocks]:
    """The channel announcement that the release is released or cancelled."""
    name = escape(release.name)
    if release.state == "cancelled":
        text = f"Release {name} was cancelled by <@{actor}>."
        return text, [mrkdwn(f":no_entry: {text}")]
    text = f"Release {name} is out. Marked released by <@{actor}>."
    return text, [mrkdwn(f":tada: {text} Thank you all.")]


def where(release: Release) -> str:
    """`*name* in #channel`: where a release lives, for a line about one of its things."""
    return f"*{escape(release.name)}* in <#{release.channel_id}>"


def on_behalf(group: str | None) -> str:
    """` _for @group_` when a thing waits on a person through one of their user groups."""
    return f" _for {mention(group)}_" if group else ""
