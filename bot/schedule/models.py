"""Tables of the schedule: milestones, their claimed countdown notices, per-release settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow


class Milestone(SQLModel, table=True):
    """One dated milestone of a release: a freeze, a deadline, a release candidate."""

    __tablename__ = "milestone"
    __table_args__ = (
        UniqueConstraint("release_id", "key"),
        Index("ix_milestone_notice", "next_notice_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    name: str = Field(max_length=80)
    key: str = Field(max_length=80, description="the name case-folded: unique per release")
    at: datetime = Field(sa_type=UTCDateTime)
    zone: str = Field(max_length=64, description="the zone the time was given in")
    relative_to_release: bool = False
    offset: str | None = Field(default=None, max_length=60, description="like -33d 02:00 UTC")
    owner_role: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    phase: str | None = Field(default=None, max_length=60, description="the phase it opens")
    marks: str | None = Field(default=None, max_length=16, description="code-freeze, ...")
    template: str | None = Field(default=None, max_length=64)
    planned_at: datetime = Field(sa_type=UTCDateTime, description="its first instant")
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    moved_by: str | None = Field(default=None, max_length=32)
    moved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    move_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    moves: int = 0
    plan_from: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, description="notices due before: not sent"
    )
    next_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MilestoneNotice(SQLModel, table=True):
    """A countdown notice claimed before it is owed: the unique row makes it once."""

    __tablename__ = "milestone_notice"
    __table_args__ = (UniqueConstraint("milestone_id", "at", "offset_seconds"),)

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, description="the milestone's instant it counts to")
    offset_seconds: int
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    late: bool = False
    superseded: bool = Field(default=False, description="overdue with a newer one: not sent")


class ScheduleSetting(SQLModel, table=True):
    """A release's countdown offsets, when its lead changed them from the default."""

    __tablename__ = "schedule_setting"

    release_id: int = Field(foreign_key="release.id", primary_key=True)
    notify: str = Field(default="", max_length=200, description="seconds before, comma-separated")
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScheduleSource(SQLModel, table=True):
    """The published file a release's schedule was imported from, and how its reading went."""

    __tablename__ = "schedule_source"

    release_id: int = Field(foreign_key="release.id", primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    format: str = Field(max_length=32, description="kubernetes-patches, sig-release, openstack")
    stream: str | None = Field(default=None, max_length=40, description="the minor read: 1.31")
    title: str = Field(max_length=120)
    digest: str = Field(max_length=64, description="sha256 of the text last read")
    imported_by: str = Field(max_length=32)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    auto_day: str = Field(default="", max_length=10, description="UTC day of the last daily sync")
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reported_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="when leads heard it cannot be read"
    )


class ScheduleSourceEntry(SQLModel, table=True):
    """One dated entry of a source and the milestone it became (None: a lead removed it)."""

    __tablename__ = "schedule_source_entry"
    __table_args__ = (UniqueConstraint("release_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id", index=True)
    key: str = Field(max_length=120, description="names the entry within its source")
    at: datetime = Field(sa_type=UTCDateTime, description="the instant the source gave last")
    seq: int = 0
    chain: str = Field(default="", max_length=40)
    history: bool = False
    after_release: bool = False
