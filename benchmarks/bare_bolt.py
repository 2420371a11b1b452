"""The floor: a bare Bolt app that only acknowledges, served exactly like releasebot.

Same Bolt version, signature check, listener pool size, WSGI adapter and waitress settings
as `releasebot run`, but no database and no Slack calls: no Slack app on Bolt answers a
click faster on this machine.

    PORT=3999 SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ \
        python -m benchmarks.bare_bolt
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from waitress import create_server  # type: ignore[attr-defined]

from bot.core.config import Settings
from bot.core.web import WebApp


class NoDatabase:
    """Stands in for the database handle: /healthz always answers."""

    def ping(self) -> bool:
        """Always healthy."""
        return True


def create_bare_app(
    signing_secret: str, listener_threads: int, api_url: str, process_before_response: bool = False
) -> App:
    """A Bolt app answering go/no-go and checklist clicks and /gonogo with an empty ack."""
    app = App(
        process_before_response=process_before_response,
        token="xoxb-bare",
        client=WebClient(token="xoxb-bare", base_url=api_url),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=listener_threads),
        logger=logging.getLogger("bare_bolt"),
    )

    @app.action({"action_id": "gonogo:go"})
    @app.action({"action_id": "checklist:done"})
    def on_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()

    @app.command("/gonogo")
    def on_command(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    """Serve the bare app on HOST:PORT until killed."""
    defaults = Settings()
    secret = os.environ["SLACK_SIGNING_SECRET"]
    threads = int(os.environ.get("RELEASEBOT_LISTENER_THREADS", defaults.listener_threads))
    http_threads = int(os.environ.get("RELEASEBOT_HTTP_THREADS", defaults.http_threads))
    # Bolt checks the token with auth.test once, as for releasebot: point it at the fake Slack.
    # BARE_PROCESS_BEFORE_RESPONSE=1 answers as releasebot does, without Bolt's 10 ms ack poll.
    direct = os.environ.get("BARE_PROCESS_BEFORE_RESPONSE") == "1"
    app = create_bare_app(secret, threads, os.environ["SLACK_API_URL"], direct)
    server = create_server(
        WebApp(app, NoDatabase()),  # type: ignore[arg-type]
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        threads=http_threads,
        connection_limit=1000,
        channel_timeout=30,
        ident="bare-bolt",
    )
    server.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
