"""The `releasebot` command: run | migrate | doctor | manifest."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from bot.core import logs
from bot.core.config import ConfigError, Settings, load_settings
from bot.core.db import Database

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.core.services import Services
    from bot.core.web import MeasuredSocketModeHandler


class Stop(SystemExit):
    """Raised in the main thread by SIGTERM/SIGINT to leave the serving loop.

    A SystemExit, because waitress swallows any other exception raised while it handles a
    connection, and the server would go on serving.
    """


def _stop(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop at a time: let cleanup finish
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Stop(0)


def cmd_run(settings: Settings) -> int:
    """Migrate, then serve until SIGTERM: Slack over HTTP or Socket Mode, probes and metrics."""
    from bot.app import create_app, create_services
    from bot.core import migrate

    settings.require_tokens()
    db = Database(settings.database_url, pool_size=settings.db_pool)
    migrate.upgrade(db)
    services = create_services(settings, db)
    app = create_app(services)
    services.start()
    # What start-up made lives as long as the process: keep it out of the collector's full
    # passes, which otherwise walk all of it while every other thread waits.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log = logging.getLogger("releasebot")
    socket: MeasuredSocketModeHandler | None = None
    server: Any = None
    try:
        if settings.socket_mode:
            socket = _connect_socket_mode(app, settings)
        server = _http_server(app, services, settings)
        server.run()  # returns once a Stop (SIGTERM/SIGINT) reached the serving loop
    except Stop:
        pass
    finally:
        log.info("stopping")
        if socket is not None:
            socket.close()  # no new envelopes; the ones being handled finish first
        if server is not None:
            server.close()
        services.stop()
        db.dispose()
    return 0


def _connect_socket_mode(app: App, settings: Settings) -> MeasuredSocketModeHandler:
    """Open the Socket Mode connection (it reconnects by itself when dropped)."""
    from slack_sdk.errors import SlackApiError

    from bot.core.web import MeasuredSocketModeHandler

    logging.getLogger("releasebot").info("connecting to Slack over Socket Mode")
    # Envelopes are dispatched on this many workers, as HTTP requests are on waitress's.
    handler = MeasuredSocketModeHandler(app, settings.app_token, concurrency=settings.http_threads)
    try:
        handler.connect()
    except SlackApiError as err:
        handler.close()
        raise ConfigError(
            f"Slack refused to open a Socket Mode connection ({err.response.get('error')}): "
            "check SLACK_APP_TOKEN (an xapp- token with connections:write) and that Socket "
            "Mode is on in the app's settings."
        ) from None
    return handler


def _http_server(app: App, services: Services, settings: Settings) -> Any:
    """Waitress serving Slack (HTTP mode only), /livez, /readyz, /healthz and /metrics."""
    from waitress import create_server  # type: ignore[attr-defined]

    from bot.core.web import WebApp

    server = create_server(
        WebApp.for_services(app, services, serve_slack=not settings.socket_mode),
        host=settings.host,
        port=settings.port,
        threads=settings.http_threads,
        connection_limit=1000,
        channel_timeout=30,
        ident="releasebot",
    )
    where = f"http://{settings.host}:{settings.port}"
    if settings.socket_mode:
        logging.getLogger("releasebot").info("serving probes and metrics on %s", where)
    else:
        logging.getLogger("releasebot").info("serving Slack requests on %s/slack/events", where)
    return server


def cmd_migrate(settings: Settings) -> int:
    """Bring the database schema to the newest migration."""
    from bot.core import migrate

    db = Database(settings.database_url)
    migrate.upgrade(db)
    current, _ = migrate.pending(db)
    print(f"database schema is at revision {current}")
    return 0


def cmd_doctor(settings: Settings) -> int:
    """Check configuration, database and templates; non-zero exit on a problem."""
    from bot.app import create_services
    from bot.core.doctor import run_checks

    services = create_services(settings)
    findings = run_checks(settings, services.db, services.checks)
    for finding in findings:
        mark = "skip" if finding.skipped else "ok  " if finding.ok else "FAIL"
        fix = (
            f"  -> {finding.fix}"
            if finding.fix and not (finding.ok and not finding.skipped)
            else ""
        )
        print(f"{mark} {finding.what}{fix}")
    bad = [f for f in findings if not f.ok]
    print("all good" if not bad else f"{len(bad)} problem(s) found")
    return 1 if bad else 0


def cmd_manifest(url: str | None) -> int:
    """Print the Slack app manifest, optionally with the request URLs set."""
    from bot.core.manifest import render

    sys.stdout.write(render(url))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="releasebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve Slack (HTTP on PORT, or Socket Mode with SLACK_APP_TOKEN)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("doctor", help="check configuration, database and templates")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest")
    manifest.add_argument("--url", help="public base URL of this bot, e.g. https://bot.example.com")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "doctor":
            return cmd_doctor(settings)
        return cmd_manifest(args.url)
    except ConfigError as err:
        print(f"releasebot: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
