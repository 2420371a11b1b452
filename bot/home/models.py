"""Who looked at their App Home recently: the memory every replica shares.

A change to a release refreshes the Home of the people it concerns who opened theirs within
the last day. The row is written when a person opens their Home, with the user groups they
were found in then (so a change to work a group owns reaches its members without asking
Slack inside the change's transaction).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime


class HomeViewer(SQLModel, table=True):
    """A person who opened their App Home, when they last did, and the groups they are in."""

    __tablename__ = "home_viewer"

    user_id: str = Field(primary_key=True, max_length=32)
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    groups: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))

    def group_ids(self) -> set[str]:
        """The user groups the person was in when they last opened their Home."""
        return set(self.groups.split())
