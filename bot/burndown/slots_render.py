"""Renderer for `/burndown suggest`: the best times and a pair to alternate. Pure."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.burndown.recurrence import DAY_NAMES
from bot.burndown.slots import Slot, Suggestion
from bot.core.blocks import Blocks, context, mrkdwn
from bot.core.text.timefmt import duration, when

UTC_ZONE = ZoneInfo("UTC")


def slot_text(suggestion: Suggestion, slot: Slot) -> str:
    """A slot: reader's local time, the UTC time, its days, and who it reaches per region."""
    days = ", ".join(DAY_NAMES[d] for d in sorted(set(slot.weekdays)))
    regions = " · ".join(
        f"{region} {suggestion.reached(slot, region)}/{len(members)}"
        for region, members in suggestion.regions.items()
    )
    return (
        f"{when(slot.first, UTC_ZONE)} · {slot.first:%H:%M} UTC on {days} (UTC)\n"
        f"      reaches *{slot.count}/{suggestion.members}*: {regions}"
    )


def suggestion_blocks(
    suggestion: Suggestion, length: timedelta, *, skipped: int = 0
) -> tuple[str, Blocks]:
    """The ephemeral answer with the top slots, and the pair when no slot fits everyone."""
    span = duration(length)
    if not suggestion.top:
        text = (
            f"No {span} slot in the coming week falls inside anyone's working hours "
            "(08:00-18:00 on their weekdays)."
        )
        return text, [mrkdwn(f":thinking_face: {text}")]
    head = (
        f"*Best {span} burndown times for the {suggestion.members} members of this channel*, "
        "scored by who is inside working hours (08:00-18:00 local, their weekdays):"
    )
    lines = [f"*{n}.* {slot_text(suggestion, slot)}" for n, slot in enumerate(suggestion.top, 1)]
    blocks: Blocks = [mrkdwn(head), mrkdwn("\n".join(lines))]
    if suggestion.pair:
        first, second = suggestion.pair
        together = suggestion.pair_count
        blocks.append(
            mrkdwn(
                ":arrows_counterclockwise: *No single time reaches everyone.* Alternate between "
                f"these two; together they reach *{together}/{suggestion.members}*:\n"
                f"• {slot_text(suggestion, first)}\n• {slot_text(suggestion, second)}"
            )
        )
    elif suggestion.top[0].count == suggestion.members:
        blocks.append(context("The first time reaches everyone."))
    if skipped:
        blocks.append(context(f"Only the first members were scored; {skipped} were left out."))
    text = f"Best {span} burndown times for this channel's {suggestion.members} members."
    return text, blocks
