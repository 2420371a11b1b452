"""Planning and claiming the timed work of meeting series: reminders and status requests.

The planner reads only series whose stored `next_due_at` falls before the window's end
(an index scan), so 10,000 quiet series cost nothing per replan. Each delivery inserts its
unique `meeting_delivery` row first; only the transaction that inserted it owes the message
(in the outbox, in that same transaction: bot.burndown.messages).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingDelivery, MeetingSeries
from bot.burndown.recurrence import REMIND, Item, next_due, pending
from bot.burndown.series import claimed_of, one_of, plan_of, refresh_due_all, skips_of
from bot.core.models import UTCDateTime
from bot.release.models import Release
from bot.release.service import active_ids

# Work sent more than this after its due time was held up (the bot or Slack was away).
LATE_AFTER = timedelta(seconds=5)
# At most this many series per pass, most overdue first: after a long outage the stale ones
# are pushed forward and the next pass follows at once, so no single pass takes long.
PLAN_BATCH = 5000
CLAIM_ROWS = 500  # claim rows per INSERT: 3,000 parameters, within any database's limit
T = TypeVar("T")
PUSH_FORWARD_PG = text(
    "UPDATE meeting_series AS s SET next_due_at = v.actual "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:stored AS timestamptz[]), "
    "CAST(:actual AS timestamptz[])) AS v(id, stored, actual) "
    "WHERE s.id = v.id AND s.next_due_at = v.stored"
)
# What planning reads of a series (its rule and its plan): not its areas, link or history.
PLANNED_COLUMNS = (
    "id",
    "release_id",
    "days",
    "at_time",
    "zone",
    "start_date",
    "end_date",
    "remind",
    "status_lead",
    "plan_from",
    "next_due_at",
)


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
    """Work due before `until` for meetings not yet started, and series to push forward.

    The series are read in next_due_at order straight off their index and the batch ends
    at the limit: joining the releases in the same query let PostgreSQL hash every due
    series (all of them after an outage) and sort them to keep the first few thousand.
    Series of a closed release have nothing due any more: they are pushed to no due time.
    """
    query = (
        select(MeetingSeries)
        .options(load_only(*(getattr(MeetingSeries, name) for name in PLANNED_COLUMNS)))
        .where(MeetingSeries.state == "active", col(MeetingSeries.next_due_at) < until)
        .order_by(col(MeetingSeries.next_due_at))
        .limit(PLAN_BATCH)
    )
    chosen = list(session.exec(query))
    running = active_ids(session, list({s.release_id for s in chosen}))
    ids = [s.id for s in chosen if s.id is not None and s.release_id in running]
    skips = skips_of(session, ids)
    claimed = claimed_of(session, ids, now)
    zones = cache(ZoneInfo)  # this pass reads each zone once
    work: list[Due] = []
    stale: list[Stale] = []
    for series in chosen:
        assert series.id is not None and series.next_due_at is not None
        if series.release_id not in running:
            stale.append(Stale(series.id, series.next_due_at, None))
            continue
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
    """Store the real next_due_at of stale series, unless someone changed them meanwhile.

    On PostgreSQL in one statement over three arrays (thousands of single-row updates cost
    a round trip each); elsewhere as one executemany.
    """
    if not stale:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            PUSH_FORWARD_PG,
            {
                "ids": [e.series_id for e in stale],
                "stored": [e.stored for e in stale],
                "actual": [e.actual for e in stale],
            },
        )
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
    won = claim_all(session, [due], now)
    return won[0] if won else None


def claim_all(session: Session, dues: list[Due], now: datetime) -> list[Claimed]:
    """Claim the pieces of work due together, in one go: the ones this transaction won.

    Work claimed already, or no longer wanted (its meeting started, was skipped or moved,
    its series or release ended), is left out. A thousand reminders due at 10:00 cost a
    few statements, not a transaction each.
    """
    ids = sorted({due.series_id for due in dues})
    series = {s.id: s for s in _rows(session, MeetingSeries, ids)}
    release_ids = sorted({s.release_id for s in series.values()})
    releases = {r.id: r for r in _rows(session, Release, release_ids)}
    skips = skips_of(session, ids)
    wanted: list[Claimed] = []  # delivery ids filled in once inserted
    for due in dues:
        found = series.get(due.series_id)
        release = releases.get(found.release_id) if found is not None else None
        if found is None or release is None or release.state != "active":
            continue
        if _still_wanted(found, skips[due.series_id], due, now):
            late = late_by(due.item.due, now) is not None
            wanted.append(Claimed(0, found, release, due.item, late))
    won = _insert_claims(session, wanted, now)
    claimed = [replace(c, delivery_id=won[_key(c)]) for c in wanted if _key(c) in won]
    refresh_due_all(session, list({c.series.id: c.series for c in claimed}.values()), now)
    return claimed


def _still_wanted(series: MeetingSeries, skips: set[date], due: Due, now: datetime) -> bool:
    """The work's meeting is still ahead and still one of the series', with this work in it."""
    item = due.item
    plan = plan_of(series, skips)
    if (
        series.state != "active"
        or item.occurs_at <= now
        or not plan.rule.is_occurrence(item.occurs_at)
    ):
        return False  # the meeting started, was skipped or moved: drop the work
    return item in plan.items_for(item.occurs_at)


ClaimKey = tuple[int | None, datetime, str, int]


def _key(claim: Claimed) -> ClaimKey:
    return (claim.series.id, claim.item.occurs_at, claim.item.kind, claim.item.offset)


def _insert_claims(session: Session, claims: list[Claimed], now: datetime) -> dict[ClaimKey, int]:
    """Insert the claim rows; the ids of those inserted (not claimed before), by their key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    delivery = MeetingDelivery
    won: dict[ClaimKey, int] = {}
    for start in range(0, len(claims), CLAIM_ROWS):
        rows = [
            {
                "series_id": c.series.id,
                "occurs_at": c.item.occurs_at,
                "kind": c.item.kind,
                "offset_s": c.item.offset,
                "claimed_at": now,
                "late": c.late,
            }
            for c in claims[start : start + CLAIM_ROWS]
        ]
        statement = (
            insert(delivery)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(
                col(delivery.id),
                col(delivery.series_id),
                col(delivery.occurs_at),
                col(delivery.kind),
                col(delivery.offset_s),
            )
        )
        for delivery_id, series_id, occurs_at, kind, offset in session.execute(statement):
            won[(series_id, occurs_at, kind, offset)] = int(delivery_id)
    return won


def _rows(session: Session, model: type[T], ids: list[int]) -> list[T]:
    """Rows of a table by id."""
    found: list[T] = []
    for condition in one_of(session, col(model.id), ids):  # type: ignore[attr-defined]
        found.extend(session.exec(select(model).where(condition)))
    return found


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
    """Every reminder claimed for one meeting (posted, or still owed to Slack)."""
    query = select(MeetingDelivery).where(
        MeetingDelivery.series_id == series_id,
        MeetingDelivery.occurs_at == occurs_at,
        MeetingDelivery.kind == REMIND,
    )
    return list(session.exec(query))


def due_of(delivery: MeetingDelivery) -> datetime:
    """When a claimed piece of work was due."""
    return delivery.occurs_at - timedelta(seconds=delivery.offset_s)


def late_by(due: datetime, sent_at: datetime) -> timedelta | None:
    """How late work sent at `sent_at` was, or None when it went out in time."""
    lag = sent_at - due
    return lag if lag > LATE_AFTER else None
