"""SQLModel tables; each feature keeps its tables in a module of its own."""

from bot.models.base import UTCDateTime, utcnow
from bot.models.release import AuditEvent, ProcessedEvent, Release, RoleAssignment

__all__ = [
    "AuditEvent",
    "ProcessedEvent",
    "Release",
    "RoleAssignment",
    "UTCDateTime",
    "utcnow",
]
