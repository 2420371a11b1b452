"""Tables of webhooks out: a release's endpoints, and every delivery owed to one of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow

PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"


class WebhookEndpoint(SQLModel, table=True):
    """A URL that hears a release's events, signed with its own secret.

    `failing_since` is the first failed attempt of the current run of failures (None while
    it answers); 24 hours of failing pauses it (`paused_at`) until a lead resumes it.
    """

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: str = Field(default="*", max_length=500)
    secret: str = Field(max_length=100)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failures: int = 0
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one endpoint: its signed body's content, frozen when it was owed.

    Rows of an endpoint are delivered in id order, one at a time; `webhook_id` is the same
    on every attempt, so a receiver can tell a retry from a new event.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "key"),
        Index("ix_webhook_delivery_pending", "state", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    key: str = Field(max_length=200)
    webhook_id: str = Field(max_length=64, index=True)
    event_type: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


@dataclass(frozen=True)
class Listed:
    """An endpoint as `/release webhook list` shows it: never its secret."""

    number: int
    url: str
    events: str
    created_by: str
    paused_at: datetime | None
    failures: int
    failing_since: datetime | None
    last_delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    pending: int
