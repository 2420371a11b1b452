"""The App Home view: what waits on the person looking, then their releases. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.burndown.render import meeting_time
from bot.burndown.status_render import status_button
from bot.checklist.render import step_buttons
from bot.core.blocks import Blocks, actions, context, divider, header, mrkdwn
from bot.core.status import Section
from bot.core.text.escape import escape
from bot.core.text.timefmt import when
from bot.gates.render import state_line
from bot.gonogo.render import vote_buttons
from bot.home.agenda import Agenda
from bot.release.models import Release
from bot.release.render import state_blocks

VIEW_LIMIT = 100


@dataclass(frozen=True)
class ReleaseState:
    """What `/release status` shows, for one release on the Home tab."""

    release: Release
    phase: str
    holders: dict[str, list[str]]
    sections: list[Section]


def _where(release: Release) -> str:
    return f"*{escape(release.name)}* in <#{release.channel_id}>"


def waiting_blocks(agenda: Agenda) -> Blocks:
    """One block (plus its buttons) for each thing that waits on the person."""
    blocks: Blocks = []
    for active, step in agenda.steps:
        since = (
            f" since {when(active.activated_at, ZoneInfo('UTC'))}" if active.activated_at else ""
        )
        blocks.append(
            mrkdwn(
                f":arrow_forward: *Your step:* {escape(active.title)} ({escape(active.role)})"
                f" in {escape(active.release_name)} <#{active.channel_id}>{since}"
            )
        )
        buttons = step_buttons(step)
        if buttons is not None:
            blocks.append(buttons)
    for poll, release in agenda.votes:
        deadline = (
            f", closes {when(poll.deadline, ZoneInfo(release.zone))}" if poll.deadline else ""
        )
        blocks.append(
            mrkdwn(
                f":ballot_box_with_ballot: *Your vote is missing:* {escape(poll.question)} "
                f"({_where(release)}{deadline})"
            )
        )
        blocks.append(actions(vote_buttons(poll)))
    for release, gate in agenda.gates:
        blocks.append(
            mrkdwn(
                f":rotating_light: *Your gate is red:* {state_line(gate, ZoneInfo(release.zone))}"
                f" ({_where(release)})"
            )
        )
    for due in agenda.status_due:
        blocks.append(
            mrkdwn(
                f":memo: *Your status update is due* for the burndown "
                f"{meeting_time(due.series, due.occurs_at)} ({_where(due.release)})"
            )
        )
        blocks.append(actions([status_button(due.series, due.occurs_at)]))
    return blocks


def meetings_blocks(agenda: Agenda) -> Blocks:
    """The person's next meetings, each in their own time."""
    if not agenda.meetings:
        return []
    lines = [
        f"• {when(m.occurs_at, ZoneInfo(m.series.zone))} ({_where(m.release)})"
        for m in agenda.meetings
    ]
    return [mrkdwn("*Your next meetings*\n" + "\n".join(lines))]


def home_view(agenda: Agenda, states: list[ReleaseState], now: datetime) -> dict[str, Any]:
    """The whole Home tab."""
    blocks: Blocks = [header("Waiting on you")]
    waiting = waiting_blocks(agenda)
    blocks.extend(waiting or [mrkdwn("Nothing waits on you right now. :sunny:")])
    blocks.extend(meetings_blocks(agenda))
    if not states:
        blocks.append(context("You hold no role in an active release."))
    for state in states:
        release_part = [
            divider(),
            *state_blocks(
                state.release, phase=state.phase, holders=state.holders, sections=state.sections
            ),
        ]
        if len(blocks) + len(release_part) > VIEW_LIMIT - 1:
            blocks.append(
                context("More releases than fit here: see `/release status` in their channels.")
            )
            break
        blocks.extend(release_part)
    blocks.append(context(f"Updated {when(now, ZoneInfo('UTC'), style='time')}"))
    return {"type": "home", "blocks": blocks[:VIEW_LIMIT]}
