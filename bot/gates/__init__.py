"""Gates: checks of CI and other signals, their cards and alerts, and the steps they hold.

The front door: `register(services)` builds the feature once. Its `GateRunner` runs every
check (scheduled or asked for with `/gate check`) on its own workers and carries out what
people ask; the Slack listeners speak for that one runner (`services.part(GateRunner)`), and
Services stops its workers. The gates hold back a checklist step that names a gate that
is not passing, through the step guard they provide.
"""

from __future__ import annotations

from functools import partial

from bot.core.asks.calendar import PAGE_PART
from bot.core.asks.home import HOME_PART
from bot.core.asks.retro import RETRO_PART
from bot.core.feature import Feature
from bot.core.services import Services
from bot.gates import calendar_part, flows, home_part, messages, retro_part
from bot.gates import service as gates
from bot.gates.doctor import check_gates
from bot.gates.flows import GateRunner


def register(services: Services) -> Feature:
    """Build the feature once: its runner, timers, messages, status, doctor check and guard."""
    runner = GateRunner(services)
    services.scheduler.add_planner("gates", runner.planner)
    services.scheduler.add_planner("gates.history", partial(flows.thinning_planner, services))
    messages.register(services.outbox)
    services.add_section("gates", 50, flows.status_section)
    services.add_check(check_gates)
    services.add_step_guard(gates.require_gates)
    services.provide(HOME_PART, home_part.PART)
    services.provide(PAGE_PART, calendar_part.page_part)
    services.provide(RETRO_PART, retro_part.retro_part)
    return Feature("gates", runner)
