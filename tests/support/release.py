"""Shared test builders: release."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.core.people import Groups
from tests.conftest import RunningBot
from tests.kit.fake_methods import SlackError
from tests.kit.fake_slack import FakeSlack

CHANNEL = "C_REL"
LEAD = "U_LEAD"
# A Slack token left open (cut before its `>`) or a `>` whose `<` was cut away.
_OPEN_TOKEN = re.compile(r"<[^<>]*(?:<|$)")
_MENTION = re.compile(r"<(?:@|!subteam\^)[A-Z0-9_]+(?:\|[^>]*)?>")


def answer(resp) -> str:  # type: ignore[no-untyped-def]
    """The ephemeral text the caller sees (the command's HTTP answer)."""
    assert resp.status_code == 200, resp.text
    body = resp.json() if resp.text else {}
    return str(body.get("text", ""))


def mrkdwn_of(call) -> str:  # type: ignore[no-untyped-def]
    """Every text Slack would parse for mentions and links (plain_text is never parsed)."""
    found = [str(call.args.get("text", ""))]
    found += mrkdwn_texts(call.args.get("blocks"))
    return "\n".join(found)


def mrkdwn_texts(blocks: Any) -> list[str]:
    """Each mrkdwn text object in blocks, in order."""
    return _texts(blocks, "mrkdwn")


def plain_texts(blocks: Any) -> list[str]:
    """Each plain_text text object in blocks (headers, buttons), in order."""
    return _texts(blocks, "plain_text")


def _texts(node: Any, kind: str) -> list[str]:
    if isinstance(node, list):
        return [text for item in node for text in _texts(item, kind)]
    if not isinstance(node, dict):
        return []
    found = [str(node.get("text", ""))] if node.get("type") == kind else []
    return found + [text for value in node.values() for text in _texts(value, kind)]


def whole_tokens(text: str) -> bool:
    """True when every Slack token (`<...>`) in the text is closed: nothing was cut inside one."""
    return _OPEN_TOKEN.search(text) is None and text.count("<") == text.count(">")


def new_release(bot: RunningBot, text: str = "v1.0 on 2027-03-15 10:00 America/Los_Angeles"):  # type: ignore[no-untyped-def]
    """LEAD's `/release new TEXT` in CHANNEL (the HTTP response)."""
    return bot.slack.command("/release", f"new {text}", user_id=LEAD, channel_id=CHANNEL)


@contextmanager
def bot_removed_from(
    fake: FakeSlack, channel: str, error: str = "not_in_channel"
) -> Iterator[None]:
    """While inside, Slack refuses posts to `channel` with `error` (the bot was removed)."""
    post = fake._post_message

    def refuse(args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") == channel:
            raise SlackError(error)
        return post(args)

    fake._post_message = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        del fake._post_message


def group_mention(group: str, handle: str = "release-team") -> str:
    """A user group as Slack writes it in a command's text."""
    return f"<!subteam^{group}|@{handle}>"


def short_group_cache(bot: RunningBot, seconds: float) -> None:
    """Keep user groups' members for `seconds` instead of a minute (a fresh, empty cache)."""
    people = bot.services.people
    people.groups = Groups(people.client, ttl_seconds=seconds)


def mentions_in(calls: list[Any]) -> list[str]:
    """Every mention of a person or a user group in what these messages show.

    A message with blocks shows its blocks (its `text` is the notification fallback of the
    same message, so it is not counted again); one without shows its text.
    """
    found: list[str] = []
    for call in calls:
        blocks = call.args.get("blocks")
        shown = mrkdwn_texts(blocks) if blocks else [str(call.args.get("text", ""))]
        found += [m for text in shown for m in _MENTION.findall(text)]
    return found


def no_groups(group: str) -> frozenset[str]:
    """A group reader for service tests that name people only: every group is empty."""
    return frozenset()
