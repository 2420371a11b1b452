"""Burndown meetings: the series, its reminders and status requests, the next meeting shown.

The front door: `register(services)` builds the feature once, giving Services its timers,
its messages and its part of `/release status`.
"""

from __future__ import annotations

from functools import partial

from bot.burndown import calendar_part, flows, home_part, messages
from bot.core.asks.calendar import FEED_PART, PAGE_PART
from bot.core.asks.home import HOME_PART
from bot.core.feature import Feature
from bot.core.services import Services


def register(services: Services) -> Feature:
    """Build the feature once: plan its timers, teach the outbox its messages, show status."""
    services.scheduler.add_planner("burndown", partial(flows.planner, services))
    messages.register(services.outbox)
    services.add_section("burndown", 30, flows.status_section)
    services.provide(HOME_PART, home_part.PART)
    services.provide(FEED_PART, calendar_part.feed_part)
    services.provide(PAGE_PART, calendar_part.page_part)
    return Feature("burndown")
