"""`/burndown suggest`: read the channel's members and their zones, answer the caller."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.burndown.slots import suggest
from bot.burndown.slots_render import suggestion_blocks
from handlers.router import Ctx

log = logging.getLogger(__name__)
MAX_MEMBERS = 500
PAGE = 200


def channel_members(ctx: Ctx) -> tuple[list[str], int]:
    """The channel's member ids (up to MAX_MEMBERS), and how many more were left out."""
    members: list[str] = []
    cursor = ""
    while True:
        page = ctx.client.conversations_members(channel=ctx.channel_id, limit=PAGE, cursor=cursor)
        members.extend(str(m) for m in page.get("members") or [])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
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


def answer(ctx: Ctx, length: timedelta, now: datetime) -> None:
    """Score the coming week for the channel's members and tell the caller (ephemeral)."""
    try:
        members, left_out = channel_members(ctx)
    except SlackApiError as err:
        reason = err.response.get("error")
        log.warning("conversations.members for %s failed: %s", ctx.channel_id, reason)
        ctx.services.notifier.ephemeral(
            ctx.channel_id,
            ctx.user_id,
            ":warning: I could not read this channel's members "
            f"(`{reason}`). Invite me to the channel and try again.",
        )
        return
    if not members:
        ctx.services.notifier.ephemeral(
            ctx.channel_id, ctx.user_id, "This channel has no members I can see."
        )
        return
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="suggest") as pool:
        zones = list(pool.map(ctx.services.people.zone_of, members))
    result = suggest(zones, now, length)
    text, blocks = suggestion_blocks(result, length, skipped=left_out)
    ctx.services.notifier.ephemeral(ctx.channel_id, ctx.user_id, text, blocks)
