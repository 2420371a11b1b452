"""Run the real bot (`python -m bot run`) as a child process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

LOG_TAIL_CHARS = 4000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """The bot as a separate process, listening on 127.0.0.1:PORT; restartable after stop."""

    def __init__(self, env: dict[str, str], cwd: str | None = None) -> None:
        self.env = {"PORT": str(free_port()), "PYTHONUNBUFFERED": "1", **env}
        workdir = Path(tempfile.mkdtemp(prefix="botprocess-"))
        # A directory of its own, so a developer's .env in the checkout is not read.
        self.cwd = cwd or str(workdir)
        self.port = int(self.env["PORT"])
        self.log_path = workdir / "bot.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the bot's HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process has been started and has not exited."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 20.0) -> BotProcess:
        """Launch the bot and wait until GET /healthz answers 200."""
        if self.running:
            raise RuntimeError("bot is already running")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """Send SIGTERM, wait up to `timeout` s (then SIGKILL) and return the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self._finish()

    def kill(self) -> int | None:
        """Send SIGKILL (a crash, no cleanup) and return the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return self._finish()

    def get(self, path: str, timeout: float = 5.0) -> httpx.Response:
        """GET one of the bot's own routes (/livez, /readyz, /metrics...)."""
        with httpx.Client(timeout=timeout, trust_env=False) as http:
            return http.get(self.url + path)

    def log_text(self) -> str:
        """Everything the bot wrote to stdout and stderr so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _finish(self) -> int | None:
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.proc.returncode if self.proc is not None else None

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(self._failure(f"bot exited with {self.proc.returncode}"))
                if self._healthy(http):
                    return
                time.sleep(0.1)
        raise RuntimeError(self._failure(f"bot not healthy within {timeout}s"))

    def _healthy(self, http: httpx.Client) -> bool:
        try:
            return http.get(f"{self.url}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def _failure(self, reason: str) -> str:
        return f"{reason}; log tail ({self.log_path}):\n{self.log_text()[-LOG_TAIL_CHARS:]}"
