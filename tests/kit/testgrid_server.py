"""TestGrid dashboard summaries on 127.0.0.1 for gate tests, shaped like testgrid.k8s.io's.

`/{dashboard}/summary` answers a map from job (tab) name to `overall_status` (PASSING,
FLAKY, FAILING, STALE), `status`, `latest_green`, `last_run_timestamp` (ms), `tests`, and
the other fields TestGrid sends along; an unknown dashboard is a 404.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.kit.gate_server import Answer, GateServer

RUN_MS = 1_796_000_000_000  # a last run in late Nov 2026
LINES = {
    "PASSING": "9 of 9 (100.0%) recent columns passed (19077 of 19077 or 100.0% cells)",
    "FLAKY": "7 of 9 (77.8%) recent columns passed (18940 of 19077 or 99.3% cells)",
    "FAILING": "0 of 9 (0.0%) recent columns passed (9 of 230 or 3.9% cells)",
    "STALE": "Hasn't run in 3 days, 4 hours.",
}


def job(status: str, *, failures: int | None = None) -> dict[str, Any]:
    """One job of a summary, with the status line TestGrid writes for that status."""
    failing = failures if failures is not None else (2 if status in ("FAILING", "FLAKY") else 0)
    return {
        "alert": "",
        "last_run_timestamp": RUN_MS,
        "last_update_timestamp": RUN_MS + 60_000,
        "latest_green": "v1.33.0-rc.1.12+4f7c0e3" if status != "FAILING" else "",
        "overall_status": status,
        "overall_status_icon": "done" if status == "PASSING" else "warning",
        "status": LINES[status],
        "tests": [
            {
                "display_name": f"Kubernetes e2e suite [It] case {n}",
                "test_name": f"Kubernetes e2e suite [It] case {n}",
                "fail_count": 3,
                "fail_timestamp": RUN_MS,
                "pass_timestamp": RUN_MS - 86_400_000,
                "build_link": f"https://prow.k8s.io/view/gs/run/{n}",
                "build_link_text": str(n),
                "build_url_text": str(n),
                "failure_message": "timed out waiting for the condition",
                "linked_bugs": [],
            }
            for n in range(failing)
        ],
        "dashboard_name": "",
        "bug_url": "",
    }


class TestGridServer(GateServer):
    """Answers `/{dashboard}/summary` from `dashboards` (name -> job name -> status)."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        super().__init__()
        self.dashboards: dict[str, dict[str, str]] = {}

    @property
    def base(self) -> str:
        """The base URL to give the bot as RELEASEBOT_TESTGRID_URL."""
        return f"http://127.0.0.1:{self.port}"

    def record(self, path: str, headers: dict[str, str]) -> Answer:
        super().record(path, headers)
        parts = urlsplit(path).path.strip("/").split("/")
        if len(parts) != 2 or parts[1] != "summary":
            return Answer(404, "Not Found", headers={"Content-Type": "text/plain"})
        jobs = self.dashboards.get(unquote(parts[0]))
        if jobs is None:
            return Answer(404, "Dashboard not found", headers={"Content-Type": "text/plain"})
        summary = {
            name: {**job(status), "dashboard_name": parts[0]} for name, status in jobs.items()
        }
        return Answer(200, json.dumps(summary))
