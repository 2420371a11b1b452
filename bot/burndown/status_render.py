"""Renderers for async burndown status: the request DM, the form, the digest. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.burndown import ids
from bot.burndown.models import MeetingSeries, MeetingStatus
from bot.burndown.series import areas_of
from bot.core.blocks import Block, Blocks, actions, button, context, mrkdwn
from bot.core.text.escape import escape
from bot.core.text.timefmt import when
from bot.release.models import Release

COLOUR_EMOJI = {
    "green": ":large_green_circle:",
    "yellow": ":large_yellow_circle:",
    "red": ":red_circle:",
}
MAX_NOTES_SHOWN = 300


def status_button(series: MeetingSeries, occurs_at: datetime) -> Block:
    """The button that opens the status form for one meeting."""
    value = ids.encode_meeting(series.id, occurs_at)
    return button("Post status", ids.STATUS_ACTION, value, style="primary")


def status_request(
    release: Release, series: MeetingSeries, occurs_at: datetime
) -> tuple[str, Blocks]:
    """The DM asking a role holder for their status before a meeting."""
    starts = when(occurs_at, ZoneInfo(series.zone))
    name = escape(release.name)
    text = f"Burndown of {name} at {starts}: please post your status before the meeting."
    body = (
        f":memo: The next burndown of *{name}* (<#{release.channel_id}>) is {starts}.\n"
        "Post your status here so the team can read it before the call."
    )
    blocks: Blocks = [mrkdwn(body)]
    areas = areas_of(series)
    if areas:
        blocks.append(context("Areas: " + ", ".join(escape(a) for a in areas)))
    blocks.append(actions([status_button(series, occurs_at)]))
    return text, blocks


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75], "emoji": True}, "value": value[:150]}


def status_form(release: Release, series: MeetingSeries, occurs_at: datetime) -> dict[str, Any]:
    """The modal taking area, colour and notes for one meeting."""
    areas = areas_of(series)
    if areas:
        area: Block = {
            "type": "static_select",
            "action_id": ids.VALUE,
            "placeholder": {"type": "plain_text", "text": "Pick an area"},
            "options": [_option(a, a) for a in areas[:100]],
        }
    else:
        area = {"type": "plain_text_input", "action_id": ids.VALUE, "max_length": 80}
    colours = [_option(f"{emoji} {colour}", colour) for colour, emoji in COLOUR_EMOJI.items()]
    starts = when(occurs_at, ZoneInfo(series.zone))
    return {
        "type": "modal",
        "callback_id": ids.STATUS_FORM,
        "private_metadata": ids.encode_meeting(series.id, occurs_at),
        "title": {"type": "plain_text", "text": "Burndown status"},
        "submit": {"type": "plain_text", "text": "Post"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(f"*{escape(release.name)}*: burndown {starts} (series #{series.id})"),
            _input(ids.AREA, "Area", area),
            _input(
                ids.COLOUR,
                "How does it look?",
                {
                    "type": "radio_buttons",
                    "action_id": ids.VALUE,
                    "options": colours,
                },
            ),
            _input(
                ids.NOTES,
                "Notes",
                {
                    "type": "plain_text_input",
                    "action_id": ids.VALUE,
                    "multiline": True,
                    "max_length": 1000,
                },
                optional=True,
            ),
        ],
    }


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def digest_lines(posted: list[MeetingStatus]) -> list[str]:
    """One line per posted status: colour, area, notes, who."""
    lines = []
    for row in posted:
        notes = row.notes if len(row.notes) <= MAX_NOTES_SHOWN else row.notes[:299] + "…"
        notes = " ".join(notes.split())
        line = f"{COLOUR_EMOJI.get(row.colour, '')} *{escape(row.area)}*"
        if notes:
            line += f": {escape(notes)}"
        lines.append(f"{line} (<@{row.user_id}>)")
    return lines


def saved_note(area: str, colour: str) -> str:
    """What the poster is told after the form is saved."""
    return f"{COLOUR_EMOJI.get(colour, '')} Your status for *{escape(area)}* is in. Thank you!"
