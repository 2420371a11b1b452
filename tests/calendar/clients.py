"""The calendar clients' own parsers, run on a feed: ical.js under node, icalendar in Python.

ical.js, axe-core and playwright-core come from the project's `package.json` (pinned by
`package-lock.json`, installed with `npm ci` by `scripts/test.sh`). Without node or those
packages the node checks are skipped, saying so; with REQUIRE_BROWSER=1 (CI) they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from icalendar import Calendar

from handlers.calendar import serve

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "node"
MODULES = ROOT / "node_modules"


def node(*packages: str) -> str:
    """The node binary, once the packages are installed; else skip (or fail in CI)."""
    binary = shutil.which("node")
    missing = [name for name in packages if not (MODULES / name / "package.json").is_file()]
    if binary and not missing:
        return binary
    why = "no node on PATH" if not binary else f"node packages missing: {', '.join(missing)}"
    message = f"{why} (`npm ci` in {ROOT} installs them; scripts/test.sh does)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def run_node(script: str, *args: str, packages: tuple[str, ...], timeout: float = 120) -> str:
    """Run one of the suite's node scripts; its stdout, or the test fails with its stderr."""
    binary = node(*packages)
    done = subprocess.run(
        [binary, str(SCRIPTS / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def icaljs(body: bytes, start: datetime, end: datetime, tmp: Path) -> dict[str, list[datetime]]:
    """Occurrence starts per UID in [start, end), as ical.js expands the feed, in UTC."""
    path = tmp / "feed.ics"
    path.write_bytes(body)
    out = run_node("icaljs_expand.mjs", str(path), _iso(start), _iso(end), packages=("ical.js",))
    return {
        uid: [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in starts]
        for uid, starts in json.loads(out).items()
    }


def python(body: bytes, start: datetime, end: datetime) -> dict[str, list[datetime]]:
    """The same, as icalendar with recurring-ical-events expands it."""
    found: dict[str, list[datetime]] = {}
    for event in recurring_ical_events.of(Calendar.from_ical(body)).between(start, end):
        at = event.decoded("dtstart").astimezone(UTC)
        if start <= at < end:
            found.setdefault(str(event["uid"]), []).append(at)
    return {uid: sorted(starts) for uid, starts in found.items()}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def serving(services: Any, rewrite: Callable[[bytes], bytes] = lambda body: body) -> Iterator[str]:
    """`handlers.calendar.serve` answering on 127.0.0.1; its base URL (`rewrite` edits bodies)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = serve(services, "GET", self.path)
            status, headers, body = answer or ("404 Not Found", [], b"Not Found\n")
            body = rewrite(body)
            self.send_response(int(status.split()[0]))
            for key, value in headers:
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chromium() -> str:
    """Debian's chromium, or skip (fail in CI) when there is none."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "no Chromium binary on PATH (CI installs it with `apt-get install -y chromium`)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def axe(url: str, *schemes: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA findings on the page at `url`, one result per colour scheme."""
    packages = ("axe-core", "playwright-core")
    node(*packages)
    out = run_node("axe_page.mjs", chromium(), url, *schemes, packages=packages)
    results: list[dict[str, Any]] = json.loads(out)
    return results
