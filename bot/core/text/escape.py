"""User text in and out: decoded once where it enters, escaped once where the bot repeats it.

Slack sends `&`, `<` and `>` typed in a slash command as `&amp;`, `&lt;` and `&gt;`
(mentions and links arrive as real `<...>` tokens). The bot decodes command text once
(`decode`, in the command line splitter), stores what the person typed, counts limits on
that, and escapes it once where it repeats it in mrkdwn (`escape`); plain_text (headers,
button labels, modal titles) shows it as it is.
"""

from __future__ import annotations


def decode(text: str) -> str:
    """What the person typed: Slack sends `&`, `<` and `>` in command text as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so `<!channel>` stays plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int = 40) -> str:
    """Typed text cut to `limit` characters with an ellipsis (escape it after cutting)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = 40) -> str:
    """User text echoed inside backticks: shortened, escaped, without backticks of its own."""
    return "`" + escape(shorten(text, limit)).replace("`", "'") + "`"
