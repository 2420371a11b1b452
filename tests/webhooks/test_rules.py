"""The rules without a bot: event filters, backoff caps, signing as the reference verifies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.core.events import EVENTS, WHEN
from bot.webhooks import delivery, service
from bot.webhooks.post import signed_headers


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("", "*"), ("*", "*"), ("step.*,gate.red", "step.*,gate.red"), ("Poll", "poll")],
)
def test_filters_are_kept_as_typed(typed: str, stored: str) -> None:
    assert service.parse_filter(typed) == stored


@pytest.mark.parametrize("typed", ["steps.*", "gate.blue", "step.done;x", "*.done", "http://x"])
def test_a_filter_naming_no_event_is_refused_with_the_list(typed: str) -> None:
    with pytest.raises(service.BadFilter) as refused:
        service.parse_filter(typed)
    assert "step.*" in refused.value.message and "milestone.moved" in refused.value.message


def test_a_filter_takes_its_family_or_its_events() -> None:
    taken = [e for e in EVENTS if any(service.matches(p, e) for p in ["step.*", "gate.red"])]
    assert taken == ["step.active", "step.done", "step.failed", "step.skipped", "gate.red"]
    assert service.matches("poll", "poll.closed") and not service.matches("poll", "gate.red")


def test_backoff_grows_and_its_cap_follows_how_long_it_has_failed() -> None:
    assert delivery.backoff(1, 0) <= delivery.FIRST_WAIT
    assert delivery.backoff(30, 60) <= 7.5  # down a minute: asked again within 7.5 s
    assert 225 <= delivery.backoff(30, 3600) <= 450  # down an hour: every 4 to 8 minutes
    assert delivery.backoff(60, 86_000) <= delivery.CAP_MAX


def test_signatures_verify_with_the_reference_library_and_only_with_the_secret() -> None:
    secret, other = service.new_secret(), service.new_secret()
    body = '{"type":"step.done","timestamp":"2027-03-15T10:00:00Z","data":{}}'
    headers = signed_headers(secret, "msg_1", body, datetime.now(UTC))
    assert Webhook(secret).verify(body, headers)["type"] == "step.done"
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("done", "failed"), headers)


def test_every_event_says_when_it_is_sent() -> None:
    assert set(WHEN) == set(EVENTS)
