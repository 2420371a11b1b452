"""Block Kit checks FakeSlack applies to messages and views, as Slack would."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3_000
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2_000
MAX_VIEW_TITLE = 24
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3_000


def check_message(args: dict[str, Any]) -> list[str]:
    """Problems with the `text` and `blocks` arguments of a chat.* call."""
    errors: list[str] = []
    text = args.get("text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        errors.append(f"text has {len(text)} chars (max {MAX_MESSAGE_TEXT})")
    if "blocks" in args:
        errors.extend(check_blocks(args["blocks"], MAX_MESSAGE_BLOCKS))
    return errors


def check_view(view: Any) -> list[str]:
    """Problems with a views.* `view` argument."""
    if not isinstance(view, dict):
        return ["view must be a JSON object"]
    blocks = view.get("blocks", [])
    errors = check_blocks(blocks, MAX_VIEW_BLOCKS)
    title = view.get("title") or {}
    title_text = title.get("text", "") if isinstance(title, dict) else str(title)
    errors.extend(_too_long("view title", title_text, MAX_VIEW_TITLE))
    errors.extend(_too_long("callback_id", view.get("callback_id") or "", MAX_CALLBACK_ID))
    metadata = view.get("private_metadata") or ""
    errors.extend(_too_long("private_metadata", metadata, MAX_PRIVATE_METADATA))
    if not errors and blocks:
        errors.extend(_model_errors("view", lambda: View(**view).to_dict()))
    return errors


def check_blocks(blocks: Any, limit: int) -> list[str]:
    """Problems with a list of blocks: count, duplicate block_ids, each block's limits."""
    if not isinstance(blocks, list):
        return ["blocks must be a JSON array"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"{len(blocks)} blocks (max {limit})")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        errors.extend(f"blocks[{index}]: {problem}" for problem in check_block(block))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id and block_id in seen:
            errors.append(f"blocks[{index}]: duplicate block_id {block_id!r}")
        if block_id:
            seen.add(block_id)
    return errors


def check_block(block: Any) -> list[str]:
    """Problems with one block: slack_sdk model validation plus explicit limits."""
    if not isinstance(block, dict):
        return ["block must be a JSON object"]
    errors = _model_errors(str(block.get("type")), lambda: _parse(block).to_dict())
    if errors:
        return errors
    kind = block.get("type")
    if kind == "section":
        errors.extend(_too_long("section text", _text(block.get("text")), MAX_SECTION_TEXT))
    if kind == "header":
        errors.extend(_too_long("header text", _text(block.get("text")), MAX_HEADER_TEXT))
    errors.extend(_duplicate_action_ids(block))
    errors.extend(_long_button_values(block))
    return errors


def _parse(block: dict[str, Any]) -> Block:
    parsed = Block.parse(block)
    if parsed is None:
        raise ValueError(f"unknown block type {block.get('type')!r}")
    return parsed


def _model_errors(label: str, build: Any) -> list[str]:
    try:
        build()
    except Exception as exc:  # any failure to build the model means Slack would refuse it
        return [f"{label}: {type(exc).__name__}: {exc}"]
    return []


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return value if isinstance(value, str) else ""


def _too_long(label: str, value: str, limit: int) -> list[str]:
    return [f"{label} has {len(value)} chars (max {limit})"] if len(value) > limit else []


def _duplicate_action_ids(block: dict[str, Any]) -> list[str]:
    elements = list(block.get("elements") or [])
    if isinstance(block.get("accessory"), dict):
        elements.append(block["accessory"])
    ids = [str(e["action_id"]) for e in elements if isinstance(e, dict) and e.get("action_id")]
    duplicates = sorted({action_id for action_id in ids if ids.count(action_id) > 1})
    return [f"duplicate action_id {action_id!r}" for action_id in duplicates]


def _long_button_values(node: Any) -> list[str]:
    if isinstance(node, list):
        return [error for item in node for error in _long_button_values(item)]
    if not isinstance(node, dict):
        return []
    errors: list[str] = []
    if node.get("type") == "button" and isinstance(node.get("value"), str):
        errors.extend(_too_long("button value", node["value"], MAX_BUTTON_VALUE))
    for item in node.values():
        errors.extend(_long_button_values(item))
    return errors
