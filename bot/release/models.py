"""Releases and their role holders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, unique_where, utcnow


class Release(SQLModel, table=True):
    """A release run from one Slack channel; one active release per channel."""

    __tablename__ = "release"
    __table_args__ = (
        unique_where("uq_release_active_channel", "channel_id", where="state = 'active'"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200)
    zone: str = Field(max_length=64)
    release_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default="active", max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Waits between escalation rungs in seconds, comma-separated; None: the default.
    escalation: str | None = Field(default=None, max_length=64)


class RoleAssignment(SQLModel, table=True):
    """One person (or one Slack user group, by its `S…` id) holding one role in one release."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("release_id", "role", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    role: str = Field(max_length=64)
    user_id: str = Field(max_length=32)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
