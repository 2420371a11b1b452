"""A gate's history: every recorded result, how long it was red, and its counted values.

A row is written in the transaction that records the result (a check, a manual set), so the
history never disagrees with the gate. Red stretches are read from the states the rows
record: a stretch begins with the first failing row and ends at the first row that is not.

History is thinned as it ages (`thin`): every check is kept for 7 days; older ones only when
they change something (the state, the measured value), plus the first of each hour; after 90
days, the changes plus the first of each day; a gate's first and last rows always. What is
read from the history (red stretches, the counted values a chart draws) is the same before
and after: only rows that repeat their predecessor's state and value are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, delete, select

from bot.gates.alerting import FAILING
from bot.gates.models import Gate, GateCheck

DETAIL = 300
KEEP_ALL = timedelta(days=7)  # every check, this recent
KEEP_HOURLY = timedelta(days=90)  # changes and one an hour, this recent; one a day beyond
THIN_BATCH = 5000  # rows read (and at most deleted) per gate and transaction


@dataclass(frozen=True)
class Stretch:
    """A time the gate was red, from `start` to `end` (`still` when it was red at `end`)."""

    start: datetime
    end: datetime
    still: bool = False

    @property
    def length(self) -> timedelta:
        """How long it lasted."""
        return self.end - self.start


@dataclass(frozen=True)
class RedTime:
    """How long a gate was red in total, its longest stretch, and how many stretches."""

    total: timedelta
    longest: timedelta
    stretches: int


def record(
    session: Session,
    gate: Gate,
    *,
    result: str,
    state: str,
    at: datetime,
    value: float | None = None,
    detail: str | None = None,
) -> None:
    """Keep one result of the gate (in the caller's transaction)."""
    assert gate.id is not None
    session.add(
        GateCheck(
            gate_id=gate.id,
            release_id=gate.release_id,
            at=at,
            result=result,
            state=state,
            value=value,
            detail=(detail or "")[:DETAIL] or None,
        )
    )


def forget(session: Session, gate_id: int) -> None:
    """Drop a removed gate's history."""
    session.execute(delete(GateCheck).where(col(GateCheck.gate_id) == gate_id))


def history(session: Session, gate_id: int) -> list[GateCheck]:
    """Every recorded result of the gate, oldest first."""
    of_gate = select(GateCheck).where(GateCheck.gate_id == gate_id)
    return list(session.exec(of_gate.order_by(col(GateCheck.at), col(GateCheck.id))))


def of_release(session: Session, release_id: int) -> dict[int, list[GateCheck]]:
    """Gate id -> its results, oldest first, for every gate of the release (one query)."""
    query = (
        select(GateCheck)
        .where(GateCheck.release_id == release_id)
        .order_by(col(GateCheck.gate_id), col(GateCheck.at), col(GateCheck.id))
    )
    found: dict[int, list[GateCheck]] = {}
    for row in session.exec(query):
        found.setdefault(row.gate_id, []).append(row)
    return found


def values(rows: Sequence[GateCheck]) -> list[tuple[datetime, float]]:
    """The measured values where they change, in order, and the last one (rows without a
    value left out): the steps a chart draws, the same however thinned the history is."""
    measured = [(row.at, row.value) for row in rows if row.value is not None]
    return [
        point
        for index, point in enumerate(measured)
        if index in (0, len(measured) - 1) or point[1] != measured[index - 1][1]
    ]


@dataclass(frozen=True)
class Thinned:
    """What one pass of thinning did: rows read and rows deleted, over how many gates."""

    gates: int = 0
    read: int = 0
    deleted: int = 0


Row = tuple[int, datetime, str, float | None]  # id, at, state, value


def to_drop(
    rows: Sequence[Row], now: datetime, before: Row | None = None, final: bool = True
) -> list[int]:
    """The ids of the rows (oldest first) that thinning drops; pure.

    Kept: every row of the last 7 days; a row whose state or value differs from the row
    before it; the first row of each hour (7 to 90 days old) or of each day (older); the
    gate's first row (when `before`, the row kept just before these, is None) and its last
    (when these rows are the `final` ones).
    """
    drop: list[int] = []
    seen = {_bucket(before[1], now)} if before is not None else set()
    previous = before
    for index, row in enumerate(rows):
        row_id, at, state, value = row
        bucket = _bucket(at, now)
        first_in_bucket = bucket not in seen
        seen.add(bucket)
        last = final and index == len(rows) - 1
        keep = (
            previous is None
            or last
            or first_in_bucket
            or now - at <= KEEP_ALL
            or (state, value) != (previous[2], previous[3])
        )
        if keep:
            previous = row
        else:
            drop.append(row_id)
    return drop


def _bucket(at: datetime, now: datetime) -> tuple[int, int, int, int]:
    """The hour (up to 90 days old) or the day (older) a check falls in."""
    hour = at.hour if now - at <= KEEP_HOURLY else -1
    return (at.year, at.month, at.day, hour)


def thin_gate(
    session: Session, gate_id: int, now: datetime, after: tuple[datetime, int] | None = None
) -> tuple[int, int, tuple[datetime, int] | None]:
    """Thin one gate's rows older than 7 days, after `after` (at, id), at most THIN_BATCH.

    Returns (rows read, rows deleted, where the next batch starts: None when the gate is
    done). The row kept last before the batch is read too, so the batch is judged as one
    pass over the whole history would judge it.
    """
    old = select(GateCheck.id, GateCheck.at, GateCheck.state, GateCheck.value).where(
        GateCheck.gate_id == gate_id, GateCheck.at < now - KEEP_ALL
    )
    before: Row | None = None
    query = old
    if after is not None:
        later = or_(
            col(GateCheck.at) > after[0],
            and_(col(GateCheck.at) == after[0], col(GateCheck.id) > after[1]),
        )
        query = old.where(later)
        found = session.exec(
            old.where(~later).order_by(col(GateCheck.at).desc(), col(GateCheck.id).desc()).limit(1)
        ).first()
        before = _row(found) if found is not None else None
    query = query.order_by(col(GateCheck.at), col(GateCheck.id)).limit(THIN_BATCH)
    rows = [_row(found) for found in session.exec(query)]
    final = len(rows) < THIN_BATCH
    dropped = to_drop(rows, now, before, final)
    if dropped:
        session.execute(delete(GateCheck).where(col(GateCheck.id).in_(dropped)))
    if final or not rows:
        return len(rows), len(dropped), None
    return len(rows), len(dropped), (rows[-1][1], rows[-1][0])


def _row(found: Any) -> Row:
    row_id, at, state, value = found
    return int(row_id or 0), at, str(state), value


def thin(
    session_factory: Callable[[], AbstractContextManager[Session]],
    gate_ids: Sequence[int],
    now: datetime,
) -> Thinned:
    """Thin the history of these gates, one bounded transaction per batch."""
    read = deleted = 0
    for gate_id in gate_ids:
        after: tuple[datetime, int] | None = None
        while True:
            with session_factory() as session:
                got, gone, after = thin_gate(session, gate_id, now, after)
            read, deleted = read + got, deleted + gone
            if after is None:
                break
    return Thinned(len(gate_ids), read, deleted)


def gates_with_old_rows(session: Session, now: datetime) -> list[int]:
    """The gates that have rows older than 7 days."""
    query = select(GateCheck.gate_id).where(GateCheck.at < now - KEEP_ALL).distinct()
    return sorted(int(g) for g in session.exec(query))


def row_count(session: Session) -> int:
    """How many results are kept, for every gate."""
    return int(session.exec(select(func.count()).select_from(GateCheck)).one())


def red_stretches(rows: Sequence[GateCheck], until: datetime) -> list[Stretch]:
    """Each time the gate was red, in order; one still red at the end runs to `until`."""
    stretches: list[Stretch] = []
    start: datetime | None = None
    for row in rows:
        if row.state == FAILING and start is None:
            start = row.at
        elif row.state != FAILING and start is not None:
            stretches.append(Stretch(start, row.at))
            start = None
    if start is not None:
        stretches.append(Stretch(start, max(until, start), still=True))
    return stretches


def red_time(rows: Sequence[GateCheck], until: datetime) -> RedTime:
    """How long the gate was red in total, and its longest red stretch (for the retrospective)."""
    stretches = red_stretches(rows, until)
    lengths = [s.length for s in stretches]
    return RedTime(sum(lengths, timedelta()), max(lengths, default=timedelta()), len(stretches))
