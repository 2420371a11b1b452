"""The secret link: made once, stored hashed, rotated by leads; a wrong one reveals nothing."""

from __future__ import annotations

import hashlib
import re
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from bot.calendar import service as calendars
from bot.calendar.models import CalendarToken
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.errors import Forbidden
from bot.core.services import Services
from bot.core.text.commandline import split
from bot.release.models import Release, RoleAssignment
from handlers import calendar as handler
from handlers.router import Ctx
from tests.calendar import builders as b
from tests.support.release import no_groups

ADMIN = "U0ADMIN001"
OUTSIDER = "U0OUTSIDE1"


def ctx(db: Database, user: str = b.LEAD, **settings: Any) -> Ctx:
    services = b.services_for(db, people=SimpleNamespace(members_of=no_groups))
    services.settings = Settings(admins=frozenset({ADMIN}), **settings)
    services.actor = partial(Services.actor, services)  # who acts, as the app builds it
    return Ctx(
        services=services,
        client=None,  # type: ignore[arg-type]
        command="/release",
        user_id=user,
        channel_id=b.CHANNEL,
        trigger_id="",
        text="",
    )


def run(c: Ctx, text: str) -> str:
    line = split(text)
    return handler.calendar(c, line).text


def paths(reply: str) -> tuple[str, str]:
    feed = re.search(r"https?://\S+(/calendar/\S+\.ics)", reply)
    page = re.search(r"https?://\S+(/r/[A-Za-z0-9_-]+)", reply)
    assert feed and page, reply
    return feed.group(1), page.group(1)


def get(db: Database, path: str) -> tuple[str, dict[str, str], bytes]:
    answer = handler.serve(b.services_for(db), "GET", path)
    assert answer is not None
    status, headers, body = answer
    return status, dict(headers), body


def bare_release(db: Database) -> Release:
    with db.session() as s:
        rel = Release(channel_id=b.CHANNEL, name="v2.0", zone=b.LA, created_by=b.LEAD)
        s.add(rel)
        s.flush()
        s.add(RoleAssignment(release_id=rel.id or 0, role="lead", user_id=b.LEAD))
    return rel


def test_the_link_is_shown_once_and_only_its_hash_is_kept(db: Database) -> None:
    bare_release(db)
    first = run(ctx(db, public_url="https://rb.example/"), "calendar")
    feed_path, page_path = paths(first)
    assert "https://rb.example/calendar/" in first and "https://rb.example/r/" in first
    token = page_path.removeprefix("/r/")
    assert len(token) >= 32

    with db.read() as s:
        stored = s.exec(select(CalendarToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash

    again = run(ctx(db, user=OUTSIDER), "calendar")
    assert token not in again
    assert "reset" in again
    assert get(db, feed_path)[0] == "200 OK"
    assert get(db, page_path)[0] == "200 OK"


def test_without_a_public_url_the_link_points_at_localhost(db: Database) -> None:
    bare_release(db)
    assert "http://localhost:3000/r/" in run(ctx(db), "calendar")


def test_reset_is_for_leads_and_the_old_link_then_answers_404(db: Database) -> None:
    bare_release(db)
    old_feed, old_page = paths(run(ctx(db), "calendar"))

    with pytest.raises(Forbidden):
        run(ctx(db, user=OUTSIDER), "calendar reset")
    assert get(db, old_page)[0] == "200 OK"

    new_feed, new_page = paths(run(ctx(db, user=ADMIN), "calendar reset"))
    assert new_page != old_page
    assert get(db, new_feed)[0] == "200 OK"
    assert get(db, new_page)[0] == "200 OK"
    assert get(db, old_feed) == get(db, "/calendar/" + "x" * 32 + ".ics")
    assert get(db, old_page) == get(db, "/r/" + "x" * 32)
    assert get(db, old_page)[0] == "404 Not Found"


def test_a_wrong_token_gets_a_404_that_says_nothing(db: Database) -> None:
    built = b.full_release(db)
    not_found = get(db, "/r/" + "A" * 32)
    status, headers, body = not_found
    assert status == "404 Not Found"
    assert body == b"Not Found\n"  # word for word what the app says for any unknown path
    assert headers["Content-Type"].startswith("text/plain")
    for path in (
        "/r/" + built.token[:-1] + ("A" if built.token[-1] != "A" else "B"),
        "/r/short",
        "/r/" + "%3Cscript%3E",
        "/calendar/" + built.token.upper() + ".ics",
        "/r/" + "x" * 100,
    ):
        assert get(db, path) == not_found, path


def test_other_paths_and_methods(db: Database) -> None:
    built = b.full_release(db)
    services = b.services_for(db)
    assert handler.serve(services, "GET", "/") is None
    assert handler.serve(services, "GET", "/slack/events") is None
    assert handler.serve(services, "GET", f"/r/{built.token}/x") is None
    assert handler.serve(services, "GET", "/calendar/../../etc/passwd.ics") is None
    answer = handler.serve(services, "POST", f"/r/{built.token}")
    assert answer is not None and answer[0].startswith("405")


def test_the_responses_carry_their_types_and_a_nonce_csp(db: Database) -> None:
    built = b.full_release(db)
    status, headers, body = get(db, f"/calendar/{built.token}.ics")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")

    status, headers, body = get(db, f"/r/{built.token}")
    assert status == "200 OK"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy)
    assert nonce is not None
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    html = body.decode()
    assert html.count(f'nonce="{nonce.group(1)}"') == 2  # the style and the script
    assert html.count("<script") == 1


def test_link_for_service_creates_once(db: Database) -> None:
    rel = bare_release(db)
    with db.session() as s:
        first = calendars.link_for(s, rel, b.LEAD, b.NOW)
        second = calendars.link_for(s, rel, b.LEAD, b.NOW)
    assert first is not None and second is None
    with db.read() as s:
        assert calendars.release_for_token(s, first) is not None
        assert calendars.release_for_token(s, "") is None
