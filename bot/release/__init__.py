"""Releases: their channel, roles and leads, what each change announces, the retrospective.

The front door: `register(services)` builds the feature once; leads hear through it when the
bot can no longer post in their release's channel. Other features use this feature's public
names (its service, models and groups) directly: a release is what they all hang from.
"""

from __future__ import annotations

from functools import partial

from bot.core.feature import Feature
from bot.core.services import Services
from bot.release import flows


def register(services: Services) -> Feature:
    """Build the feature once: leads are told when their release's channel cannot be reached."""
    services.outbox.teach_undeliverable(partial(flows.tell_leads, services.outbox))
    return Feature("release")
