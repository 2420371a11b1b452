"""The App Home view: what waits on the person looking, then their releases. Pure.

A Home holds at most 100 blocks. What waits on the person comes first, in the order of the
features' parts (red gates, their steps, their votes, status updates due), each whole with
the buttons its feature rendered; then what comes up for them (meetings, milestones); then
their releases, in full while they fit and as one line each after that. Whatever is left
out is counted, with where to find it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.asks.home import Waiting
from bot.core.blocks import SECTION_LIMIT, Blocks, context, divider, header, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import when
from bot.home.agenda import Agenda
from bot.release.models import Release
from bot.release.render import state_blocks, where

VIEW_LIMIT = 100
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class ReleaseState:
    """What `/release status` shows, for one release on the Home tab."""

    release: Release
    phase: str
    holders: dict[str, list[str]]
    sections: list[Section]


def waiting_blocks(items: list[Waiting], room: int = VIEW_LIMIT) -> Blocks:
    """The things that wait on the person within `room` blocks; the rest counted, with where."""
    if sum(len(item.blocks) for item in items) <= room:
        return [block for item in items for block in item.blocks]
    blocks: Blocks = []
    for index, item in enumerate(items):
        if len(blocks) + len(item.blocks) > room - 1:  # one is kept for the note
            return [*blocks, _left_out(items[index:])]
        blocks.extend(item.blocks)
    return blocks


def _left_out(items: list[Waiting]) -> dict[str, Any]:
    kinds = Counter(item.kind for item in items)
    what = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds.items())
    channels = [f"<#{c}>" for c in dict.fromkeys(item.channel_id for item in items)]
    where = fit_lines(channels, 1500, lambda n: f"and {n} more channels", sep=", ")
    return context(
        f"…and {len(items)} more waiting on you ({what}) that do not fit here: "
        f"`/release status` in {where} shows them."
    )


def releases_blocks(states: list[ReleaseState], room: int) -> Blocks:
    """Each release in full while it fits in `room` blocks, then one line for each other one."""
    if not states:
        return [context("You hold no role in an active release.")]
    blocks: Blocks = []
    for index, state in enumerate(states):
        part = [
            divider(),
            *state_blocks(
                state.release, phase=state.phase, holders=state.holders, sections=state.sections
            ),
        ]
        rest = states[index + 1 :]
        if len(blocks) + len(part) + (2 if rest else 0) > room:
            return [*blocks, *_in_short(states[index:], other=bool(blocks))]
        blocks.extend(part)
    return blocks


def _in_short(states: list[ReleaseState], other: bool) -> Blocks:
    lines = [f"• {where(s.release)}: {escape(s.phase)}" for s in states]
    label = f"*Your {'other ' if other else ''}releases* ({len(states)}): "
    label += "`/release status` in each channel shows one in full"

    def more(left: int) -> str:
        return f"• …and {left} more: `/release status` in their channels"

    return [divider(), mrkdwn(label + "\n" + fit_lines(lines, SECTION_LIMIT - len(label), more))]


def home_view(agenda: Agenda, states: list[ReleaseState], now: datetime) -> dict[str, Any]:
    """The whole Home tab, within Slack's 100 blocks."""
    coming_up = agenda.coming_up
    footer = context(f"Updated {when(now, UTC, style='time')}")
    # Kept for the releases: at least their short list (a divider and a section).
    room = VIEW_LIMIT - 1 - len(coming_up) - 2 - 1
    blocks: Blocks = [header("Waiting on you")]
    blocks.extend(
        waiting_blocks(agenda.waiting, room) or [mrkdwn("Nothing waits on you right now. :sunny:")]
    )
    blocks.extend(coming_up)
    blocks.extend(releases_blocks(states, VIEW_LIMIT - len(blocks) - 1))
    blocks.append(footer)
    return {"type": "home", "blocks": blocks}
