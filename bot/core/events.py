"""What other systems hear of a release (webhooks out): the event types and each one's data.

A feature owes an event the way it owes a message: inside the transaction of its change it
calls `outbox.emit(session, Event(...))`. The webhooks feature (bot/webhooks) answers the
`Webhooks` protocol: it writes one delivery row per endpoint that wants the event, in that
same transaction, and delivers them signed (Standard Webhooks 1.0) from the leader. Without
the feature, emitting does nothing.

Every event's `data` is one of the pydantic models below; `EVENTS` names them all, and the
API's OpenAPI document lists them in its `webhooks` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import Session

from bot.core.errors import NotFound


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReleaseInfo(_Data):
    """The release an event is about."""

    id: int
    name: str
    channel: str = Field(description="The Slack channel id the release runs in")
    release_at: datetime | None = Field(description="Release day, when one is set")
    state: str = Field(description="active, released or cancelled")


class ReleaseData(_Data):
    """release.postponed, release.closed (endpoints belong to a release, so none hears it start)."""

    release: ReleaseInfo
    actor: str = Field(description="Who made the change: a Slack user id, or api:NAME")
    before: datetime | None = Field(None, description="Release day before a postponement")
    reason: str = ""


class StepData(_Data):
    """step.active, step.done, step.failed, step.skipped."""

    release: ReleaseInfo
    checklist: str = Field(description="The checklist's template name")
    position: int = Field(description="The step's place in the checklist, from 1")
    title: str
    state: str = Field(description="The step's state after the change")
    before: str = Field(description="The step's state before the change")
    owner: str = Field("", description="The role or person that owns the step")
    actor: str
    reason: str = Field("", description="Why a step failed or was skipped, when given")


class GateData(_Data):
    """gate.green, gate.red, gate.yellow, gate.unknown: a gate turned to this state."""

    release: ReleaseInfo
    gate: str = Field(description="The gate's name")
    kind: str = Field(description="http, manual, github, testgrid or push")
    state: Literal["green", "red", "yellow", "unknown"]
    before: str | None = Field(description="The gate's state before, if it had one")
    detail: str = ""
    value: float | None = Field(None, description="The measured number of a counting gate")


class PollData(_Data):
    """poll.opened, poll.closed."""

    release: ReleaseInfo
    poll: int = Field(description="The poll's id")
    question: str
    state: str = Field(description="open, or how it closed (go, no-go, cancelled, ...)")
    go: int = Field(0, description="Votes for go")
    nogo: int = Field(0, description="Votes against")
    actor: str


class MilestoneData(_Data):
    """milestone.added, milestone.moved, milestone.removed."""

    release: ReleaseInfo
    milestone: str = Field(description="The milestone's name")
    at: datetime | None = Field(description="When it is (None once removed)")
    before: datetime | None = Field(None, description="When it was, for a move or a removal")
    reason: str = ""
    actor: str


class WebhookData(_Data):
    """Anything a feature sends to one endpoint on purpose (a checklist step's run)."""

    model_config = ConfigDict(extra="allow")


EVENTS: dict[str, type[_Data]] = {
    "release.postponed": ReleaseData,
    "release.closed": ReleaseData,
    "step.active": StepData,
    "step.done": StepData,
    "step.failed": StepData,
    "step.skipped": StepData,
    "gate.green": GateData,
    "gate.red": GateData,
    "gate.yellow": GateData,
    "gate.unknown": GateData,
    "poll.opened": PollData,
    "poll.closed": PollData,
    "milestone.added": MilestoneData,
    "milestone.moved": MilestoneData,
    "milestone.removed": MilestoneData,
}


def envelope(event_type: str) -> type[BaseModel]:
    """The model of a whole delivered body of this type: {"type", "timestamp", "data"}."""
    data = EVENTS[event_type]
    name = "".join(part.title() for part in event_type.split(".")) + "Event"
    return create_model(
        name,
        __doc__=f"The body of a `{event_type}` delivery: {WHEN[event_type]}.",
        __config__=ConfigDict(extra="forbid"),
        type=(Literal[event_type], Field(description="The event type")),  # type: ignore[arg-type]
        timestamp=(datetime, Field(description="When it happened (UTC)")),
        data=(data, ...),
    )


WHEN = {
    "release.postponed": "release day moved",
    "release.closed": "the release was released or cancelled",
    "step.active": "a checklist step is up (opened, reopened by a retry, or its time came)",
    "step.done": "a checklist step was marked done",
    "step.failed": "a checklist step was marked failed",
    "step.skipped": "a checklist step was skipped",
    "gate.green": "a gate turned green (passing)",
    "gate.red": "a gate turned red (failing)",
    "gate.yellow": "a gate turned yellow (flaky or stale, not green)",
    "gate.unknown": "a gate's state became unknown (no result it can trust)",
    "poll.opened": "a go/no-go poll opened",
    "poll.closed": "a go/no-go poll closed, with its outcome",
    "milestone.added": "a milestone was added",
    "milestone.moved": "a milestone moved",
    "milestone.removed": "a milestone was removed",
}


class _Release(Protocol):
    id: int | None
    name: str
    channel_id: str
    release_at: datetime | None
    state: str


def release_info(release: _Release) -> ReleaseInfo:
    """The ReleaseInfo of a release row."""
    assert release.id is not None
    return ReleaseInfo(
        id=release.id,
        name=release.name,
        channel=release.channel_id,
        release_at=release.release_at,
        state=release.state,
    )


@dataclass(frozen=True)
class Event:
    """An event owed to the release's webhook endpoints.

    `key` makes it owed once (the same key emitted twice is one event); `at` is when it
    happened (the body's `timestamp`).
    """

    type: str
    key: str
    release_id: int
    data: BaseModel
    at: datetime

    def body(self) -> dict[str, Any]:
        """The delivered JSON body: {"type", "timestamp", "data"}."""
        return {
            "type": self.type,
            "timestamp": self.at.isoformat().replace("+00:00", "Z"),
            "data": self.data.model_dump(mode="json"),
        }


@dataclass(frozen=True)
class Delivery:
    """What became of one delivery: pending, delivered or failed, and the last answer."""

    webhook_id: str
    state: str
    attempts: int
    status: int | None
    error: str | None


class Webhooks(Protocol):
    """What the webhooks feature answers (features and the checklist's runs call these)."""

    def emit(self, session: Session, event: Event) -> None:
        """Owe the event to every endpoint of its release that wants its type."""

    def send_to(self, session: Session, endpoint: str, event: Event) -> str:
        """Owe the event to one endpoint of its release (its number or URL); the webhook-id."""
        ...

    def delivery(self, session: Session, webhook_id: str) -> Delivery | None:
        """What became of a delivery sent with send_to."""


class NoWebhooks:
    """Until the webhooks feature registers: events go nowhere, send_to finds no endpoint."""

    def emit(self, session: Session, event: Event) -> None:
        """Nobody listens."""

    def send_to(self, session: Session, endpoint: str, event: Event) -> str:
        """There are no endpoints."""
        raise NotFound(f"There is no webhook endpoint {endpoint}.")

    def delivery(self, session: Session, webhook_id: str) -> Delivery | None:
        """Nothing was sent."""
        return None
