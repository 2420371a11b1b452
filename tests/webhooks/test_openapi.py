"""The API's OpenAPI document lists every webhook the bot sends, with its data model."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate

from bot.core.events import EVENTS
from tests.conftest import RunningBot


def test_the_document_has_a_webhook_for_every_event_and_stays_valid(bot: RunningBot) -> None:
    document = httpx.get(f"{bot.url}/api/v1/openapi.json").json()
    validate(document)  # OpenAPI 3.1
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == set(EVENTS)
    step = document["webhooks"]["step.done"]["post"]
    headers = {p["name"] for p in step["parameters"] if p["in"] == "header"}
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= headers
    ref = step["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"type", "timestamp", "data"}
    assert body["properties"]["type"]["const"] == "step.done"
    data = document["components"]["schemas"]["StepData"]
    assert {"release", "position", "title", "state", "before", "actor"} <= set(data["required"])
    assert "standardwebhooks" in step["description"]
