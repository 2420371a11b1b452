"""SQLModel tables; each feature keeps its tables in a module of its own."""

from bot.models import checklist, gate, meeting, poll  # noqa: F401  (register their tables)
from bot.models.base import UTCDateTime, utcnow
from bot.models.release import AuditEvent, Claim, ProcessedEvent, Release, RoleAssignment

__all__ = [
    "AuditEvent",
    "Claim",
    "ProcessedEvent",
    "Release",
    "RoleAssignment",
    "UTCDateTime",
    "utcnow",
]
