"""The HTTP API's own parts: tokens, the request and response models, rate limits.

The front door: `register(services)` builds the feature once, with the Gatekeeper that checks
every call (`services.part(Gatekeeper)`); the routes themselves are in
`handlers/api/`, calling each feature's services as a Slack click does.
"""

from __future__ import annotations

from bot.api.access import Gatekeeper
from bot.api.limits import RateLimiter
from bot.core.feature import Feature
from bot.core.services import Services

PREFIX = "/api/v1"


def register(services: Services) -> Feature:
    """Build the feature once: tokens checked against its database, rates per token."""
    limiter = RateLimiter(services.settings.api_rate_per_minute)
    return Feature("api", Gatekeeper(services.db, services, limiter))
