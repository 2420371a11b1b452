"""The release page in a real headless Chromium, served over loopback by `serve()`.

Needs Debian's `chromium` package (`apt-get install -y chromium`); skipped, saying so,
when no Chromium binary is on PATH.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.db import Database
from tests.calendar import builders as b
from tests.calendar import clients

ARTIFACT = Path(__file__).resolve().parents[2] / "benchmarks" / "artifacts" / "release-page.png"
HOSTILE = "<script>alert(1)</script>"
READER_ZONE = "Asia/Tokyo"  # far from the release's Los Angeles
PHONE = "412,915"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium binary on PATH (CI installs it with `apt-get install -y chromium`)")


@pytest.fixture
def site(db: Database) -> Iterator[tuple[str, b.Built]]:
    """A release mid-checklist, its page served by serve() on 127.0.0.1."""
    built = b.full_release(db, series_count=3, gate_count=5)
    b.gates(db, built.release, [HOSTILE])
    with clients.serving(b.services_for(db)) as base:
        yield f"{base}/r/{built.token}", built


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": READER_ZONE, "LANG": "en_US.UTF-8"}
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--lang=en-US",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={PHONE}",
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_the_page_in_chromium(site: tuple[str, b.Built], tmp_path: Path) -> None:
    binary = chromium()
    url, built = site

    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console

    # The script ran: every time is now in the reader's zone, the release zone beside it.
    times = re.findall(r"<time [^>]*>", html)
    assert times and all(f'data-local="{READER_ZONE}"' in t for t in times)
    assert f"Times are in your timezone ({READER_ZONE})" in html
    assert "GMT+9" in html
    assert "(Wed 17 Mar 2027, 10:00 PDT)" in html
    # The checklist shows every step, mid-way.
    for n in range(1, 31):
        assert f"{n}. Step {n}: cut and tag" in html
    assert html.count('class="step done"') == 12
    assert html.count('class="step active"') == 1
    assert "13. Step 13: cut and tag" in html[: html.index('id="checklist"')]
    # The counting gate's burndown chart is inline, a PNG the page's CSP lets through.
    charts = re.findall(r'<img class="chart" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(charts) == 1
    assert base64.b64decode(charts[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Burndown of gate gate-04" in html
    assert "red for " in html and "last results" in html
    # Hostile text stayed text, and no id leaked into the DOM.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.findall(r"\bU0[A-Z0-9]{6,}\b", html) == []
    assert built.token not in html.replace(url, "")

    shot = tmp_path / "release-page.png"
    taken = run_chromium(binary, tmp_path / "profile-shot", f"--screenshot={shot}", url)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACT)
