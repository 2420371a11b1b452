"""The gates' events for webhooks: a gate turned green, red, yellow or unknown."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.events import Event, GateData, release_info
from bot.core.models import AuditEvent
from bot.gates.models import Gate, GateCheck
from bot.release.models import Release

COLOURS = {"passing": "green", "failing": "red", "yellow": "yellow", "unknown": "unknown"}


def of_change(session: Session, gate: Gate, release: Release, now: datetime) -> Event | None:
    """The event of the visible transition this transaction just recorded (its audit event)."""
    state = COLOURS.get(gate.state)
    if state is None or release.id is None or gate.id is None:
        return None
    session.flush()
    audited = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.release_id == release.id,
            AuditEvent.action == f"gate.{gate.state}",
            AuditEvent.subject == gate.name,
        )
        .order_by(col(AuditEvent.id).desc())
    ).first()
    value = session.exec(
        select(GateCheck.value)
        .where(GateCheck.gate_id == gate.id)
        .order_by(col(GateCheck.id).desc())
    ).first()
    before = audited.before if audited is not None else None
    data = GateData(
        release=release_info(release),
        gate=gate.name,
        kind=gate.kind,
        state=state,  # type: ignore[arg-type]
        before=COLOURS.get(before or "", before),
        detail=(gate.last_detail or "")[:1000],
        value=value,
    )
    moment = audited.id if audited is not None else int(now.timestamp() * 1e6)
    return Event(f"gate.{state}", f"gate:{gate.id}:{moment}", release.id, data, now)
