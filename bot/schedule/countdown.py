"""Planning and claiming the countdown: each milestone announced at its offsets, once.

A milestone keeps `next_notice_at`, its next unclaimed notice, so the planner reads only the
milestones with a notice due in its window (an index scan). A notice is owed only if it falls
due after the milestone was last planned (`plan_from`: added, moved, or the release's offsets
changed); the add or move was announced itself. Each notice inserts its unique
`milestone_notice` row (milestone, instant, offset) first; only the transaction that inserted
it owes the message. When the bot was away for several notices of one milestone, only the
most recent goes out (late, and says so); the older ones are claimed as superseded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core.outbox import forget_pending
from bot.release.models import Release
from bot.schedule.models import Milestone, MilestoneNotice, ScheduleSetting
from bot.schedule.timing import stored_notify

# A notice owed more than this after its due time was held up (the bot was away).
LATE_AFTER = timedelta(seconds=60)
PLAN_BATCH = 2000


@dataclass(frozen=True)
class Due:
    """One countdown notice of one milestone, for the instant the milestone had then."""

    milestone_id: int
    at: datetime
    offset: int

    @property
    def due(self) -> datetime:
        """When the notice falls due."""
        return self.at - timedelta(seconds=self.offset)

    @property
    def key(self) -> str:
        """The timer and outbox key: one per milestone, instant and offset."""
        return notice_key(self.milestone_id, self.at, self.offset)


def notice_key(milestone_id: int, at: datetime, offset: int) -> str:
    """`milestone:<id>:<instant>:<offset>`: a moved milestone counts down afresh."""
    return f"milestone:{milestone_id}:{int(at.timestamp())}:{offset}"


def notice_prefix(milestone_id: int) -> str:
    """The outbox key prefix of every notice of one milestone."""
    return f"milestone:{milestone_id}:"


def forget_notices(session: Session, milestone: Milestone, reason: str) -> None:
    """Drop the milestone's notices still owed: it moved or went away (`reason` says which)."""
    assert milestone.id is not None
    forget_pending(session, notice_prefix(milestone.id), reason)


@dataclass(frozen=True)
class Claimed:
    """A notice this transaction won: what to owe, where, and whether it is late."""

    notice_id: int
    milestone: Milestone
    release: Release
    offset: int
    late: bool


def notify_of(session: Session, release_id: int) -> tuple[int, ...]:
    """The release's countdown offsets in seconds, largest first."""
    setting = session.get(ScheduleSetting, release_id)
    return stored_notify(setting.notify if setting else None)


def claimed_offsets(session: Session, milestone: Milestone) -> set[int]:
    """Offsets already claimed for the milestone's current instant."""
    query = select(MilestoneNotice.offset_seconds).where(
        MilestoneNotice.milestone_id == milestone.id, MilestoneNotice.at == milestone.at
    )
    return set(session.exec(query))


def wanted(milestone: Milestone, offsets: Iterable[int], claimed: set[int]) -> list[Due]:
    """The notices still owed for the milestone's instant, soonest due last."""
    assert milestone.id is not None
    found = []
    for offset in offsets:
        due = Due(milestone.id, milestone.at, offset)
        if offset > 0 and offset not in claimed and due.due >= milestone.plan_from:
            found.append(due)
    return sorted(found, key=lambda d: d.due)


def next_notice(milestone: Milestone, offsets: Iterable[int], claimed: set[int]) -> datetime | None:
    """When the milestone's next unclaimed notice falls due, or None."""
    owed = wanted(milestone, offsets, claimed)
    return owed[0].due if owed else None


def replan(session: Session, milestone: Milestone, offsets: tuple[int, ...]) -> None:
    """Store when the milestone's next notice falls due (after a change or a claim)."""
    milestone.next_notice_at = next_notice(milestone, offsets, claimed_offsets(session, milestone))
    session.add(milestone)


def plan_window(session: Session, now: datetime, until: datetime) -> list[Due]:
    """Notices due before `until` for milestones still ahead, in active releases."""
    query = (
        select(Milestone)
        .join(Release, col(Release.id) == col(Milestone.release_id))
        .where(
            col(Milestone.next_notice_at) < until,
            col(Milestone.at) > now,
            Release.state == "active",
        )
        .order_by(col(Milestone.next_notice_at))
        .limit(PLAN_BATCH)
    )
    chosen = list(session.exec(query))
    if not chosen:
        return []
    settings = _settings(session, {m.release_id for m in chosen})
    claims = _claims(session, [m.id for m in chosen if m.id is not None])
    work: list[Due] = []
    for milestone in chosen:
        offsets = stored_notify(settings.get(milestone.release_id))
        claimed = claims.get((milestone.id or 0, milestone.at), set())
        owed = [d for d in wanted(milestone, offsets, claimed) if d.due < until]
        overdue = [d for d in owed if d.due <= now]
        # Of several overdue notices only the most recent is sent; it supersedes the others.
        work.extend([*overdue[-1:], *(d for d in owed if d.due > now)])
    return work


def finished(session: Session, now: datetime, until: datetime) -> list[int]:
    """Milestones still marked with a notice that will never go: passed, or release over."""
    query = (
        select(Milestone.id)
        .join(Release, col(Release.id) == col(Milestone.release_id))
        .where(
            col(Milestone.next_notice_at) < until,
            or_(col(Milestone.at) <= now, col(Release.state) != "active"),
        )
        .limit(PLAN_BATCH)
    )
    return [int(found) for found in session.exec(query) if found is not None]


def forget_finished(session: Session, ids: list[int], now: datetime) -> None:
    """Clear the next notice of milestones that passed (or whose release ended)."""
    session.execute(
        update(Milestone)
        .where(
            col(Milestone.id).in_(ids),
            or_(
                col(Milestone.at) <= now,
                col(Milestone.release_id).in_(
                    select(Release.id).where(col(Release.state) != "active")
                ),
            ),
        )
        .values(next_notice_at=None)
    )


def _settings(session: Session, release_ids: set[int]) -> dict[int, str]:
    query = select(ScheduleSetting).where(col(ScheduleSetting.release_id).in_(release_ids))
    return {row.release_id: row.notify for row in session.exec(query)}


def _claims(session: Session, ids: list[int]) -> dict[tuple[int, datetime], set[int]]:
    query = select(MilestoneNotice).where(col(MilestoneNotice.milestone_id).in_(ids))
    found: dict[tuple[int, datetime], set[int]] = {}
    for row in session.exec(query):
        found.setdefault((row.milestone_id, row.at), set()).add(row.offset_seconds)
    return found


def claim(session: Session, due: Due, now: datetime) -> Claimed | None:
    """Claim one notice; None when it was claimed already or is no longer wanted."""
    milestone = session.get(Milestone, due.milestone_id)
    if milestone is None or milestone.at != due.at or milestone.at <= now:
        return None  # removed, moved (its new instant counts down afresh) or passed
    release = session.get(Release, milestone.release_id)
    if release is None or release.state != "active":
        return None
    offsets = notify_of(session, release.id or 0)
    if due.offset not in offsets or due.due < milestone.plan_from or due.due > now:
        return None
    late = now - due.due > LATE_AFTER
    notice_id = _insert(session, due, now, late=late, superseded=False)
    if notice_id is None:
        return None
    claimed = claimed_offsets(session, milestone)
    for older in wanted(milestone, offsets, claimed):
        if older.due < due.due:
            _insert(session, older, now, late=True, superseded=True)
    replan(session, milestone, offsets)
    return Claimed(notice_id, milestone, release, due.offset, late)


def _insert(
    session: Session, due: Due, now: datetime, *, late: bool, superseded: bool
) -> int | None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(MilestoneNotice)
        .values(
            milestone_id=due.milestone_id,
            at=due.at,
            offset_seconds=due.offset,
            claimed_at=now,
            late=late,
            superseded=superseded,
        )
        .on_conflict_do_nothing()
        .returning(col(MilestoneNotice.id))
    )
    found = session.execute(statement).scalar()
    return int(found) if found is not None else None


def clear_future(session: Session, milestone: Milestone, now: datetime) -> None:
    """Forget claims of notices not yet due (the milestone moved: they are planned anew)."""
    for row in session.exec(
        select(MilestoneNotice).where(MilestoneNotice.milestone_id == milestone.id)
    ):
        if row.at - timedelta(seconds=row.offset_seconds) > now:
            session.delete(row)


def forget(session: Session, milestone: Milestone) -> None:
    """Delete every claim of a milestone that is being removed."""
    for row in session.exec(
        select(MilestoneNotice).where(MilestoneNotice.milestone_id == milestone.id)
    ):
        session.delete(row)
