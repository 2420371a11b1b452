"""A gate's history: every recorded result, how long it was red, and its counted values.

A row is written in the transaction that records the result (a check, a manual set), so the
history never disagrees with the gate. Red stretches are read from the states the rows
record: a stretch begins with the first failing row and ends at the first row that is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from bot.gates.alerting import FAILING
from bot.gates.models import Gate, GateCheck

DETAIL = 300


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
    query = (
        select(GateCheck)
        .where(GateCheck.gate_id == gate_id)
        .order_by(col(GateCheck.at), col(GateCheck.id))
    )
    return list(session.exec(query))


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
    """The measured values, in order (rows without one left out)."""
    return [(row.at, row.value) for row in rows if row.value is not None]


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
