"""GitHub Actions through the guarded fetch: dispatch a workflow, follow a run, find one.

Every request goes through the gates' guarded fetch (address guard, pinning, the gate
proxy) to RELEASEBOT_GITHUB_API. `GITHUB_TOKEN` is sent as the bearer token only where an
operator granted it for the API host (RELEASEBOT_GATE_SECRETS). Nothing here raises: what
GitHub said, or why it could not be asked, comes back as a value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bot.checklist.jobs.spec import RunSpec
from bot.core.fetch import guard, request
from bot.core.fetch.ratelimit import github_wait
from bot.core.fetch.request import Response
from bot.core.fetch.secrets import GateSecrets, url_host

TOKEN = "GITHUB_TOKEN"  # noqa: S105  (the variable's name, not a value)
STARTED, REFUSED, UNSURE = "started", "refused", "unsure"


@dataclass(frozen=True)
class Api:
    """Where GitHub's API is and how to reach it (from the settings)."""

    base: str
    secrets: GateSecrets
    allow: Sequence[str]
    timeout: float
    proxy: str | None = None

    def headers(self) -> dict[str, str]:
        """GitHub's headers, with the token only where it is granted for the API host."""
        sent = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "releasebot",
        }
        token = self.secrets.value(TOKEN)
        if token and self.secrets.may_send(TOKEN, url_host(self.base)):
            sent["Authorization"] = f"Bearer {token}"
        return sent

    def url(self, path: str) -> str:
        """A URL of the API."""
        return self.base.rstrip("/") + path

    def ask(self, path: str, extra: dict[str, str] | None = None, body: Any = None) -> Response:
        """One request (a POST when there is a body); raises httpx and guard errors."""
        sent = {**self.headers(), **(extra or {})}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        return request.fetch(
            self.url(path),
            sent,
            allow=self.allow,
            timeout=self.timeout,
            proxy=self.proxy,
            method="POST" if body is not None else "GET",
            content=content,
        )

    def masked(self, text: str) -> str:
        """Text with no granted secret in it, of a sensible length."""
        return self.secrets.masked(text)[:500]


def web_base(api: str) -> str:
    """Where people see what the API serves: github.com, or a GitHub Enterprise host."""
    base = api.rstrip("/")
    if url_host(base) == "api.github.com":
        return "https://github.com"
    return base.removesuffix("/api/v3")


def runs_page(api: str, spec: RunSpec) -> str:
    """The page listing the workflow's runs, for a person to look."""
    return f"{web_base(api)}/{spec.repo}/actions/workflows/{quote(spec.workflow)}"


@dataclass(frozen=True)
class Dispatched:
    """What a dispatch did: started (with the run), refused (nothing started), or unsure."""

    outcome: str
    detail: str = ""
    run_id: int | None = None
    run_url: str | None = None


def dispatch(api: Api, spec: RunSpec, inputs: dict[str, str]) -> Dispatched:
    """Send `workflow_dispatch` once, asking for the run's details; never raises."""
    path = f"/repos/{spec.repo}/actions/workflows/{quote(spec.workflow)}/dispatches"
    body = {"ref": spec.ref, "inputs": inputs, "return_run_details": True}
    try:
        response = api.ask(path, body=body)
    except (guard.Refused, httpx.ConnectError, httpx.ProxyError) as err:  # nothing was sent
        said = request.failure(err, api.url(path), timeout=api.timeout, proxy=api.proxy)
        return Dispatched(REFUSED, api.masked(f"GitHub could not be reached: {said}"))
    except Exception as err:  # sent, perhaps taken: only a lookup can tell
        said = request.failure(err, api.url(path), timeout=api.timeout, proxy=api.proxy)
        return Dispatched(UNSURE, api.masked(f"GitHub did not answer the dispatch: {said}"))
    return _dispatched(api, response)


def _dispatched(api: Api, response: Response) -> Dispatched:
    status = response.status
    if status == 200:
        document = _json(response.body)
        run_id = document.get("workflow_run_id")
        if isinstance(run_id, int):
            url = str(document.get("html_url") or "")
            return Dispatched(STARTED, "", run_id, url if url.startswith("http") else None)
        return Dispatched(UNSURE, "GitHub took the dispatch but named no run.")
    if status == 204:  # an older server: it took the dispatch without saying which run
        return Dispatched(UNSURE, "GitHub took the dispatch without naming the run.")
    if status >= 500:
        return Dispatched(UNSURE, f"GitHub answered HTTP {status}{_message(response.body)}.")
    return Dispatched(REFUSED, api.masked(_refusal(response)))


def _refusal(response: Response) -> str:
    status, message = response.status, _message(response.body)
    if status in (403, 429) and rate_limited_until(response, datetime.now(UTC)) is not None:
        return f"GitHub's rate limit is reached (HTTP {status}); nothing was started."
    if status == 401:
        return f"GitHub refused the token (HTTP 401{message}); nothing was started."
    if status in (403, 404):
        return (
            f"GitHub answered HTTP {status}{message}: the workflow does not exist, or the "
            "granted GITHUB_TOKEN may not run it (it needs Actions write on the repository)."
        )
    if status == 422:
        return f"GitHub will not run it (HTTP 422{message}): check the ref and the inputs."
    return f"GitHub answered HTTP {status}{message}; nothing was started."


@dataclass(frozen=True)
class Seen:
    """A look at a run: unchanged (304), its status, or why GitHub could not be asked."""

    ok: bool
    changed: bool = False
    status: str | None = None
    conclusion: str | None = None
    run_url: str | None = None
    etag: str | None = None
    wait_until: datetime | None = None
    detail: str = ""


def look(api: Api, repo: str, run_id: int, etag: str | None, now: datetime) -> Seen:
    """The run as GitHub shows it, asked conditionally (If-None-Match); never raises."""
    path = f"/repos/{repo}/actions/runs/{run_id}"
    try:
        response = api.ask(path, {"If-None-Match": etag} if etag else None)
    except Exception as err:
        said = request.failure(err, api.url(path), timeout=api.timeout, proxy=api.proxy)
        return Seen(False, detail=api.masked(f"GitHub could not be asked: {said}"))
    wait = rate_limited_until(response, now)
    if response.status == 304:
        return Seen(True, wait_until=wait, etag=etag)
    if response.status != 200:
        detail = f"GitHub answered HTTP {response.status}{_message(response.body)}"
        return Seen(False, wait_until=wait, detail=api.masked(detail))
    document = _json(response.body)
    return Seen(
        True,
        changed=True,
        status=_text(document.get("status")),
        conclusion=_text(document.get("conclusion")),
        run_url=_link(document.get("html_url")),
        etag=response.headers.get("etag") or None,
        wait_until=wait,
    )


@dataclass(frozen=True)
class Found:
    """A run the lookup found: its id, page, title and branch."""

    run_id: int
    run_url: str | None
    title: str
    branch: str


def find(
    api: Api, spec: RunSpec, since: datetime, now: datetime
) -> tuple[list[Found] | None, datetime | None]:
    """The workflow's dispatched runs created since `since` (None when GitHub cannot say),
    and when GitHub may be asked again if it asked to be left alone."""
    created = (since - timedelta(seconds=5)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = urlencode({"event": "workflow_dispatch", "created": f">={created}", "per_page": 100})
    path = f"/repos/{spec.repo}/actions/workflows/{quote(spec.workflow)}/runs?{query}"
    try:
        response = api.ask(path)
    except Exception:
        return None, None
    if response.status != 200:
        return None, rate_limited_until(response, now)
    runs = _json(response.body).get("workflow_runs")
    found = []
    for run in runs if isinstance(runs, list) else []:
        if isinstance(run, dict) and isinstance(run.get("id"), int):
            title = _text(run.get("display_title")) or _text(run.get("name")) or ""
            branch = _text(run.get("head_branch")) or ""
            found.append(Found(run["id"], _link(run.get("html_url")), title, branch))
    return found, None


def rate_limited_until(response: Response, now: datetime) -> datetime | None:
    """When GitHub will answer again, if it said it will not now; at most MAX_WAIT away."""
    return github_wait(response, now, retry_after=(403, 429))


def _json(body: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _message(body: str) -> str:
    said = _json(body).get("message")
    return f": {str(said)[:200]}" if said else ""


def _text(value: Any) -> str | None:
    return str(value)[:200] if isinstance(value, str) and value else None


def _link(value: Any) -> str | None:
    link = str(value or "")
    return link[:500] if link.startswith(("https://", "http://")) and " " not in link else None
