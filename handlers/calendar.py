"""`/release calendar [reset]`, and the two web routes its secret link opens.

`GET /calendar/<token>.ics` answers the release's iCalendar feed, `GET /r/<token>` its
page. A token that is malformed, unknown or rotated away gets the same plain 404 as any
other missing page, so a guess learns nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from bot.calendar import feed, page
from bot.calendar import service as calendars
from bot.core.asks import Ask
from bot.core.asks.calendar import FEED_PART, PAGE_PART
from bot.core.db import retry_transient
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import escape
from bot.core.text.timeparse import ParseError
from bot.release import service as releases
from handlers.router import Ctx, Reply

DEFAULT_PUBLIC_URL = "http://localhost:3000"
FEED_PATH = re.compile(r"/calendar/([^/]{1,100})\.ics")
PAGE_PATH = re.compile(r"/r/([^/]{1,100})")
Headers = list[tuple[str, str]]
Response = tuple[str, Headers, bytes]
T = TypeVar("T")
P = TypeVar("P")

# Word for word what the app answers for any path it does not know.
NOT_FOUND: Response = ("404 Not Found", [("Content-Type", "text/plain")], b"Not Found\n")
COMMON_HEADERS: Headers = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Robots-Tag", "noindex, nofollow"),
]


def public_url(ctx: Ctx) -> str:
    """Where people reach this bot's web routes (RELEASEBOT_PUBLIC_URL), without a final /."""
    return ctx.services.settings.public_url.rstrip("/") or DEFAULT_PUBLIC_URL


def links(base: str, token: str) -> tuple[str, str]:
    """The feed and page addresses of a token."""
    return f"{base}/calendar/{token}.ics", f"{base}/r/{token}"


def calendar(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release calendar [reset]`: the private feed and page link, made on first ask."""
    if line.args and line.args[0].lower() == "reset":
        return reset(ctx, line)
    if line.args:
        raise ParseError("`calendar` takes nothing, or `reset` to make a new link.")
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.active_release(s, ctx.channel_id)
        token = calendars.link_for(s, release, ctx.user_id, now)
    name = escape(release.name)
    if token is None:
        return Reply(
            text=(
                f"Release *{name}* already has a calendar link; the bot keeps only a "
                "fingerprint of it, so it cannot show it again. Ask whoever made it, or a "
                "lead can run `/release calendar reset` to make a new one (the old link "
                "then stops working)."
            )
        )
    return Reply(text=_shown(name, public_url(ctx), token, made_by_reset=False))


def reset(ctx: Ctx, line: CommandLine) -> Reply:
    """`/release calendar reset` (leads): a new link; the old one stops working at once."""
    extra = line.args[1:] if line.sub == "calendar" else line.args
    if extra:
        raise ParseError("`calendar reset` takes nothing more.")
    now = ctx.services.now()
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        token = calendars.reset(s, release, actor=ctx.actor, now=now)
    return Reply(text=_shown(escape(release.name), public_url(ctx), token, made_by_reset=True))


def _shown(name: str, base: str, token: str, *, made_by_reset: bool) -> str:
    feed_url, page_url = links(base, token)
    first = "A new calendar link" if made_by_reset else "The calendar link"
    after = " The old link no longer works." if made_by_reset else ""
    return (
        f"{first} of release *{name}*, shown only this once:\n"
        f"• Calendar feed (subscribe in any calendar app): {feed_url}\n"
        f"• Release page (read-only, for people outside Slack): {page_url}\n"
        "Anyone with either link can see the release's meetings, checklist, gates and "
        f"poll tally, so share it with care.{after}"
    )


def serve(services: Services, method: str, path: str) -> Response | None:
    """Answer the feed and page routes (with Content-Length); None for any other path."""
    feed_match = FEED_PATH.fullmatch(path)
    page_match = None if feed_match else PAGE_PATH.fullmatch(path)
    match = feed_match or page_match
    if match is None:
        return None
    if method not in ("GET", "HEAD"):
        answer: Response | None = (
            "405 Method Not Allowed",
            [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")],
            b"GET only\n",
        )
    else:
        token = match.group(1)
        read = _feed if feed_match else _page
        answer = retry_transient(lambda: read(services, token))
    status, headers, body = answer or NOT_FOUND
    return status, [*headers, ("Content-Length", str(len(body)))], body


def _read(services: Services, token: str, build: Callable[..., T], part: Ask[P]) -> T | None:
    """What `build` reads of the release `token` opens, given the answers to `part`.

    None when no release has that token.
    """
    now = services.now()
    with services.db.read() as s:
        release = calendars.release_for_token(s, token)
        if release is None:
            return None
        return build(s, release, now, parts=services.answers_to(part))


def _feed(services: Services, token: str) -> Response | None:
    data = _read(services, token, calendars.feed_data, FEED_PART)
    if data is None:
        return None
    body = feed.feed(data)
    headers = [
        ("Content-Type", "text/calendar; charset=utf-8"),
        ("Content-Disposition", 'inline; filename="release.ics"'),
        *COMMON_HEADERS,
    ]
    return "200 OK", headers, body


def _page(services: Services, token: str) -> Response | None:
    data = _read(services, token, calendars.page_data, PAGE_PART)
    if data is None:
        return None
    nonce = secrets.token_urlsafe(16)
    body = page.render(data, _names(services), nonce=nonce).encode("utf-8")
    policy = (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", policy),
        *COMMON_HEADERS,
    ]
    return "200 OK", headers, body


def _names(services: Services) -> Callable[[str], str]:
    """Display names from the people directory when it offers them; else 'a team member'."""
    lookup = getattr(services.people, "display_name", None)
    if not callable(lookup):
        return page.someone

    def name(user_id: str) -> str:
        try:
            found = lookup(user_id)
        except Exception:
            return page.SOMEONE
        return str(found) if found else page.SOMEONE

    return name
