"""Making user text safe to repeat in Slack: no pings, no fake links, no broken formatting."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so `<!channel>` stays plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int = 40) -> str:
    """The text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = 40) -> str:
    """User text echoed inside backticks: shortened, escaped, without backticks of its own."""
    return "`" + escape(shorten(text, limit)).replace("`", "'") + "`"
