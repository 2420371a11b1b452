"""Reading a series row: its rule, its plan, its skipped days and claimed work, its next due."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingDelivery, MeetingSeries, MeetingSkip
from bot.burndown.recurrence import Claimed, Plan, Rule, next_due


def remind_of(series: MeetingSeries) -> tuple[int, ...]:
    """The series' reminder offsets in seconds, largest first."""
    offsets = {int(part) for part in series.remind.split(",") if part.strip()}
    return tuple(sorted(offsets, reverse=True))


def areas_of(series: MeetingSeries) -> list[str]:
    """The burndown areas of a series, in the order given."""
    return [area for area in series.areas.split("\n") if area]


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


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    """Id lists short enough for any database's parameter limit."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def skips_of(session: Session, series_ids: list[int]) -> dict[int, set[date]]:
    """Skipped local dates per series."""
    found: dict[int, set[date]] = {sid: set() for sid in series_ids}
    for chunk in _chunks(series_ids):
        query = select(MeetingSkip).where(col(MeetingSkip.series_id).in_(chunk))
        for row in session.exec(query):
            found[row.series_id].add(row.day)
    return found


def claimed_of(session: Session, series_ids: list[int], since: datetime) -> dict[int, Claimed]:
    """Work already claimed per series, for meetings from `since` on."""
    found: dict[int, Claimed] = {sid: set() for sid in series_ids}
    for chunk in _chunks(series_ids):
        query = select(MeetingDelivery).where(
            col(MeetingDelivery.series_id).in_(chunk), MeetingDelivery.occurs_at >= since
        )
        for row in session.exec(query):
            found[row.series_id].add((row.occurs_at, row.kind, row.offset_s))
    return found


def refresh_due(session: Session, series: MeetingSeries, now: datetime) -> datetime | None:
    """Recompute when the series next has work due, store it, and return it."""
    assert series.id is not None
    plan = plan_of(series, skips_of(session, [series.id])[series.id])
    claimed = claimed_of(session, [series.id], now)[series.id]
    due = next_due(plan, claimed, now) if series.state == "active" else None
    session.execute(
        update(MeetingSeries).where(col(MeetingSeries.id) == series.id).values(next_due_at=due)
    )
    series.next_due_at = due
    return due
