"""The gate table, and the two kinds of gate it holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow

HTTP = "http"
MANUAL = "manual"


class Gate(SQLModel, table=True):
    """A named condition of a release: an HTTP check or a manual pass/fail, with owners.

    `state` is what people see (unknown, passing, failing); a failing check only turns it
    to failing after `damping` failures in a row. `version` guards every transition.
    """

    __tablename__ = "gate"
    __table_args__ = (UniqueConstraint("release_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    name: str = Field(max_length=40)
    kind: str = Field(max_length=16)  # HTTP | MANUAL
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    expect: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owners: str = Field(default="", max_length=400)  # user ids, space-separated
    interval_seconds: int = Field(default=600)
    damping: int = Field(default=2)
    repeat_seconds: int = Field(default=1800)
    state: str = Field(default="unknown", max_length=16)
    state_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fail_streak: int = Field(default=0)
    last_result: str | None = Field(default=None, max_length=16)
    last_detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    pings: int = Field(default=0)
    next_ping_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    alert_ts: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    version: int = Field(default=0)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def owner_ids(self) -> list[str]:
        """The gate's owners as Slack user ids."""
        return self.owners.split()
