"""Renderer for `/burndown suggest`: the best times and a pair to alternate. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.burndown.recurrence import DAY_NAMES
from bot.burndown.slots import DayOff, Slot, Suggestion
from bot.core.blocks import SECTION_LIMIT, Blocks, context, mrkdwn
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import duration, when

UTC_ZONE = ZoneInfo("UTC")


def slot_text(suggestion: Suggestion, slot: Slot, off: Sequence[DayOff] = ()) -> str:
    """A slot: reader's local time, the UTC time, its days, who it reaches, whose holiday."""
    days = ", ".join(DAY_NAMES[d] for d in sorted(set(slot.weekdays)))
    regions = " · ".join(
        f"{region} {suggestion.reached(slot, region)}/{len(members)}"
        for region, members in suggestion.regions.items()
    )
    text = (
        f"{when(slot.first, UTC_ZONE)} · {slot.first:%H:%M} UTC on {days} (UTC)\n"
        f"      reaches *{slot.count}/{suggestion.members}*: {regions}"
    )
    return text + holidays_text(off)


def holidays_text(off: Sequence[DayOff]) -> str:
    """'      :palm_tree: public holiday on Thu 3 Oct for <@U1> (Day of German Unity, Germany)'."""
    by_day: dict[str, list[str]] = {}
    for day_off in off:
        label = f"{day_off.instant:%a} {day_off.instant.day} {day_off.instant:%b}"
        who = f"<@{day_off.user}> ({day_off.holiday.name}, {day_off.holiday.country_name})"
        by_day.setdefault(label, []).append(who)
    lines = []
    for label, people in by_day.items():
        shown = ", ".join(people[:8]) + (f" and {len(people) - 8} more" if len(people) > 8 else "")
        lines.append(f"\n      :palm_tree: public holiday on {label} for {shown}")
    return "".join(lines)


def reading_text() -> str:
    """The caller's first answer, while members and zones are read."""
    return "Reading this channel's members and their timezones; the best times follow shortly."


def unreadable_text(reason: str) -> str:
    """Why there is no suggestion: Slack would not list the channel's members."""
    return (
        f":warning: I could not read this channel's members (`{reason}`). "
        "Invite me to the channel and try again."
    )


def no_members_text() -> str:
    """Why there is no suggestion: nobody to meet with."""
    return "This channel has no members I can see."


def unknown_text(unknown: int) -> str:
    """'3 members without a known timezone'."""
    return f"{unknown} member{'' if unknown == 1 else 's'} without a known timezone"


def suggestion_blocks(
    suggestion: Suggestion,
    length: timedelta,
    *,
    skipped: int = 0,
    unknown: int = 0,
    off: Mapping[Slot, Sequence[DayOff]] | None = None,
) -> tuple[str, Blocks]:
    """The ephemeral answer with the top slots, and the pair when no slot fits everyone.

    `skipped` members were left out of a very large channel; `unknown` ones have no zone
    Slack could tell (it did not say, or it rate-limited or failed the lookup).
    """
    span = duration(length)
    if unknown and not suggestion.members:
        text = (
            f"I could not read anyone's timezone from Slack just now ({unknown_text(unknown)}). "
            "Try again in a minute."
        )
        return text, [mrkdwn(f":warning: {text}")]
    if not suggestion.top:
        text = (
            f"No {span} slot in the coming week falls inside anyone's working hours "
            "(08:00-18:00 on their weekdays)."
        )
        blocks = [mrkdwn(f":thinking_face: {text}")]
    else:
        text = f"Best {span} burndown times for this channel's {suggestion.members} members."
        blocks = _ranked(suggestion, span, off or {})
    if skipped:
        blocks.append(context(f"Only the first members were scored; {skipped} were left out."))
    if unknown:
        blocks.append(context(f"Not counted: {unknown_text(unknown)}."))
    return text, blocks


def _ranked(suggestion: Suggestion, span: str, off: Mapping[Slot, Sequence[DayOff]]) -> Blocks:
    head = (
        f"*Best {span} burndown times for the {suggestion.members} members of this channel*, "
        "scored by who is inside working hours (08:00-18:00 local, their weekdays):"
    )
    lines = [
        f"*{n}.* {slot_text(suggestion, slot, off.get(slot, ()))}"
        for n, slot in enumerate(suggestion.top, 1)
    ]
    blocks: Blocks = [mrkdwn(head), mrkdwn(fit_lines(lines, SECTION_LIMIT))]
    if suggestion.pair:
        first, second = suggestion.pair
        blocks.append(
            mrkdwn(
                ":arrows_counterclockwise: *No single time reaches everyone.* Alternate between "
                f"these two; together they reach *{suggestion.pair_count}/{suggestion.members}*:\n"
                f"• {slot_text(suggestion, first, off.get(first, ()))}\n"
                f"• {slot_text(suggestion, second, off.get(second, ()))}"
            )
        )
    elif suggestion.top[0].count == suggestion.members:
        blocks.append(context("The first time reaches everyone."))
    return blocks
