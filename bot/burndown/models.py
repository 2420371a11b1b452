"""Tables of the meeting feature: series, skipped days, claimed deliveries, status updates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow


class MeetingSeries(SQLModel, table=True):
    """A recurring burndown meeting, anchored to a wall-clock time in a zone."""

    __tablename__ = "meeting_series"
    __table_args__ = (Index("ix_meeting_series_due", "state", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    channel_id: str = Field(max_length=32, index=True)
    days: int = Field(description="weekday bitmask, Monday = bit 0")
    at_time: str = Field(max_length=5, description="HH:MM wall-clock time in `zone`")
    zone: str = Field(max_length=64)
    start_date: date
    end_date: date | None = None
    remind: str = Field(default="3600,600", max_length=120, description="seconds before")
    status_lead: int | None = Field(default=None, description="seconds before; None: off")
    link: str | None = Field(default=None, max_length=500)
    areas: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    cadence: str | None = Field(default=None, max_length=32)
    piece: str | None = Field(default=None, max_length=16)
    state: str = Field(default="active", max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    plan_from: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingSkip(SQLModel, table=True):
    """One local date on which a series does not meet."""

    __tablename__ = "meeting_skip"
    __table_args__ = (UniqueConstraint("series_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="meeting_series.id")
    day: date
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OneMeeting(SQLModel):
    """The key columns of a row about one meeting: its series and the instant it occurs."""

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="meeting_series.id")
    occurs_at: datetime = Field(sa_type=UTCDateTime)


class MeetingDelivery(OneMeeting, table=True):
    """A reminder or status request claimed before it is sent: the unique row makes it once."""

    __tablename__ = "meeting_delivery"
    __table_args__ = (UniqueConstraint("series_id", "occurs_at", "kind", "offset_s"),)

    kind: str = Field(max_length=16)
    offset_s: int
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    late: bool = False
    message_ts: str | None = Field(default=None, max_length=32)


class MeetingStatus(OneMeeting, table=True):
    """One person's status for one area before one meeting."""

    __tablename__ = "meeting_status"
    __table_args__ = (UniqueConstraint("series_id", "occurs_at", "user_id", "area"),)

    user_id: str = Field(max_length=32)
    area: str = Field(max_length=80)
    colour: str = Field(max_length=8)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    posted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
