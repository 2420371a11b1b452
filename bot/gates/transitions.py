"""How a gate's state moves: guarded UPDATEs on `version`, claims of due checks and re-pings.

A failed check turns a gate failing only after `damping` failures in a row; each visible
transition is one guarded UPDATE on `version`, so exactly one check (or click) makes it,
it is audited once, and exactly one alert or recovery note follows. Every recorded result
is kept in the gate's history in that same transaction.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.errors import Conflict
from bot.gates import history
from bot.gates.alerting import ALERT, Change, Ping, Snapshot, after_outcome, alarmed, ping_due
from bot.gates.models import Gate
from bot.gates.outcome import Outcome, of_verdict
from bot.release.escalation import Climb, why_text
from bot.release.models import Release


def snapshot(gate: Gate) -> Snapshot:
    """The decision-relevant part of a gate row: its fields of the snapshot's names."""
    return Snapshot(**{field.name: getattr(gate, field.name) for field in fields(Snapshot)})


def fresh(session: Session, gate_id: int) -> Gate | None:
    """The gate as the database has it now (not a cached copy)."""
    query = select(Gate).where(Gate.id == gate_id).execution_options(populate_existing=True)
    return session.exec(query).first()


def guarded_update(session: Session, gate: Gate, **values: Any) -> bool:
    """Write `values` if the gate is still at the version read; True when this call won.

    The row then holds exactly what the gate read plus `values`, so the object in hand takes
    them too (as committed, not as changes to flush) instead of being read back.
    """
    values = {"version": gate.version + 1, **values}
    statement = (
        update(Gate)
        .where(col(Gate.id) == gate.id, col(Gate.version) == gate.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    won = bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    if won:
        for name, value in values.items():
            set_committed_value(gate, name, value)
    return won


def transition(
    session: Session,
    gate: Gate,
    change: Change,
    *,
    actor: str,
    detail: str,
    now: datetime,
    value: float | None = None,
    **values: Any,
) -> bool:
    """Store a change (and `values`) under the gate's version; audit it when it is visible.

    A change that records a result (`last_result` among the values) is kept in the gate's
    history, with the measured `value`, when this call won.
    """
    s = change.snapshot
    before = gate.state
    moved = guarded_update(
        session,
        gate,
        state=s.state,
        state_since=s.state_since,
        fail_streak=s.fail_streak,
        pings=s.pings,
        next_ping_at=s.next_ping_at,
        **_ladder_values(change, now),
        **values,
    )
    if moved and "last_result" in values:
        history.record(
            session,
            gate,
            result=values["last_result"],
            state=s.state,
            at=now,
            value=value,
            detail=detail,
        )
    if moved and change.event is not None:
        audit.record(
            session,
            session.get(Release, gate.release_id),
            f"gate.{s.state}",
            gate.name,
            before=before,
            after=s.state,
            detail=detail[:500] or None,
            actor=actor,
            at=now,
        )
    return moved


def _ladder_values(change: Change, now: datetime) -> dict[str, Any]:
    """A turn to red starts the ladder (the alert tells the owners; look again now); an end
    of the red spell stops it."""
    s = change.snapshot
    if change.event == ALERT:
        return {"rungs_told": 1, "rung_due_at": now}
    if not alarmed(s.state, s.alert_yellow):
        return {"rung_due_at": None}
    return {}


def claim_climb(
    session: Session, gate: Gate, *, rungs_told: int, due_at: datetime | None, now: datetime
) -> bool:
    """Record a look at the gate's ladder, if the gate is still as it was read; True once."""
    statement = (
        update(Gate)
        .where(
            col(Gate.id) == gate.id,
            col(Gate.rungs_told) == gate.rungs_told,
            col(Gate.rung_due_at) == gate.rung_due_at,
            col(Gate.state_since) == gate.state_since,
        )
        .values(rungs_told=rungs_told, rung_due_at=due_at)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def record_climb(
    session: Session, gate: Gate, release: Release, climb: Climb, now: datetime
) -> None:
    """Audit who the ladder asked about the red gate, and why the rung before did not do."""
    if climb.told is None or climb.before is None:
        return
    asked = "; ".join(f"{r.label} {' '.join(r.holders)}" for r in climb.told.rungs)
    before = " ".join(climb.before.holders)
    why = f"no answer from {before}" if climb.answerless else why_text(climb.before)
    audit.record(
        session,
        release,
        "gate.escalated",
        gate.name,
        detail=f"asked {asked}: {why}"[:500],
        actor=audit.SYSTEM_ACTOR,
        at=now,
    )


def apply_result(
    session: Session, gate_id: int, *, passed: bool, detail: str, now: datetime
) -> tuple[Gate, Change] | None:
    """Record a pass or a failure (see `apply_outcome`); None if the gate is gone."""
    return apply_outcome(session, gate_id, of_verdict(passed, detail), now=now)


def apply_outcome(
    session: Session,
    gate_id: int,
    outcome: Outcome,
    *,
    now: datetime,
    next_check_at: datetime | None = None,
    actor: str = audit.SYSTEM_ACTOR,
    read: Gate | None = None,
) -> tuple[Gate, Change] | None:
    """Record a check's outcome with one guarded UPDATE (retried on a race); None if gone.

    `read` is the gate as this transaction has just read it, spared reading it again.
    """
    values: dict[str, Any] = {
        "last_result": outcome.result,
        "last_detail": outcome.detail[:1000],
        "last_checked_at": now,
        "findings": outcome.findings_json(),
    }
    if next_check_at is not None:
        values["next_check_at"] = next_check_at
    detail = outcome.detail
    for _ in range(10):
        gate, read = read or fresh(session, gate_id), None
        if gate is None:
            return None
        change = after_outcome(snapshot(gate), outcome.result, now)
        moved = transition(
            session,
            gate,
            change,
            actor=actor,
            detail=detail,
            now=now,
            value=outcome.value,
            **values,
        )
        if moved:
            return gate, change
    raise Conflict("The gate kept changing while its result was recorded; try again.")


def put_off(session: Session, gate_id: int, until: datetime) -> None:
    """Move the gate's next check on to `until` without recording anything (a rate limit)."""
    statement = (
        update(Gate)
        .where(col(Gate.id) == gate_id)
        .values(next_check_at=until)
        .execution_options(synchronize_session=False)
    )
    session.execute(statement)


def claim_check(session: Session, gate_id: int, due: datetime, lease_until: datetime) -> bool:
    """Claim the check planned for `due` (moves it on to `lease_until`); True for one caller."""
    statement = (
        update(Gate)
        .where(col(Gate.id) == gate_id, col(Gate.next_check_at) == due)
        .values(next_check_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def claim_ping(
    session: Session, gate_id: int, pings: int, now: datetime
) -> tuple[Gate, Ping] | None:
    """Claim the next re-ping of a failing gate; None when it is not due or someone took it."""
    gate = fresh(session, gate_id)
    if gate is None or gate.pings != pings:
        return None
    ping = ping_due(snapshot(gate), now)
    if ping is None:
        return None
    if not guarded_update(session, gate, pings=ping.number, next_ping_at=ping.next_at):
        return None
    return gate, ping


def remember_message(
    session: Session, gate_id: int, *, message_ts: str | None = None, alert_ts: str | None = None
) -> None:
    """Store where the gate's card or current alert was posted (no state change)."""
    values = {k: v for k, v in (("message_ts", message_ts), ("alert_ts", alert_ts)) if v}
    if values:
        session.execute(update(Gate).where(col(Gate.id) == gate_id).values(**values))
