"""A GitHub issue search on 127.0.0.1 for gate tests, answering as GitHub's REST API does.

`/search/issues?q=...&per_page=N&page=P` answers `total_count`, `incomplete_results` and a
page of `items` shaped like GitHub's (number, title, html_url, labels, assignees, created_at,
updated_at, pull_request for PRs, draft), with `link` pagination headers and the
`x-ratelimit-*` headers. It can be told to answer incompletely, or to refuse with a rate
limit (403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`, or 429 with
`retry-after`) until a given time.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.kit.gate_server import Answer, GateServer

LIMIT = 30


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
        if parts.path != "/search/issues":
            return Answer(404, json.dumps({"message": "Not Found"}))
        now = time.time()
        if self.limited_until is not None and now < self.limited_until:
            return self._rate_limited(math.ceil(self.limited_until))
        if self.retry_after is not None:
            wait, self.retry_after = self.retry_after, None
            body = {"message": "You have exceeded a secondary rate limit."}
            return Answer(429, json.dumps(body), headers={"retry-after": str(wait)})
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
