"""The App Home view. Pure."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import context, header, mrkdwn
from bot.blocks.release import release_day
from bot.escape import escape
from bot.models import Release


def home_view(releases: list[tuple[Release, list[str]]]) -> dict[str, Any]:
    """The Home tab: the releases the person is part of, and their roles there."""
    blocks: list[dict[str, Any]] = [header("Your releases")]
    if not releases:
        blocks.append(mrkdwn("You hold no role in an active release."))
    for release, roles in releases[:40]:
        blocks.append(
            mrkdwn(
                f"*{escape(release.name)}* in <#{release.channel_id}>\n"
                f"Release day: {release_day(release)}\nYour roles: {', '.join(roles)}"
            )
        )
    blocks.append(context("Open `/release status` in a release channel for the whole picture."))
    return {"type": "home", "blocks": blocks}
