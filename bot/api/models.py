"""API tokens: one row per token a lead made for a release, kept as a hash, never in the clear."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, unique_where, utcnow

READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)


class ApiToken(SQLModel, table=True):
    """A token that acts for its release: its name, scope, maker, and a SHA-256 of its secret.

    A revoked token keeps its row (and so its name in the trail's history) with `revoked_at`
    set; its name is free again for a new token.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        unique_where("uq_api_token_live_name", "release_id", "name", where="revoked_at IS NULL"),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    name: str = Field(max_length=40)
    scope: str = Field(max_length=8)
    secret_hash: str = Field(max_length=64, unique=True, index=True)
    made_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=32)
