"""Building the running application: services, the Bolt app, and its listeners."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.logger import messages as bolt_messages

from bot.core import metrics
from bot.core.budget import Budgets
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.identity import authorizer
from bot.core.leader import Leadership
from bot.core.notify import (
    Notifier,
    make_client,
    make_modal_client,
    make_quick_client,
    make_sender_client,
)
from bot.core.outbox import Outbox
from bot.core.people import Creators, Directory, Groups
from bot.core.scheduler import Scheduler
from bot.core.sender import Sender
from bot.core.services import Services


def create_services(settings: Settings, db: Database | None = None) -> Services:
    """Wire settings, database, Slack client and timekeeping together."""
    db = db or Database(settings.database_url, pool_size=settings.db_pool)
    client = make_client(settings)
    quick = make_quick_client(settings)
    leadership = Leadership(db)
    outbox = Outbox()
    groups = Groups(quick, ttl_seconds=settings.group_cache_seconds)
    services = Services(
        settings=settings,
        db=db,
        notifier=Notifier(client, modal_client=make_modal_client(settings)),
        people=Directory(quick, groups),
        scheduler=Scheduler(db, leadership, replan_seconds=settings.replan_seconds),
        creators=Creators(settings.release_creators, settings.admins, groups),
        outbox=outbox,
        sender=Sender(
            db,
            make_sender_client(settings),
            outbox,
            leadership,
            on_backlog=_report_backlog,
            budgets=Budgets(settings.slack_budgets),
        ),
    )
    register_features(services)
    return services


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("releasebot.bolt")
    if not any(isinstance(found, _NothingToAct) for found in logger.filters):
        logger.addFilter(_NothingToAct())
    return logger


def _report_backlog(pending: int, oldest_age: float) -> None:
    metrics.set_outbox_pending(pending)
    metrics.set_outbox_oldest_age(oldest_age)


def register_features(services: Services) -> None:
    """Call every feature's front door once; Services keeps, starts and stops what they build.

    The order is the order in which guards are asked and answers are given.
    """
    from bot import (
        api,
        burndown,
        calendar,
        checklist,
        gates,
        gonogo,
        home,
        release,
        schedule,
        webhooks,
    )

    for door in (
        release,
        burndown,
        gonogo,
        checklist,
        gates,
        schedule,
        webhooks,
        home,
        calendar,
        api,
    ):
        services.add_feature(door.register(services))


class _NothingToAct(logging.Filter):
    """Drops Bolt's start-up notes about the token, which an operator can do nothing about.

    The bot hands Bolt its own client and authorize function (so the token from the
    environment is not Bolt's to use), and Bolt says so at every start.
    """

    NOTES = frozenset(
        {
            bolt_messages.warning_client_prioritized_and_token_skipped(),
            bolt_messages.warning_token_skipped(),
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOTES


def create_app(services: Services) -> App:
    """The Bolt app with every feature's listeners registered."""
    from handlers import register_all
    from handlers.errors import on_unhandled

    settings = services.settings
    app = App(
        authorize=authorizer(make_quick_client(settings), settings.bot_token),
        signing_secret=settings.signing_secret or "unused-in-socket-mode",
        client=services.notifier.client,
        # Listeners answer through ack() and leave slow work to workers, so the response can
        # go out the moment the listener returns; otherwise Bolt polls for the ack every 10 ms.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
        logger=_bolt_logger(),
    )

    @app.error
    def handle_errors(error: Exception, body: dict[str, Any]) -> BoltResponse:
        return on_unhandled(error, body)

    register_all(app, services)
    return app
