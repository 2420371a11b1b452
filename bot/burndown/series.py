"""Reading a series row: its rule, its plan, its skipped days and claimed work, its next due."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, any_, bindparam, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingDelivery, MeetingSeries, MeetingSkip
from bot.burndown.recurrence import Claimed, Plan, Rule, describe_days, next_due


def remind_of(series: MeetingSeries) -> tuple[int, ...]:
    """The series' reminder offsets in seconds, largest first."""
    offsets = {int(part) for part in series.remind.split(",") if part.strip()}
    return tuple(sorted(offsets, reverse=True))


def areas_of(series: MeetingSeries) -> list[str]:
    """The burndown areas of a series, in the order given."""
    return [area for area in series.areas.split("\n") if area]


CHUNK = 900  # ids per IN list: within SQLite's (and any database's) parameter limit
# Zone by name: ZoneInfo, or a memoised ZoneInfo for a planning pass that reads thousands of
# series in a few zones (ZoneInfo itself keeps only the few zones it made last).
ZoneLookup = Callable[[str], ZoneInfo]


def rule_of(
    series: MeetingSeries, skips: Iterable[date] = (), zones: ZoneLookup = ZoneInfo
) -> Rule:
    """The series' recurrence rule."""
    return Rule(
        days=series.days,
        at=time.fromisoformat(series.at_time),
        zone=zones(series.zone),
        start=series.start_date,
        end=series.end_date,
        skips=frozenset(skips),
    )


def plan_of(
    series: MeetingSeries, skips: Iterable[date] = (), zones: ZoneLookup = ZoneInfo
) -> Plan:
    """The series' rule with the work it wants before each meeting."""
    rule = rule_of(series, skips, zones)
    return Plan(rule, remind_of(series), series.status_lead, series.plan_from)


def one_of(session: Session, column: Any, ids: list[int]) -> list[ColumnElement[bool]]:
    """Conditions that together select rows whose `column` is one of `ids`.

    PostgreSQL takes the ids as one array parameter; elsewhere they go in chunks short enough
    for any parameter limit (an IN list of thousands of parameters is slow to send and parse).
    """
    if not ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))]
    return [column.in_(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def skips_of(session: Session, series_ids: list[int]) -> dict[int, set[date]]:
    """Skipped local dates per series."""
    found: dict[int, set[date]] = {sid: set() for sid in series_ids}
    for condition in one_of(session, col(MeetingSkip.series_id), series_ids):
        query = select(col(MeetingSkip.series_id), col(MeetingSkip.day)).where(condition)
        for series_id, day in session.exec(query):
            found[series_id].add(day)
    return found


def claimed_of(session: Session, series_ids: list[int], since: datetime) -> dict[int, Claimed]:
    """Work already claimed per series, for meetings from `since` on."""
    found: dict[int, Claimed] = {sid: set() for sid in series_ids}
    delivery = MeetingDelivery
    for condition in one_of(session, col(delivery.series_id), series_ids):
        query = select(
            col(delivery.series_id),
            col(delivery.occurs_at),
            col(delivery.kind),
            col(delivery.offset_s),
        ).where(condition, delivery.occurs_at >= since)
        for series_id, occurs_at, kind, offset in session.exec(query):
            found[series_id].add((occurs_at, kind, offset))
    return found


def refresh_due(session: Session, series: MeetingSeries, now: datetime) -> datetime | None:
    """Recompute when the series next has work due, store it, and return it."""
    refresh_due_all(session, [series], now)
    return series.next_due_at


def refresh_due_all(session: Session, series: list[MeetingSeries], now: datetime) -> None:
    """Recompute and store when each of these series next has work due (few statements)."""
    ids = [s.id for s in series if s.id is not None]
    if not ids:
        return
    skips = skips_of(session, ids)
    claimed = claimed_of(session, ids, now)
    rows = []
    for found in series:
        assert found.id is not None
        plan = plan_of(found, skips[found.id])
        due = next_due(plan, claimed[found.id], now) if found.state == "active" else None
        rows.append({"sid": found.id, "due": due})
        found.next_due_at = due
    table = MeetingSeries.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("sid"))
        .values(next_due_at=bindparam("due", type_=table.c.next_due_at.type))
    )
    session.connection().execute(statement, rows)


def rule_words(series: MeetingSeries, since: str, until: str) -> str:
    """The series' days, time and zone, then `since` its first day and `until` its last.

    `rule_words(series, ", from", "to")`: 'Mon, Fri at 10:00 UTC, from 2027-01-04 to 2027-02-26'.
    """
    text = f"{describe_days(series.days)} at {series.at_time} {series.zone}"
    text += f"{since} {series.start_date.isoformat()}"
    if series.end_date is not None:
        text += f" {until} {series.end_date.isoformat()}"
    return text
