"""Planning and claiming the timed work of meeting series: reminders and status requests.

The planner reads only series whose stored `next_due_at` falls before the window's end
(an index scan), so 10,000 quiet series cost nothing per replan. Each delivery inserts its
unique `meeting_delivery` row first; only the transaction that inserted it goes on to post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingDelivery, MeetingSeries
from bot.burndown.recurrence import Item, next_due, pending
from bot.burndown.series import claimed_of, plan_of, refresh_due, skips_of
from bot.core.models import UTCDateTime
from bot.release.models import Release

# Work sent more than this after its due time was held up by the bot being away.
LATE_AFTER = timedelta(seconds=5)
# At most this many series per pass, most overdue first: after a long outage the stale ones
# are pushed forward and the next pass follows at once, so no single pass takes long.
PLAN_BATCH = 5000


@dataclass(frozen=True)
class Due:
    """One piece of work of one series, due at `item.due`."""

    series_id: int
    item: Item

    @property
    def key(self) -> str:
        """The timer key: unique per series, meeting, kind and offset."""
        return (
            f"burndown:{self.series_id}:{int(self.item.occurs_at.timestamp())}"
            f":{self.item.kind}:{self.item.offset}"
        )


@dataclass(frozen=True)
class Stale:
    """A series whose stored next_due_at is earlier than its real next work."""

    series_id: int
    stored: datetime
    actual: datetime | None


def plan_window(session: Session, now: datetime, until: datetime) -> tuple[list[Due], list[Stale]]:
    """Work due before `until` for meetings not yet started, and series to push forward."""
    query = (
        select(MeetingSeries)
        .join(Release, col(Release.id) == col(MeetingSeries.release_id))
        .where(
            MeetingSeries.state == "active",
            col(MeetingSeries.next_due_at) < until,
            Release.state == "active",
        )
        .order_by(col(MeetingSeries.next_due_at))
        .limit(PLAN_BATCH)
    )
    chosen = list(session.exec(query))
    ids = [s.id for s in chosen if s.id is not None]
    skips = skips_of(session, ids)
    claimed = claimed_of(session, ids, now)
    zones = cache(ZoneInfo)  # this pass reads each zone once
    work: list[Due] = []
    stale: list[Stale] = []
    for series in chosen:
        assert series.id is not None and series.next_due_at is not None
        plan = plan_of(series, skips[series.id], zones)
        actual = next_due(plan, claimed[series.id], now)
        if actual is not None and actual < until:
            work.extend(
                Due(series.id, item) for item in pending(plan, claimed[series.id], now, until)
            )
        elif actual is None or actual > series.next_due_at:
            stale.append(Stale(series.id, series.next_due_at, actual))
    return work, stale


def push_forward(session: Session, stale: list[Stale]) -> None:
    """Store the real next_due_at of stale series, unless someone changed them meanwhile."""
    if not stale:
        return
    table = MeetingSeries.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("sid"),
            table.c.next_due_at == bindparam("stored", type_=UTCDateTime),
        )
        .values(next_due_at=bindparam("actual", type_=UTCDateTime))
    )
    rows = [{"sid": e.series_id, "stored": e.stored, "actual": e.actual} for e in stale]
    session.connection().execute(statement, rows)


@dataclass(frozen=True)
class Claimed:
    """Work this transaction won: what to send, where, and whether it is late."""

    delivery_id: int
    series: MeetingSeries
    release: Release
    item: Item
    late: bool


def claim(session: Session, due: Due, now: datetime) -> Claimed | None:
    """Claim one piece of work; None when it was claimed already or is no longer wanted."""
    series = session.get(MeetingSeries, due.series_id)
    if series is None or series.state != "active":
        return None
    release = session.get(Release, series.release_id)
    if release is None or release.state != "active":
        return None
    item = due.item
    plan = plan_of(series, skips_of(session, [due.series_id])[due.series_id])
    if item.occurs_at <= now or not plan.rule.is_occurrence(item.occurs_at):
        return None  # the meeting started, was skipped or moved: drop the work
    if item not in plan.items_for(item.occurs_at):
        return None
    late = now - item.due > LATE_AFTER
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(MeetingDelivery)
        .values(
            series_id=due.series_id,
            occurs_at=item.occurs_at,
            kind=item.kind,
            offset_s=item.offset,
            claimed_at=now,
            late=late,
        )
        .on_conflict_do_nothing()
        .returning(col(MeetingDelivery.id))
    )
    delivery_id = session.execute(statement).scalar()
    if delivery_id is None:
        return None
    refresh_due(session, series, now)
    return Claimed(int(delivery_id), series, release, item, late)


def remember_message(session: Session, delivery_id: int, ts: str) -> None:
    """Keep the ts of a posted reminder, so later status updates can refresh it."""
    session.execute(
        update(MeetingDelivery)
        .where(col(MeetingDelivery.id) == delivery_id)
        .values(message_ts=ts[:32])
    )


def reminder_deliveries(
    session: Session, series_id: int, occurs_at: datetime
) -> list[MeetingDelivery]:
    """Every reminder already posted (with its message ts) for one meeting."""
    query = select(MeetingDelivery).where(
        MeetingDelivery.series_id == series_id,
        MeetingDelivery.occurs_at == occurs_at,
        MeetingDelivery.kind == "remind",
        col(MeetingDelivery.message_ts).is_not(None),
    )
    return list(session.exec(query))
