"""Shared pieces of the benchmarks: timed request bursts, percentiles, processes, Postgres."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, text

from bot.core.db import normalize_url
from tests.kit.bot_process import BotProcess, free_port

Request = tuple[str, dict[str, str]]  # body, headers


@dataclass
class Burst:
    """What one burst of requests saw: each acknowledgement time, and the failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0  # wall clock, comparable with FakeSlack call times
    lock: threading.Lock = field(default_factory=threading.Lock)

    def percentile(self, q: float) -> float:
        """The q-th percentile (0..100) of latencies in milliseconds, nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


def send_burst(url: str, requests: list[Request], spread: float) -> Burst:
    """POST every request to `url`, spread evenly over `spread` seconds, each on its own thread.

    Threads are made and parked before the first send, so the spread is the one asked for;
    each request opens its own connection (as Slack's do) with the light http.client.
    """
    out = Burst()
    parts = urlsplit(url)
    ready = threading.Barrier(len(requests) + 1)
    t0: list[float] = []
    step = spread / max(1, len(requests))

    def one(index: int, body: str, headers: dict[str, str]) -> None:
        payload = body.encode()
        ready.wait()
        delay = t0[0] + index * step - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        ok = False
        try:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
            conn.request("POST", parts.path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            conn.close()
        except OSError:
            ok = False
        took = time.perf_counter() - began
        with out.lock:
            out.latencies.append(took)
            out.errors += 0 if ok else 1

    threads = [threading.Thread(target=one, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    t0.append(time.perf_counter() + 0.2)
    out.started = time.time() + 0.2
    ready.wait()
    for thread in threads:
        thread.join()
    return out


def max_per_window(instants: list[float], window: float = 1.0) -> int:
    """The most instants falling in any half-open window of `window` seconds."""
    ordered = sorted(instants)
    best, low = 0, 0
    for high, at in enumerate(ordered):
        while ordered[low] <= at - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    """True when something accepts connections on the Postgres port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new empty database on the server of `server_url`, dropped afterwards."""
    base, _, _ = normalize_url(server_url).rpartition("/")
    name = f"releasebot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_url() -> str:
    """A SQLite file in a new temporary directory."""
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-')) / 'releasebot.db'}"


def bot_env(api_url: str, database_url: str, secret: str) -> dict[str, str]:
    """Environment for `releasebot run` against a local fake Slack."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def module_process(module: str, env: dict[str, str]) -> Iterator[str]:
    """Run `python -m module` with PORT set; yields its base URL once /healthz answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module],
        env={**os.environ, **env, "PORT": str(port)},
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc.poll)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_healthy(url: str, exited: Callable[[], int | None], timeout: float = 20.0) -> None:
    """Poll GET /healthz until it answers 200."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if exited() is not None:
                raise RuntimeError("the server process exited")
            try:
                if http.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} not healthy within {timeout}s")


__all__ = ["BotProcess", "Burst", "max_per_window", "send_burst"]
