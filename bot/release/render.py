"""Renderers for a release: announcements, status, roles. Pure: data in, Block Kit out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.blocks import Blocks, context, header, mentions, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.timefmt import when
from bot.release.models import Release


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
    """`*docs*: @a, @b`: a role and who holds it now."""
    return f"*{escape(role)}*: {mentions(holders)}"


def role_unchanged(role: str, holders: list[str]) -> str:
    """The answer when a role is handed to the people who hold it already."""
    return f"*{escape(role)}* is already held by {mentions(holders)}."


def role_assigned(role: str, holders: list[str], actor: str) -> tuple[str, Blocks]:
    """The channel note that a role changed hands (or was emptied)."""
    note = f"<@{actor}> made {mentions(holders)} *{escape(role)}*"
    if not holders:
        note = f"<@{actor}> emptied the role *{escape(role)}*; it falls to the lead"
    return note + ".", [mrkdwn(note)]


def roles_lines(holders: dict[str, list[str]]) -> list[str]:
    """One line per role: `role`: @a, @b."""
    return [role_line(role, users) for role, users in holders.items()]


def roles_text(release: Release, holders: dict[str, list[str]]) -> str:
    """The answer to `/release roles`."""
    lines = [f"*Roles in release {escape(release.name)}*", *roles_lines(holders)]
    lines.append("_A role with nobody in it falls to the lead._")
    return "\n".join(lines)


def state_blocks(
    release: Release,
    *,
    phase: str,
    holders: dict[str, list[str]],
    sections: list[Section],
) -> Blocks:
    """A release's state: phase, release day, roles, then every feature's section.

    One renderer for `/release status` and for each release on App Home.
    """
    blocks: Blocks = [
        header(f"Release {release.name}"),
        mrkdwn(
            f"*Phase:* {escape(phase)}\n*Release day:* {release_day(release)}\n"
            f"*Timezone:* {release.zone} · <#{release.channel_id}>"
        ),
        mrkdwn("*Roles*\n" + "\n".join(roles_lines(holders))),
    ]
    for section in sections:
        body = "\n".join(section.lines) if section.lines else "_nothing yet_"
        blocks.append(mrkdwn(f"*{escape(section.title)}*\n{body}"))
    return blocks


def status_blocks(
    release: Release,
    *,
    phase: str,
    holders: dict[str, list[str]],
    sections: list[Section],
    now: datetime,
) -> tuple[str, Blocks]:
    """The answer to `/release status`."""
    blocks = state_blocks(release, phase=phase, holders=holders, sections=sections)
    blocks.append(context(f"As of {when(now, ZoneInfo(release.zone), style='time')}"))
    return f"Release {escape(release.name)}: {phase}", blocks[:50]


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
    if reason:
        body += f"\n*Why:* {escape(reason)}"
    blocks = [mrkdwn(body)]
    if also:
        blocks.append(mrkdwn(also))
    return text, blocks


def closed(release: Release, actor: str) -> tuple[str, Blocks]:
    """The channel announcement that the release is released or cancelled."""
    name = escape(release.name)
    if release.state == "cancelled":
        text = f"Release {name} was cancelled by <@{actor}>."
        return text, [mrkdwn(f":no_entry: {text}")]
    text = f"Release {name} is out. Marked released by <@{actor}>."
    return text, [mrkdwn(f":tada: {text} Thank you all.")]
