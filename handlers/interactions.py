"""Button clicks and modal submissions: persist first, acknowledge, then tell the clicker.

Every interactive listener goes through `on_click` / `on_submit`, so a refusal (stale
button, wrong person, bad state) reaches only the person who clicked, and nothing a
click carries can crash a handler.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core import payloads, unavailable
from bot.core.db import retry_transient
from bot.core.outbox import Message
from bot.core.services import Services
from handlers.errors import explain
from handlers.request import Request

log = logging.getLogger(__name__)
# An answer owed to a person is worth sending this long (they may have moved on after).
ANSWER_USEFUL = timedelta(minutes=15)
# A click waits this long for a database that is briefly away, so that even then it is
# answered well inside Slack's 3 s (the person is told to click again).
CLICK_RETRY_BUDGET = 1.0


@dataclass(frozen=True)
class Click(Request):
    """Who clicked which button, where, carrying what."""

    channel_id: str
    message_ts: str
    action_id: str
    value: str
    trigger_id: str
    view_id: str

    def data(self, *required: str) -> dict[str, Any]:
        """The button's value as the JSON object it was rendered with (NotMine otherwise)."""
        return payloads.decode(self.value, *required)

    def tell(self, text: str) -> None:
        """A message only the clicker sees (in the channel, or as a DM from Home)."""
        if self.channel_id:
            self.services.notifier.ephemeral(self.channel_id, self.user_id, text)
        else:
            self.services.notifier.dm(self.user_id, text)

    def tell_later(self, text: str) -> None:
        """Owe the clicker an answer through the outbox: it waits out Slack's outages."""
        owe_answer(self.services, self.channel_id, self.user_id, text)

    def open_modal(self, view: dict[str, Any], unopened: str) -> None:
        """Open a modal before the ack: one short try (a trigger id lasts 3 s).

        When Slack does not answer, the person is told `unopened` once Slack is back.
        """
        try:
            self.services.notifier.open_view(self.trigger_id, view)
        except Exception as err:
            if not unavailable.is_outage(err):
                raise
            unavailable.warn("views.open", err)
            self.tell_later(unopened)


def unopened(what: str, kept: str) -> str:
    """What a person is told when a form could not open: what was kept, what to retry."""
    return (
        f":warning: Slack did not answer in time, so {what} could not open. {kept} "
        "Please click again."
    )


def owe_answer(services: Services, channel_id: str, user_id: str, text: str) -> None:
    """An ephemeral answer (a DM without a channel) owed through the outbox, sent once."""
    now = services.now()
    message = Message(
        key=f"answer:{user_id}:{uuid.uuid4().hex}",
        channel=channel_id or user_id,
        text=text,
        useful_until=now + ANSWER_USEFUL,
        ephemeral_to=user_id if channel_id else None,
    )
    try:
        with services.db.session() as session:
            services.outbox.queue(session, message, now=now)
    except Exception as err:  # the database is away too: try Slack directly, off this thread
        log.warning("answer for %s not queued (%s); sending it directly", user_id, err)
        if channel_id:
            services.notifier.later(services.notifier.ephemeral, channel_id, user_id, text)
        else:
            services.notifier.later(services.notifier.dm, user_id, text)


@dataclass(frozen=True)
class Submission(Request):
    """A submitted modal: who, which callback, its metadata and values."""

    callback_id: str
    private_metadata: str
    view: dict[str, Any]

    def metadata(self, *required: str) -> dict[str, Any]:
        """private_metadata as the JSON object it was rendered with (NotMine otherwise)."""
        return payloads.decode(self.private_metadata, *required, form=True)


ClickFn = Callable[[Click], str | None]
SubmitFn = Callable[[Submission], str | None]


def _click_from(body: dict[str, Any], client: WebClient, services: Services) -> Click:
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    return Click(
        services=services,
        client=client,
        user_id=str((body.get("user") or {}).get("id", "")),
        channel_id=str(channel),
        message_ts=str(container.get("message_ts") or (body.get("message") or {}).get("ts", "")),
        action_id=str(action.get("action_id", "")),
        value=str(action.get("value", "")),
        trigger_id=str(body.get("trigger_id", "")),
        view_id=str((body.get("view") or {}).get("id", "")),
    )


def on_click(app: App, action_id: str, services: Services, fn: ClickFn) -> None:
    """Register a button handler: `fn` persists and may return a note for the clicker.

    A click that opens a modal should call `views_open` inside `fn` (trigger ids expire
    in 3 seconds) and return None.
    """

    @app.action(action_id)
    def listen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        click = _click_from(body, client, services)
        try:
            note = retry_transient(lambda: fn(click), budget=CLICK_RETRY_BUDGET)
        except Exception as err:
            ack()
            click.tell_later(explain(err))
            return
        ack()
        if note:
            services.notifier.later(click.tell, note)


def on_submit(app: App, callback_id: str, services: Services, fn: SubmitFn) -> None:
    """Register a modal handler; a DomainError shows on the modal's first input."""

    @app.view(callback_id)
    def listen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body.get("view") or {}
        submission = Submission(
            services=services,
            client=client,
            user_id=str((body.get("user") or {}).get("id", "")),
            callback_id=str(view.get("callback_id", "")),
            private_metadata=str(view.get("private_metadata", "")),
            view=view,
        )
        try:
            note = retry_transient(lambda: fn(submission))
        except Exception as err:
            first = next(iter(view.get("state", {}).get("values", {})), None)
            text = explain(err)
            if first:
                ack(response_action="errors", errors={first: text[:300]})
            else:
                ack()
                owe_answer(services, "", submission.user_id, text)
            return
        ack()
        if note:
            services.notifier.later(services.notifier.dm, submission.user_id, note)
