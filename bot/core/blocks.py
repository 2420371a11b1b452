"""Block Kit building blocks shared by every renderer. Pure."""

from __future__ import annotations

import json
from typing import Any

from bot.core.text.fit import cut

Block = dict[str, Any]
Blocks = list[Block]
SECTION_LIMIT = 2900


def mrkdwn(text: str, *, block_id: str | None = None) -> Block:
    """A section block with mrkdwn text, cut to Slack's limit between tokens."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    """A header block: plain text as typed (never escaped), at most 150 characters."""
    shown = text if len(text) <= 150 else text[:149] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": shown, "emoji": True}}


def context(text: str) -> Block:
    """A small grey context line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}]}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def mentions(users: list[str]) -> str:
    """Slack mentions for user ids, or a dash."""
    return ", ".join(f"<@{u}>" for u in users) if users else "—"


def button(
    text: str, action_id: str, value: str | dict[str, Any], *, style: str | None = None
) -> Block:
    """A button; a dict value is sent back as compact JSON (keep it under 2000 characters)."""
    raw = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": raw[:2000],
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    """An actions block holding buttons (at most 25)."""
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def reason_modal(
    *,
    callback_id: str,
    title: str,
    prompt: str,
    private_metadata: str,
    submit: str = "Submit",
    optional: bool = False,
) -> Block:
    """A modal asking for a reason in one multi-line text field (block `reason`, action `text`)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata[:3000],
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "optional": optional,
                "label": {"type": "plain_text", "text": prompt[:2000]},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 1000,
                },
            }
        ],
    }


def modal_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    """The text typed (or option chosen) in a submitted modal's input."""
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id, {})
    if state.get("selected_option"):
        return str(state["selected_option"].get("value", ""))
    return str(state.get("value") or "")
