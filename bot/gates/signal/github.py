"""A GitHub issue search as a gate: green at 0 results, the open items shown, limits respected.

The search goes through the same guarded fetch as every gate (address guard, pinning, the
gate proxy). `GITHUB_TOKEN` is sent as the bearer token only when an operator granted it
for the API host in RELEASEBOT_GATE_SECRETS (and the bot has a value for it); without it
the search still runs, at GitHub's lower anonymous limit. Incomplete results, a rate limit,
an error answer or a network error make the check unknown (never green); a rate limit also
says until when GitHub wants to be left alone, and the next check waits for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bot.core.fetch import request
from bot.core.fetch.ratelimit import MAX_WAIT as MAX_WAIT
from bot.core.fetch.ratelimit import github_wait
from bot.core.fetch.request import Response
from bot.core.fetch.secrets import GateSecrets, url_host
from bot.gates.alerting import FAIL, PASS, UNSURE
from bot.gates.outcome import Outcome, unknown

TOKEN = "GITHUB_TOKEN"  # noqa: S105  (the variable's name, not a value)
SHOWN = 10  # items asked for and shown; the rest are counted
MAX_QUERY = 256  # GitHub does not run longer search queries
_OPEN = re.compile(r"(^|\s)(is|state):(open|closed)\b", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s<>|]{1,500}")


class QueryError(ValueError):
    """A search query the gate will not run; the message says why."""


def valid_query(words: Sequence[str]) -> str:
    """The query as one line, or QueryError when it is empty or too long for GitHub."""
    query = " ".join(word.strip() for word in words if word.strip())
    if not query:
        raise QueryError("Give the search, like `repo:org/repo is:open label:release-blocker`.")
    if len(query) > MAX_QUERY:
        raise QueryError(f"GitHub runs searches of at most {MAX_QUERY} characters.")
    return query


def says_state(query: str) -> bool:
    """True when the query names `is:open` (or closed): without it, closed items count too."""
    return bool(_OPEN.search(query))


def search_url(api: str, query: str) -> str:
    """The search request: oldest first, the first SHOWN items (the total comes with them)."""
    params = {"q": query, "per_page": SHOWN, "sort": "created", "order": "asc"}
    return f"{api.rstrip('/')}/search/issues?{urlencode(params)}"


def request_headers(api: str, secrets: GateSecrets) -> dict[str, str]:
    """GitHub's headers, with the token only where an operator granted it for the API host."""
    sent = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "releasebot",
    }
    token = secrets.value(TOKEN)
    if token and secrets.may_send(TOKEN, url_host(api)):
        sent["Authorization"] = f"Bearer {token}"
    return sent


def check_search(
    query: str,
    *,
    api: str,
    secrets: GateSecrets,
    allow: Sequence[str],
    timeout: float,
    now: datetime,
    proxy: str | None = None,
) -> Outcome:
    """Run the search now; never raises: whatever goes wrong is an unknown outcome."""
    url = search_url(api, query)
    try:
        response = request.fetch(
            url, request_headers(api, secrets), allow=allow, timeout=timeout, proxy=proxy
        )
    except Exception as err:
        reason = request.failure(err, url, timeout=timeout, proxy=proxy)
        return unknown(secrets.masked(f"GitHub could not be asked: {reason}")[:1000])
    outcome = read(response, now)
    return Outcome(
        outcome.result,
        secrets.masked(outcome.detail)[:1000],
        outcome.value,
        outcome.findings,
        outcome.retry_at,
    )


def read(response: Response, now: datetime) -> Outcome:
    """What a search answer says: green at 0, the open items, or unknown and why; pure."""
    wait = rate_limited_until(response, now)
    if response.status != 200:
        return _refused(response, now, wait)
    try:
        document = json.loads(response.body)
        total = int(document["total_count"])
        raw_items = document.get("items") or []
    except (ValueError, KeyError, TypeError):
        return unknown("GitHub's answer is not a search result; not green until it is.", wait)
    items = [item for item in (_item(raw) for raw in raw_items) if item][:SHOWN]
    findings = {"kind": "github", "total": total, "items": items}
    if document.get("incomplete_results"):
        detail = (
            f"GitHub says the results are incomplete (it found {total} before it stopped), "
            "so the count cannot be trusted; not green until a full answer."
        )
        return Outcome(UNSURE, detail, None, findings, wait)
    if total == 0:
        return Outcome(PASS, "no open items", 0.0, findings, wait)
    listed = ", ".join(f"#{item['number']} {item['title']}" for item in items[:3])
    detail = f"{total} open: {listed}" + (", …" if total > 3 else "")
    return Outcome(FAIL, detail, float(total), findings, wait)


def rate_limited_until(response: Response, now: datetime) -> datetime | None:
    """When GitHub will answer again, if it said it will not now; at most MAX_WAIT away."""
    return github_wait(response, now)


def _refused(response: Response, now: datetime, wait: datetime | None) -> Outcome:
    message = _message(response.body)
    if wait is not None and response.status in (403, 429):
        left = max(wait - now, timedelta())
        detail = (
            f"GitHub's rate limit is reached (HTTP {response.status}); asking again in "
            f"{_minutes(left)}, not green until then."
        )
        return unknown(detail, wait)
    if response.status == 401:
        return unknown(f"GitHub refused the token (HTTP 401{message}); not green.", wait)
    if response.status == 422:
        return unknown(f"GitHub cannot run this search (HTTP 422{message}).", wait)
    return unknown(f"GitHub answered HTTP {response.status}{message}; not green.", wait)


def _message(body: str) -> str:
    try:
        said = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {str(said)[:200]}" if said else ""


def _item(raw: Any) -> dict[str, Any] | None:
    """The fields of one search item the gate shows; None for something that is not one."""
    if not isinstance(raw, dict) or not isinstance(raw.get("number"), int):
        return None
    link = str(raw.get("html_url") or "")
    labels = [str(label.get("name", ""))[:50] for label in _dicts(raw.get("labels"))]
    assignees = [str(person.get("login", ""))[:40] for person in _dicts(raw.get("assignees"))]
    return {
        "number": raw["number"],
        "title": str(raw.get("title") or "")[:300],
        "url": link if _LINK.fullmatch(link) else "",
        "labels": [name for name in labels if name][:10],
        "assignees": [login for login in assignees if login][:10],
        "opened": _instant(raw.get("created_at")),
        "updated": _instant(raw.get("updated_at")),
        "pr": "pull_request" in raw,
        "draft": bool(raw.get("draft")),
    }


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _instant(value: Any) -> str | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds}s" if seconds < 120 else f"{round(seconds / 60)}m"
