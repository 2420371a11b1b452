"""Every feature's tables in one place, so Alembic sees the whole SQLModel.metadata."""

from bot.burndown.models import MeetingDelivery, MeetingSeries, MeetingSkip, MeetingStatus
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.models import AuditEvent, ProcessedEvent, UTCDateTime, utcnow
from bot.core.outbox import LiveRefresh, OutboxRow
from bot.gates.models import Gate, GateCheck
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.models import Release, RoleAssignment
from bot.schedule.models import Milestone, MilestoneNotice, ScheduleSetting

__all__ = [
    "AuditEvent",
    "Checklist",
    "ChecklistStep",
    "Gate",
    "GateCheck",
    "LiveRefresh",
    "MeetingDelivery",
    "MeetingSeries",
    "MeetingSkip",
    "MeetingStatus",
    "Milestone",
    "MilestoneNotice",
    "OutboxRow",
    "Poll",
    "PollVote",
    "PollVoter",
    "ProcessedEvent",
    "Release",
    "RoleAssignment",
    "ScheduleSetting",
    "UTCDateTime",
    "utcnow",
]
