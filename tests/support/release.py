"""Shared test builders: release."""

from __future__ import annotations

from tests.conftest import RunningBot

CHANNEL = "C_REL"
LEAD = "U_LEAD"


def answer(resp) -> str:  # type: ignore[no-untyped-def]
    """The ephemeral text the caller sees (the command's HTTP answer)."""
    assert resp.status_code == 200, resp.text
    body = resp.json() if resp.text else {}
    return str(body.get("text", ""))


def mrkdwn_of(call) -> str:  # type: ignore[no-untyped-def]
    """Every text Slack would parse for mentions and links (plain_text is never parsed)."""
    found = [str(call.args.get("text", ""))]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call.args.get("blocks"))
    return "\n".join(found)


def new_release(bot: RunningBot, text: str = "v1.0 on 2027-03-15 10:00 America/Los_Angeles"):  # type: ignore[no-untyped-def]
    """LEAD's `/release new TEXT` in CHANNEL (the HTTP response)."""
    return bot.slack.command("/release", f"new {text}", user_id=LEAD, channel_id=CHANNEL)
