"""GitHub's REST API on 127.0.0.1 for tests: the issue search (gates) and Actions (job steps).

`/search/issues?q=...&per_page=N&page=P` answers `total_count`, `incomplete_results` and a
page of `items` shaped like GitHub's (number, title, html_url, labels, assignees, created_at,
updated_at, pull_request for PRs, draft), with `link` pagination headers and the
`x-ratelimit-*` headers. It can be told to answer incompletely, or to refuse with a rate
limit (403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`, or 429 with
`retry-after`) until a given time.

Actions, for the workflows listed in `workflows` (`owner/repo` -> file names):
`POST /repos/{o}/{r}/actions/workflows/{file}/dispatches` starts a run and answers 200 with
`workflow_run_id`, `run_url` and `html_url` when asked for `return_run_details` (204 and
nothing otherwise, or always with `old_server`), after `dispatch_delay` seconds (the run
exists already while it waits). `GET /repos/{o}/{r}/actions/runs/{id}` shows a run whose
status moves one step per look along `script` (queued -> in_progress -> completed with
`conclusion`; a look that does not change it answers 304 to a matching If-None-Match, and
`hold` keeps it in progress). `GET .../workflows/{file}/runs?created=>=T` lists the
dispatched runs. The same rate limits apply to every Actions request.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.kit.gate_server import Answer, GateServer

LIMIT = 30
SCRIPT = ("queued", "queued", "in_progress", "in_progress", "completed")


@dataclass
class Run:
    """A workflow run the stand-in started."""

    id: int
    repo: str
    workflow: str
    ref: str
    inputs: dict[str, Any]
    title: str
    created: float
    looks: int = 0
    statuses: list[str] = field(default_factory=list)

    def document(self, api: str, status: str, conclusion: str | None) -> dict[str, Any]:
        """The run as `GET /repos/{o}/{r}/actions/runs/{id}` shows it."""
        created = datetime.fromtimestamp(self.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": self.id,
            "name": self.workflow.rsplit(".", 1)[0],
            "display_title": self.title,
            "head_branch": self.ref,
            "event": "workflow_dispatch",
            "status": status,
            "conclusion": conclusion if status == "completed" else None,
            "url": f"{api}/repos/{self.repo}/actions/runs/{self.id}",
            "html_url": f"{api}/{self.repo}/actions/runs/{self.id}",
            "created_at": created,
            "run_attempt": 1,
        }


def issue(
    number: int,
    title: str = "",
    *,
    labels: tuple[str, ...] = ("release-blocker",),
    assignees: tuple[str, ...] = (),
    created_at: str = "2026-11-20T10:00:00Z",
    pr: bool = False,
    draft: bool = False,
    repo: str = "kubernetes/kubernetes",
) -> dict[str, Any]:
    """A search item as GitHub answers it (the fields a gate reads, and a few it does not)."""
    kind = "pull" if pr else "issues"
    item: dict[str, Any] = {
        "url": f"https://api.github.com/repos/{repo}/issues/{number}",
        "html_url": f"https://github.com/{repo}/{kind}/{number}",
        "id": 1_000_000 + number,
        "number": number,
        "title": title or f"Blocker number {number}",
        "user": {"login": "reporter", "id": 7},
        "labels": [{"id": n, "name": name, "color": "e11d21"} for n, name in enumerate(labels)],
        "state": "open",
        "assignee": {"login": assignees[0], "id": 9} if assignees else None,
        "assignees": [{"login": login, "id": 9 + n} for n, login in enumerate(assignees)],
        "milestone": {"title": "v1.33"},
        "comments": 3,
        "created_at": created_at,
        "updated_at": "2026-11-29T08:00:00Z",
        "closed_at": None,
        "score": 1.0,
    }
    if pr:
        item["pull_request"] = {"url": item["url"], "html_url": item["html_url"]}
        item["draft"] = draft
    return item


class GitHubServer(GateServer):
    """Answers GitHub's issue search from `items`; records every request like GateServer."""

    def __init__(self) -> None:
        super().__init__()
        self.workflows: dict[str, set[str]] = {}
        self.dispatches: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.runs: dict[int, Run] = {}
        self.script: tuple[str, ...] = SCRIPT
        self.conclusion = "success"
        self.hold = False  # runs stay in progress while set
        self.run_name: str | None = None  # like "Promote {version} [{releasebot_run}]"
        self.old_server = False
        self.dispatch_delay = 0.0
        self.not_modified = 0
        self._runs_lock = threading.Lock()
        self.items: list[dict[str, Any]] = []
        self.incomplete = False
        self.limited_until: float | None = None  # epoch seconds: a 403 rate limit until then
        self.retry_after: int | None = None  # a 429 secondary limit with retry-after
        self.remaining = LIMIT

    @property
    def api(self) -> str:
        """The base URL to give the bot as RELEASEBOT_GITHUB_API."""
        return f"http://127.0.0.1:{self.port}"

    def queries(self) -> list[dict[str, list[str]]]:
        """The query parameters of every search asked."""
        return [parse_qs(urlsplit(path).query) for path, _ in self.requests]

    def record(self, path: str, headers: dict[str, str]) -> Answer:
        super().record(path, headers)
        parts = urlsplit(path)
        if parts.path.startswith("/repos/"):
            return self._limited() or self._actions_get(parts.path, parse_qs(parts.query), headers)
        if parts.path != "/search/issues":
            return Answer(404, json.dumps({"message": "Not Found"}))
        limited = self._limited()
        if limited is not None:
            return limited
        now = time.time()
        params = parse_qs(parts.query)
        if not params.get("q"):
            body = {"message": "Validation Failed", "errors": [{"code": "missing"}]}
            return Answer(422, json.dumps(body))
        per_page = int(params.get("per_page", ["30"])[0])
        page = int(params.get("page", ["1"])[0])
        shown = self.items[(page - 1) * per_page : page * per_page]
        body = {
            "total_count": len(self.items),
            "incomplete_results": self.incomplete,
            "items": shown,
        }
        return Answer(200, json.dumps(body), headers=self._headers(params, page, per_page, now))

    def _headers(
        self, params: dict[str, list[str]], page: int, per_page: int, now: float
    ) -> dict[str, str]:
        headers = {
            "x-ratelimit-limit": str(LIMIT),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(int(now) + 60),
            "x-ratelimit-used": str(LIMIT - self.remaining),
            "x-ratelimit-resource": "search",
        }
        last = max(1, math.ceil(len(self.items) / per_page))
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last)):
            if 1 <= number <= last and number != page:
                query = urlencode({**{k: v[0] for k, v in params.items()}, "page": number})
                links.append(f'<{self.api}/search/issues?{query}>; rel="{rel}"')
        if links:
            headers["link"] = ", ".join(links)
        return headers

    def _rate_limited(self, reset: int) -> Answer:
        body = {
            "message": "API rate limit exceeded for 127.0.0.1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        headers = {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "search",
        }
        return Answer(403, json.dumps(body), headers=headers)

    def _limited(self) -> Answer | None:
        """The rate limit's answer while it holds (a 403 until a time, or one 429)."""
        if self.limited_until is not None and time.time() < self.limited_until:
            return self._rate_limited(math.ceil(self.limited_until))
        if self.retry_after is not None:
            wait, self.retry_after = self.retry_after, None
            body = {"message": "You have exceeded a secondary rate limit."}
            return Answer(429, json.dumps(body), headers={"retry-after": str(wait)})
        return None

    # --- Actions ---------------------------------------------------------------------------

    def record_post(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        super().record(path, headers)
        parts = urlsplit(path).path.split("/")
        # /repos/{o}/{r}/actions/workflows/{file}/dispatches
        if len(parts) != 8 or parts[4:6] != ["actions", "workflows"] or parts[7] != "dispatches":
            return Answer(404, json.dumps({"message": "Not Found"}))
        repo, workflow = f"{parts[2]}/{parts[3]}", parts[6]
        limited = self._limited()
        if limited is not None:
            return limited
        if workflow not in self.workflows.get(repo, set()):
            return Answer(404, json.dumps({"message": "Not Found"}))
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            return Answer(400, json.dumps({"message": "Problems parsing JSON"}))
        if not sent.get("ref"):
            return Answer(422, json.dumps({"message": "Invalid request: ref is missing"}))
        run = self._start(repo, workflow, sent, headers)
        if sent.get("return_run_details") and not self.old_server:
            details = {
                "workflow_run_id": run.id,
                "run_url": f"{self.api}/repos/{repo}/actions/runs/{run.id}",
                "html_url": f"{self.api}/{repo}/actions/runs/{run.id}",
            }
            return Answer(200, json.dumps(details), delay=self.dispatch_delay)
        return Answer(204, "", delay=self.dispatch_delay)

    def _start(
        self, repo: str, workflow: str, sent: dict[str, Any], headers: dict[str, str]
    ) -> Run:
        inputs = {str(k): v for k, v in (sent.get("inputs") or {}).items()}
        with self._runs_lock:
            self.dispatches.append((f"{repo}/{workflow}", sent, headers))
            number = 20_000_000_000 + len(self.runs) + 1
            title = self.run_name.format_map(_Blank(inputs)) if self.run_name else workflow
            run = Run(number, repo, workflow, str(sent["ref"]), inputs, title, time.time())
            self.runs[number] = run
        return run

    def _actions_get(
        self, path: str, params: dict[str, list[str]], headers: dict[str, str]
    ) -> Answer:
        parts = path.split("/")
        if len(parts) == 7 and parts[4:6] == ["actions", "runs"] and parts[6].isdigit():
            return self._run(int(parts[6]), headers)
        if len(parts) == 8 and parts[4:6] == ["actions", "workflows"] and parts[7] == "runs":
            return self._listed(f"{parts[2]}/{parts[3]}", parts[6], params)
        return Answer(404, json.dumps({"message": "Not Found"}))

    def _run(self, number: int, headers: dict[str, str]) -> Answer:
        with self._runs_lock:
            run = self.runs.get(number)
            if run is None:
                return Answer(404, json.dumps({"message": "Not Found"}))
            status = self.script[min(run.looks, len(self.script) - 1)]
            if self.hold and status == "completed":
                status = "in_progress"
            else:
                run.looks += 1
            run.statuses.append(status)
            body = json.dumps(run.document(self.api, status, self.conclusion), sort_keys=True)
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        limits = self._limits()
        if headers.get("If-None-Match") == etag:
            with self._runs_lock:
                self.not_modified += 1
            return Answer(304, "", headers={"etag": etag, **limits})
        return Answer(200, body, headers={"etag": etag, **limits})

    def _listed(self, repo: str, workflow: str, params: dict[str, list[str]]) -> Answer:
        since = params.get("created", [">=1970-01-01T00:00:00Z"])[0].removeprefix(">=")
        after = datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
        with self._runs_lock:
            runs = [
                r.document(self.api, "queued", None)
                for r in self.runs.values()
                if r.repo == repo and r.workflow == workflow and r.created >= after
            ]
        body = {"total_count": len(runs), "workflow_runs": runs[::-1]}
        return Answer(200, json.dumps(body), headers=self._limits())

    def _limits(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
        }

    def dispatched(self) -> list[dict[str, Any]]:
        """The bodies of every dispatch received, in order."""
        with self._runs_lock:
            return [body for _, body, _ in self.dispatches]


class _Blank(dict[str, Any]):
    """Inputs for a run name: a missing one reads as empty, as in a workflow expression."""

    def __missing__(self, key: str) -> str:
        return ""
