"""Alerting decisions of gates, as pure functions of (previous state, result, now).

A result is pass, fail, yellow (not good enough: a flaky blocking job) or unknown (the check
could not tell: a rate limit, incomplete results, a network error). Damping: a failing
result turns a gate red only after `damping` failures in a row. One alert per turn to red,
one recovery note per turn back; while red, a re-ping of the owners every `repeat_seconds`
(who else is asked, and when, is the release's escalation ladder: `bot.release.escalation`).

Yellow is shown and counts as not green; it alerts like red (damped, re-pinged, recovered
from) only on gates that ask for it (`alert_yellow`). Unknown is never green: a gate that
was passing (or yellow, or unknown) becomes unknown at once, without an alert; a gate in an
alerting state keeps it, so a rate-limited check neither ends a red spell nor starts a new
alert when it is over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

PASSING = "passing"
FAILING = "failing"
YELLOW = "yellow"
UNKNOWN = "unknown"
STATES = (FAILING, YELLOW, UNKNOWN, PASSING)  # worst first

PASS = "pass"  # noqa: S105  (a result name)
FAIL = "fail"
WARN = "yellow"  # a yellow result
UNSURE = "unknown"  # a result that could not tell
RESULTS = (PASS, FAIL, WARN, UNSURE)

ALERT = "alert"
RECOVERED = "recovered"
FIRST_PASS = "first-pass"  # noqa: S105  (an event name)
CHANGED = "changed"  # a visible change that owes no message of its own (yellow, unknown)


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
    alert_yellow: bool = False


@dataclass(frozen=True)
class Change:
    """A gate's state after a result, and the visible event it causes (if any)."""

    snapshot: Snapshot
    event: str | None = None
    red_for: timedelta | None = None


@dataclass(frozen=True)
class Ping:
    """A re-ping of a failing gate: its number, and when the next one is due."""

    number: int
    next_at: datetime


def alarmed(state: str, alert_yellow: bool) -> bool:
    """True for a state that alerts, re-pings and owes a recovery note."""
    return state == FAILING or (state == YELLOW and alert_yellow)


def after_result(prev: Snapshot, passed: bool, now: datetime) -> Change:
    """What a pass or a failure (a check, a manual set) does to a gate; pure."""
    return after_outcome(prev, PASS if passed else FAIL, now)


def after_outcome(prev: Snapshot, result: str, now: datetime) -> Change:
    """What a result (pass, fail, yellow, unknown) does to a gate; pure."""
    if result == PASS:
        return _settled(prev, PASSING, now)
    if result == UNSURE:
        if alarmed(prev.state, prev.alert_yellow) or prev.state == UNKNOWN:
            return Change(prev)
        return Change(replace(prev, state=UNKNOWN, state_since=now, next_ping_at=None), CHANGED)
    if result == WARN and not prev.alert_yellow:
        return _settled(prev, YELLOW, now)
    return _alarm(prev, FAILING if result == FAIL else YELLOW, now)


def _settled(prev: Snapshot, state: str, now: datetime) -> Change:
    """A result that alerts nobody: passing, or yellow on a gate that does not alert on it."""
    calm = replace(prev, fail_streak=0, pings=0, next_ping_at=None)
    if prev.state == state:
        return Change(calm)
    turned = replace(calm, state=state, state_since=now)
    if alarmed(prev.state, prev.alert_yellow):
        red_for = now - prev.state_since if prev.state_since else None
        return Change(turned, RECOVERED, red_for)
    return Change(turned, FIRST_PASS if state == PASSING else CHANGED)


def _alarm(prev: Snapshot, state: str, now: datetime) -> Change:
    """A failure (or an alerting yellow): damped, then one alert per turn."""
    streak = prev.fail_streak + 1
    if prev.state == state:
        return Change(replace(prev, fail_streak=streak))
    if alarmed(prev.state, prev.alert_yellow):  # red <-> yellow: the same spell goes on
        return Change(replace(prev, state=state, fail_streak=streak), CHANGED)
    if streak < max(1, prev.damping):
        return Change(replace(prev, fail_streak=streak))
    red = replace(
        prev,
        state=state,
        state_since=now,
        fail_streak=streak,
        pings=0,
        next_ping_at=now + timedelta(seconds=prev.repeat_seconds),
    )
    return Change(red, ALERT)


def ping_due(prev: Snapshot, now: datetime) -> Ping | None:
    """The re-ping a failing gate owes at `now`, or None; a missed one is sent once, not many."""
    if not alarmed(prev.state, prev.alert_yellow) or prev.next_ping_at is None:
        return None
    if now < prev.next_ping_at:
        return None
    number = prev.pings + 1
    step = timedelta(seconds=max(1, prev.repeat_seconds))
    next_at = prev.next_ping_at + step
    if next_at <= now:
        next_at = now + step
    return Ping(number, next_at)
