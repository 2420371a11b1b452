"""What people read about webhooks: the secret once, the list, and the pause. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.blocks import Blocks, context, mrkdwn
from bot.core.text.escape import escape, shorten
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import when
from bot.webhooks.models import Listed

LIST_LIMIT = 2800


class _Release(Protocol):
    name: str
    channel_id: str
    zone: str


class _Endpoint(Protocol):
    id: int | None
    url: str
    last_error: str | None
    failing_since: datetime | None


def url_text(url: str) -> str:
    """A URL shown as code: shortened, never linked, never a mention."""
    return "`" + escape(shorten(url, 120)).replace("`", "'") + "`"


def events_text(events: str) -> str:
    """The filter as people read it."""
    return "every event" if events == "*" else ", ".join(f"`{p}`" for p in events.split(","))


def added(number: int, url: str, events: str, secret: str) -> str:
    """The only time an endpoint's secret is shown (an ephemeral answer to the lead)."""
    return (
        f"Webhook #{number} added: {url_text(url)} hears {events_text(events)}.\n"
        f"Its signing secret, shown this once (store it with the receiver now):\n`{secret}`\n"
        "Deliveries follow Standard Webhooks 1.0: verify `webhook-id`, `webhook-timestamp` "
        "and `webhook-signature` with this secret, e.g. with the `standardwebhooks` library."
    )


def _line(item: Listed, zone: ZoneInfo) -> str:
    state = ":double_vertical_bar: paused" if item.paused_at else ":white_check_mark: active"
    if item.last_delivered_at is not None:
        last = f"last delivered {when(item.last_delivered_at, zone)}"
    else:
        last = "nothing delivered yet"
    parts = [f"*#{item.number}* {url_text(item.url)}: {events_text(item.events)}", state, last]
    if item.failures:
        since = f" since {when(item.failing_since, zone)}" if item.failing_since else ""
        why = f" ({escape(shorten(item.last_error, 120))})" if item.last_error else ""
        parts.append(f"{item.failures} failed attempts{since}{why}")
    if item.pending:
        parts.append(f"{item.pending} waiting")
    return " · ".join(parts) + f" · added by <@{item.created_by}>"


def listing(release: _Release, items: list[Listed]) -> tuple[str, Blocks]:
    """`/release webhook list`: every endpoint, its state, last delivery and failures."""
    name = escape(release.name)
    if not items:
        text = f"Release *{name}* has no webhooks. A lead adds one with `/release webhook add URL`."
        return text, [mrkdwn(text)]
    zone = ZoneInfo(release.zone)
    lines = [_line(item, zone) for item in items]
    body = fit_lines(lines, LIST_LIMIT)
    text = f"Webhooks of release {release.name}: {len(items)}"
    note = "Secrets are shown only when a webhook is added. `/release webhook remove N` stops one."
    return text, [mrkdwn(f"*Webhooks of release {name}*\n{body}"), context(note)]


def removed(number: int, url: str, dropped: int) -> str:
    """The answer to `/release webhook remove`."""
    tail = f"; {dropped} undelivered events were dropped" if dropped else ""
    return f"Webhook #{number} ({url_text(url)}) is removed: nothing more is sent to it{tail}."


def resumed(number: int, waiting: int) -> str:
    """The answer to `/release webhook resume`."""
    return f"Webhook #{number} is delivering again, starting with the {waiting} events it missed."


def paused(release: _Release, endpoint: _Endpoint) -> tuple[str, Blocks]:
    """The DM to each lead when an endpoint failed for a day and was paused."""
    name = escape(release.name)
    why = escape(shorten(endpoint.last_error or "no answer", 200))
    text = f"Webhook #{endpoint.id} of release {release.name} is paused after a day of failures."
    body = (
        f":double_vertical_bar: Webhook *#{endpoint.id}* of release *{name}* "
        f"({url_text(endpoint.url)}) has failed every delivery for 24 hours (last: {why}), "
        "so I paused it: nothing more is sent to it. Fix the receiver, then "
        f"`/release webhook resume {endpoint.id}` in <#{release.channel_id}> delivers what it "
        f"missed, in order; `/release webhook remove {endpoint.id}` drops it."
    )
    return text, [mrkdwn(body)]
