"""Tables of the calendar feature: each release's secret link, stored only as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow


class CalendarToken(SQLModel, table=True):
    """The secret in a release's feed and page links; one per release, rotated by a lead."""

    __tablename__ = "calendar_token"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", unique=True)
    token_hash: str = Field(max_length=64, unique=True, description="sha256 hex of the token")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=32)
