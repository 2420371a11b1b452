"""The App Home view: what waits on the person looking, then their releases. Pure.

A Home holds at most 100 blocks. What waits on the person comes first, most pressing
first (red gates, their steps, their votes, status updates due), each whole with its
buttons; then their next meetings; then their releases, in full while they fit and as one
line each after that. Whatever is left out is counted, with where to find it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.burndown.render import meeting_time
from bot.burndown.status_render import status_button
from bot.checklist.render import step_buttons
from bot.core.blocks import SECTION_LIMIT, Blocks, actions, context, divider, header, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import when
from bot.gates.render import state_line
from bot.gonogo.render import vote_buttons
from bot.home.agenda import Agenda
from bot.release.groups import mention
from bot.release.models import Release
from bot.release.render import state_blocks
from bot.schedule.render import home_lines

VIEW_LIMIT = 100
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class ReleaseState:
    """What `/release status` shows, for one release on the Home tab."""

    release: Release
    phase: str
    holders: dict[str, list[str]]
    sections: list[Section]


@dataclass(frozen=True)
class Waiting:
    """One thing that waits on the person: its blocks, what kind it is, and where it lives."""

    blocks: Blocks
    kind: str
    channel_id: str


def _where(release: Release) -> str:
    return f"*{escape(release.name)}* in <#{release.channel_id}>"


def _for(agenda: Agenda, kind: str, item_id: int | None) -> str:
    """` _for @group_` when the thing waits on the person through one of their user groups."""
    group = agenda.via.get((kind, item_id or 0))
    return f" _for {mention(group)}_" if group else ""


def waiting_items(agenda: Agenda) -> list[Waiting]:
    """Each thing that waits on the person, most pressing first, with its buttons."""
    items: list[Waiting] = []
    for release, gate in agenda.gates:
        line = f":rotating_light: *Your gate is red:* {state_line(gate, ZoneInfo(release.zone))}"
        line += _for(agenda, "gate", gate.id)
        items.append(
            Waiting([mrkdwn(f"{line} ({_where(release)})")], "red gate", release.channel_id)
        )
    for active, step in agenda.steps:
        since = f" since {when(active.activated_at, UTC)}" if active.activated_at else ""
        blocks = [
            mrkdwn(
                f":arrow_forward: *Your step:* {escape(active.title)} ({escape(active.role)})"
                f"{_for(agenda, 'step', active.step_id)}"
                f" in {escape(active.release_name)} <#{active.channel_id}>{since}"
            )
        ]
        buttons = step_buttons(step)
        items.append(Waiting([*blocks, *([buttons] if buttons else [])], "step", active.channel_id))
    for poll, release in agenda.votes:
        closes = when(poll.deadline, ZoneInfo(release.zone)) if poll.deadline else None
        line = (
            f":ballot_box_with_ballot: *Your vote is missing:* {escape(poll.question)}"
            f"{_for(agenda, 'vote', poll.id)} "
            f"({_where(release)}{f', closes {closes}' if closes else ''})"
        )
        blocks = [mrkdwn(line), actions(vote_buttons(poll))]
        items.append(Waiting(blocks, "vote", release.channel_id))
    for due in agenda.status_due:
        line = (
            f":memo: *Your status update is due* for the burndown "
            f"{meeting_time(due.series, due.occurs_at)} ({_where(due.release)})"
        )
        blocks = [mrkdwn(line), actions([status_button(due.series, due.occurs_at)])]
        items.append(Waiting(blocks, "status update", due.release.channel_id))
    return items


def waiting_blocks(agenda: Agenda, room: int = VIEW_LIMIT) -> Blocks:
    """The things that wait on the person within `room` blocks; the rest counted, with where."""
    items = waiting_items(agenda)
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


def meetings_blocks(agenda: Agenda) -> Blocks:
    """The person's next meetings, each in their own time."""
    if not agenda.meetings:
        return []
    lines = [
        f"• {when(m.occurs_at, ZoneInfo(m.series.zone))} ({_where(m.release)})"
        for m in agenda.meetings
    ]
    return [mrkdwn("*Your next meetings*\n" + "\n".join(lines))]


def milestones_blocks(agenda: Agenda, now: datetime) -> Blocks:
    """The person's next milestones, each in their own time."""
    upcoming = [(u.milestone, u.release, u.owned) for u in agenda.milestones]
    return home_lines(upcoming, now)


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
    lines = [f"• {_where(s.release)}: {escape(s.phase)}" for s in states]
    label = f"*Your {'other ' if other else ''}releases* ({len(states)}): "
    label += "`/release status` in each channel shows one in full"

    def more(left: int) -> str:
        return f"• …and {left} more: `/release status` in their channels"

    return [divider(), mrkdwn(label + "\n" + fit_lines(lines, SECTION_LIMIT - len(label), more))]


def home_view(agenda: Agenda, states: list[ReleaseState], now: datetime) -> dict[str, Any]:
    """The whole Home tab, within Slack's 100 blocks."""
    meetings = meetings_blocks(agenda) + milestones_blocks(agenda, now)
    footer = context(f"Updated {when(now, UTC, style='time')}")
    # Kept for the releases: at least their short list (a divider and a section).
    room = VIEW_LIMIT - 1 - len(meetings) - 2 - 1
    blocks: Blocks = [header("Waiting on you")]
    blocks.extend(
        waiting_blocks(agenda, room) or [mrkdwn("Nothing waits on you right now. :sunny:")]
    )
    blocks.extend(meetings)
    blocks.extend(releases_blocks(states, VIEW_LIMIT - len(blocks) - 1))
    blocks.append(footer)
    return {"type": "home", "blocks": blocks}
