"""Go/no-go polls: who must vote, the votes, the result, and the steps that wait for a GO.

The front door: `register(services)` builds the feature once. Its `VoteWriter` writes every
vote (a click, a No-Go's reason) in group commits on one thread; the Slack listeners hand
their ballots to that one writer (`services.part(VoteWriter)`), and Services stops it.
A checklist step that `requires: gonogo` is held back by the guard this feature provides.
"""

from __future__ import annotations

from functools import partial

from bot.core.asks.calendar import PAGE_PART
from bot.core.asks.home import HOME_PART
from bot.core.asks.retro import RETRO_PART
from bot.core.feature import Feature
from bot.core.services import Services
from bot.gonogo import calendar_part, flows, home_part, messages, retro_part
from bot.gonogo import service as gonogo
from bot.gonogo.writer import VoteWriter


def register(services: Services) -> Feature:
    """Build the feature once: its writer, messages, timers, status section and guard."""
    messages.register(services.outbox, services.people.away_of)
    services.add_step_guard(gonogo.require_go)
    services.scheduler.add_planner("gonogo", partial(flows.planner, services))
    services.add_section("gonogo", 40, flows.status_section)
    services.provide(HOME_PART, home_part.PART)
    services.provide(PAGE_PART, calendar_part.page_part)
    services.provide(RETRO_PART, retro_part.retro_part)
    return Feature("gonogo", VoteWriter(services))
