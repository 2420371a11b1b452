"""The webhooks the bot sends, in the OpenAPI document's `webhooks` section (OpenAPI 3.1).

One entry per event type, its request body the delivered envelope ({"type", "timestamp",
"data"}) with the event's data model from bot/core/events.py, and the Standard Webhooks
headers every delivery carries.
"""

from typing import Any

from fastapi import FastAPI, Header

from bot.core.events import EVENTS, WHEN, envelope

SIGNED = (
    "Sent as a POST to each endpoint of the release that wants it (`/release webhook add URL "
    "[EVENTS]`), signed per Standard Webhooks 1.0: verify `webhook-signature` over "
    "`{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's `whsec_` secret, e.g. with "
    "the `standardwebhooks` library. Answer 2xx to take it; anything else is retried, with the "
    "same `webhook-id`, for up to 24 hours."
)


def _receiver(model: type[Any]) -> Any:
    def receive(
        body: model,  # type: ignore[valid-type]
        webhook_id: str = Header(description="Unique per event; the same on every retry."),
        webhook_timestamp: str = Header(description="This attempt, in Unix seconds."),
        webhook_signature: str = Header(description="`v1,<base64 HMAC-SHA256>` entries."),
    ) -> None:
        """Receive one event (documentation only: the bot sends it, it does not serve it)."""

    return receive


def register(app: FastAPI) -> None:
    """Document every event type the bot sends under the app's `webhooks`."""
    for name in EVENTS:
        app.webhooks.post(
            name,
            summary=f"{name}: {WHEN[name]}",
            description=SIGNED,
            operation_id=f"webhook_{name.replace('.', '_')}",
            status_code=204,
        )(_receiver(envelope(name)))
