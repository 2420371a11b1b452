"""The release schedule: dated milestones, their countdown in the channel, and the phase.

A milestone is an instant (with the zone it was meant in), optionally owned by a role and
explained by a description. It is fixed, or relative to release day (its offset is kept as
text like `-33d 02:00 UTC`, so `/release postpone` recomputes it). Templates lay out a whole
schedule from release day; each milestone is announced at its countdown offsets, once.

The front door: `register(services)` builds the feature once, giving Services the countdown's
timers and the daily sync of imported schedules, the notice's rendering, the schedule's part
of `/release status` and the doctor's check of the templates.
"""

from __future__ import annotations

from functools import partial

from bot.core.asks.calendar import FEED_PART, PAGE_PART
from bot.core.asks.home import HOME_PART
from bot.core.asks.milestones import MILESTONES
from bot.core.asks.retro import RETRO_PART
from bot.core.feature import Feature
from bot.core.services import Services
from bot.schedule import calendar_part, flows, home_part, marks_part, retro_part, syncing, templates


def register(services: Services) -> Feature:
    """Build the feature once: countdown and sync timers, notices, status, doctor check."""
    services.scheduler.add_planner("schedule", partial(flows.planner, services))
    services.scheduler.add_planner("schedule-sync", partial(syncing.planner, services))
    services.outbox.teach(flows.NOTICE, renderer=flows.render_notice)
    services.add_section("schedule", 20, flows.status_section)
    services.add_check(templates.check_templates)
    services.provide(HOME_PART, home_part.PART)
    services.provide(FEED_PART, calendar_part.feed_part)
    services.provide(PAGE_PART, calendar_part.page_part)
    services.provide(MILESTONES, marks_part.marks)
    services.provide(RETRO_PART, retro_part.retro_part)
    return Feature("schedule")
