"""Alerting decisions of gates, as pure functions of (previous state, result, now).

Damping: a failing result turns a gate red only after `damping` failures in a row. One
alert per turn to red, one recovery note per turn back; while red, a re-ping every
`repeat_seconds`, and after `escalate_after` of them the lead is pulled in as well.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

PASSING = "passing"
FAILING = "failing"
UNKNOWN = "unknown"
ALERT = "alert"
RECOVERED = "recovered"
FIRST_PASS = "first-pass"  # noqa: S105  (an event name)


@dataclass(frozen=True)
class Snapshot:
    """The fields of a gate that alerting decisions depend on."""

    state: str
    state_since: datetime | None
    fail_streak: int
    damping: int
    pings: int
    next_ping_at: datetime | None
    repeat_seconds: int


@dataclass(frozen=True)
class Change:
    """A gate's state after a result, and the visible event it causes (if any)."""

    snapshot: Snapshot
    event: str | None = None
    red_for: timedelta | None = None


@dataclass(frozen=True)
class Ping:
    """A re-ping of a failing gate: its number, whether the lead is pulled in, the next one."""

    number: int
    escalate: bool
    next_at: datetime


def after_result(prev: Snapshot, passed: bool, now: datetime) -> Change:
    """What a check result (or a manual set) does to a gate; pure."""
    if passed:
        calm = replace(prev, fail_streak=0, pings=0, next_ping_at=None)
        if prev.state == PASSING:
            return Change(calm)
        turned = replace(calm, state=PASSING, state_since=now)
        if prev.state == FAILING:
            red_for = now - prev.state_since if prev.state_since else None
            return Change(turned, RECOVERED, red_for)
        return Change(turned, FIRST_PASS)
    streak = prev.fail_streak + 1
    if prev.state == FAILING or streak < max(1, prev.damping):
        return Change(replace(prev, fail_streak=streak))
    red = replace(
        prev,
        state=FAILING,
        state_since=now,
        fail_streak=streak,
        pings=0,
        next_ping_at=now + timedelta(seconds=prev.repeat_seconds),
    )
    return Change(red, ALERT)


def ping_due(prev: Snapshot, now: datetime, escalate_after: int) -> Ping | None:
    """The re-ping a failing gate owes at `now`, or None; a missed one is sent once, not many."""
    if prev.state != FAILING or prev.next_ping_at is None or now < prev.next_ping_at:
        return None
    number = prev.pings + 1
    step = timedelta(seconds=max(1, prev.repeat_seconds))
    next_at = prev.next_ping_at + step
    if next_at <= now:
        next_at = now + step
    return Ping(number, number > escalate_after, next_at)
