"""The release-day checklist: steps one after another, their jobs, rehearsals, timers.

The front door: `register(services)` builds the feature once, giving Services its timers
(steps to open, nudges, jobs to look at), its messages, its part of `/release status` and
its doctor checks. What may hold a step back it asks of the guards other features provide
(`services.step_guards`), importing none of them.
"""

from __future__ import annotations

from bot.checklist import calendar_part, flows, home_part, messages, retro_part
from bot.checklist.jobs import flows as jobs
from bot.checklist.templates import check_templates
from bot.core.asks.calendar import PAGE_PART
from bot.core.asks.home import HOME_PART
from bot.core.asks.retro import RETRO_PART
from bot.core.feature import Feature
from bot.core.services import Services


def register(services: Services) -> Feature:
    """Build the feature once: timers, status section, doctor checks and messages."""
    services.scheduler.add_planner("checklist", flows.planner_for(services))
    services.scheduler.add_planner("checklist-jobs", jobs.planner_for(services))
    services.add_section("checklist", 40, flows.status_section)
    services.add_check(check_templates)
    services.add_check(jobs.check_token)
    messages.register(services.outbox, services.people.name_of)
    services.provide(HOME_PART, home_part.PART)
    services.provide(PAGE_PART, calendar_part.page_part)
    services.provide(RETRO_PART, retro_part.retro_part)
    return Feature("checklist")
